"""Robust statistics for speedups: the median of per-bucket ratios with a distribution-free interval.

The interval for a median comes from order statistics: with n independent values, the median lies between
the j-th smallest and the j-th largest with probability 1 - 2 * P(Binomial(n, 1/2) < j), whatever the values'
distribution. It needs no resampling and keeps its promised coverage even with few, skewed, outlier-ridden
samples, which is what timings on a busy machine are. (A percentile bootstrap of the median undercovers there:
it is what let an identity kernel's interval miss 1.0 too often.)
"""

from __future__ import annotations

import math


def _binomial_cdf_half(n: int, k: int) -> float:
    """P(Binomial(n, 1/2) <= k)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def order_rank(n: int, confidence: float = 0.95) -> tuple[int, float]:
    """The largest j (1-based) such that [x_(j), x_(n-j+1)] covers the median with `confidence`, and that coverage.

    With too few values for `confidence` (n < 6 at 95%) it is j = 1, the full range, with its lower coverage.
    """
    best, coverage = 1, 1 - 2 * _binomial_cdf_half(n, 0)
    for j in range(2, n // 2 + 1):
        cov = 1 - 2 * _binomial_cdf_half(n, j - 1)
        if cov < confidence:
            break
        best, coverage = j, cov
    return best, coverage


def median_with_ci(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of `values` and its order-statistic interval (see the module docstring)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    n = len(ordered)
    if n == 1:
        return ordered[0], ordered[0], ordered[0]
    j, _ = order_rank(n, confidence)
    return median(ordered), ordered[j - 1], ordered[n - j]
