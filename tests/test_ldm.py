"""Seed 003 receiver: codec wrapper, channel path, SNR estimate, samplers (with an oracle denoiser)."""

import pytest
import torch
from torch import nn

pytest.importorskip("diffusers")

from semcom.channels import AWGNChannel, BlockFadingChannel  # noqa: E402
from semcom.errors import SemcomError  # noqa: E402
from semcom.systems.ldm import DiffusionDenoiser, LatentCodec, LDMReceiverSystem, reverse  # noqa: E402


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
