"""Scaling-law fit of median test loss versus width (docs/lottery.md, Stages and outputs: fit; paper Fig 1c, 7, 8).

Power law: median loss = A * N^(-alpha), fitted by least squares on log10(median) against
log10(N) over the trained widths inside a width range [lo, hi] (inclusive). The interval of
alpha is a percentile bootstrap over seeds: resample the seeds of every width with
replacement, recompute every median, refit. Local slopes between neighbouring trained widths,
-(log10 M_j+1 - log10 M_j) / (log10 N_j+1 - log10 N_j), get the same bootstrap intervals.
Diverged seeds are excluded (see losses.py) and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...bootstrap import percentile_interval, resampled_medians
from ...errors import UserError
from .losses import WidthLosses


# Width ranges (inclusive) fitted by default: the paper's N^-1 range, and the LeakyReLU
# regimes of its Fig 1c (N^-4 from N = 10 to 20, slower beyond).
DEFAULT_RANGES = {"n1": [10, 50], "early": [10, 20], "late": [20, 50]}


@dataclass(frozen=True)
class FitSettings:
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def validate(self) -> None:
        if self.bootstrap < 0:
            raise UserError(f"bootstrap must be >= 0, got {self.bootstrap}")
        if not 0 < self.confidence < 1:
            raise UserError(f"confidence must be in (0, 1), got {self.confidence}")


def power_law_fit(widths, medians) -> tuple[float, float]:
    """(alpha, A) of medians = A * widths^(-alpha) by least squares in log-log space."""
    lx = np.log10(np.asarray(widths, dtype=np.float64))
    ly = np.log10(np.asarray(medians, dtype=np.float64))
    slope, intercept = np.polyfit(lx, ly, 1)
    return float(-slope), float(10.0**intercept)


def _alpha_batch(widths, med_boot) -> np.ndarray:
    """alpha for each row of med_boot (n_boot, n_widths)."""
    lx = np.log10(np.asarray(widths, dtype=np.float64))
    ly = np.log10(med_boot)
    lxc = lx - lx.mean()
    return -(ly - ly.mean(axis=1, keepdims=True)) @ lxc / (lxc @ lxc)


@dataclass
class ScalingFit:
    medians: list[dict]  # one row per width
    slopes: list[dict]  # one row per neighbouring pair of widths
    exponents: list[dict]  # one row per width range


def analyse(by_width: dict[int, WidthLosses], ranges: dict[str, tuple[float, float]],
            settings: FitSettings = FitSettings()) -> ScalingFit:
    settings.validate()
    rng = np.random.default_rng(settings.seed)
    widths = [w for w, wl in sorted(by_width.items()) if wl.n_used > 0]
    med = {w: float(np.median(by_width[w].loss)) for w in widths}
    boot = {w: resampled_medians(by_width[w].loss, settings.bootstrap, rng) for w in widths}

    medians = []
    for w in sorted(by_width):
        wl = by_width[w]
        lo, hi = percentile_interval(boot[w], settings.confidence) if w in boot else (float("nan"),) * 2
        medians.append({"width": w, "n_seeds": wl.n_total, "n_diverged": wl.n_diverged, "n_used": wl.n_used,
                        "median_loss": med.get(w, float("nan")), "median_ci_low": lo, "median_ci_high": hi})

    slopes = []
    for a, b in zip(widths[:-1], widths[1:]):
        d = np.log10(b / a)
        s = -(np.log10(med[b]) - np.log10(med[a])) / d
        sb = -(np.log10(boot[b]) - np.log10(boot[a])) / d
        lo, hi = percentile_interval(sb, settings.confidence)
        slopes.append({"width_low": a, "width_high": b, "local_slope": float(s), "slope_ci_low": lo, "slope_ci_high": hi})

    exponents = []
    for name, (lo_w, hi_w) in ranges.items():
        inside = [w for w in widths if lo_w <= w <= hi_w]
        row = {"range": name, "range_low": lo_w, "range_high": hi_w, "widths_used": " ".join(map(str, inside)),
               "n_widths": len(inside), "alpha": float("nan"), "alpha_ci_low": float("nan"),
               "alpha_ci_high": float("nan"), "prefactor": float("nan")}
        if len(inside) >= 2:
            alpha, pre = power_law_fit(inside, [med[w] for w in inside])
            if settings.bootstrap:
                ab = _alpha_batch(inside, np.stack([boot[w] for w in inside], axis=1))
                row["alpha_ci_low"], row["alpha_ci_high"] = percentile_interval(ab, settings.confidence)
            row.update(alpha=alpha, prefactor=pre)
        exponents.append(row)
    return ScalingFit(medians, slopes, exponents)
