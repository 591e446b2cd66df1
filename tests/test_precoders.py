"""Li et al. 2025's precoders for end-to-end training: learnable RZF with a residual network, total power."""

import pytest
import torch

from semcom.channels.precoding import Precoder
from semcom.errors import SemcomError
from semcom.models.precoders import HybridRZF, create_precoder


def _channel(b=2, f=4, t=3, k=4, m=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = torch.complex(torch.randn(b, f, t, k, m, generator=g), torch.randn(b, f, t, k, m, generator=g)) / 2**0.5
    s = torch.complex(torch.randn(b, f, t, k, generator=g), torch.randn(b, f, t, k, generator=g)) / 2**0.5
    return h, s


def test_total_power_constraint_and_fresh_hybrid_equals_learnable_rzf() -> None:
    h, s = _channel()
    n0 = torch.tensor([0.1, 0.01])
    hyb = HybridRZF(4, 4, alpha_init=1.0).eval()
    lin = Precoder("rzf", alpha=1.0, normalization="grid")
    x_h, x_l = hyb(s, h, n0), lin(s, h, n0)
    p = x_h.abs().pow(2).sum(-1).mean(dim=(1, 2))
    assert torch.allclose(p, torch.ones(2), atol=1e-5)
    assert torch.allclose(x_h, x_l, atol=1e-5)  # zero-initialised residual, alpha = 1


def test_zf_removes_multi_user_interference() -> None:
    h, _ = _channel(seed=1)
    zf = create_precoder("zf")
    for j in range(4):  # send only user j's stream: ZF must put nothing at the other users
        s = torch.zeros(2, 4, 3, 4, dtype=torch.complex64)
        s[..., j] = 1.0
        y = (h @ zf(s, h, 0.01)[..., None])[..., 0]
        others = torch.cat([y[..., :j], y[..., j + 1:]], -1)
        assert others.abs().max() < 1e-3 * y[..., j].abs().min()


def test_alpha_stays_positive_and_learns() -> None:
    h, s = _channel(seed=2)
    hyb = HybridRZF(4, 4, alpha_init=0.5)
    opt = torch.optim.SGD(hyb.parameters(), lr=10.0)
    for _ in range(5):
        x = hyb(s, h, torch.tensor([0.5, 0.5]))
        y = (h @ x[..., None])[..., 0]
        loss = (y - s).abs().pow(2).mean()
        opt.zero_grad()
        loss.backward()
        assert hyb.alpha_raw.grad is not None and hyb.alpha_raw.grad.abs() > 0
        opt.step()
        assert float(hyb.alpha) > 0
    assert all(p.grad is not None for p in hyb.residual.parameters())


def test_identity_channel_without_noise_reduces_to_the_streams() -> None:
    _, s = _channel(seed=3)
    h = torch.eye(4, dtype=torch.complex64).expand(2, 4, 3, 4, 4)
    expected = s * torch.sqrt(1.0 / s.abs().pow(2).sum(-1).mean(dim=(1, 2)))[:, None, None, None]
    for pre in (create_precoder("zf"), create_precoder("rzf", alpha=1.0), HybridRZF(4, 4).eval()):
        assert torch.allclose(pre(s, h, 0.0), expected, atol=1e-5)


def test_bad_precoder_options() -> None:
    with pytest.raises(SemcomError, match="unknown precoder 'mmse'"):
        create_precoder("mmse")
    with pytest.raises(SemcomError, match="alpha_init=0"):
        HybridRZF(alpha_init=0.0)
    with pytest.raises(SemcomError, match="must be >= 0"):
        Precoder("rzf", alpha=-1.0)


def test_semantic_system_and_digital_link_radiate_the_same_energy_per_grid() -> None:
    """One power constraint (total power over the resource grid): the end-to-end system (grid normalisation,
    learned streams) and the digital baseline (per-RE normalisation, unit-power QAM streams) radiate the same
    mean energy per resource element, and the same SNR gives the same N0 through the same channel."""
    from semcom.channels.digital import MUMIMOOFDMLink
    from semcom.channels.tr38901 import MUMIMODownlinkChannel
    from semcom.systems.mumimo import MUMIMOSemanticSystem

    class FixedH:  # a source of H: the same random draws for both systems
        def generate(self, b: int, generator: torch.Generator | None = None) -> torch.Tensor:
            g = torch.Generator().manual_seed(7)
            return torch.complex(torch.randn(b, 32, 14, 4, 4, generator=g), torch.randn(b, 32, 14, 4, 4, generator=g)) / 2**0.5

    channel = MUMIMODownlinkChannel(FixedH())
    b, snr_db = 64, 5.0
    system = MUMIMOSemanticSystem(channel, 32, "rzf").eval()
    with torch.no_grad():
        out = system(torch.rand(b, 4, 3, 32, 32), snr_db, generator=torch.Generator().manual_seed(0))
    e_semantic = out["x"].abs().pow(2).sum(-1).mean(dim=(1, 2))  # [B]: energy per RE of each grid
    assert torch.allclose(e_semantic, torch.ones(b), atol=1e-4)

    link = MUMIMOOFDMLink(channel, 32, "1/2", 2, precoder="rzf", csi="perfect")
    no = 10 ** (-snr_db / 10)
    h = channel.draw(b)
    bits = torch.randint(0, 2, (b, 1, 4, link.k), generator=torch.Generator().manual_seed(1)).float()
    s = link.grid.map(link.mapper(link.encoder(bits)))[:, 0].permute(0, 3, 2, 1)  # [B, F, T, K] QAM + pilots
    x_digital = (link.precoder.matrix(h, no) @ s[..., None])[..., 0]
    e_digital = x_digital.abs().pow(2).sum(-1).mean(dim=(1, 2))
    assert float(e_digital.mean()) == pytest.approx(1.0, abs=0.03)  # per RE in expectation: the grid's mean is P
    # the same SNR -> the same noise variance at the users
    _, info = channel(out["x"], snr_db, h=out["h"], return_info=True, generator=torch.Generator().manual_seed(2))
    assert float(torch.as_tensor(info["noise_var"]).mean()) == pytest.approx(no, rel=1e-6)
    assert link.snr_db(link.ebno_from_snr_db(snr_db)) == pytest.approx(snr_db, abs=1e-6)


def test_precoder_registry_holds_every_classical_and_learned_precoder() -> None:
    from semcom.channels.precoding import PRECODERS, create

    assert {"mrt", "zf", "rzf", "svd", "hybrid_rzf"} <= set(PRECODERS.names())
    h, s = _channel(seed=5)
    for name in ("mrt", "zf", "rzf", "svd"):
        x = create(name, normalization="grid")(s, h, 0.1)
        assert torch.allclose(x.abs().pow(2).sum(-1).mean(dim=(1, 2)), torch.ones(2), atol=1e-5), name
        v = create(name).matrix(h, 0.1)  # per resource element: trace(V V^H) = 1
        assert torch.allclose(v.abs().pow(2).sum(dim=(-2, -1)), torch.ones(v.shape[:-2]), atol=1e-4), name
    with pytest.raises(SemcomError, match="normalization 'per_user'"):
        create("rzf", normalization="per_user")
