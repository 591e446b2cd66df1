"""Physics and contract tests of semcom.channels."""

from __future__ import annotations

import math

import pytest
import torch

from semcom import SemcomError
from semcom.channels import (
    AWGNChannel,
    BlockFadingChannel,
    complex_noise,
    complex_to_real,
    create,
    expand_snr,
    normalize_power,
    real_to_complex,
)


def unit_symbols(b: int, k: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.polar(torch.ones(b, k), 2 * math.pi * torch.rand(b, k, generator=g))


def measured_snr_db(x: torch.Tensor, y: torch.Tensor, dim: int | tuple[int, ...] | None = None) -> torch.Tensor:
    err = (y - x).abs().pow(2)
    n0 = err.mean() if dim is None else err.mean(dim=dim)
    return 10 * torch.log10(x.abs().pow(2).mean() / n0)


def test_awgn_snr_per_batch_over_a_million_symbols() -> None:
    x = unit_symbols(4, 250_000)
    for snr in (-5.0, 0.0, 7.5, 20.0):
        y = AWGNChannel()(x, torch.tensor(snr), generator=torch.Generator().manual_seed(1))
        assert abs(measured_snr_db(x, y).item() - snr) < 0.05


def test_awgn_snr_per_sample() -> None:
    x = unit_symbols(4, 250_000)
    snr = torch.tensor([0.0, 5.0, 10.0, 20.0])
    y = AWGNChannel()(x, snr, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(measured_snr_db(x, y, dim=1), snr, atol=0.05)


def test_awgn_snr_per_symbol() -> None:
    # two halves of each sample at different SNRs, 10^6 symbols in all
    x = unit_symbols(2, 500_000)
    snr = torch.zeros(2, 500_000)
    snr[:, 250_000:] = 15.0
    y = AWGNChannel()(x, snr, generator=torch.Generator().manual_seed(3))
    lo = measured_snr_db(x[:, :250_000], y[:, :250_000])
    hi = measured_snr_db(x[:, 250_000:], y[:, 250_000:])
    assert abs(lo.item()) < 0.05 and abs(hi.item() - 15.0) < 0.05


def test_awgn_noise_is_circular_with_half_variance_per_real_dimension() -> None:
    x = torch.zeros(1, 1_000_000, dtype=torch.complex64)
    n = AWGNChannel()(x, torch.tensor(10.0), generator=torch.Generator().manual_seed(4))
    n0 = 0.1
    assert abs(n.real.var().item() - n0 / 2) < 0.002
    assert abs(n.imag.var().item() - n0 / 2) < 0.002
    assert abs((n.real * n.imag).mean().item()) < 5e-4
    assert abs(n.mean().abs().item()) < 1e-3


def test_awgn_is_reproducible_with_a_generator_and_differentiable() -> None:
    x = unit_symbols(3, 8).requires_grad_(False)
    a = AWGNChannel()(x, 5.0, generator=torch.Generator().manual_seed(7))
    b = AWGNChannel()(x, 5.0, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    z = torch.randn(3, 16, requires_grad=True)
    y = AWGNChannel()(normalize_power(real_to_complex(z)), 10.0)
    complex_to_real(y).sum().backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


def test_awgn_return_info_and_double_precision() -> None:
    x = unit_symbols(2, 4).to(torch.complex128)
    y, info = AWGNChannel()(x, torch.tensor([0.0, 10.0]), return_info=True)
    assert y.dtype == torch.complex128
    assert torch.allclose(info["noise_var"].flatten(), torch.tensor([1.0, 0.1], dtype=torch.float64))


@pytest.mark.parametrize("shape", [(3,), (4, 5), (2, 1, 1)])
def test_snr_shapes_that_do_not_broadcast_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(SemcomError, match="does not broadcast"):
        AWGNChannel()(unit_symbols(2, 5), torch.zeros(shape))


def test_expand_snr_aligns_from_the_left() -> None:
    x = unit_symbols(2, 5)
    assert expand_snr(torch.tensor(3.0), x).shape == (1, 1)
    assert expand_snr(torch.tensor([1.0, 2.0]), x).shape == (2, 1)
    assert expand_snr(torch.zeros(2, 5), x).shape == (2, 5)
    with pytest.raises(SemcomError, match="finite"):
        expand_snr(torch.tensor(float("nan")), x)


def test_real_input_is_refused_with_a_pointer_to_the_fix() -> None:
    with pytest.raises(SemcomError, match="real_to_complex"):
        AWGNChannel()(torch.randn(2, 4), 10.0)


def test_packing_round_trip_and_order() -> None:
    z = torch.arange(8.0).reshape(1, 8)
    x = real_to_complex(z)
    assert x.shape == (1, 4) and x[0, 1] == complex(2, 3)
    assert torch.equal(complex_to_real(x), z)
    with pytest.raises(SemcomError, match="even"):
        real_to_complex(torch.zeros(2, 5))


def test_power_normalisation_is_per_sample_and_exact() -> None:
    x = torch.randn(6, 100, dtype=torch.complex64) * torch.arange(1, 7).reshape(6, 1)
    y = normalize_power(x)
    assert torch.allclose(y.abs().pow(2).mean(dim=1), torch.ones(6), atol=1e-5)
    # direction is kept
    assert torch.allclose(y / y.abs(), x / x.abs(), atol=1e-5)


def test_complex_noise_variance() -> None:
    n = complex_noise((500_000,), torch.tensor(0.25), dtype=torch.complex64, device=torch.device("cpu"),
                      generator=torch.Generator().manual_seed(0))
    assert abs(n.abs().pow(2).mean().item() - 0.25) < 0.003


# ---- block fading -----------------------------------------------------------------------------


def test_rayleigh_and_rician_have_unit_mean_power() -> None:
    g = torch.Generator().manual_seed(0)
    for kf in (0.0, 1.0, 10.0):
        h = BlockFadingChannel(k_factor=kf).sample_fading((400_000,), dtype=torch.complex64,
                                                          device=torch.device("cpu"), generator=g)
        assert abs(h.abs().pow(2).mean().item() - 1.0) < 0.01
        # LOS mean: sqrt(K/(K+1))
        assert abs(h.mean().real.item() - math.sqrt(kf / (kf + 1))) < 0.01


def test_rayleigh_envelope_is_exponential() -> None:
    h = BlockFadingChannel().sample_fading((400_000,), dtype=torch.complex64, device=torch.device("cpu"),
                                           generator=torch.Generator().manual_seed(1))
    p = h.abs().pow(2)
    # P(|h|^2 > 1) = e^-1 for an exponential of mean 1
    assert abs((p > 1).float().mean().item() - math.exp(-1)) < 0.005


def test_block_fading_shares_h_within_a_sample_or_per_symbol() -> None:
    x = unit_symbols(5, 16)
    _, info = BlockFadingChannel(coherence="sample")(x, 10.0, return_info=True)
    assert info["h"].shape == (5, 1)
    _, info = BlockFadingChannel(coherence="symbol")(x, 10.0, return_info=True)
    assert info["h"].shape == (5, 16)


def test_zf_with_perfect_csi_gives_x_plus_noise_of_variance_one_over_gamma() -> None:
    # eq. (1) of the DLPS paper: x_hat = x + n~, n~ ~ CN(0, 1/gamma), gamma = |h|^2 / N0
    x = unit_symbols(64, 20_000)
    snr = 10.0
    xh, info = BlockFadingChannel()(x, snr, return_info=True, generator=torch.Generator().manual_seed(5))
    gamma = info["h"].abs().pow(2).flatten() / 10 ** (-snr / 10)
    err_var = (xh - x).abs().pow(2).mean(dim=1)
    ratio = err_var * gamma  # should be 1 for every sample
    assert abs(ratio.mean().item() - 1.0) < 0.02
    assert ratio.std().item() < 0.05


def test_unequalized_output_is_h_x_plus_noise() -> None:
    x = unit_symbols(8, 50_000)
    y, info = BlockFadingChannel(equalizer="none")(x, 20.0, return_info=True,
                                                   generator=torch.Generator().manual_seed(6))
    n = y - info["h"] * x
    assert abs(n.abs().pow(2).mean().item() - 0.01) < 0.0005


def test_pilot_estimate_error_matches_ls_theory() -> None:
    ch = BlockFadingChannel(csi="pilot", num_pilots=4, pilot_boost_db=3.0)
    x = unit_symbols(100_000, 2)
    _, info = ch(x, torch.tensor(10.0), return_info=True, generator=torch.Generator().manual_seed(8))
    mse = (info["h_hat"] - info["h"]).abs().pow(2).mean().item()
    assert abs(mse / (0.1 / (4 * 10 ** 0.3)) - 1) < 0.03


def test_pilot_csi_converges_to_perfect_csi_as_pilot_snr_grows() -> None:
    x = unit_symbols(2000, 32)
    snr = torch.tensor(10.0)
    gaps = []
    for boost in (0.0, 10.0, 20.0, 40.0):
        g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
        perfect = BlockFadingChannel(csi="perfect")
        pilot = BlockFadingChannel(csi="pilot", pilot_boost_db=boost)
        _, ip = perfect(x, snr, return_info=True, generator=g1)
        _, iq = pilot(x, snr, return_info=True, generator=g2)
        assert torch.equal(ip["h"], iq["h"])  # same fading draw
        gaps.append((iq["h_hat"] - iq["h"]).abs().pow(2).mean().item())
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-4 * gaps[0]


def test_pilot_equalized_symbols_approach_perfect_csi_symbols() -> None:
    x = unit_symbols(1000, 64)
    out = {}
    for name, ch in (("perfect", BlockFadingChannel()), ("pilot", BlockFadingChannel(csi="pilot", pilot_boost_db=50.0))):
        out[name] = ch(x, 15.0, generator=torch.Generator().manual_seed(11))
    # the pilot channel draws extra noise for the pilots, so compare error statistics, not samples
    e_perfect = (out["perfect"] - x).abs().pow(2).median().item()
    e_pilot = (out["pilot"] - x).abs().pow(2).median().item()
    assert abs(e_pilot / e_perfect - 1) < 0.1


def test_mmse_equalizer_shrinks_towards_zero() -> None:
    x = unit_symbols(4000, 64)
    zf = BlockFadingChannel(equalizer="zf")(x, 0.0, generator=torch.Generator().manual_seed(12))
    mmse = BlockFadingChannel(equalizer="mmse")(x, 0.0, generator=torch.Generator().manual_seed(12))
    assert (mmse - x).abs().pow(2).mean() < (zf - x).abs().pow(2).mean()


def test_fading_options_are_validated() -> None:
    with pytest.raises(SemcomError, match="coherence"):
        BlockFadingChannel(coherence="slot")  # type: ignore[arg-type]
    with pytest.raises(SemcomError, match="k_factor"):
        BlockFadingChannel(k_factor=-1)
    with pytest.raises(SemcomError, match="num_pilots"):
        BlockFadingChannel(num_pilots=0)
    with pytest.raises(SemcomError, match="unknown channel"):
        create("tdl")
    with pytest.raises(SemcomError, match="does not take"):
        create("awgn", csi="pilot")
    assert create("rician", k_factor=3.0).k_factor == 3.0
