"""Precoders: ZF nulls interference, RZF limits, power constraint, singular channels, SVD."""

from __future__ import annotations

import pytest
import torch

from semcom import SemcomError
from semcom.channels.precoding import Precoder, mrt, normalize_precoder, rzf, svd_precoding, zf


def channels(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.complex(torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)) / 2**0.5


def offdiag(m: torch.Tensor) -> torch.Tensor:
    return m - torch.diag_embed(torch.diagonal(m, dim1=-2, dim2=-1))


def test_zf_removes_multi_user_interference_exactly() -> None:
    h = channels(8, 32, 14, 4, 4).to(torch.complex128)  # [B, F, T, users, antennas]
    v = zf(h)
    s = channels(8, 32, 14, 4, seed=1).to(torch.complex128)
    r = (h @ (v @ s[..., None]))[..., 0]  # noise-free received symbols
    gain = torch.diagonal(h @ v, dim1=-2, dim2=-1)
    assert torch.allclose(r, gain * s, atol=1e-9)
    assert offdiag(h @ v).abs().max() < 1e-9
    assert torch.allclose(gain.imag, torch.zeros_like(gain.imag), atol=1e-9)


def test_zf_in_single_precision_leaves_interference_below_minus_40_db() -> None:
    h = channels(8, 32, 14, 4, 4)
    g = h @ zf(h)
    sir = torch.diagonal(g, dim1=-2, dim2=-1).abs().pow(2).sum(-1) / offdiag(g).abs().pow(2).sum(dim=(-2, -1))
    assert (10 * torch.log10(sir)).min() > 40


@pytest.mark.parametrize("fn", [lambda h: mrt(h, 2.0), lambda h: zf(h, 2.0), lambda h: rzf(h, 0.5, 0.1, 2.0)])
def test_power_constraint_per_resource_element(fn) -> None:  # type: ignore[no-untyped-def]
    v = fn(channels(16, 6, 4, 4))
    power = v.abs().pow(2).sum(dim=(-2, -1))
    assert torch.allclose(power, torch.full_like(power, 2.0), atol=1e-4)


def test_rzf_tends_to_zf_and_to_mrt() -> None:
    h = channels(64, 4, 4).to(torch.complex128)
    assert (rzf(h, 1e-9) - zf(h)).abs().max() < 1e-5
    big = rzf(h, 1e6)
    assert (big - mrt(h)).abs().max() < 1e-3
    mid = rzf(h, 1.0)
    assert (mid - zf(h)).abs().max() > 1e-2 and (mid - mrt(h)).abs().max() > 1e-2


def test_zf_on_a_singular_channel_is_caught_not_nan() -> None:
    h = channels(3, 4, 4)
    h[1, 1] = h[1, 0]  # two users with the same channel at sample 1
    with pytest.raises(SemcomError, match=r"singular or ill-conditioned at 1 of 3 .* Use rzf"):
        zf(h)
    v = zf(h, on_singular="regularize")
    assert torch.isfinite(v).all()
    assert torch.allclose(v.abs().pow(2).sum(dim=(-2, -1)), torch.ones(3), atol=1e-4)
    assert torch.allclose(v[0], zf(h[0:1])[0])  # the healthy samples keep exact ZF


def test_svd_precoding_gives_parallel_channels() -> None:
    h = channels(10, 72, 2, 4)  # N_r = 2, N_t = 4
    v, w, s = svd_precoding(h)
    eff = w @ h @ v
    assert offdiag(eff).abs().max() < 1e-4
    assert torch.allclose(torch.diagonal(eff, dim1=-2, dim2=-1).real, s * (1 / 2) ** 0.5, atol=1e-4)
    assert torch.allclose(v.abs().pow(2).sum(dim=(-2, -1)), torch.ones(10, 72), atol=1e-4)
    with pytest.raises(SemcomError, match="num_streams=3"):
        svd_precoding(h, num_streams=3)


def test_precoder_module_and_gradients() -> None:
    h = channels(4, 4, 4).requires_grad_(True)
    x = Precoder("rzf", alpha=1.0)(channels(4, 4, seed=3), h, noise_var=0.1)
    assert x.shape == (4, 4)
    x.abs().pow(2).sum().backward()
    assert h.grad is not None and torch.isfinite(h.grad).all()
    with pytest.raises(SemcomError, match="precoder 'mmse'"):
        Precoder("mmse")  # type: ignore[arg-type]
    with pytest.raises(SemcomError, match="complex channel matrix"):
        zf(torch.randn(2, 4, 4))
    assert normalize_precoder(torch.ones(1, 2, 2, dtype=torch.complex64), 4.0).abs().pow(2).sum() == pytest.approx(4.0)
