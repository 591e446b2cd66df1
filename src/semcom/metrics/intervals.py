"""Confidence intervals: of Monte-Carlo counts (error rates, failure rates) and of means."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["mean_interval", "wilson"]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k / n (95 % for z = 1.96); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the normal-approximation interval of the mean of independent ``values`` (at least 2),
    mean +- z * sample standard deviation / sqrt(n); meant for a few hundred values or more."""
    if len(values) < 2:
        raise ValueError(f"a mean interval needs >= 2 values, got {len(values)}")
    m = statistics.fmean(values)
    half = statistics.NormalDist().inv_cdf(0.5 + level / 2) * statistics.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half
