"""Figures of the race study (paper Figs 1, 3a, 3b, 4, 5, 8), drawn from runs files and the
analysis tables; saved by `lottery_scaling.plotting.save`.

Norms are |w_i| |v_i| at the end of training (log axis); angles in degrees between w_i and its
current cell's target (see `_kernels`); steps are optimiser steps (batch 4; log axis).
"""

from __future__ import annotations

import numpy as np

from lottery_scaling.plotting import pyplot

from .alignment import checkpoint_index, final_norm
from .trainer import SNAPSHOTS

TIME_LABELS = {"init": "at initialisation", "early": "at the early checkpoint", "before_drop": "before the loss drop",
               "end": "at the end"}
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


def norm_vs_alignment(runs, r=0, times=("init", "early", "before_drop"), members=None, fit=False, title=""):
    """Final norm vs angle at each time (Fig 1 with `members` = the largest cluster; Fig 4 with fit)."""
    from scipy.stats import spearmanr

    plt = pyplot()
    norm = final_norm(runs.neuron, runs.ckpt_step[r], r)
    sel = np.ones(norm.size, bool) if members is None else members
    pos = norm[sel & (norm > 0)]
    vmin, vmax = (pos.min(), pos.max()) if pos.size else (1e-12, 1.0)
    fig, axes = plt.subplots(1, len(times), figsize=(3.6 * len(times), 3.2), sharey=True, squeeze=False)
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
        ax.set_title(f"angle {TIME_LABELS[time]} (step {step})\nSpearman with log final norm {rho:.2f}", fontsize=9)
        if fit and ok.sum() > 2:
            k, c = np.polyfit(a[ok], np.log(nrm[ok]), 1)
            xs = np.linspace(a[ok].min(), a[ok].max(), 50)
            ax.plot(xs, np.exp(c + k * xs), color="#d62728", lw=1.2, label=f"exp fit, {k:.3g}/deg")
            ax.legend(fontsize=7, loc="lower left")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(r"final norm $|w_i|\,|v_i|$")
    fig.colorbar(sc, ax=axes[0].tolist(), label="final norm", pad=0.01)
    fig.suptitle(title, fontsize=10, y=1.08)
    return fig


def clusters_vs_n(counts, threshold, sigma, title=""):
    """Fig 3a: clusters at the end vs n, one line per width (mean and sd over runs)."""
    plt = pyplot()
    df = counts[(counts["time"] == "end") & np.isclose(counts["threshold"], threshold) & np.isclose(counts["sigma"], sigma)]
    fig, ax = plt.subplots(figsize=(4.4, 3.4))
    for width, g in sorted(df.groupby("width")):
        s = g.groupby("n")["clusters"].agg(["mean", "std"]).sort_index()
        ax.errorbar(s.index, s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, label=f"d = {width}")
    ax.set_xscale("log")
    ns = sorted(df["n"].unique())
    ax.set_xticks(ns, [str(int(n)) for n in ns])
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    ax.set_xlabel("training samples n (log axis)")
    ax.set_ylabel(f"clusters at the end (cos-sim {threshold:g})")
    ax.set_title(title or f"clusters vs n (sigma {sigma:g})", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def clusters_vs_time(counts, threshold, n, width, title=""):
    """Fig 3b: clusters at init, before the drop and at the end, one line per sigma."""
    plt = pyplot()
    times = ("init", "before_drop", "end")
    df = counts[np.isclose(counts["threshold"], threshold) & (counts["n"] == n) & (counts["width"] == width)]
    fig, ax = plt.subplots(figsize=(4.4, 3.4))
    for sigma, g in sorted(df.groupby("sigma")):
        s = g.groupby("time")["clusters"].agg(["mean", "std"]).reindex(times)
        ax.errorbar(range(3), s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, label=f"sigma = {sigma:g}")
    ax.set_xticks(range(3), [TICKS[t] for t in times])
    ax.set_ylabel(f"clusters (cos-sim {threshold:g})")
    ax.set_yscale("log")
    ax.set_title(title or f"clusters over training (n {n}, d {width})", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
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
        axes[2].plot(st, np.nanmedian(runs.neuron["angle"][r][ok], axis=1), color=col)
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
    axes[2].text(0.02, 0.04, "dotted: early, dash-dot: before the drop", transform=axes[2].transAxes, fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
