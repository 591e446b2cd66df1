"""SNR samplers: shapes (granularity) and distributions over Gamma."""

from __future__ import annotations

import math

import pytest
import torch

from semcom import SemcomError
from semcom.training.snr import BLPS, DLPS, SAMPLERS, Dedicated, LvLPS, create_sampler


def test_granularity_shapes() -> None:
    assert BLPS()(256, 88).shape == ()
    assert DLPS()(256, 88).shape == (256,)
    assert LvLPS()(256, 88).shape == (256, 88)
    assert Dedicated(4.0)(256, 88).shape == ()


def test_dlps_one_snr_per_sample_shared_by_its_symbols_through_the_channel() -> None:
    from semcom.channels import expand_snr

    x = torch.ones(8, 88, dtype=torch.complex64)
    s = expand_snr(DLPS()(8, 88), x).expand(8, 88)
    assert torch.all(s == s[:, :1]) and len(set(s[:, 0].tolist())) == 8


def test_blps_changes_between_batches_but_not_within() -> None:
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([BLPS()(16, 4, generator=g) for _ in range(50)])
    assert draws.unique().numel() == 50


def ks_uniform(samples: torch.Tensor, lo: float, hi: float) -> float:
    u = ((samples.flatten().double() - lo) / (hi - lo)).sort().values
    n = u.numel()
    cdf = torch.arange(1, n + 1, dtype=torch.float64) / n
    return float(torch.max((cdf - u).abs().max(), (u - (cdf - 1 / n)).abs().max()))


@pytest.mark.parametrize("cls", [BLPS, DLPS, LvLPS])
def test_uniform_in_db_matches_gamma(cls: type) -> None:
    g = torch.Generator().manual_seed(1)
    sampler = cls(0.0, 20.0)
    draws = torch.cat([sampler(64, 32, generator=g).flatten() for _ in range(400)])
    assert draws.min() >= 0.0 and draws.max() <= 20.0
    # Kolmogorov-Smirnov distance to U[0, 20] (critical value at 1e-3 is 1.95 / sqrt(n))
    assert ks_uniform(draws, 0.0, 20.0) < 1.95 / math.sqrt(draws.numel())
    assert abs(draws.mean().item() - 10.0) < 0.5


def test_uniform_in_linear_snr() -> None:
    g = torch.Generator().manual_seed(2)
    draws = DLPS(0.0, 20.0, distribution="uniform_linear")(200_000, 1, generator=g)
    lin = 10 ** (draws / 10)
    assert ks_uniform(lin, 1.0, 100.0) < 1.95 / math.sqrt(lin.numel())
    assert draws.min() >= 0.0 - 1e-4 and draws.max() <= 20.0 + 1e-4


def test_dedicated_is_constant() -> None:
    s = create_sampler("dedicated", snr_db=8.0)
    assert torch.all(s(10, 5) == 8.0)


def test_bad_samplers_are_refused_with_one_clear_line() -> None:
    with pytest.raises(SemcomError, match="gamma_min > gamma_max.*snr_min_db=20"):
        DLPS(20.0, 0.0)
    with pytest.raises(SemcomError, match="unknown SNR sampler 'plps'.*dlps"):
        create_sampler("plps")
    with pytest.raises(SemcomError, match="needs snr_db"):
        create_sampler("dedicated")
    with pytest.raises(SemcomError, match="distribution"):
        DLPS(0, 20, distribution="gaussian")  # type: ignore[arg-type]
    with pytest.raises(SemcomError, match="finite"):
        DLPS(float("nan"), 20)


def test_registry_names() -> None:
    assert {"blps", "dlps", "lvlps", "dedicated"} <= set(SAMPLERS.names())
