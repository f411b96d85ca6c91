"""Norm vs alignment (paper Figs 1, 4): does a neuron's early angle predict its final norm?

For one run: the angle of each neuron (w_i to its current cell's target, see `_kernels`)
at the checkpoint of a snapshot time (init, early, before_drop), against its final norm.
Final norm: |w_i| |v_i| at the end (the scale of the neuron's contribution to the logits;
ReLU is positively homogeneous, so only the product is fixed by the function). Neurons
with no finite angle (no training input passes the gate) are left out.

- Spearman rank correlation of angle with log final norm (scipy.stats.spearmanr);
  the paper's claim is a negative correlation, strongest after alignment.
- Exponential fit: least squares of log(final norm) = a + k * angle (angle in degrees),
  i.e. final norm = exp(a) exp(k angle); k < 0 means norm grows exponentially with alignment.
  R^2 of the log-linear fit is reported. Over all neurons the fit is pulled by a cliff near
  90 deg (neurons that never entered the race), so it is also made on the bulk, the neurons
  with an angle below `bulk_max_angle` (80 deg), beside the stated alternative on the same
  neurons: a power law, log(final norm) = a + p log(angle). "Exponential" is judged by which
  of the two fits the bulk better (claims.py).
- The random-direction null of an angle: at init w_i is an isotropic Gaussian, so the init
  angles are the angles random directions make with their own cells' targets on this task;
  their 1% quantile (`angle_q01` of the init row) is what an aligned angle must beat.
- Angle per norm (Lemma 3.9, Fig 6): per neuron, the fall of the angle from init (radians)
  divided by the change of |w_i| since init; the median over neurons. Small inits make it
  large (the angle moves while the norm does not); it shrinks as sigma grows.
"""

from __future__ import annotations

import numpy as np

from .settings import AlignmentSettings
from .trainer import SNAPSHOTS


def checkpoint_index(ckpt_step: np.ndarray, step: int) -> int | None:
    """Slot of the checkpoint taken at `step` in one run's ckpt_step row, or None."""
    hit = np.flatnonzero(ckpt_step == step)
    return int(hit[0]) if step >= 0 and hit.size else None


def final_norm(neuron: dict, ckpt_step_row: np.ndarray, r: int) -> np.ndarray:
    last = int(np.max(np.flatnonzero(ckpt_step_row >= 0)))
    return neuron["w_norm"][r, last] * neuron["v_norm"][r, last]


def _line_fit(x, y):
    """(slope, intercept, R^2) of least squares y = a + k x; NaN with fewer than 3 points or no spread."""
    if x.size < 3 or np.ptp(x) == 0:
        return np.nan, np.nan, np.nan
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    r2 = 1 - resid.var() / y.var() if y.var() > 0 else np.nan
    return float(slope), float(intercept), float(r2)


def bulk_fits(angle: np.ndarray, log_norm: np.ndarray, bulk_max_angle: float = AlignmentSettings().bulk_max_angle) -> dict:
    """The exponential fit and the power-law alternative on the neurons with 0 < angle < bulk_max_angle."""
    m = (angle > 0) & (angle < bulk_max_angle)
    k, a, r2 = _line_fit(angle[m], log_norm[m])
    _, _, r2_power = _line_fit(np.log(angle[m]), log_norm[m])
    return {"bulk_max_angle": float(bulk_max_angle), "bulk_neurons": int(m.sum()), "bulk_slope": k,
            "bulk_intercept": a, "bulk_r2": r2, "power_r2": r2_power}


def norm_vs_alignment(neuron: dict, ckpt_step: np.ndarray, snap_step: np.ndarray, r: int = 0,
                      times=("init", "early", "before_drop"),
                      bulk_max_angle: float = AlignmentSettings().bulk_max_angle) -> dict:
    """{time: {step, n, spearman, spearman_p, slope_per_degree, intercept, r2, median_angle, angle_q01,
    bulk_* and power_r2 (see bulk_fits)}} for run r."""
    from scipy.stats import spearmanr

    norm = final_norm(neuron, ckpt_step[r], r)
    out = {}
    for name in times:
        step = int(snap_step[r, SNAPSHOTS.index(name)])
        k = checkpoint_index(ckpt_step[r], step)
        if k is None:
            out[name] = {"step": step, "n": 0}
            continue
        angle = neuron["angle"][r, k]
        ok = np.isfinite(angle) & (norm > 0) & np.isfinite(norm)
        a, logn = angle[ok], np.log(norm[ok])
        rho, p = spearmanr(a, logn) if ok.sum() > 2 else (np.nan, np.nan)
        slope, intercept, r2 = _line_fit(a, logn)
        out[name] = {"step": step, "n": int(ok.sum()), "spearman": float(rho), "spearman_p": float(p),
                     "slope_per_degree": slope, "intercept": intercept, "r2": r2,
                     "median_angle": float(np.median(a)) if a.size else np.nan,
                     "angle_q01": float(np.quantile(a, 0.01)) if a.size else np.nan,
                     **bulk_fits(a, logn, bulk_max_angle)}
    return out


def median_angle_curve(neuron: dict, ckpt_step: np.ndarray, r: int = 0):
    """(steps, median angle over live neurons) at every checkpoint taken in run r."""
    taken = ckpt_step[r] >= 0
    return ckpt_step[r][taken], np.nanmedian(neuron["angle"][r][taken], axis=1)


def setting_of(runs) -> dict:
    """The identifying settings of a runs file (for table rows)."""
    s = runs.settings
    return {"dataset": runs.task.name, "n": runs.task.n, "width": int(s["width"]), "sigma": float(s["sigma"])}


def angle_per_norm(neuron: dict, r: int, k: int) -> float:
    """Median over neurons of (angle at init - angle at slot k) in radians / | |w| at k - |w| at init |."""
    fall = np.radians(neuron["angle"][r, 0] - neuron["angle"][r, k])
    dw = np.abs(neuron["w_norm"][r, k] - neuron["w_norm"][r, 0])
    ok = np.isfinite(fall) & (dw > 0)
    return float(np.median(fall[ok] / dw[ok])) if k > 0 and ok.any() else np.nan


def alignment_rows(runs, bulk_max_angle: float = AlignmentSettings().bulk_max_angle) -> list[dict]:
    """One row per run and time (init, early, before_drop): norm_vs_alignment's numbers."""
    rows = []
    for r, seed in enumerate(runs.seed):
        if runs.status[r] == 2:
            continue  # diverged: no final norm
        res = norm_vs_alignment(runs.neuron, runs.ckpt_step, runs.snap["step"], r, bulk_max_angle=bulk_max_angle)
        last = int(np.max(np.flatnonzero(runs.ckpt_step[r] >= 0)))
        for time, v in res.items():
            k = checkpoint_index(runs.ckpt_step[r], v["step"])
            cos = np.abs(runs.neuron["cos_v"][r, k]) if k is not None else np.full(1, np.nan)
            live = runs.neuron["n_eff"][r, k] > 0 if k is not None else np.zeros(1, bool)
            wv = runs.neuron["wv_norm"][r, k] if k is not None else np.full(1, np.nan)
            wn = runs.neuron["w_norm"][r, k] if k is not None else np.full(1, np.nan)
            rows.append({
                **setting_of(runs), "seed": int(seed), "time": time, "step": v["step"], "neurons": v["n"],
                "spearman": v.get("spearman", np.nan), "spearman_p": v.get("spearman_p", np.nan),
                "slope_per_degree": v.get("slope_per_degree", np.nan), "intercept": v.get("intercept", np.nan),
                "r2": v.get("r2", np.nan), "median_angle": v.get("median_angle", np.nan),
                **{q: v.get(q, np.nan) for q in FIT_COLUMNS},
                "train_loss": runs.run["train_loss"][r, k] if k is not None else np.nan,
                "aligned_share": float(np.mean(cos[live] >= runs.settings["align_cos"])) if live.any() else np.nan,
                "median_wv_norm": float(np.median(wv)),
                "final_median_wv_norm": float(np.median(runs.neuron["wv_norm"][r, last])),
                "median_w_norm": float(np.median(wn)),
                "angle_per_norm": angle_per_norm(runs.neuron, r, k) if k is not None else np.nan,
                "stop_step": int(runs.stop_step[r]), "status": int(runs.status[r]),
            })
    return rows


FIT_COLUMNS = ("angle_q01", "bulk_max_angle", "bulk_neurons", "bulk_slope", "bulk_intercept", "bulk_r2", "power_r2")
ALIGNMENT_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "time", "step", "neurons", "spearman", "spearman_p",
                     "slope_per_degree", "intercept", "r2", "median_angle", *FIT_COLUMNS, "train_loss", "aligned_share",
                     "median_wv_norm", "final_median_wv_norm", "median_w_norm", "angle_per_norm", "stop_step", "status")
CURVE_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "step", "median_angle", "median_wv_norm", "aligned_fraction", "train_loss", "train_acc",
                 "test_loss", "test_acc")


def curve_rows(runs) -> list[dict]:
    """One row per run and checkpoint: median angle, median |w||v|, losses and accuracies."""
    rows = []
    for r, seed in enumerate(runs.seed):
        steps, med = median_angle_curve(runs.neuron, runs.ckpt_step, r)
        taken = runs.ckpt_step[r] >= 0
        wv = np.nanmedian(runs.neuron["wv_norm"][r][taken], axis=1)
        for j, step in enumerate(steps):
            k = np.flatnonzero(taken)[j]
            rows.append({**setting_of(runs), "seed": int(seed), "step": int(step), "median_angle": med[j],
                         "median_wv_norm": wv[j],
                         **{q: runs.run[q][r, k] for q in ("aligned_fraction", "train_loss", "train_acc",
                                                             "test_loss", "test_acc")}})
    return rows
