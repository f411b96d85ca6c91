"""Loss histograms on a log axis and their robust modes (docs/lottery.md, Stages and outputs: histogram).

Method (all on x = log10 of the test MSE of the non-diverged seeds):

1. Kernel density estimate with a Gaussian kernel. Bandwidth h (in decades) by Silverman's
   rule of thumb, h = 0.9 * min(sd, IQR / 1.34) * n^(-1/5) (robust to outliers and, because
   of the IQR, less over-smoothing of multi-modal data than Scott's rule), times a
   configurable scale; or a fixed number of decades. (Plug-in rules such as Sheather-Jones
   collapse onto the spikes of near-identical losses that networks reaching the same minimum
   produce, so they are not offered.) The density is evaluated on a regular
   grid by binning the data finely (grid step <= h / 8) and convolving with the kernel.
2. Candidate modes: local maxima of the density whose topographic prominence is at least
   `min_prominence` times the highest density value.
3. Robustness: B bootstrap resamples of the same losses (with replacement, same bandwidth and
   grid) are put through step 2. A candidate is reproduced by a resample when the resample
   has a candidate inside its basin (the interval between the density minima that separate
   it from its neighbours). A candidate is kept as a mode only if at least
   `min_reproducibility` of the resamples (default 0.9) reproduce it. If none is, the highest
   candidate is the single mode (a density always has a maximum).
4. Basins are recomputed between the kept modes; the share of a mode is the fraction of
   seeds in its basin. The lottery-ticket mode is the kept mode of lowest loss when there
   are at least two; a single mode is the whole population, not a lottery (its lottery_*
   columns are empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...bootstrap import median_interval
from ...errors import UserError
from .losses import WidthLosses

BANDWIDTH_RULES = ("silverman", "scott")
MIN_BANDWIDTH = 1e-3  # decades; used when all losses are (nearly) identical


@dataclass(frozen=True)
class ModeSettings:
    bandwidth: str | float = "silverman"  # "silverman", "scott" or a number of decades
    bandwidth_scale: float = 1.0
    min_prominence: float = 0.05  # fraction of the highest density value
    bootstrap: int = 200  # resamples for mode reproducibility
    min_reproducibility: float = 0.9  # fraction of resamples that must reproduce a mode
    grid_points: int = 1024  # minimum number of density grid points
    median_bootstrap: int = 1000  # resamples for the median's interval
    confidence: float = 0.95
    seed: int = 0

    def validate(self) -> None:
        if isinstance(self.bandwidth, str):
            if self.bandwidth not in BANDWIDTH_RULES:
                raise UserError(f"bandwidth must be one of {', '.join(BANDWIDTH_RULES)} or a number > 0, got {self.bandwidth!r}")
        elif not (np.isfinite(self.bandwidth) and self.bandwidth > 0):
            raise UserError(f"bandwidth must be one of {', '.join(BANDWIDTH_RULES)} or a number > 0, got {self.bandwidth!r}")
        checks = [
            (self.bandwidth_scale > 0, "bandwidth_scale", "> 0"),
            (0 <= self.min_prominence < 1, "min_prominence", "in [0, 1)"),
            (self.bootstrap >= 0, "bootstrap", ">= 0"),
            (0 <= self.min_reproducibility <= 1, "min_reproducibility", "in [0, 1]"),
            (self.grid_points >= 16, "grid_points", ">= 16"),
            (self.median_bootstrap >= 0, "median_bootstrap", ">= 0"),
            (0 < self.confidence < 1, "confidence", "in (0, 1)"),
        ]
        for ok, name, allowed in checks:
            if not ok:
                raise UserError(f"{name} must be {allowed}, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Mode:
    log10_loss: float  # position of the density maximum
    share: float  # fraction of usable seeds in its basin
    reproducibility: float  # fraction of bootstrap resamples that reproduce it
    basin_low: float  # log10 loss bounds of its basin (-inf / inf at the ends)
    basin_high: float
    prominence: float  # relative to the highest density value

    @property
    def loss(self) -> float:
        return float(10.0**self.log10_loss)


@dataclass
class HistogramAnalysis:
    width: int
    n_total: int
    n_diverged: int
    n_used: int
    median: float
    median_low: float
    median_high: float
    bandwidth: float  # decades
    modes: list[Mode]
    candidates: list[Mode]  # every candidate, kept or not
    grid: np.ndarray = field(repr=False)  # log10 loss
    density: np.ndarray = field(repr=False)  # probability density per decade

    @property
    def lottery(self) -> Mode | None:
        """The lowest-loss mode ("lottery tickets") of a multimodal histogram; None for one mode."""
        return self.modes[0] if len(self.modes) >= 2 else None

    def summary_row(self) -> dict:
        lot = self.lottery
        return {
            "width": self.width,
            "n_seeds": self.n_total,
            "n_diverged": self.n_diverged,
            "n_used": self.n_used,
            "median_loss": self.median,
            "median_ci_low": self.median_low,
            "median_ci_high": self.median_high,
            "n_modes": len(self.modes),
            "n_candidates": len(self.candidates),
            "lottery_loss": lot.loss if lot else float("nan"),
            "lottery_share": lot.share if lot else float("nan"),
            "lottery_reproducibility": lot.reproducibility if lot else float("nan"),
            "bandwidth_decades": self.bandwidth,
        }

    def mode_rows(self) -> list[dict]:
        kept = {m.log10_loss for m in self.modes}
        rows = []
        for i, m in enumerate(self.candidates):
            rows.append({
                "width": self.width,
                "candidate": i,
                "kept": m.log10_loss in kept,
                "lottery": self.lottery is not None and m.log10_loss == self.lottery.log10_loss,
                "log10_loss": m.log10_loss,
                "loss": m.loss,
                "share": next((k.share for k in self.modes if k.log10_loss == m.log10_loss), m.share),
                "reproducibility": m.reproducibility,
                "prominence": m.prominence,
                "basin_low": next((k.basin_low for k in self.modes if k.log10_loss == m.log10_loss), m.basin_low),
                "basin_high": next((k.basin_high for k in self.modes if k.log10_loss == m.log10_loss), m.basin_high),
            })
        return rows


def bandwidth(x, rule: str | float = "silverman", scale: float = 1.0) -> float:
    """Kernel bandwidth in the units of x."""
    x = np.asarray(x, dtype=np.float64)
    if not isinstance(rule, str):
        return float(rule) * scale
    n = x.size
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    if rule == "scott":
        h = 1.06 * sd * n ** (-0.2)
    else:
        q75, q25 = np.percentile(x, [75, 25]) if n else (0.0, 0.0)
        spread = min(sd, (q75 - q25) / 1.34)
        if spread <= 0:
            spread = sd
        h = 0.9 * spread * max(n, 1) ** (-0.2)
    return float(max(h * scale, MIN_BANDWIDTH))


def density_grid(x, h: float, min_points: int = 1024, max_points: int = 65536) -> np.ndarray:
    """Regular grid over [min - 4h, max + 4h] with step <= h / 8."""
    lo, hi = float(np.min(x)) - 4 * h, float(np.max(x)) + 4 * h
    n = int(np.clip(np.ceil((hi - lo) / (h / 8)) + 1, min_points, max_points))
    return np.linspace(lo, hi, n)


def kde(x, h: float, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE of x on a regular grid (binned, then convolved); integrates to ~1."""
    x = np.asarray(x, dtype=np.float64)
    step = grid[1] - grid[0]
    idx = np.clip(np.rint((x - grid[0]) / step).astype(np.int64), 0, grid.size - 1)
    counts = np.bincount(idx, minlength=grid.size).astype(np.float64)
    half = int(min(np.ceil(5 * h / step), grid.size - 1))
    offsets = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (offsets / h) ** 2) / (h * np.sqrt(2 * np.pi))
    return np.convolve(counts, kernel, mode="same") / x.size


def _candidates(density: np.ndarray, min_prominence: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.signal import find_peaks

    top = float(density.max())
    if top <= 0:
        return np.array([], dtype=np.int64), np.array([])
    peaks, props = find_peaks(density, prominence=min_prominence * top)
    return peaks, props["prominences"] / top


def _valleys(density: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Index of the density minimum between each pair of neighbouring peaks."""
    return np.array([a + int(np.argmin(density[a : b + 1])) for a, b in zip(peaks[:-1], peaks[1:])], dtype=np.int64)


def _basins(grid, density, peaks) -> list[tuple[float, float]]:
    cuts = [grid[v] for v in _valleys(density, peaks)]
    edges = [-np.inf, *cuts, np.inf]
    return list(zip(edges[:-1], edges[1:]))


def find_modes(x, settings: ModeSettings = ModeSettings(), rng: np.random.Generator | None = None):
    """(kept modes, all candidates, bandwidth, grid, density) of the sample x (log10 losses)."""
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(settings.seed) if rng is None else rng
    h = bandwidth(x, settings.bandwidth, settings.bandwidth_scale)
    grid = density_grid(x, h, settings.grid_points)
    density = kde(x, h, grid)
    peaks, prom = _candidates(density, settings.min_prominence)
    basins = _basins(grid, density, peaks)
    hits = np.zeros(peaks.size)
    for _ in range(settings.bootstrap):
        xb = x[rng.integers(0, x.size, x.size)]
        pb, _ = _candidates(kde(xb, h, grid), settings.min_prominence)
        pos = grid[pb]
        for j, (lo, hi) in enumerate(basins):
            hits[j] += np.any((pos > lo) & (pos <= hi))
    repro = hits / settings.bootstrap if settings.bootstrap else np.ones(peaks.size)

    def make(keep_idx, rep, pro):
        bs = _basins(grid, density, peaks[keep_idx]) if keep_idx.size else []
        out = []
        for k, (lo, hi) in zip(keep_idx, bs):
            share = float(np.mean((x > lo) & (x <= hi)))
            out.append(Mode(float(grid[peaks[k]]), share, float(rep[k]), float(lo), float(hi), float(pro[k])))
        return out

    candidates = make(np.arange(peaks.size), repro, prom)
    keep = kept_candidates(repro, density[peaks], settings.min_reproducibility)
    return make(keep, repro, prom), candidates, h, grid, density


def kept_candidates(reproducibility, heights, min_reproducibility: float) -> np.ndarray:
    """Indices of the candidates reproduced often enough; if none is, the highest candidate alone
    (a density always has a maximum)."""
    keep = np.flatnonzero(np.asarray(reproducibility) >= min_reproducibility)
    if keep.size == 0 and len(heights):
        keep = np.array([int(np.argmax(heights))])
    return keep


def analyse(wl: WidthLosses, settings: ModeSettings = ModeSettings()) -> HistogramAnalysis:
    """Modes, lottery tickets and median (with bootstrap interval) of one width's losses."""
    settings.validate()
    rng = np.random.default_rng([settings.seed, wl.width])
    if wl.n_used == 0:
        return HistogramAnalysis(wl.width, wl.n_total, wl.n_diverged, 0, *(float("nan"),) * 3, float("nan"), [], [],
                                 np.array([]), np.array([]))
    x = wl.log10
    modes, candidates, h, grid, density = find_modes(x, settings, rng)
    med, lo, hi = median_interval(wl.loss, settings.median_bootstrap, settings.confidence, rng)
    return HistogramAnalysis(wl.width, wl.n_total, wl.n_diverged, wl.n_used, med, lo, hi, h, modes, candidates, grid, density)
