"""Robust statistics for speedups: the median of per-bucket ratios with a distribution-free interval.

The interval for a median comes from order statistics: with n independent values, the median lies between
the j-th smallest and the j-th largest with probability 1 - 2 * P(Binomial(n, 1/2) < j), whatever the values'
distribution. It needs no resampling and keeps its promised coverage even with few, skewed, outlier-ridden
samples, which is what timings on a busy machine are. (A percentile bootstrap of the median undercovers there:
it is what let an identity kernel's interval miss 1.0 too often.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Looks:
    """When a growing sample may be looked at, and the share of the error rate each look spends.

    An interval that is checked after every new value and reported as soon as it says something misses its median
    far more often than its level promises. Here the sample is looked at only at planned sizes, and the error rate
    `alpha` is split between them (alpha spending, Bonferroni): the interval at look k has confidence
    1 - alphas[k], and the alphas add up to `alpha`, so whatever rule picks the look to stop at (the interval
    decides, it is narrow, time runs out), the interval reported misses with probability at most `alpha`.
    """

    counts: tuple[int, ...]
    alphas: tuple[float, ...]

    def confidence(self, look: int) -> float:
        """The level of the interval at look `look` (0-based)."""
        return 1.0 - self.alphas[look]


# Sizes of the looks, as multiples of the first: about x1.5 apart, so the last look is never far past the moment
# a rule could have stopped, and few enough that each keeps a fair share of the error rate.
_LOOK_FACTORS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0)


def looks(first: int, last: int, alpha: float = 0.05) -> Looks:
    """Looks from `first` to `last` values: early looks get the larger shares (1/4, 1/4, 1/8, 1/8, ...), since
    most measurements stop there; the last look takes what is left."""
    if first < 1 or last < first:
        raise ValueError(f"looks from {first} to {last}")
    counts: list[int] = []
    for factor in _LOOK_FACTORS:
        n = round(first * factor)
        if n >= last:
            break
        if not counts or n > counts[-1]:
            counts.append(n)
    counts.append(last)
    shares = [0.5 ** (2 + i // 2) for i in range(len(counts) - 1)]
    shares.append(1.0 - sum(shares))
    return Looks(tuple(counts), tuple(alpha * share for share in shares))
