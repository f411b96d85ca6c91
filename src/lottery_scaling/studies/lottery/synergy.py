"""Ensembling versus synergy (docs/lottery.md, Stages and outputs: synergy; paper Fig 4).

If a width-N network were nothing but an ensemble of two independent width-N/2 networks whose
errors add like independent noise, its loss would be L = (1/L_a + 1/L_b)^-1 (half the
harmonic mean of the two losses). For every trained N whose half N/2 is also trained we draw
`pairs` random pairs (a, b), a != b, from the width-N/2 test losses, form that ensemble
prediction, and compare its distribution with the width-N losses:

- ks: two-sample Kolmogorov-Smirnov statistic between log10 losses (0 = identical, 1 = disjoint);
- wasserstein_decades: 1-Wasserstein (earth mover's) distance between the log10 losses;
- median_ratio = median(ensemble prediction) / median(width-N loss). Sign convention:
  > 1 means the wide network beats ensembling (synergy); about 1 means the wide network is
  no better than two independent halves; < 1 means it is worse than its ensemble prediction.
  Its interval is a percentile bootstrap: resample the seeds of both widths, redraw the pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...bootstrap import percentile_interval
from ...errors import UserError
from .losses import WidthLosses


@dataclass(frozen=True)
class SynergySettings:
    pairs: int = 10000  # random pairs of width-N/2 networks
    bootstrap: int = 200  # resamples for the median ratio's interval
    confidence: float = 0.95
    seed: int = 0

    def validate(self) -> None:
        if self.pairs < 1:
            raise UserError(f"pairs must be >= 1, got {self.pairs}")
        if self.bootstrap < 0:
            raise UserError(f"bootstrap must be >= 0, got {self.bootstrap}")
        if not 0 < self.confidence < 1:
            raise UserError(f"confidence must be in (0, 1), got {self.confidence}")


def ensemble_loss(loss_a, loss_b) -> np.ndarray:
    """Loss predicted for the ensemble of two networks with independent errors: (1/L_a + 1/L_b)^-1."""
    loss_a = np.asarray(loss_a, dtype=np.float64)
    loss_b = np.asarray(loss_b, dtype=np.float64)
    return 1.0 / (1.0 / loss_a + 1.0 / loss_b)


def random_pairs(n: int, pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`pairs` random index pairs (a, b) with a != b from range(n) (needs n >= 2)."""
    a = rng.integers(0, n, pairs)
    b = (a + rng.integers(1, n, pairs)) % n
    return a, b


def ensemble_sample(half_loss, pairs: int, rng: np.random.Generator) -> np.ndarray:
    a, b = random_pairs(half_loss.size, pairs, rng)
    return ensemble_loss(half_loss[a], half_loss[b])


@dataclass
class SynergyComparison:
    width: int
    half_width: int
    n_wide: int
    n_half: int
    n_pairs: int
    median_wide: float
    median_ensemble: float
    median_ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    ks: float
    wasserstein_decades: float
    ensemble: np.ndarray  # the ensemble prediction sample
    wide: np.ndarray  # the width-N losses

    def row(self) -> dict:
        return {k: getattr(self, k) for k in (
            "width", "half_width", "n_wide", "n_half", "n_pairs", "median_wide", "median_ensemble",
            "median_ratio", "ratio_ci_low", "ratio_ci_high", "ks", "wasserstein_decades")}


def compare(wide: WidthLosses, half: WidthLosses, settings: SynergySettings = SynergySettings()) -> SynergyComparison:
    """Compare width-N losses with the ensemble prediction from width-N/2 losses."""
    from scipy.stats import ks_2samp, wasserstein_distance

    settings.validate()
    if half.n_used < 2 or wide.n_used < 1:
        raise UserError(f"synergy N={wide.width}: needs >= 2 usable width-{half.width} losses and >= 1 width-{wide.width} loss")
    rng = np.random.default_rng([settings.seed, wide.width])
    ens = ensemble_sample(half.loss, settings.pairs, rng)
    lw, le = np.log10(wide.loss), np.log10(ens)
    ratios = np.empty(settings.bootstrap)
    for i in range(settings.bootstrap):
        hb = half.loss[rng.integers(0, half.n_used, half.n_used)]
        wb = wide.loss[rng.integers(0, wide.n_used, wide.n_used)]
        # a bootstrap resample may repeat one value; pairs of equal indices are still excluded
        ratios[i] = np.median(ensemble_sample(hb, min(settings.pairs, 4 * hb.size), rng)) / np.median(wb)
    lo, hi = percentile_interval(ratios, settings.confidence)
    med_w, med_e = float(np.median(wide.loss)), float(np.median(ens))
    return SynergyComparison(
        width=wide.width, half_width=half.width, n_wide=wide.n_used, n_half=half.n_used, n_pairs=settings.pairs,
        median_wide=med_w, median_ensemble=med_e, median_ratio=med_e / med_w, ratio_ci_low=lo, ratio_ci_high=hi,
        ks=float(ks_2samp(lw, le).statistic), wasserstein_decades=float(wasserstein_distance(lw, le)),
        ensemble=ens, wide=wide.loss,
    )


def comparable_widths(widths) -> list[int]:
    """Widths N (ascending) whose half N/2 is also among `widths`."""
    ws = set(int(w) for w in widths)
    return sorted(w for w in ws if w % 2 == 0 and w // 2 in ws)


def analyse(by_width: dict[int, WidthLosses], settings: SynergySettings = SynergySettings()) -> list[SynergyComparison]:
    """Every comparable N; an N is left out when N/2 has < 2 or N has no usable (non-diverged) seeds."""
    return [
        compare(by_width[n], by_width[n // 2], settings)
        for n in comparable_widths(by_width)
        if by_width[n // 2].n_used >= 2 and by_width[n].n_used >= 1
    ]
