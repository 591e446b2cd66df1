"""The LDM receiver: codec wrapper, channel path, SNR estimate, samplers (with an oracle denoiser)."""

import pytest
import torch
from torch import nn

pytest.importorskip("diffusers")

from semcom.channels import AWGNChannel, BlockFadingChannel  # noqa: E402
from semcom.errors import SemcomError  # noqa: E402
from semcom.models.diffusion import DiffusionDenoiser, reverse  # noqa: E402
from semcom.models.latent import LatentCodec  # noqa: E402
from semcom.systems.ldm import LDMReceiverSystem  # noqa: E402


class OracleUNet(nn.Module):
    """eps(x_t, t) = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t) for a known x0: exact noise prediction."""

    def __init__(self, x0: torch.Tensor, abar: torch.Tensor) -> None:
        super().__init__()
        self.x0, self.abar = x0, abar

    def forward(self, x, t):
        a = self.abar[t].reshape(-1, 1, 1, 1)
        return type("Out", (), {"sample": (x - a.sqrt() * self.x0) / (1 - a).sqrt()})()


@pytest.fixture(scope="module")
def codec() -> LatentCodec:
    torch.manual_seed(0)
    c = LatentCodec.small(width=32)
    c.calibrate(torch.rand(64, 3, 32, 32))
    return c.eval()


def test_codec_normalisation_and_channel_uses(codec) -> None:
    assert codec.channel_uses((32, 32)) == 128  # 4 x 8 x 8 real latent values -> 128 complex symbols
    with torch.no_grad():
        z = codec.encode(torch.rand(64, 3, 32, 32))
    assert float(z.pow(2).mean()) == pytest.approx(1.0, rel=0.15)
    with pytest.raises(SemcomError, match="nothing can be downloaded"):
        LatentCodec.from_pretrained("/nonexistent/vae")


@pytest.mark.parametrize("sampler, steps", [("single", 1), ("ddim", 1), ("ddim", 7), ("ddpm", 0)])
def test_samplers_recover_x0_with_an_oracle_denoiser(sampler, steps) -> None:
    x0 = torch.randn(3, 4, 8, 8)
    den = DiffusionDenoiser(nn.Identity())
    den.unet = OracleUNet(x0, den.abar)
    t_star = torch.tensor([5, 120, 600])
    a = den.abar[t_star].reshape(-1, 1, 1, 1)
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
    out = reverse(den, x_t, t_star, steps=steps, sampler=sampler, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out, x0, atol=1e-3)


def test_receiver_estimates_snr_and_maps_it_to_timestep_and_scale(codec) -> None:
    torch.manual_seed(1)
    den = DiffusionDenoiser.small(width=16)
    sys_ = LDMReceiverSystem(codec, den, AWGNChannel(), sampler="ddim", steps=2)
    img = torch.rand(64, 3, 32, 32)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        lo = sys_(img, 0.0, generator=g)
        hi = sys_(img, 20.0, generator=g)
    assert abs(float(lo["snr_est_db"].mean()) - 0.0) < 0.5 and abs(float(hi["snr_est_db"].median()) - 20.0) < 1.5
    assert (lo["t_star"] > hi["t_star"]).all() and lo["recon"].shape == img.shape
    with torch.no_grad():
        none = sys_(img, 30.0, generator=g, mode="none")
        lm = sys_(img, 30.0, generator=g, mode="lmmse")
    z = codec.encode(img).detach()
    assert float((none["z_hat"] - z).pow(2).mean()) == pytest.approx(1e-3, rel=0.2)  # N0 per real dimension
    assert float((lm["z_hat"] - z).pow(2).mean()) <= float((none["z_hat"] - z).pow(2).mean())
    fading = LDMReceiverSystem(codec, den, BlockFadingChannel(csi="perfect"), steps=1)
    with torch.no_grad():
        out = fading(img[:8], 10.0, generator=g)
    assert out["recon"].shape == (8, 3, 32, 32) and torch.isfinite(out["snr_est_db"]).all()


def test_denoiser_training_loss_backpropagates() -> None:
    den = DiffusionDenoiser.small(width=16)
    loss = den.loss(torch.randn(4, 4, 8, 8), generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and any(p.grad is not None for p in den.parameters())


def test_latent_shape_and_snr_range_errors(codec) -> None:
    from semcom.models import ldm_math as L

    den = DiffusionDenoiser.small(width=16)
    with pytest.raises(SemcomError, match=r"trained on latents \[B, 4, 8, 8\], got \[2, 4, 16, 16\]"):
        den.eps(torch.randn(2, 4, 16, 16), torch.tensor([10, 10]))
    with pytest.raises(SemcomError, match="trained on latents"):
        den.eps(torch.randn(2, 3, 8, 8), torch.tensor([10, 10]))
    lo, hi = L.schedule_snr_range(den.abar)
    assert 10 * torch.log10(torch.tensor(lo)) == pytest.approx(-43.9, abs=0.2)
    assert 10 * torch.log10(torch.tensor(hi)) == pytest.approx(40.0, abs=0.01)
    with pytest.raises(SemcomError, match=r"SNR 50.0 dB is outside the diffusion schedule's range \[-43.9, 40.0\] dB"):
        L.timestep_discrete(torch.tensor([1e5]), den.abar)
    told = LDMReceiverSystem(codec, den, AWGNChannel(), snr_estimate="true")
    with torch.no_grad(), pytest.raises(SemcomError, match="outside the diffusion schedule"):
        told(torch.rand(2, 3, 32, 32), 45.0, generator=torch.Generator().manual_seed(0))
    # the receiver's own (noisy) estimate is clipped into the range instead
    with torch.no_grad():
        out = LDMReceiverSystem(codec, den, AWGNChannel())(torch.rand(2, 3, 32, 32), 45.0,
                                                          generator=torch.Generator().manual_seed(0))
    assert (out["t_star"] == 0).all()
    with pytest.raises(SemcomError, match="perturbation factors must be > 0"):
        LDMReceiverSystem(codec, den, AWGNChannel(), t_factor=0.0)


@pytest.mark.parametrize("snr_db", [0.0, 5.0, 10.0, 15.0, 20.0])
def test_snr_estimator_within_half_a_db(codec, snr_db) -> None:
    """The power-based estimate against the SNR the received latent really has (its power over N0)."""
    den = DiffusionDenoiser.small(width=16)
    sys_ = LDMReceiverSystem(codec, den, AWGNChannel(), steps=1)
    with torch.no_grad():
        out = sys_(torch.rand(256, 3, 32, 32), snr_db, generator=torch.Generator().manual_seed(3), mode="none")
    assert abs(float(out["snr_est_db"].mean() - out["snr_img_db"].mean())) < 0.5
    assert abs(float(out["snr_est_db"].median()) - float(out["snr_img_db"].median())) < 0.5


def test_perturbation_factors_move_t_star_and_scale(codec) -> None:
    den = DiffusionDenoiser.small(width=16)
    img = torch.rand(8, 3, 32, 32)
    outs = {}
    for tf, sf in ((1.0, 1.0), (1.5, 1.0), (1.0, 0.5)):
        with torch.no_grad():
            outs[(tf, sf)] = LDMReceiverSystem(codec, den, AWGNChannel(), t_factor=tf, s_factor=sf)(
                img, 5.0, generator=torch.Generator().manual_seed(0))
    base = outs[(1.0, 1.0)]
    assert torch.equal(outs[(1.5, 1.0)]["t_star"], (base["t_star"].double() * 1.5).round().long())
    assert torch.allclose(outs[(1.0, 0.5)]["scale"], base["scale"] * 0.5)


def test_single_step_estimate_equals_ddim_with_one_step() -> None:
    from semcom.models import ldm_math as L

    torch.manual_seed(0)
    den = DiffusionDenoiser.small(width=16).eval()
    x = torch.randn(4, 4, 8, 8)
    t = torch.tensor([3, 50, 400, 900])
    with torch.no_grad():
        single = reverse(den, x, t, sampler="single")
        ddim1 = reverse(den, x, t, steps=1, sampler="ddim")
        by_hand = L.one_step_estimate(x, den.eps(x, t), den.abar[t])
    assert torch.allclose(single, ddim1) and torch.allclose(single, by_hand, atol=1e-5)


def test_snr_dependent_number_of_steps(codec) -> None:
    from semcom.evaluation.ldm import parse_receiver
    from semcom.systems.ldm import AUTO_STRIDE

    den = DiffusionDenoiser.small(width=16)
    sys_ = LDMReceiverSystem(codec, den, AWGNChannel(), steps="auto")
    img = torch.rand(6, 3, 32, 32)
    snr = torch.tensor([-5.0, -5.0, 5.0, 5.0, 25.0, 25.0])
    with torch.no_grad():
        out = sys_(img, snr[:, None], generator=torch.Generator().manual_seed(0))
    n = out["steps"]
    assert torch.equal(n, torch.clamp(torch.ceil(out["t_star"].double() / AUTO_STRIDE), min=1).long())
    assert n[0] > n[2] >= n[4] and int(n[4]) == 1 and out["recon"].shape == img.shape
    assert parse_receiver("ddim:auto") == ("diffusion", "ddim", -1)
    with pytest.raises(SemcomError, match="steps=0"):
        LDMReceiverSystem(codec, den, AWGNChannel(), steps=0)


def test_per_image_power_normalisation(codec) -> None:
    den = DiffusionDenoiser.small(width=16)
    img = torch.rand(16, 3, 32, 32) * torch.linspace(0.2, 1.0, 16)[:, None, None, None]  # different latent powers
    with torch.no_grad():
        per_img = LDMReceiverSystem(codec, den, AWGNChannel(), power="image")(img, 40.0, mode="none",
                                                                             generator=torch.Generator().manual_seed(0))
        as_is = LDMReceiverSystem(codec, den, AWGNChannel(), power="dataset")(img, 40.0, mode="none",
                                                                              generator=torch.Generator().manual_seed(0))
    assert torch.allclose(per_img["tx_power"], torch.ones(16, dtype=torch.float64), atol=1e-5)
    assert not torch.allclose(as_is["tx_power"], torch.ones(16, dtype=torch.float64), atol=1e-2)
    # at 40 dB both give back the latent; with per-image power the SNR of every block is the channel's
    assert torch.allclose(per_img["z_hat"], per_img["z"], atol=0.05) and torch.allclose(as_is["z_hat"], as_is["z"], atol=0.05)
    assert torch.allclose(per_img["snr_img_db"], torch.full((16,), 40.0), atol=1e-3)
    with pytest.raises(SemcomError, match="power='peak'"):
        LDMReceiverSystem(codec, den, AWGNChannel(), power="peak")
