"""Claims rows of the race study (docs/race.md, Claims and their thresholds), judged from the analysis tables.

Each row uses the shared row type (`lottery_scaling.claims.row`); ids start with `race_`. Values
are medians over the runs of the experiment's main setting (n, width, sigma) unless the
statistic says otherwise; the interval columns hold the range (min, max) over runs, or a
stated confidence interval. The paper's own statement stands in `detail` beside the numbers.
A claim the configured runs cannot judge (no second n, an IMP sparsity not run, no
before-drop snapshot, ...) is "not tested" with the reason.

Every rule is one that a null fails (tests/race/test_claims.py shows each):
- outgoing weights aligned: random 2-d outgoing weights (about 0.09 aligned) fail;
- init and early rankings, IMP ranking: angles unrelated to the final norm or to the pruning
  (Spearman about 0) fail, and early angles that add nothing to the init ones fail "better";
- clusters fewer than neurons: random directions (one cluster per neuron) fail;
- silent alignment: random directions (the init angles are exactly that) fail the angle part;
  an init that is not small (the experiment's larger sigmas, reported in the detail) fails it
  too, and fails the norm part once the init norms are a fair share of the final ones;
- exponential: a power law or any other decreasing shape fails the comparison of fits, and
  unrelated angles fail the R^2;
- clusters rising: equal counts, or counts within the run-to-run spread, fail the interval;
- merging: a random regrouping of the neurons with the same sizes fails (its numbers are in
  the detail);
- stable cells: shuffled labels reaching as few patterns fail; inputs on which the
  iteration never settles fail the settled share;
- angle faster than norm: random update directions (no angle fallen) and a large init fail;
- asynchronous unlocking: groups unlocking at the same checkpoint fail;
- lateral inhibition: independent growth (no slowdown) fails, and so does a slowdown the
  other groups share (global, from the loss, not lateral);
- IMP within clusters: a split no better than a random regrouping of the same sizes fails.
"""

from __future__ import annotations

import math

import numpy as np

from lottery_scaling.claims import row

from .clusters import CARRY_SHARES
from .settings import CLAIM_IDS, ClaimSettings

PAPER = {
    "race_outgoing_aligned_before_drop": "paper: 'after just a few gradient updates, the outgoing weights have aligned' (Sec 5); v_i align faster than w_i (Sec 3.2)",
    "race_silent_alignment": "paper: 'vectors generally align to their initial target direction before their norms start to increase and the loss starts to drop' (Sec 3.2)",
    "race_norm_exponential_in_alignment": "paper: 'the growth in norm exponentially depends on the angular distance to the target direction' (Sec 1, Thm 3.11, Fig 4)",
    "race_init_alignment_predicts_norm": "paper: 'The distributions at initialization are already predictive of the final norm to a large degree' (Sec 5, Fig 4)",
    "race_early_alignment_predicts_better": "paper: 'our predictions of final norm are more accurate after a few gradient updates' (Sec 6)",
    "race_clusters_fewer_than_neurons": "paper: subgroups of neurons converge to the same stable cell and can be merged (Thm 3.6, Fig 3)",
    "race_clusters_rise_with_n": "paper: 'the different models use more and more effective capacity as the complexity of the dataset increases, until they saturate' (Fig 3a)",
    "race_clusters_rise_with_sigma": "paper: 'increasing the initialization scale ... also increases the number of clusters' (Fig 3b)",
    "race_merging_lossless": "paper: 'clusters based on a threshold cos_sim can be merged without loss in performance' (App. G)",
    "race_early_alignment_predicts_imp": "paper: early alignment predicts 'to a large degree, which neurons will have a lot of individual parameters pruned' by IMP 'for lower target sparsities' (Fig 5)",
    "race_stable_cells_far_fewer": "paper: 'For a structured dataset, the number of stable cells is much smaller than the total number of cells' (Conj. 3.7, App. D)",
    "race_angle_faster_than_norm": "paper: vectors far from their targets 'will receive updates on their angles that are orders of magnitude higher than updates on their norms' (Lemma 3.9, Fig 6)",
    "race_asynchronous_unlocking": "paper: 'Unlocking thus happens at different times for the different groups of neurons in the network' (Note 3)",
    "race_lateral_inhibition": "paper: 'If one neuron decreases the error through an increase in its norm, it exerts a lateral inhibition on the growth of the other neurons in the group' (Conj. 3.12)",
    "race_imp_better_within_clusters": "paper: early alignment predicts IMP's pruning, and 'this works even better if we can split the neurons based on their clusters' (Sec. 5)",
}
assert set(PAPER) == set(CLAIM_IDS)


def _g(x):
    return f"{x:.3g}"


def _runs_of(df, main):
    return df[(df["n"] == main["n"]) & (df["width"] == main["width"]) & np.isclose(df["sigma"], main["sigma"])]


def _other_sigmas(df, main):
    """{sigma: rows} of the settings at the main n and width with another sigma (the init-scale nulls)."""
    sel = df[(df["n"] == main["n"]) & (df["width"] == main["width"]) & ~np.isclose(df["sigma"], main["sigma"])]
    return {s: g for s, g in sorted(sel.groupby("sigma"))}


def _verdict(ok):
    return "supported" if ok else "not supported"


def welch_interval(a, b, level: float = 0.95):
    """(mean(b) - mean(a), low, high): Welch's t interval of the difference of means, or None
    with fewer than 2 values in either group. Zero spread in both gives the point itself."""
    from scipy.stats import t as student

    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return None
    diff = b.mean() - a.mean()
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = student.ppf(0.5 + level / 2, df) * se
    return diff, diff - half, diff + half


def silent_alignment(al, t: ClaimSettings):
    """(ok, angles before the drop per run, numbers) for one setting's alignment rows, or None
    without a before-drop checkpoint. Rule: median angle before the drop <= max_aligned_angle
    and below the 1% quantile of the init angles (random directions to the same targets), and
    median |w||v| before the drop <= max_norm_share_before_drop of its final value."""
    bd = al[(al["time"] == "before_drop") & (al["step"] >= 0)].set_index("seed")
    ini = al[al["time"] == "init"].set_index("seed")
    seeds = bd.index.intersection(ini.index)
    if seeds.empty:
        return None
    bd, ini = bd.loc[seeds], ini.loc[seeds]
    angle = bd["median_angle"]
    null_q01 = ini["angle_q01"].median()
    share = (bd["median_wv_norm"] / bd["final_median_wv_norm"]).median()
    ok = bool(angle.median() <= t.max_aligned_angle and angle.median() < null_q01
              and share <= t.max_norm_share_before_drop)
    return ok, angle, {
        "angle": angle.median(), "null_q01": null_q01, "norm_share": share,
        "wv_growth": (bd["median_wv_norm"] / ini["median_wv_norm"]).median(),
        "w_growth": (bd["median_w_norm"] / ini["median_w_norm"]).median(),
        "steps": bd["step"].astype(int).tolist(),
    }


def exponential(al, t: ClaimSettings):
    """(ok, bulk R^2 per run, numbers) at the early checkpoint, or None without one. Rule: median
    Spearman <= max_spearman, median bulk R^2 >= min_bulk_r2, the exponential fits the bulk
    better than the power law in the median run, and the bulk slope is negative."""
    ea = al[(al["time"] == "early") & (al["step"] >= 0)]
    if ea.empty:
        return None
    r2, margin = ea["bulk_r2"], (ea["bulk_r2"] - ea["power_r2"]).median()
    rho, slope = ea["spearman"].median(), ea["bulk_slope"].median()
    ok = bool(rho <= t.max_spearman and r2.median() >= t.min_bulk_r2 and margin > 0 and slope < 0)
    return ok, r2, {"r2": r2.median(), "power_r2": ea["power_r2"].median(), "spearman": rho, "slope": slope,
                    "all_r2": ea["r2"].median(), "all_slope": ea["slope_per_degree"].median(),
                    "bulk": int(ea["bulk_neurons"].median()), "bulk_max_angle": float(ea["bulk_max_angle"].iloc[0]),
                    "steps": ea["step"].astype(int).tolist()}


def angle_per_norm(al, t: ClaimSettings):
    """(ok, angle per norm per run at the early checkpoint, numbers) or None without one."""
    ea = al[(al["time"] == "early") & (al["step"] >= 0)]
    ini = al[al["time"] == "init"]
    if ea.empty:
        return None
    v = ea["angle_per_norm"]
    return bool(v.median() >= t.min_angle_per_norm), v, {"median": v.median(), "w0": ini["median_w_norm"].median()}


def _null_note(results, describe):
    """'; nulls: sigma X: ... -> fails' for the other init scales of the experiment."""
    parts = [f"sigma {_g(s)}: {describe(r[2])} -> {'passes' if r[0] else 'fails'}" for s, r in results.items() if r]
    return f"; larger inits (same rule): {'; '.join(parts)}" if parts else ""


def judge(experiment: str, main: dict, alignment, counts, merge, imp, cells, t: ClaimSettings = ClaimSettings()) -> list[dict]:
    """Claim rows of one experiment. main: {n, width, sigma} of its main setting; the tables are
    DataFrames of race-alignment, race-clusters (counts, merge), race-imp (summary), race-cells."""
    rows = []

    def add(claim, statistic, value, lo, hi, threshold, ok, detail):
        verdict = "not tested" if ok is None else _verdict(ok)
        detail = f"{detail}; {PAPER[claim]}" if detail else PAPER[claim]
        rows.append(row(claim, experiment, statistic, value, lo, hi, threshold, verdict, detail))

    def untested(claim, statistic, threshold, reason):
        rows.append(row(claim, experiment, statistic, math.nan, math.nan, math.nan, threshold, "not tested",
                        f"{reason}; {PAPER[claim]}"))

    al = _runs_of(alignment, main)
    by_time = {t_: al[al["time"] == t_] for t_ in ("init", "early", "before_drop")}
    others = _other_sigmas(alignment, main)

    # 1. outgoing weights aligned before the drop
    c, st, th = "race_outgoing_aligned_before_drop", "share of live neurons with |cos(v_i, (1,-1))| >= align_cos at the last checkpoint before the loss drop", f"median over runs >= {t.min_aligned_share:g}"
    bd = by_time["before_drop"]
    bd = bd[bd["step"] >= 0]
    ini = by_time["init"]
    if bd.empty:
        untested(c, st, th, "no run has a checkpoint before the loss drop (the drop came before the first checkpoint)")
    else:
        v = bd["aligned_share"]
        add(c, st, v.median(), v.min(), v.max(), th, v.median() >= t.min_aligned_share,
            f"{len(v)} runs; before-drop steps {', '.join(map(str, bd['step'].astype(int)))}; at init (random "
            f"2-d directions) {_g(ini['aligned_share'].median()) if not ini.empty else 'n/a'}")

    # 2. silent alignment
    c, st = "race_silent_alignment", "median angle (deg) of w_i to its cell's target at the last checkpoint before the loss drop"
    th = (f"<= {t.max_aligned_angle:g} and below the 1% quantile of the init angles (random directions), while median "
          f"|w||v| before the drop <= {t.max_norm_share_before_drop:g} x its final value")
    res = silent_alignment(al, t)
    if res is None:
        untested(c, st, th, "no checkpoint before the loss drop")
    else:
        ok, angle, x = res
        note = _null_note({s: silent_alignment(g, t) for s, g in others.items()},
                          lambda y: f"angle {_g(y['angle'])} deg at step {min(y['steps'])}, norm share {_g(y['norm_share'])}")
        add(c, st, angle.median(), angle.min(), angle.max(), th, ok,
            f"random directions (init): 1% quantile {_g(x['null_q01'])} deg; median |w||v| before the drop "
            f"{_g(x['norm_share'])} of its final value (grown {_g(x['wv_growth'])}x from init, |w| {_g(x['w_growth'])}x, "
            f"where rotating from 90 deg to {_g(x['angle'])} deg alone gives |w| 1/sin = {_g(1 / math.sin(math.radians(x['angle'])))}x)"
            f"{note}")

    # 3-5. norm vs alignment
    ea, it = by_time["early"], by_time["init"]
    ea = ea[ea["step"] >= 0]
    c = "race_norm_exponential_in_alignment"
    st = "R^2 of log(final |w_i||v_i|) = a + k angle at the early checkpoint, neurons below the bulk angle"
    th = (f"median >= {t.min_bulk_r2:g} and above the power law's (log norm = a + p log angle) on the same neurons, "
          f"slope < 0, Spearman <= {t.max_spearman:g}")
    res = exponential(al, t)
    if res is None:
        untested(c, st, th, "no run reached the early checkpoint (see align_frac, align_cos)")
    else:
        ok, r2, x = res
        note = _null_note({s: exponential(g, t) for s, g in others.items()},
                          lambda y: f"R^2 {_g(y['r2'])} vs power law {_g(y['power_r2'])}")
        add(c, st, r2.median(), r2.min(), r2.max(), th, ok,
            f"{x['bulk']} neurons below {_g(x['bulk_max_angle'])} deg: final norm ~ exp({_g(x['slope'])} x angle/deg), "
            f"R^2 {_g(x['r2'])} vs power law {_g(x['power_r2'])}; all neurons: slope {_g(x['all_slope'])}, R^2 "
            f"{_g(x['all_r2'])}; Spearman {_g(x['spearman'])}; early steps "
            f"{', '.join(map(str, x['steps']))}{note}")
    c, st = "race_init_alignment_predicts_norm", "Spearman(angle at init, log final |w_i||v_i|) over neurons"
    th = f"median over runs <= {t.max_spearman_init:g}"
    if it.empty:
        untested(c, st, th, "no finished run")
    else:
        v = it["spearman"]
        add(c, st, v.median(), v.min(), v.max(), th, v.median() <= t.max_spearman_init, f"{len(v)} runs")
    c, st = "race_early_alignment_predicts_better", "Spearman at the early checkpoint minus Spearman at init (per run)"
    th = "< 0 in every run (early angles rank final norms better)"
    if ea.empty or it.empty:
        untested(c, st, th, "no run reached the early checkpoint")
    else:
        m = ea.set_index("seed")["spearman"] - it.set_index("seed")["spearman"]
        m = m.dropna()
        add(c, st, m.median(), m.min(), m.max(), th, bool((m < 0).all()) if len(m) else None,
            f"init {_g(it['spearman'].median())}, early {_g(ea['spearman'].median())}, before the drop "
            f"{_g(bd['spearman'].median()) if not bd.empty else 'n/a'} (medians)")

    # 6-8. clusters
    th_c = t.cluster_threshold
    carry = CARRY_SHARES[t.carry_share]
    end = counts[(counts["time"] == "end") & np.isclose(counts["threshold"], th_c)]
    mine = _runs_of(end, main)
    c, st = "race_clusters_fewer_than_neurons", f"clusters (cos-sim {th_c:g}) / neurons at the end of training"
    th = f"median over runs <= {t.max_cluster_share:g}"
    if mine.empty:
        untested(c, st, th, f"no cluster counts at threshold {th_c:g} (race.clusters.thresholds)")
    else:
        v = mine["clusters"] / mine["neurons"]
        add(c, st, v.median(), v.min(), v.max(), th, v.median() <= t.max_cluster_share,
            f"{int(mine['neurons'].iloc[0])} neurons -> {_g(mine['clusters'].median())} clusters (median), of which "
            f"{_g(mine[carry].median())} carry {t.carry_share:g} of sum |u||v|")
    for claim, key, fixed in (("race_clusters_rise_with_n", "n", ("width", "sigma")),
                              ("race_clusters_rise_with_sigma", "sigma", ("n", "width"))):
        sel = end
        for f in fixed:
            sel = sel[np.isclose(sel[f], main[f])]
        groups = {k: g for k, g in sorted(sel.groupby(key))}
        st = (f"clusters carrying {t.carry_share:g} of sum |u_i||v_i| (cos-sim {th_c:g}, end): mean at the largest "
              f"minus at the smallest {key}, {t.interval_level:.0%} Welch interval over runs")
        th = "interval above 0"
        if len(groups) < 2:
            untested(claim, st, th, f"the experiment trains a single {key} at its main {' and '.join(fixed)} (race.experiments: vary_{'sigma' if key == 'sigma' else key})")
            continue
        lo_key, hi_key = min(groups), max(groups)
        res = welch_interval(groups[lo_key][carry], groups[hi_key][carry], t.interval_level)
        per = "; ".join(f"{key} {_g(k)}: {_g(g[carry].mean())} carrying, {_g(g['clusters'].mean())} in all"
                        for k, g in groups.items())
        detail = f"{per} (means over runs; d = {int(main['width'])})"
        if res is None:
            untested(claim, st, th, f"fewer than 2 runs per setting: no interval over runs; {detail}")
            continue
        diff, lo, hi = res
        add(claim, st, diff, lo, hi, th, bool(lo > 0), detail)

    # 9. merging lossless
    c, st = "race_merging_lossless", f"largest relative change of train or test loss merging clusters (cos-sim {th_c:g}), every run and setting"
    th = f"<= {t.max_merge_loss_change:g}, and |train or test accuracy change| <= {t.max_merge_acc_change:g}"
    mg = merge[np.isclose(merge["threshold"], th_c)]
    if mg.empty:
        untested(c, st, th, f"no merge at threshold {th_c:g}")
    else:
        def rel(after, split):
            return ((mg[after] - mg[f"{split}_loss_before"]) / mg[f"{split}_loss_before"]).abs()

        dloss = np.maximum(rel("train_loss_after", "train"), rel("test_loss_after", "test"))
        dacc = np.maximum((mg["train_acc_after"] - mg["train_acc_before"]).abs(),
                          (mg["test_acc_after"] - mg["test_acc_before"]).abs())
        null = np.maximum(rel("null_train_loss_after", "train"), rel("null_test_loss_after", "test"))
        null_ok = (null <= t.max_merge_loss_change).mean()
        add(c, st, dloss.max(), dloss.min(), dloss.max(), th,
            bool(dloss.max() <= t.max_merge_loss_change and dacc.max() <= t.max_merge_acc_change),
            f"{len(mg)} networks; largest accuracy change {_g(dacc.max())}; neurons {_g(mg['neurons'].median())} -> "
            f"{_g(mg['clusters'].median())} (median); null (random regrouping, same sizes): median relative loss "
            f"change {_g(null.median())}, {null_ok:.0%} of networks within the threshold")

    # 10. IMP
    c, st = "race_early_alignment_predicts_imp", f"Spearman(early angle, weights pruned per neuron) by IMP to {t.imp_sparsity:g} sparsity"
    th = f"median over runs >= {t.min_imp_spearman:g}"
    sel = imp[np.isclose(imp["sparsity"], t.imp_sparsity)] if imp is not None and len(imp) else None
    if sel is None or sel.empty:
        untested(c, st, th, f"IMP did not run at sparsity {t.imp_sparsity:g} (race.imp.sparsities)")
    else:
        v = sel["spearman_early"]
        others_imp = "; ".join(f"{_g(p)}: {_g(g['spearman_early'].median())}" for p, g in imp.groupby("sparsity"))
        add(c, st, v.median(), v.min(), v.max(), th, v.median() >= t.min_imp_spearman,
            f"Spearman by sparsity {others_imp}; ticket test accuracy {_g(sel['ticket_test_acc'].median())} vs "
            f"unpruned {_g(sel['unpruned_test_acc'].median())}")

    # 11. stable cells
    c, st = "race_stable_cells_far_fewer", "attractors of App. D's probe iteration (fixed points + 2-cycles, both alignments) / distinct cells the probes started in"
    th = (f"<= {t.max_stable_share:g}, >= {t.min_settled_share:g} of the live probes settled, and fewer patterns at "
          f"the plateau than every shuffled-label null")
    cl = cells[cells["n"] == main["n"]] if cells is not None else None
    if cl is None or cl.empty:
        untested(c, st, th, f"no stable-cell estimate at n = {main['n']}")
    else:
        task, null = cl[cl["labels"] == "task"], cl[cl["labels"] == "shuffled"]
        fixed, cycles = int(task["fixed_points"].sum()), int(task["cycles"].sum())
        attractors, start = fixed + cycles, task["initial_patterns"].sum()
        settled = task["settled_probes"].sum() / max(task["live_probes"].sum(), 1)
        detail = (f"{fixed} fixed points + {cycles} 2-cycles ({int(task['stable_cells'].sum())} patterns at the plateau) vs "
                  f"{int(start)} cells among {int(task['probes'].iloc[0])} probes per alignment, {settled:.0%} of the "
                  f"live probes settled; log10 of Cover's cell count {_g(task['log10_cells_cover'].iloc[0])}")
        if null.empty:
            untested(c, st, th, f"no shuffled-label null (race.cells.null_shuffles is 0): the count alone cannot tell "
                                f"the task from its inputs; {detail}")
        else:
            # the null's plateau count, not its attractors: shuffled labels that never settle have
            # few attractors but a plateau near the number of probes
            per = null.groupby("shuffle")["stable_cells"].sum()
            null_attr = null.groupby("shuffle")[["fixed_points", "cycles"]].sum().sum(axis=1)
            plateau = int(task["stable_cells"].sum())
            ok = bool(attractors >= 1 and settled >= t.min_settled_share and attractors / start <= t.max_stable_share
                      and plateau < per.min())
            add(c, st, attractors / start, math.nan, math.nan, th, ok,
                f"{detail}; shuffled labels ({len(per)} permutations): {int(per.min())}-{int(per.max())} patterns at the "
                f"plateau, {int(null_attr.min())}-{int(null_attr.max())} attractors, "
                f"{int(null['fixed_points'].sum())} fixed points in all")

    # 12. angle updates faster than norm updates
    c = "race_angle_faster_than_norm"
    st = "median over neurons of the angle fallen (rad) per unit of |w_i| grown, init to the early checkpoint"
    th = f"median over runs >= {t.min_angle_per_norm:g} (rad per unit norm: 1/|w| scale, so it depends on sigma)"
    res = angle_per_norm(al, t)
    if res is None:
        untested(c, st, th, "no run reached the early checkpoint")
    else:
        ok, v, x = res
        note = _null_note({s: angle_per_norm(g, t) for s, g in others.items()}, lambda y: _g(y["median"]))
        add(c, st, v.median(), v.min(), v.max(), th, ok,
            f"median |w| at init {_g(x['w0'])}: unit-free, about {_g(v.median() * x['w0'])} rad per relative norm "
            f"change{note}")

    # 13-14. unlocking and lateral inhibition of the groups that carry the norm
    dyn = _runs_of(end, main)
    c, st = "race_asynchronous_unlocking", "latest / earliest unlocking step of the groups carrying the norm (10% of a group's final sum |w||v|)"
    th = f"median over runs >= {t.min_unlock_ratio:g}"
    multi = dyn[dyn["groups"] >= 2] if not dyn.empty else dyn
    if multi.empty:
        untested(c, st, th, "fewer than 2 groups carry the norm (or no cluster counts at the claims' threshold)")
    else:
        v = multi["unlock_last"].clip(lower=1) / multi["unlock_first"].clip(lower=1)  # a group unlocked at init: step 1
        add(c, st, v.median(), v.min(), v.max(), th, bool(v.median() >= t.min_unlock_ratio),
            f"{int(multi['groups'].median())} groups (median); unlocking steps "
            f"{', '.join(f'{int(a)}-{int(b)}' for a, b in zip(multi['unlock_first'], multi['unlock_last']))} per run")
    c = "race_lateral_inhibition"
    st = "followers' growth rate after / before their group's leader unlocks (median over groups and runs)"
    th = (f"<= {t.max_follower_slowdown:g}, and <= {t.max_lateral_ratio:g} x the same ratio of the other groups' "
          f"members over the same window")
    sel = dyn[np.isfinite(dyn["follower_slowdown"])] if not dyn.empty else dyn
    if sel.empty:
        untested(c, st, th, "no group with a leader and followers")
    else:
        f, o = sel["follower_slowdown"], sel["other_slowdown"]
        lateral = (f / o).median() if np.isfinite(o).any() else math.nan
        ok = bool(f.median() <= t.max_follower_slowdown and np.isfinite(lateral) and lateral <= t.max_lateral_ratio)
        add(c, st, f.median(), f.min(), f.max(), th, ok,
            f"the other groups' members over the same window: {_g(o.median())} (followers / others {_g(lateral)}); a "
            f"slowdown they share is global (the loss falls for all), not lateral; unlocking steps "
            f"{', '.join(f'{int(a)}-{int(b)}' for a, b in zip(sel['unlock_first'], sel['unlock_last']))}")

    # 15. IMP split by clusters
    c = "race_imp_better_within_clusters"
    st = f"median within-cluster Spearman(early angle, weights pruned) by IMP to {t.imp_sparsity:g} sparsity"
    th = "above the Spearman over all neurons and above the 95% quantile of random regroupings of the same sizes"
    sel = imp[np.isclose(imp["sparsity"], t.imp_sparsity)] if imp is not None and len(imp) else None
    if sel is None or sel.empty or not np.isfinite(sel["spearman_within"]).any():
        untested(c, st, th, f"no IMP at sparsity {t.imp_sparsity:g}, or no cluster with enough members")
    else:
        v = sel["spearman_within"]
        ok = bool(v.median() > sel["spearman_early"].median() and v.median() > sel["spearman_within_null_q95"].median())
        add(c, st, v.median(), v.min(), v.max(), th, ok,
            f"all neurons {_g(sel['spearman_early'].median())}; random regroupings (95% quantile) "
            f"{_g(sel['spearman_within_null_q95'].median())}; {int(sel['within_clusters'].median())} clusters used")
    return rows
