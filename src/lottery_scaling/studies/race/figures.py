"""Figures of the race study (paper Figs 1, 3a, 3b, 4, 5, 8), drawn from runs files and the
analysis tables; saved by `lottery_scaling.plotting.save`.

Norms are |w_i| |v_i| at the end of training (log axis); angles in degrees between w_i and its
current cell's target (see `_kernels`); steps are optimiser steps (batch 4; log axis).
"""

from __future__ import annotations

import numpy as np

from lottery_scaling.plotting import pyplot

from .alignment import checkpoint_index, final_norm
from .settings import AlignmentSettings
from .trainer import SNAPSHOTS

TIME_LABELS = {"init": "at initialisation", "early": "at the early checkpoint", "before_drop": "before the loss drop",
               "end": "at the end"}
SHORT_LABELS = {"init": "at init", "early": "early", "before_drop": "before the drop", "end": "at the end"}
TICKS = {"init": "initialisation", "before_drop": "before the drop", "end": "end"}


def _angles(runs, r, time):
    step = int(runs.snap["step"][r, SNAPSHOTS.index(time)])
    k = checkpoint_index(runs.ckpt_step[r], step)
    return step, (runs.neuron["angle"][r, k] if k is not None else None)


def _scatter(ax, angle, norm, vmin, vmax, plt):
    from matplotlib.colors import LogNorm

    ok = np.isfinite(angle) & (norm > 0)
    order = np.argsort(norm[ok])
    return ax.scatter(angle[ok][order], norm[ok][order], c=norm[ok][order], s=9, cmap="viridis_r",
                      norm=LogNorm(vmin, vmax), linewidths=0)


def norm_vs_alignment(runs, r=0, times=("init", "early", "before_drop"), members=None, fit=False, title="",
                      bulk_max_angle=AlignmentSettings().bulk_max_angle):
    """Final norm vs angle at each time (Fig 1 with `members` = the largest cluster; Fig 4 with fit:
    the exponential and the power-law fits of the bulk, angle < bulk_max_angle, drawn over it)."""
    from scipy.stats import spearmanr

    from .alignment import bulk_fits

    plt = pyplot()
    norm = final_norm(runs.neuron, runs.ckpt_step[r], r)
    sel = np.ones(norm.size, bool) if members is None else members
    pos = norm[sel & (norm > 0)]
    vmin, vmax = (pos.min(), pos.max()) if pos.size else (1e-12, 1.0)
    fig, axes = plt.subplots(1, len(times), figsize=(4.2 * len(times), 3.6), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, time in zip(axes[0], times):
        step, angle = _angles(runs, r, time)
        ax.set_xlabel("angle to target (deg)")
        if angle is None:
            ax.text(0.5, 0.5, "not reached", transform=ax.transAxes, ha="center")
            continue
        a, nrm = angle[sel], norm[sel]
        sc = _scatter(ax, a, nrm, vmin, vmax, plt)
        ok = np.isfinite(a) & (nrm > 0)
        rho = spearmanr(a[ok], np.log(nrm[ok]))[0] if ok.sum() > 2 else np.nan
        ax.set_yscale("log")
        ax.set_title(f"{SHORT_LABELS[time]} (step {step})\nSpearman(angle, log norm) {rho:.2f}", fontsize=9)
        f = bulk_fits(a[ok], np.log(nrm[ok]), bulk_max_angle) if ok.sum() > 2 else {"bulk_neurons": 0}
        if fit and f["bulk_neurons"] >= max(3, ok.sum() // 4):  # at init nearly all angles sit near 90: no bulk
            in_bulk = (a[ok] > 0) & (a[ok] < bulk_max_angle)
            bulk, log_norm = a[ok][in_bulk], np.log(nrm[ok])[in_bulk]
            xs = np.linspace(bulk.min(), bulk.max(), 50)
            ax.plot(xs, np.exp(f["bulk_intercept"] + f["bulk_slope"] * xs), color="#d62728", lw=1.4,
                    label=f"exp fit below {bulk_max_angle:g} deg: {f['bulk_slope']:.3g}/deg, R$^2$ {f['bulk_r2']:.2f}")
            p, c = np.polyfit(np.log(bulk), log_norm, 1)
            ax.plot(xs, np.exp(c) * xs ** p, color="#1f77b4", lw=1.2, ls="--",
                    label=f"power law (alternative): R$^2$ {f['power_r2']:.2f}")
            ax.axvspan(bulk_max_angle, max(np.nanmax(a[ok]), bulk_max_angle) + 1, color="0.9", lw=0, zorder=0,
                       label="left out of the fits")
            ax.legend(fontsize=6.5, loc="lower left")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(r"final norm $|w_i|\,|v_i|$")
    fig.colorbar(sc, ax=axes[0].tolist(), label="final norm", pad=0.01)
    fig.suptitle(title, fontsize=10)
    return fig


def _mean_interval(values, level=0.95):
    """(mean, half-width of the t interval of the mean); half-width 0 with one value."""
    from scipy.stats import t as student

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return (v.mean() if v.size else np.nan), 0.0
    return v.mean(), student.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)


def clusters_vs_n(counts, threshold, sigma, title="", carry_share=0.99, level=0.95):
    """Fig 3a: clusters at the end vs n, one line per width (mean and t interval over runs): all
    clusters, and the clusters carrying `carry_share` of sum |u_i||v_i|; dashed: y = d."""
    from .clusters import CARRY_SHARES

    plt = pyplot()
    df = counts[(counts["time"] == "end") & np.isclose(counts["threshold"], threshold) & np.isclose(counts["sigma"], sigma)]
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.6), sharey=True, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ns = sorted(df["n"].unique())
    for ax, col, what in ((axes[0], "clusters", "all clusters"),
                          (axes[1], CARRY_SHARES[carry_share], f"clusters carrying {carry_share:g} of sum |u||v|")):
        for j, (width, g) in enumerate(sorted(df.groupby("width"))):
            s = {n: _mean_interval(h[col], level) for n, h in g.groupby("n")}
            xs = sorted(s)
            ax.errorbar(xs, [s[n][0] for n in xs], yerr=[s[n][1] for n in xs], marker="o", capsize=3,
                        color=colors[j % len(colors)], label=f"d = {width}")
            ax.axhline(width, color=colors[j % len(colors)], ls="--", lw=0.9, alpha=0.7)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ns, [str(int(n)) for n in ns])
        ax.minorticks_off()
        ax.set_xlabel("training samples n (log axis)")
        ax.set_title(what, fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(f"clusters at the end (cos-sim {threshold:g})")
    axes[0].legend(fontsize=8, title=f"dashed: y = d; bars: {level:.0%} interval", title_fontsize=7)
    fig.suptitle(title or f"clusters vs n (sigma {sigma:g})", fontsize=10)
    return fig


def clusters_vs_time(counts, threshold, n, width, title=""):
    """Fig 3b: clusters at init, before the drop and at the end, one line per sigma; the legend
    gives each sigma's before-drop steps (with a large init the loss drops almost at once, and
    'before the drop' is then effectively the initialisation)."""
    plt = pyplot()
    times = ("init", "before_drop", "end")
    df = counts[np.isclose(counts["threshold"], threshold) & (counts["n"] == n) & (counts["width"] == width)]
    fig, ax = plt.subplots(figsize=(5.4, 3.8), layout="constrained")
    for sigma, g in sorted(df.groupby("sigma")):
        s = g.groupby("time")["clusters"].agg(["mean", "std"]).reindex(times)
        steps = sorted(set(g[(g["time"] == "before_drop") & (g["step"] >= 0)]["step"].astype(int)))
        span = f"{steps[0]}" if len(steps) == 1 else f"{steps[0]}-{steps[-1]}" if steps else "none"
        same = (g[g["time"] == "before_drop"]["clusters"].values == g[g["time"] == "init"]["clusters"].values).all()
        ax.errorbar(range(3), s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3,
                    label=f"sigma = {sigma:g}: before the drop = step {span}" + (" (count as at init)" if same else ""))
    ax.set_xticks(range(3), [TICKS[t] for t in times])
    ax.set_ylabel(f"clusters (cos-sim {threshold:g})")
    ax.set_yscale("log")
    ax.set_title(title or f"clusters over training (n {n}, d {width})", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower left")
    return fig


def pruned_vs_alignment(neurons, seed=None, title=""):
    """Fig 5: weights pruned per neuron by IMP vs the neuron's early angle, one panel per sparsity."""
    from scipy.stats import spearmanr

    plt = pyplot()
    seed = neurons["seed"].min() if seed is None else seed
    df = neurons[neurons["seed"] == seed]
    sparsities = sorted(df["sparsity"].unique())
    fig, axes = plt.subplots(1, len(sparsities), figsize=(3.6 * len(sparsities), 3.2), sharey=True, squeeze=False)
    for ax, p in zip(axes[0], sparsities):
        g = df[(df["sparsity"] == p) & np.isfinite(df["early_angle"])]
        sc = ax.scatter(g["early_angle"], g["pruned"], c=np.log10(g["final_norm"].clip(lower=1e-300)), s=9,
                        cmap="viridis_r", linewidths=0)
        rho = spearmanr(g["early_angle"], g["pruned"])[0] if len(g) > 2 else np.nan
        ax.set_title(f"IMP to {p:.0%} sparsity: Spearman {rho:.2f}", fontsize=9)
        ax.set_xlabel("angle to target, early (deg)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("weights pruned per neuron")
    fig.colorbar(sc, ax=axes[0].tolist(), label="log10 final norm (unpruned run)", pad=0.01)
    fig.suptitle(title, fontsize=10, y=1.03)
    return fig


def training_curves(runs, title=""):
    """Fig 8: training loss, accuracies and median angle vs step, every run; snapshot steps marked."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for r, seed in enumerate(runs.seed):
        ok = runs.ckpt_step[r] > 0  # log axis: step 0 left out
        st = runs.ckpt_step[r][ok]
        col = colors[r % len(colors)]
        axes[0].plot(st, runs.run["train_loss"][r][ok], color=col, label=f"run {seed}")
        axes[1].plot(st, runs.run["train_acc"][r][ok], color=col, ls="--")
        axes[1].plot(st, runs.run["test_acc"][r][ok], color=col)
        # the target assumes outputs at p = 1/2 (App. C); once the loss drops it is no longer the
        # direction w_i is pulled to, so the angle after the drop is drawn faint
        med = np.nanmedian(runs.neuron["angle"][r][ok], axis=1)
        drop = runs.snap["step"][r, SNAPSHOTS.index("before_drop")]
        upto = st <= drop if drop >= 0 else np.zeros(st.size, bool)
        axes[2].plot(st[upto], med[upto], color=col)
        axes[2].plot(st[st >= (drop if drop >= 0 else 0)], med[st >= (drop if drop >= 0 else 0)], color=col, lw=0.8,
                     ls=":", alpha=0.45)
        for q, ls in ((SNAPSHOTS.index("early"), ":"), (SNAPSHOTS.index("before_drop"), "-.")):
            s = runs.snap["step"][r, q]
            if s > 0:
                for ax in axes:
                    ax.axvline(s, color=col, ls=ls, lw=0.8, alpha=0.7)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training cross-entropy (nats)")
    axes[1].set_ylabel("accuracy (dashed: train, solid: test)")
    axes[2].set_ylabel("median angle to target (deg)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("optimiser step (batch 4)")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    axes[0].set_title("vertical lines: early (dotted), before the drop (dash-dot)", fontsize=8)
    axes[2].set_title("faint after the drop: the target assumes p = 1/2,\nso there the angle no longer measures alignment",
                      fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _interval_speeds(runs, r):
    """(interval end steps, median |d angle| in rad per step, median |d |w|| per step) over the
    checkpoint intervals of run r, medians over the neurons with a finite angle at both ends."""
    taken = np.flatnonzero(runs.ckpt_step[r] >= 0)
    st = runs.ckpt_step[r][taken].astype(float)
    ang = np.radians(runs.neuron["angle"][r][taken])
    wn = runs.neuron["w_norm"][r][taken]
    dt = np.diff(st)
    da = np.abs(np.diff(ang, axis=0)) / dt[:, None]
    dw = np.abs(np.diff(wn, axis=0)) / dt[:, None]
    ok = np.isfinite(da)
    med_a = np.array([np.median(x[m]) if m.any() else np.nan for x, m in zip(da, ok)])
    med_w = np.array([np.median(x[m]) if m.any() else np.nan for x, m in zip(dw, ok)])
    return st[1:], med_a, med_w


def angle_vs_norm_speed(runs_list, r=0, min_ratio=None, title=""):
    """Fig 6 (Lemma 3.9): per checkpoint interval, how fast the angles move against how fast the
    norms |w_i| move (medians over neurons), one line per runs file (an init scale)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, runs in enumerate(sorted(runs_list, key=lambda x: x.settings["sigma"])):
        col = colors[j % len(colors)]
        sigma = runs.settings["sigma"]
        st, va, vw = _interval_speeds(runs, r)
        drop = runs.snap["step"][r, SNAPSHOTS.index("before_drop")]
        axes[0].plot(st, va / vw, color=col, label=f"sigma = {sigma:g}")
        axes[1].plot(st, va, color=col, label=f"angle (rad/step), sigma {sigma:g}")
        axes[1].plot(st, vw, color=col, ls="--", label=f"|w| (per step), sigma {sigma:g}")
        for ax in axes:
            if drop > 0:
                ax.axvline(drop, color=col, ls="-.", lw=0.8, alpha=0.7)
    if min_ratio:
        axes[0].axhline(min_ratio, color="0.3", ls=":", lw=1, label=f"claim threshold {min_ratio:g}")
    axes[0].set_ylabel("angle speed / norm speed (rad per unit |w|)")
    axes[0].set_title("ratio of the medians over neurons, per checkpoint interval", fontsize=9)
    axes[1].set_ylabel("median speed over neurons")
    axes[1].set_title("solid: angle to target, dashed: |w_i|; dash-dot: before the drop", fontsize=9)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("optimiser step (batch 4)")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=6, ncol=1 + (len(runs_list) > 2))
    fig.suptitle(title, fontsize=10)
    return fig


def group_unlocking(runs, r=0, threshold=0.95, title=""):
    """Note 3: each group carrying the norm (final clusters), its summed |w_i||v_i| as a share of
    its final value against the step; unlocking = reaching dynamics.UNLOCK_SHARE."""
    from .dynamics import UNLOCK_SHARE, groups_of, unlock_step

    plt = pyplot()
    q = SNAPSHOTS.index("end")
    label, groups, _ = groups_of(runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q], threshold)
    taken = runs.ckpt_step[r] >= 0
    st, wv = runs.ckpt_step[r][taken], runs.neuron["wv_norm"][r][taken]
    fig, ax = plt.subplots(figsize=(6.8, 4.2), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ok = st > 0
    for j, g in enumerate(groups[:10]):
        m = label == g
        total = wv[:, m].sum(1)
        cls = "class 1" if (runs.snap["V"][r, q][0, m] - runs.snap["V"][r, q][1, m]).sum() > 0 else "class 2"
        t_u = unlock_step(st, total)
        col = colors[j % len(colors)]
        ax.plot(st[ok], total[ok] / total[-1], color=col, label=f"group {j + 1}: {m.sum()} neuron{'s' if m.sum() != 1 else ''}, {cls}, unlocks at {t_u}")
        ax.axvline(t_u, color=col, ls=":", lw=1)
    ax.axhline(UNLOCK_SHARE, color="0.4", ls="--", lw=0.8, label=f"{UNLOCK_SHARE:g} of the final value")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("optimiser step (batch 4)")
    ax.set_ylabel("group's sum |w_i||v_i| / its final value")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left")  # before the race (small steps) every curve is far below 1
    ax.set_title(title, fontsize=9)
    return fig


def lateral_inhibition(runs, r=0, threshold=0.95, title=""):
    """Conj. 3.12: in the largest group carrying the norm, the leader's |w||v| and the followers'
    (median, 10-90% band) against the step, beside the other groups' members; right: their growth
    rates d log(|w||v|) / d log(step). The leader's unlocking step and the two windows of the
    slowdown (dynamics.py) are marked."""
    from .dynamics import WINDOW, groups_of, unlock_step

    plt = pyplot()
    q = SNAPSHOTS.index("end")
    label, groups, contribution = groups_of(runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q], threshold)
    taken = runs.ckpt_step[r] >= 0
    st, wv = runs.ckpt_step[r][taken], runs.neuron["wv_norm"][r][taken]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    big = [g for g in groups if (label == g).sum() >= 2]
    if not big:
        for ax in axes:
            ax.text(0.5, 0.5, "no group with a leader and followers", transform=ax.transAxes, ha="center")
        return fig
    g = big[0]
    members = np.flatnonzero(label == g)
    leader = members[np.argmax(contribution[members])]
    followers = members[members != leader]
    others = np.flatnonzero(np.isin(label, groups) & (label != g))
    t_lead = unlock_step(st, wv[:, leader])
    ok = st > 0
    x = st[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.diff(np.log(wv[ok]), axis=0) / np.diff(np.log(x))[:, None]
    xm = np.sqrt(x[1:] * x[:-1])
    for ax in axes:
        ax.axvspan(t_lead / WINDOW, t_lead, color="0.93", lw=0, zorder=0)
        ax.axvspan(t_lead, t_lead * WINDOW, color="0.85", lw=0, zorder=0)
        ax.axvline(t_lead, color="k", ls=":", lw=1)
    axes[0].plot(x, wv[ok, leader], color="#d62728", lw=2, label="leader")
    axes[0].plot(x, np.median(wv[ok][:, followers], axis=1), color="#1f77b4", label=f"followers ({followers.size}), median")
    axes[0].fill_between(x, *np.quantile(wv[ok][:, followers], [0.1, 0.9], axis=1), color="#1f77b4", alpha=0.2, lw=0)
    if others.size:
        axes[0].plot(x, np.median(wv[ok][:, others], axis=1), color="#2ca02c", ls="--",
                     label=f"other groups' members ({others.size}), median")
        axes[1].plot(xm, np.nanmedian(rate[:, others], axis=1), color="#2ca02c", ls="--", label="other groups")
    axes[1].plot(xm, np.nanmedian(rate[:, followers], axis=1), color="#1f77b4", label="followers")
    axes[1].plot(xm, rate[:, leader], color="#d62728", lw=1.5, label="leader")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("|w_i||v_i|")
    axes[1].set_ylabel("growth rate d log|w||v| / d log step")
    axes[0].set_title(f"largest group ({members.size} neurons); dotted: the leader unlocks (step {t_lead})", fontsize=9)
    axes[1].set_title(f"shaded: [t/{WINDOW:g}, t] and [t, {WINDOW:g} t], the windows of the slowdown", fontsize=9)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("optimiser step (batch 4)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def pruned_within_clusters(neurons, seed=None, title="", top=4):
    """Sec. 5: Fig 5 with the neurons coloured by their final cluster (the `top` largest; the rest
    grey) and Spearman(early angle, pruned) per cluster in the legend, one panel per sparsity."""
    from scipy.stats import spearmanr

    from .imp import MIN_MEMBERS

    plt = pyplot()
    seed = neurons["seed"].min() if seed is None else seed
    df = neurons[neurons["seed"] == seed]
    sparsities = sorted(df["sparsity"].unique())
    fig, axes = plt.subplots(1, len(sparsities), figsize=(4.0 * len(sparsities), 3.6), sharey=True, squeeze=False,
                             layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, p in zip(axes[0], sparsities):
        g = df[(df["sparsity"] == p) & np.isfinite(df["early_angle"])]
        sizes = g["cluster"].value_counts()
        big = [k for k in sizes.index[:top] if sizes[k] >= MIN_MEMBERS]
        rest = g[~g["cluster"].isin(big)]
        ax.scatter(rest["early_angle"], rest["pruned"], color="0.7", s=7, linewidths=0, label=f"other clusters ({len(rest)})")
        for j, k in enumerate(big):
            h = g[g["cluster"] == k]
            rho = spearmanr(h["early_angle"], h["pruned"])[0] if np.ptp(h["pruned"]) > 0 else np.nan
            ax.scatter(h["early_angle"], h["pruned"], color=colors[j % len(colors)], s=9, linewidths=0,
                       label=f"cluster of {len(h)}: Spearman {rho:.2f}")
        rho_all = spearmanr(g["early_angle"], g["pruned"])[0] if len(g) > 2 else np.nan
        ax.set_title(f"IMP to {p:.0%} sparsity: all neurons {rho_all:.2f}", fontsize=9)
        ax.set_xlabel("angle to target, early (deg)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5)
    axes[0][0].set_ylabel("weights pruned per neuron")
    fig.suptitle(title, fontsize=10)
    return fig
