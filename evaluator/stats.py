"""Robust statistics for speedups: median of ratios with a bootstrap interval."""

from __future__ import annotations

import numpy as np


def median_with_ci(values: list[float], confidence: float = 0.95, resamples: int = 2000,
                   seed: int = 0) -> tuple[float, float, float]:
    """Median of `values` and a percentile-bootstrap interval for it."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values")
    median = float(np.median(data))
    if data.size == 1:
        return median, median, median
    rng = np.random.default_rng(seed)
    samples = rng.choice(data, size=(resamples, data.size), replace=True)
    medians = np.median(samples, axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(medians, [alpha, 1 - alpha])
    return median, float(lo), float(hi)
