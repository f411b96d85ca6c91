"""Claims rows of the bridge study (ids `bridge_*`): open questions between the two papers, judged by the data.

- bridge_tickets_born_aligned (per init scale): mean init-alignment percentile of the best ticket's
  two neurons over networks (null 1/2), percentile-bootstrap interval over networks; supported when
  the whole interval lies above `min_percentile`. Detail: permutation p-value of the mean and the
  median Spearman correlation of init alignment and final contribution.
- bridge_small_init_race: median Spearman correlation (init alignment vs final contribution) at the
  smallest init scale minus that at the largest, bootstrap interval over networks; supported when
  the interval lies above `min_race_gain`.
- bridge_rewound_tickets_win (per init scale): share of rewound tickets in the width-2 lottery-ticket
  basin minus the share of trained width-2 networks (random initialisations, same init scale) in it,
  Newcombe's interval from the two Wilson intervals; supported when the interval lies above
  `min_share_gain`. The basin is one for all scales, from the reference scale's width-2 histogram
  (rewind.ticket_basin; why: rewind.py's docstring).
- bridge_pruning_keeps_best_pair (per init scale): share of networks whose k = `prune_k` neurons of
  largest final contribution contain the best ticket, Wilson interval; supported when its lower end
  is >= `min_keep_share`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...bootstrap import percentile_interval, wilson_interval
from ...claims import row
from ...errors import UserError

CLAIM_IDS = ("bridge_tickets_born_aligned", "bridge_small_init_race", "bridge_rewound_tickets_win",
             "bridge_pruning_keeps_best_pair")


@dataclass(frozen=True)
class BridgeClaimSettings:
    min_percentile: float = 0.5  # born aligned: lower end of the mean ticket percentile's interval above this
    min_race_gain: float = 0.0  # small init: lower end of the Spearman gain's interval above this
    min_share_gain: float = 0.0  # rewinding: lower end of the lottery-share gain's interval above this
    prune_k: int = 2  # pruning: neurons kept
    min_keep_share: float = 0.5  # pruning: lower end of the share's Wilson interval at least this
    bootstrap: int = 1000
    confidence: float = 0.95
    null_draws: int = 10000
    seed: int = 0

    def validate(self) -> None:
        if not 0 <= self.min_percentile <= 1:
            raise UserError(f"min_percentile must be in [0, 1], got {self.min_percentile}")
        if self.prune_k < 2:
            raise UserError(f"prune_k must be >= 2, got {self.prune_k}")
        if not 0 < self.confidence < 1:
            raise UserError(f"confidence must be in (0, 1), got {self.confidence}")
        if self.bootstrap < 1 or self.null_draws < 1:
            raise UserError("bootstrap and null_draws must be >= 1")


def _scale_name(scale: float) -> str:
    return f"bridge_scale{scale:g}"


def newcombe_difference(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """(p1 - p2, lower, upper): Newcombe's hybrid score interval from the two 95% Wilson intervals."""
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _boot_median(values, settings, rng):
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.full(settings.bootstrap, np.nan)
    idx = rng.integers(0, values.size, size=(settings.bootstrap, values.size))
    return np.median(values[idx], axis=1)


def born_aligned(nets, settings: BridgeClaimSettings) -> list[dict]:
    """nets: DataFrame of alignment network rows (alignment.alignment_tables)."""
    from .alignment import null_mean_percentiles

    out = []
    rng = np.random.default_rng([settings.seed, 1])
    thr = f"whole {settings.confidence:.0%} bootstrap interval of the mean percentile above {settings.min_percentile:g} (null 0.5)"
    stat = "mean init-alignment percentile of the best ticket's two neurons (1 = most aligned), over networks"
    for scale, g in nets.groupby("init_scale"):
        g = g[np.isfinite(g["ticket_percentile"])]
        if g.empty:
            out.append(row("bridge_tickets_born_aligned", _scale_name(scale), stat, threshold=thr,
                           detail="no network with a mirror pair"))
            continue
        q = g["ticket_percentile"].to_numpy()
        idx = rng.integers(0, q.size, size=(settings.bootstrap, q.size))
        lo, hi = percentile_interval(q[idx].mean(axis=1), settings.confidence)
        null = null_mean_percentiles(g["width"].to_numpy(), settings.null_draws, rng)
        p = float((np.sum(null >= q.mean()) + 1) / (null.size + 1))
        verdict = "supported" if lo > settings.min_percentile else "not supported"
        out.append(row("bridge_tickets_born_aligned", _scale_name(scale), stat, q.mean(), lo, hi, thr, verdict,
                       f"{q.size} networks, widths {sorted(set(g['width']))}; permutation p = {p:.3g}; median Spearman "
                       f"(alignment vs final contribution) {np.nanmedian(g['spearman']):.3f}; networks with p < 0.05: "
                       f"{np.mean(g['p_value'] < 0.05):.2f}"))
    return out


def small_init_race(nets, settings: BridgeClaimSettings) -> list[dict]:
    stat = "median Spearman (init alignment vs final contribution) at the smallest init scale minus at the largest"
    thr = f"whole {settings.confidence:.0%} bootstrap interval above {settings.min_race_gain:g}"
    scales = sorted(set(nets["init_scale"]))
    if len(scales) < 2:
        return [row("bridge_small_init_race", "", stat, threshold=thr, detail="needs at least two init scales")]
    rng = np.random.default_rng([settings.seed, 2])
    small = nets[nets["init_scale"] == scales[0]]["spearman"].to_numpy()
    large = nets[nets["init_scale"] == scales[-1]]["spearman"].to_numpy()
    diff = np.nanmedian(small) - np.nanmedian(large)
    lo, hi = percentile_interval(_boot_median(small, settings, rng) - _boot_median(large, settings, rng), settings.confidence)
    per = "; ".join(f"scale {s:g}: {np.nanmedian(nets[nets['init_scale'] == s]['spearman']):.3f}" for s in scales)
    verdict = "supported" if lo > settings.min_race_gain else "not supported"
    return [row("bridge_small_init_race", f"bridge_scale{scales[0]:g}_vs_{scales[-1]:g}", stat, diff, lo, hi, thr,
                verdict, f"median Spearman per init scale: {per}")]


def _wins(g) -> tuple[int, int]:
    vals = g["lottery"].astype(str).str.lower()
    return int((vals == "true").sum()), int(vals.isin(["true", "false"]).sum())


def rewound_win(rew, basin: dict, settings: BridgeClaimSettings) -> list[dict]:
    """basin: the row of rewind.ticket_basin (reference_init_scale, basin_high, share, ...)."""
    from .rewind import label_lottery

    stat = ("share of rewound best tickets (width 2) in the width-2 lottery-ticket basin minus the share of trained "
            "width-2 networks in it (Newcombe interval)")
    high = float(basin["basin_high"])
    thr = f"whole interval above {settings.min_share_gain:g}"
    where = (f"basin log10 test MSE <= {high:.3g}, the lowest robust mode of trained width 2 at init scale "
             f"{float(basin['reference_init_scale']):g}")
    rew = rew.assign(lottery=label_lottery(rew, high))
    out = []
    for scale, g in rew.groupby("init_scale"):
        ref = g[g["arm"] == "trained_width2"].drop_duplicates("seed")
        k2, n2 = _wins(ref)
        k1, n1 = _wins(g[g["arm"] == "ticket"])
        if not np.isfinite(high) or n2 == 0 or n1 == 0:
            out.append(row("bridge_rewound_tickets_win", _scale_name(scale), stat, threshold=thr, detail=(
                f"the trained width-2 histogram at init scale {float(basin['reference_init_scale']):g} has one robust "
                "mode (no lottery)" if not np.isfinite(high) else "no rewound tickets or no trained width-2 networks")))
            continue
        d, lo, hi = newcombe_difference(k1, n1, k2, n2)
        extra = []
        for arm in ("reinit", "random_pair"):
            ka, na = _wins(g[g["arm"] == arm])
            if na:
                extra.append(f"{arm} {ka}/{na}")
        verdict = "supported" if lo > settings.min_share_gain else "not supported"
        out.append(row("bridge_rewound_tickets_win", _scale_name(scale), stat, d, lo, hi, thr, verdict,
                       f"rewound tickets {k1}/{n1} vs trained width 2 {k2}/{n2}; controls: {', '.join(extra)}; "
                       f"source widths {sorted(set(g['source_width']))}; {where}"))
    return out


def pruning_keeps(rew, settings: BridgeClaimSettings) -> list[dict]:
    arm = f"prune_k{settings.prune_k}"
    stat = f"share of networks whose {settings.prune_k} neurons of largest final contribution contain the best ticket"
    thr = f"lower end of the Wilson interval >= {settings.min_keep_share:g}"
    out = []
    for scale, g in rew.groupby("init_scale"):
        p = g[g["arm"] == arm]
        vals = p["kept_best_pair"].astype(str).str.lower()
        n = int(vals.isin(["true", "false"]).sum())
        if n == 0:
            out.append(row("bridge_pruning_keeps_best_pair", _scale_name(scale), stat, threshold=thr,
                           detail=f"no {arm} arm (needs a source width > {settings.prune_k})"))
            continue
        k = int((vals == "true").sum())
        lo, hi = wilson_interval(k, n)
        verdict = "supported" if lo >= settings.min_keep_share else "not supported"
        med = {a: float(np.median(g[g["arm"] == a]["test_loss"])) for a in sorted(set(g["arm"])) if a.startswith("prune")}
        out.append(row("bridge_pruning_keeps_best_pair", _scale_name(scale), stat, k / n, lo, hi, thr, verdict,
                       f"{k}/{n}; median test MSE after rewind and retrain: "
                       + ", ".join(f"{a} {v:.3g}" for a, v in med.items())))
    return out


def claim_rows(nets, rew, basin: dict, settings: BridgeClaimSettings) -> list[dict]:
    settings.validate()
    return (born_aligned(nets, settings) + small_init_race(nets, settings) + rewound_win(rew, basin, settings)
            + pruning_keeps(rew, settings))
