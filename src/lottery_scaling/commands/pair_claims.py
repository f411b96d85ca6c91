"""`lottery-scaling pair-claims`: claims-table rows of the pair-and-disentangle stage (SPEC section 3).

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
  nearest-neighbour distance (lottery_scaling.pairing.mirror_nn_ratio; T ~ 1 for a cloud
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

from ._argtypes import int_at_least, positive_float

HELP = "claims-table rows of the pair-and-disentangle stage (width-2 symmetric tickets, wide symmetric neurons)"

COLUMNS = ["claim", "experiment", "statistic", "value", "ci_low", "ci_high", "threshold", "verdict", "detail"]
PAPER_TICKET = {"abs_w": 0.830, "b": -1.168, "v": 5.686, "c": 3.154}


def configure(p) -> None:
    p.add_argument("--experiment", required=True, help="experiment name for the rows")
    p.add_argument("--rows", nargs="+", choices=("ticket", "wide"), default=["ticket", "wide"],
                   help="which claims to judge (default: both)")
    p.add_argument("--activation", default=None, help="activation of the experiment (named in the detail)")
    p.add_argument("--width2-clusters", default=None, help="clusters CSV of `lottery-scaling width2` (omit: width 2 not trained)")
    p.add_argument("--width2-networks", default=None, help="networks CSV of `lottery-scaling width2`")
    p.add_argument("--wide-networks", default=None, help="networks CSV of `lottery-scaling pairs` for the widest width")
    p.add_argument("--ticket-min-share", type=float, default=0.9,
                   help="share of symmetric networks in the lowest-loss width-2 cluster needed for 'supported' (default %(default)s)")
    p.add_argument("--wide-max-ratio", type=positive_float, default=0.8,
                   help="largest upper CI end of the mirrored/plain nearest-neighbour ratio for 'supported' (default %(default)s)")
    p.add_argument("--wide-min-width", type=int_at_least(3), default=10, help="smallest width counted as wide (default %(default)s)")
    p.add_argument("--n-boot", type=int_at_least(0), default=2000, help="bootstrap resamples (default %(default)s)")
    p.add_argument("--random-state", type=int_at_least(0), default=0, help="bootstrap seed (default %(default)s)")
    p.add_argument("--out", required=True, help="CSV of claim rows")


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def ticket_row(experiment, clusters, networks, min_share) -> dict:
    claim = "width2_tickets_symmetric"
    stat = "width-2 lottery tickets are symmetric pairs: share of symmetric networks in the lowest-loss width-2 cluster"
    if clusters is None or len(clusters) == 0:
        return dict(claim=claim, experiment=experiment, statistic=stat, value=math.nan, ci_low=math.nan, ci_high=math.nan,
                    threshold=f"share >= {min_share}", verdict="not tested", detail="width 2 not trained in this experiment")
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
    return dict(claim=claim, experiment=experiment, statistic=stat, value=share, ci_low=lo, ci_high=hi,
                threshold=f"share >= {min_share}", verdict=verdict, detail=detail)


def wide_row(experiment, activation, networks, max_ratio, min_width, n_boot, seed) -> dict | None:
    import numpy as np

    from ..bootstrap import percentile_interval, resampled_medians

    claim = "wide_symmetric_neurons"
    stat = ("wide networks have symmetric neurons: median over networks of T = median mirrored-NN distance / "
            "median plain-NN distance of the neurons (w, b)")
    base = dict(claim=claim, experiment=experiment, statistic=stat,
                threshold=f"upper end of the bootstrap interval of T <= {max_ratio} x median T of the same networks at initialisation")
    if networks is None or len(networks) == 0:
        return dict(base, value=math.nan, ci_low=math.nan, ci_high=math.nan, verdict="not tested",
                    detail="no trained width to test")
    width = int(networks["width"].iloc[0])
    if width < min_width:
        return dict(base, value=math.nan, ci_low=math.nan, ci_high=math.nan, verdict="not tested",
                    detail=f"widest trained width {width} < wide_min_width {min_width}")
    t = networks["mirror_nn_ratio"].to_numpy(dtype=float)
    t = t[np.isfinite(t)]
    if t.size == 0:
        return dict(base, value=math.nan, ci_low=math.nan, ci_high=math.nan, verdict="not tested",
                    detail=f"width {width}: no network has 3 or more active neurons")
    value = float(np.median(t))
    if t.size > 1 and n_boot > 0:
        lo, hi = percentile_interval(resampled_medians(t, n_boot, np.random.default_rng(seed)), 0.95)
    else:
        lo = hi = value
    t_init = networks["mirror_nn_ratio_init"].to_numpy(dtype=float) if "mirror_nn_ratio_init" in networks else np.array([])
    t_init = t_init[np.isfinite(t_init)]
    if t_init.size == 0:
        return dict(base, value=value, ci_low=lo, ci_high=hi, verdict="not tested",
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
    return dict(base, value=value, ci_low=lo, ci_high=hi, verdict=verdict, detail=detail)


def run(args) -> int:
    import pandas as pd

    from ..errors import UserError
    from ._pairs_common import read_csv, write_csv

    if not 0 < args.ticket_min_share <= 1:
        raise UserError(f"--ticket-min-share must be in (0, 1], got {args.ticket_min_share}")
    clusters = read_csv(args.width2_clusters, ["cluster", "size", "share", "loss_median", "symmetric_share"]) if args.width2_clusters else None
    networks = read_csv(args.width2_networks, ["cluster", "symmetric"]) if args.width2_networks else None
    wide = read_csv(args.wide_networks, ["width", "mirror_nn_ratio"]) if args.wide_networks else None
    rows = [ticket_row(args.experiment, clusters, networks, args.ticket_min_share)] if "ticket" in args.rows else []
    row = None if "wide" not in args.rows else wide_row(args.experiment, args.activation, wide, args.wide_max_ratio, args.wide_min_width, args.n_boot,
                   args.random_state)
    if row is not None:
        rows.append(row)
    write_csv(pd.DataFrame(rows, columns=COLUMNS), args.out)
    return 0
