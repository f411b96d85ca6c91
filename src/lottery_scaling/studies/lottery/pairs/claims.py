"""Claims-table rows of the pair-and-disentangle stage (docs/lottery.md, Claims and their thresholds).

Rows (columns claim, experiment, statistic, value, ci_low, ci_high, threshold, verdict, detail):

* width2_tickets_symmetric ("width-2 lottery tickets are symmetric pairs"): the lottery tickets are the width-2
  networks of the lowest-loss algorithm (cluster 1 of `lottery-scaling width2`). Statistic:
  share of them classified symmetric (opposite w, mirror asymmetry and relative |v1 - v2|
  below the symmetric threshold), with a 95 % Wilson interval. Supported when the share is
  >= the threshold. The detail gives the mean |w|, b, v, c of the cluster next to the
  paper's example (w = -/+0.830, b = -1.168, v = 5.686, c = 3.154).
* wide_symmetric_neurons ("wide SiLU networks have symmetric neurons"; widest width >= wide_min_width; the pipeline asks
  for it on the experiments of claims.wide_symmetric_neurons.task / activation, default x2 / silu):
  per network T = median mirrored nearest-neighbour distance / median plain
  nearest-neighbour distance (pairs.pairing.mirror_nn_ratio; T ~ 1 for a cloud
  symmetric under (w, b) -> (-w, b), T >> 1 without the symmetry). Statistic: median of T
  over the networks of the widest width, with a percentile-bootstrap 95 % interval over
  networks (a single network: over its neurons is not resampled; the interval is the value).
  Null: the same statistic for the same networks at initialisation (column
  mirror_nn_ratio_init), whose U(-1, 1) weights and biases are already mirror-symmetric in
  distribution, so T ~ 1 there too. Supported only when training made the neurons more
  symmetric than that: upper end of the interval <= max_ratio x median T at initialisation.
"""

from __future__ import annotations

import math

from ....bootstrap import wilson_interval
from ....claims import row

PAPER_TICKET = {"abs_w": 0.830, "b": -1.168, "v": 5.686, "c": 3.154}


def ticket_row(experiment, clusters, networks, min_share) -> dict:
    claim = "width2_tickets_symmetric"
    stat = "width-2 lottery tickets are symmetric pairs: share of symmetric networks in the lowest-loss width-2 cluster"
    if clusters is None:
        return row(claim, experiment, stat, threshold=f"share >= {min_share}", verdict="not tested",
                   detail="width 2 not trained in this experiment")
    if len(clusters) == 0:  # `width2` writes empty tables when fewer than 2 networks did not diverge
        return row(claim, experiment, stat, threshold=f"share >= {min_share}", verdict="not tested",
                   detail="width 2: no networks to cluster: every network diverged, or fewer than 2 did not")
    low = clusters.sort_values("loss_median").iloc[0]
    n = int(low["size"])
    if networks is not None:
        m = networks["cluster"] == int(low["cluster"])
        k = int(networks.loc[m, "symmetric"].astype(bool).sum())
    else:
        k = int(round(low["symmetric_share"] * n))
    share = k / n if n else math.nan
    lo, hi = wilson_interval(k, n)
    verdict = "supported" if share >= min_share else "not supported"
    detail = (
        f"lowest-loss cluster {int(low['cluster'])} of {len(clusters)}: {n} networks (share {low['share']:.3f} of width 2), "
        f"test MSE {low['loss_min']:.3g}..{low['loss_max']:.3g} (median {low['loss_median']:.3g}); "
        f"mean |w| {low['mean_abs_w']:.4g}, b {low['mean_b']:.4g}, v {low['mean_v']:.4g}, c {low['mean_c']:.4g} "
        f"(paper: |w| {PAPER_TICKET['abs_w']}, b {PAPER_TICKET['b']}, v {PAPER_TICKET['v']}, c {PAPER_TICKET['c']}); "
        f"95% Wilson interval; supported if share >= {min_share}"
    )
    return row(claim, experiment, stat, share, lo, hi, f"share >= {min_share}", verdict, detail)


def wide_row(experiment, activation, networks, max_ratio, min_width, n_boot, seed) -> dict | None:
    import numpy as np

    from ....bootstrap import percentile_interval, resampled_medians

    claim = "wide_symmetric_neurons"
    stat = ("wide networks have symmetric neurons: median over networks of T = median mirrored-NN distance / "
            "median plain-NN distance of the neurons (w, b)")
    base = dict(claim=claim, experiment=experiment, statistic=stat,
                threshold=f"upper end of the bootstrap interval of T <= {max_ratio} x median T of the same networks at initialisation")
    if networks is None:
        return row(**base, verdict="not tested",
                    detail="no trained width to test")
    if len(networks) == 0:  # `pairs` leaves diverged networks out
        return row(**base, verdict="not tested", detail="every network diverged at the widest width")
    width = int(networks["width"].iloc[0])
    if width < min_width:
        return row(**base, verdict="not tested",
                    detail=f"widest trained width {width} < wide_min_width {min_width}")
    t = networks["mirror_nn_ratio"].to_numpy(dtype=float)
    t = t[np.isfinite(t)]
    if t.size == 0:
        return row(**base, verdict="not tested",
                    detail=f"width {width}: no network has 3 or more active neurons")
    value = float(np.median(t))
    if t.size > 1 and n_boot > 0:
        lo, hi = percentile_interval(resampled_medians(t, n_boot, np.random.default_rng(seed)), 0.95)
    else:
        lo = hi = value
    t_init = networks["mirror_nn_ratio_init"].to_numpy(dtype=float) if "mirror_nn_ratio_init" in networks else np.array([])
    t_init = t_init[np.isfinite(t_init)]
    if t_init.size == 0:
        return row(**base, value=value, ci_low=lo, ci_high=hi, verdict="not tested",
                    detail=f"width {width}: no initial-network statistic to compare with")
    null = float(np.median(t_init))
    verdict = "supported" if hi <= max_ratio * null else "not supported"
    detail = (
        f"{activation + ', ' if activation else ''}width {width}, {t.size} networks; T ~ 1 for a mirror-symmetric cloud, "
        f"< 1 for near-exact mirror pairs, >> 1 without the symmetry; null: the same networks at initialisation, "
        f"median T = {null:.3g} (their uniform weights are symmetric in distribution); median mirrored-NN distance "
        f"{networks['mirror_nn_median'].median():.3g}, plain {networks['plain_nn_median'].median():.3g} "
        f"(pre-activation units); 95% bootstrap interval over networks; supported if ci_high <= {max_ratio} x {null:.3g}"
    )
    return row(**base, value=value, ci_low=lo, ci_high=hi, verdict=verdict, detail=detail)
