"""Seed 002's precoders for end-to-end training: learnable RZF with a residual network, total power."""

import pytest
import torch

from semcom.errors import SemcomError
from semcom.channels.precoding import Precoder
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
