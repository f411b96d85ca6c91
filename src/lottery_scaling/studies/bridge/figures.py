"""Figures of the bridge study, saved with lottery_scaling.plotting.save.

- alignment: final contribution (log) against init alignment a_i, one panel per (init scale,
  width), the best ticket's neurons in colour;
- rewind: log10 test-MSE histograms of the rewinding arms against trained width-2 networks, with
  the width-2 lottery-ticket basin shaded, one panel per (init scale, source width);
- emergence: steps at which the final best ticket becomes a mirror pair and reaches its final R^2,
  per width and init scale.
"""

from __future__ import annotations

import numpy as np

from ...plotting import pyplot, save

TICKET_COLOR = "#e6550d"
OTHER_COLOR = "#9e9e9e"
ARM_COLORS = {"trained_width2": "#444444", "ticket": "#e6550d", "reinit": "#1f77b4", "random_pair": "#2ca02c",
              "prune_k2": "#9467bd"}


_SHORT = {"trained_width2": "trained", "random_pair": "random pair", "prune_k2": "pruned"}


def _grid(n, cols=3, w=3.2, h=2.6):
    plt = pyplot()
    cols = max(1, min(cols, n))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def plot_alignment(neurons, out, dpi=150):
    keys = sorted({(s, w) for s, w in zip(neurons["init_scale"], neurons["width"])}, key=lambda k: (-k[0], k[1]))
    fig, axes = _grid(len(keys))
    for ax, (s, w) in zip(axes, keys):
        g = neurons[(neurons["init_scale"] == s) & (neurons["width"] == w)]
        t = g["in_ticket"].astype(str).str.lower() == "true"
        ax.scatter(g["alignment"][~t], g["contribution"][~t].clip(lower=1e-8), s=4, c=OTHER_COLOR, alpha=0.5, label="other neurons")
        ax.scatter(g["alignment"][t], g["contribution"][t].clip(lower=1e-8), s=6, c=TICKET_COLOR, alpha=0.8, label="best ticket")
        ax.set_yscale("log")
        ax.set_title(f"init scale {s:g}, N = {w}", fontsize=9)
        ax.set_xlabel("init alignment cos(angle to descent dir.)", fontsize=8)
        ax.set_ylabel("final contribution (RMS)", fontsize=8)
    axes[0].legend(fontsize=7, loc="lower left")
    save(fig, out, dpi)


def plot_rewind(rew, out, dpi=150, bins_per_decade=6, basin=None):
    """basin: the row of bridge-ticket-basin (shaded up to basin_high in every panel, with each width-2
    arm's share inside it written in the panel), or None."""
    from .rewind import label_lottery

    high = float(basin["basin_high"]) if basin is not None else float("nan")
    keys = sorted({(s, w) for s, w in zip(rew["init_scale"], rew["source_width"])}, key=lambda k: (-k[0], k[1]))
    fig, axes = _grid(len(keys))
    handles = {}
    for ax, (s, w) in zip(axes, keys):
        g = rew[(rew["init_scale"] == s) & (rew["source_width"] == w) & ~rew["diverged"].astype(bool)]
        lg = np.log10(g["test_loss"].clip(lower=1e-300))
        lo, hi = np.floor(lg.min()), np.ceil(lg.max())
        bins = np.linspace(lo, hi, int((hi - lo) * bins_per_decade) + 1) if hi > lo else 10
        shares = []
        for arm, color in ARM_COLORS.items():
            a = g[g["arm"] == arm]
            if a.empty:
                continue
            la = np.log10(a["test_loss"].clip(lower=1e-300))
            *_, patches = ax.hist(la, bins=bins, histtype="step", color=color, density=True)
            handles.setdefault(arm, patches[0])
            if np.isfinite(high) and (a["width"] == 2).all():
                shares.append(f"{_SHORT.get(arm, arm)} {np.mean(label_lottery(a, high) == True):.0%}")  # noqa: E712
        if np.isfinite(high):
            handles.setdefault("basin", ax.axvspan(lo, high, color="#fdd0a2", alpha=0.4, lw=0))
            ax.set_ylim(0, ax.get_ylim()[1] * 1.75)  # headroom: the shares sit above the histograms
            ax.text(0.02, 0.97, "in basin: " + ", ".join(shares[:2]) + "\n" + ", ".join(shares[2:]), transform=ax.transAxes,
                    va="top", ha="left", fontsize=6.5)
        n_tickets = int((g["arm"] == "ticket").sum())
        ax.set_title(f"init scale {s:g}, tickets of N = {w} ({n_tickets})", fontsize=9)
        ax.set_xlabel("log10 test MSE (width 2)", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
    labels = {"trained_width2": "trained width 2 (random init)", "ticket": "best ticket rewound",
              "reinit": "same neurons re-initialised", "random_pair": "random pair rewound",
              "prune_k2": "2 largest contributions rewound",
              "basin": (f"ticket basin (lowest mode of trained width 2 at init scale {float(basin['reference_init_scale']):g})"
                        if basin is not None else "")}
    fig.legend([handles[k] for k in handles], [labels.get(k, k) for k in handles], loc="upper center",
               ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))  # room for the legend; rows' titles clear the row above
    save(fig, out, dpi)


def plot_emergence(em, out, dpi=150):
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.0, 2.8))
    scales = sorted(set(em["init_scale"]), reverse=True)
    widths = sorted(set(em["width"]))
    for k, s in enumerate(scales):
        for what, ax in (("mirror_step", a1), ("r2_step", a2)):
            med, lo, hi, x = [], [], [], []
            for w in widths:
                v = em[(em["init_scale"] == s) & (em["width"] == w)][what].dropna()
                if len(v):
                    q = np.percentile(v, [25, 50, 75])
                    x.append(w * (1 + 0.04 * (k - len(scales) / 2)))
                    lo.append(q[1] - q[0]); med.append(q[1]); hi.append(q[2] - q[1])
            if x:
                ax.errorbar(x, med, yerr=[lo, hi], marker="o", ms=4, capsize=2, label=f"init scale {s:g}")
    a1.set_title("final best pair becomes a mirror pair", fontsize=9)
    a2.set_title("best pair reaches its final R^2", fontsize=9)
    for ax in (a1, a2):
        ax.set_xlabel("width N", fontsize=8)
        ax.set_ylabel("step (median, IQR)", fontsize=8)
    a2.legend(fontsize=7)
    save(fig, out, dpi)
