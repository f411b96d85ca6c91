"""Intervals: percentile bootstrap over seeds (resample with replacement, recompute) and Wilson's interval of a share."""

from __future__ import annotations

import math

import numpy as np


def percentile_interval(replicates, confidence: float) -> tuple[float, float]:
    """Central `confidence` interval of bootstrap replicates (non-finite replicates ignored)."""
    r = np.asarray(replicates, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(r, [tail, 100 - tail])
    return float(lo), float(hi)


def resampled_medians(values, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of n_boot resamples (with replacement) of `values`, shape (n_boot,)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or n_boot == 0:
        return np.full(n_boot, np.nan)
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return np.median(values[idx], axis=1)


def median_interval(values, n_boot: int, confidence: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """(median, lower, upper): the sample median and its percentile-bootstrap interval."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = percentile_interval(resampled_medians(values, n_boot, rng), confidence)
    return float(np.median(values)), lo, hi


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)
