"""Claims rows of the race study (docs/race.md, Claims and their thresholds), judged from the analysis tables.

Each row uses the shared row type (`lottery_scaling.claims.row`); ids start with `race_`. Values
are medians over the runs of the experiment's main setting (n, width, sigma) unless the
statistic says otherwise; the interval columns hold the range (min, max) over runs. The
paper's own statement stands in `detail` beside the numbers. A claim the configured runs
cannot judge (no second n, an IMP sparsity not run, no before-drop snapshot, ...) is
"not tested" with the reason.
"""

from __future__ import annotations

import math

import numpy as np

from lottery_scaling.claims import row

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
    "race_stable_cells_far_fewer": "paper: 'the number of stable cells is much smaller than the total number of cells' (Conj. 3.7, App. D)",
}
assert set(PAPER) == set(CLAIM_IDS)


def _g(x):
    return f"{x:.3g}"


def _runs_of(df, main):
    return df[(df["n"] == main["n"]) & (df["width"] == main["width"]) & np.isclose(df["sigma"], main["sigma"])]


def _verdict(ok):
    return "supported" if ok else "not supported"


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

    # 1. outgoing weights aligned before the drop
    c, st, th = "race_outgoing_aligned_before_drop", "share of live neurons with |cos(v_i, (1,-1))| >= align_cos at the last checkpoint before the loss drop", f"median over runs >= {t.min_aligned_share:g}"
    bd = by_time["before_drop"]
    bd = bd[bd["step"] >= 0]
    if bd.empty:
        untested(c, st, th, "no run has a checkpoint before the loss drop (the drop came before the first checkpoint)")
    else:
        v = bd["aligned_share"]
        add(c, st, v.median(), v.min(), v.max(), th, v.median() >= t.min_aligned_share,
            f"{len(v)} runs; before-drop steps {', '.join(map(str, bd['step'].astype(int)))}")

    # 2. silent alignment
    c, st = "race_silent_alignment", "median angle (deg) of w_i to its cell's target at the last checkpoint before the loss drop"
    th = (f"median at init >= {t.min_init_angle:g}, before the drop <= {t.max_aligned_angle:g}, "
          f"and median |w||v| grows >= {t.min_norm_growth:g}x from there to the end")
    ini = by_time["init"]
    if bd.empty or ini.empty:
        untested(c, st, th, "no checkpoint before the loss drop")
    else:
        a0, a1 = ini["median_angle"].median(), bd["median_angle"]
        growth = (bd["final_median_wv_norm"] / bd["median_wv_norm"]).median()
        ok = a0 >= t.min_init_angle and a1.median() <= t.max_aligned_angle and growth >= t.min_norm_growth
        add(c, st, a1.median(), a1.min(), a1.max(), th, ok,
            f"median angle at init {_g(a0)} deg; median |w||v| grows {_g(growth)}x after the drop")

    # 3-5. norm vs alignment
    ea, it = by_time["early"], by_time["init"]
    ea = ea[ea["step"] >= 0]
    c, st = "race_norm_exponential_in_alignment", "Spearman(angle at the early checkpoint, log final |w_i||v_i|) over neurons"
    th = f"median over runs <= {t.max_spearman:g} and fitted log-norm slope < 0"
    if ea.empty:
        untested(c, st, th, "no run reached the early checkpoint (see align_frac, align_cos)")
    else:
        v = ea["spearman"]
        k = ea["slope_per_degree"].median()
        add(c, st, v.median(), v.min(), v.max(), th, v.median() <= t.max_spearman and k < 0,
            f"final norm ~ exp({_g(k)} x angle/deg), R^2 {_g(ea['r2'].median())}; early steps "
            f"{', '.join(map(str, ea['step'].astype(int)))}")
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
    end = counts[(counts["time"] == "end") & np.isclose(counts["threshold"], th_c)]
    mine = _runs_of(end, main)
    c, st = "race_clusters_fewer_than_neurons", f"clusters (cos-sim {th_c:g}) / neurons at the end of training"
    th = f"median over runs <= {t.max_cluster_share:g}"
    if mine.empty:
        untested(c, st, th, f"no cluster counts at threshold {th_c:g} (race.clusters.thresholds)")
    else:
        v = mine["clusters"] / mine["neurons"]
        add(c, st, v.median(), v.min(), v.max(), th, v.median() <= t.max_cluster_share,
            f"{int(mine['neurons'].iloc[0])} neurons -> {_g(mine['clusters'].median())} clusters (median)")
    for claim, key, fixed in (("race_clusters_rise_with_n", "n", ("width", "sigma")),
                              ("race_clusters_rise_with_sigma", "sigma", ("n", "width"))):
        sel = end
        for f in fixed:
            sel = sel[np.isclose(sel[f], main[f])]
        means = sel.groupby(key)["clusters"].mean().sort_index()
        st = f"mean clusters (cos-sim {th_c:g}, end) at the largest / at the smallest {key}"
        th = f"means non-decreasing in {key} and largest > smallest"
        if len(means) < 2:
            untested(claim, st, th, f"the experiment trains a single {key} at its main {' and '.join(fixed)} (race.experiments: vary_{'sigma' if key == 'sigma' else key})")
            continue
        ok = bool(np.all(np.diff(means.values) >= 0) and means.values[-1] > means.values[0])
        add(claim, st, means.values[-1] / means.values[0], math.nan, math.nan, th, ok,
            "; ".join(f"{key} {_g(k)}: {_g(v)}" for k, v in means.items()))

    # 9. merging lossless
    c, st = "race_merging_lossless", f"largest |test accuracy after - before| merging clusters (cos-sim {th_c:g}), every run and setting"
    th = f"<= {t.max_merge_acc_change:g}, and relative test-loss change <= {t.max_merge_loss_change:g}"
    mg = merge[np.isclose(merge["threshold"], th_c)]
    if mg.empty:
        untested(c, st, th, f"no merge at threshold {th_c:g}")
    else:
        dacc = (mg["test_acc_after"] - mg["test_acc_before"]).abs()
        dloss = ((mg["test_loss_after"] - mg["test_loss_before"]) / mg["test_loss_before"]).abs()
        add(c, st, dacc.max(), dacc.min(), dacc.max(), th,
            dacc.max() <= t.max_merge_acc_change and dloss.max() <= t.max_merge_loss_change,
            f"{len(mg)} networks; largest relative test-loss change {_g(dloss.max())}; neurons "
            f"{_g(mg['neurons'].median())} -> {_g(mg['clusters'].median())} (median)")

    # 10. IMP
    c, st = "race_early_alignment_predicts_imp", f"Spearman(early angle, weights pruned per neuron) by IMP to {t.imp_sparsity:g} sparsity"
    th = f"median over runs >= {t.min_imp_spearman:g}"
    sel = imp[np.isclose(imp["sparsity"], t.imp_sparsity)] if imp is not None and len(imp) else None
    if sel is None or sel.empty:
        untested(c, st, th, f"IMP did not run at sparsity {t.imp_sparsity:g} (race.imp.sparsities)")
    else:
        v = sel["spearman_early"]
        others = "; ".join(f"{_g(p)}: {_g(g['spearman_early'].median())}" for p, g in imp.groupby("sparsity"))
        add(c, st, v.median(), v.min(), v.max(), th, v.median() >= t.min_imp_spearman,
            f"Spearman by sparsity {others}; ticket test accuracy {_g(sel['ticket_test_acc'].median())} vs "
            f"unpruned {_g(sel['unpruned_test_acc'].median())}")

    # 11. stable cells
    c, st = "race_stable_cells_far_fewer", "stable cells (App. D probes, both alignments) / distinct cells the probes started in"
    th = f"<= {t.max_stable_share:g}"
    cl = cells[cells["n"] == main["n"]] if cells is not None else None
    if cl is None or cl.empty:
        untested(c, st, th, f"no stable-cell estimate at n = {main['n']}")
    else:
        stable, start = cl["stable_cells"].sum(), cl["initial_patterns"].sum()
        add(c, st, stable / start, math.nan, math.nan, th, stable / start <= t.max_stable_share,
            f"{int(stable)} stable cells vs {int(start)} cells among {int(cl['probes'].iloc[0])} probes per alignment; "
            f"log10 of Cover's cell count {_g(cl['log10_cells_cover'].iloc[0])}")
    return rows
