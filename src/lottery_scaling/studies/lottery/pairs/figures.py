"""Figures of the pair-and-disentangle stage (paper Figs 2a, 2c, 9, 10, 11, 12, 13).

Every function takes already-computed tables (CSV outputs of the stage) and/or a trained
networks file, draws with matplotlib (Agg) and writes PNG and PDF atomically.
"""

from __future__ import annotations

import numpy as np

from ....plotting import pyplot, save
from ..model import activation
from .pairing import Pairing
from .tickets import error_correlation, fit_tickets, independent_tickets, ticket_functions


def _prefix(subject: str) -> str:
    return f"{subject}: " if subject else ""


def median_loss_index(loss: np.ndarray, ok: np.ndarray) -> int:
    """Index of the non-diverged network with the median test loss (the representative network)."""
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(loss[idx], kind="stable")]
    return int(order[(order.size - 1) // 2])


def pairing_from_tickets(tickets, seed: int, n_neurons: int) -> Pairing:
    t = tickets[tickets["seed"] == seed].sort_values("ticket")
    pos = t["neuron_pos"].to_numpy(dtype=np.int64)
    neg = t["neuron_neg"].to_numpy(dtype=np.int64)
    matched = np.zeros(n_neurons, dtype=bool)
    matched[pos] = True
    matched[neg] = True
    return Pairing(pos, neg, t["distance"].to_numpy(float), t["asymmetry"].to_numpy(float),
                   np.flatnonzero(~matched))


def draw_neurons(ax, w, b, pairing: Pairing, max_lines: int = 300) -> None:
    """(w, b) of every neuron, a segment between the two neurons of each pair, the axis w = 0.

    Beyond max_lines pairs the segments of an evenly spaced subset are drawn (thousands of
    segments hide the points they join); the legend says how many.
    """
    from matplotlib.collections import LineCollection

    shown = np.arange(pairing.pos.size)
    if shown.size > max_lines:
        shown = np.unique(np.linspace(0, shown.size - 1, max_lines).round().astype(int))
    segs = [((w[p], b[p]), (w[q], b[q])) for p, q in zip(pairing.pos[shown], pairing.neg[shown])]
    if segs:
        label = "mirror pair" if shown.size == pairing.pos.size else f"mirror pair ({shown.size} of {pairing.pos.size} drawn)"
        ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.5, zorder=1, label=label))
    size = 12 if w.size <= 100 else (4 if w.size <= 2000 else 1)
    pos = w > 0
    ax.scatter(w[pos], b[pos], s=size, c="tab:red", label="w > 0", zorder=2, lw=0)
    ax.scatter(w[~pos], b[~pos], s=size, c="tab:blue", label="w <= 0", zorder=2, lw=0)
    if pairing.unmatched.size:
        u = pairing.unmatched
        ax.scatter(w[u], b[u], s=max(size * 3, 10), facecolors="none", edgecolors="k", lw=0.6,
                   label=f"unmatched ({u.size})", zorder=3)
    ax.axvline(0, color="k", lw=0.6, ls="--", zorder=0)
    ax.set_xlabel("first-layer weight w")
    ax.set_ylabel("first-layer bias b")
    lim = max(1e-3, float(np.max(np.abs(w))) * 1.08)
    ax.set_xlim(-lim, lim)


def fig_neurons(w, b, pairing: Pairing, title: str, png, pdf, dpi=150) -> None:
    """Paper Fig 2a: first-layer (w, b) of one (wide) network with its mirror pairs."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    draw_neurons(ax, w, b, pairing)
    at_origin = int(np.sum(np.hypot(w, b) < 1e-6))
    if at_origin:
        title += f"\n{at_origin} neurons collapsed onto (0, 0) (|(w, b)| < 1e-6)"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best", markerscale=2)
    save(fig, [png, pdf], dpi)


def fig_tickets(rows, png, pdf, dpi=150, subject: str = "") -> None:
    """Paper Fig 12: one row per width: (w, b) with pairs; R^2 per ticket; error correlation; error functions.

    rows: list of dicts with keys width, seed, test_loss, w, b, v, pairing, x, y, act.
    """
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    n = len(rows)
    fig, axes = plt.subplots(n, 4, figsize=(15, 3.3 * n), squeeze=False)
    for r, row in enumerate(rows):
        ax = axes[r]
        pr = row["pairing"]
        draw_neurons(ax[0], row["w"], row["b"], pr)
        ax[0].set_title(f"N = {row['width']} (seed {row['seed']}, test MSE {row['test_loss']:.2g})", fontsize=9)
        if pr.n_pairs == 0:
            for a in ax[1:]:
                a.text(0.5, 0.5, "no mirror pairs", ha="center", va="center", transform=a.transAxes)
            continue
        g = ticket_functions(row["w"], row["b"], row["v"], pr, row["x"], row["act"])
        fit = fit_tickets(g, row["y"])
        corr = error_correlation(fit.errors)
        prat, n99 = independent_tickets(corr)
        order = np.argsort(-fit.r2, kind="stable")
        ax[1].bar(np.arange(pr.n_pairs), fit.r2[order], color="tab:green", width=0.9)
        ax[1].set_ylim(0, 1.02)
        ax[1].set_xlabel("ticket (sorted by R$^2$)")
        ax[1].xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax[2].xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax[2].yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax[1].set_ylabel("R$^2$ of best a·g + c vs target")
        ax[1].set_title(f"{pr.n_pairs} tickets, {pr.unmatched.size} unmatched neurons", fontsize=9)
        im = ax[2].imshow(corr[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax[2].set_title(f"error correlation; PR = {prat:.2f}, n99 = {n99}", fontsize=9)
        ax[2].set_xlabel("ticket (sorted by R$^2$)")
        fig.colorbar(im, ax=ax[2], fraction=0.046, pad=0.04)
        x = np.asarray(row["x"]).reshape(-1)
        good = fit.r2 >= 0.5
        show = np.flatnonzero(good) if good.any() else np.arange(pr.n_pairs)
        drawn = show[np.unique(np.linspace(0, show.size - 1, min(show.size, 200)).round().astype(int))]
        for k in drawn:
            ax[3].plot(x, fit.errors[k], lw=0.7, alpha=0.7)
        ax[3].axhline(0, color="k", lw=0.5)
        ax[3].set_xlabel("x")
        ax[3].set_ylabel("error e(x) = a·g + c − y")
        of = f"{drawn.size} of {show.size}" if drawn.size < show.size else f"{show.size}"
        ax[3].set_title(f"error functions of {of} tickets with R$^2$ ≥ 0.5" if good.any()
                        else f"error functions of {of} tickets (none with R$^2$ ≥ 0.5)", fontsize=9)
    if subject:
        fig.suptitle(f"{subject}: lottery tickets (mirror pairs) of the median-loss network per width", fontsize=11)
    fig.tight_layout()
    save(fig, [png, pdf], dpi)


def fig_pca(nets, png, pdf, dpi=150, subject: str = "") -> None:
    """Paper Fig 9: width-2 networks on the first two principal components, by cluster and by log10 loss."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    labels = nets["cluster"].to_numpy()
    pc1, pc2 = nets["pc1"].to_numpy(), nets["pc2"].to_numpy()
    cmap = plt.get_cmap("tab10")
    for k in np.unique(labels):
        m = labels == k
        loss = np.median(nets["test_loss"].to_numpy()[m])
        sym = nets["symmetric"].to_numpy()[m].mean()
        axes[0].scatter(pc1[m], pc2[m], s=14, color=cmap((k - 1) % 10), lw=0,
                        label=f"{k}: n={m.sum()}, MSE~{loss:.1e}, sym {sym:.0%}")
        axes[0].annotate(str(k), (np.median(pc1[m]), np.median(pc2[m])), xytext=(7, 7), textcoords="offset points",
                         fontsize=11, weight="bold", ha="center", va="center")
    axes[0].legend(fontsize=7, title="cluster (by median loss)", title_fontsize=7, loc="best")
    axes[0].set_title("coloured by cluster (algorithm)", fontsize=10)
    sc = axes[1].scatter(pc1, pc2, s=14, c=np.log10(nets["test_loss"].to_numpy()), cmap="viridis", lw=0)
    fig.colorbar(sc, ax=axes[1], label="log10 test MSE")
    axes[1].set_title("coloured by log10 test loss", fontsize=10)
    for a in axes:
        a.set_xlabel("PC 1")
        a.set_ylabel("PC 2")
    fig.suptitle(f"{_prefix(subject)}{len(nets)} width-2 networks: PCA of the canonical 7 parameters (asinh, standardised)", fontsize=10)
    fig.tight_layout()
    save(fig, [png, pdf], dpi)


def _rep_params(nets, seed):
    row = nets[nets["seed"] == seed].iloc[0]
    w = np.array([row["w1"], row["w2"]])
    b = np.array([row["b1"], row["b2"]])
    v = np.array([row["v1"], row["v2"]])
    return row, w, b, v, float(row["c"])


def fig_activations(nets, clusters, x, act, png_x, pdf_x, png_z, pdf_z, dpi=150, max_clusters=8, subject: str = "") -> None:
    """Paper Figs 10 and 11: post-activations of both neurons of each cluster's representative,
    against the input x (Fig 10) and against the pre-activation z = w x + b (Fig 11)."""
    plt = pyplot()
    x = np.asarray(x).reshape(-1)
    cl = clusters.sort_values("cluster").head(max_clusters)
    n = len(cl)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    figx, axx = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    figz, axz = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    for i, (_, c) in enumerate(cl.iterrows()):
        row, w, b, v, _ = _rep_params(nets, int(c["representative_seed"]))
        ax1, ax2 = axx.flat[i], axz.flat[i]
        z = np.outer(x, w) + b
        zlo, zhi = min(-6.0, z.min()), max(6.0, z.max())
        zz = np.linspace(zlo, zhi, 400)
        ax2.plot(zz, activation(act, zz), color="0.8", lw=3, label=act)
        # neuron 1 wide and pale, neuron 2 thin on top: both stay visible when they coincide
        for j, (col, lw, alpha) in enumerate((("tab:red", 5, 0.55), ("tab:blue", 1.6, 1.0))):
            h = activation(act, z[:, j])
            ax1.plot(x, h, color=col, lw=lw, alpha=alpha, label=f"neuron {j + 1}: w={w[j]:.2f}, b={b[j]:.2f}")
            ax2.plot(z[:, j], h, color=col, lw=lw, alpha=alpha, label=f"neuron {j + 1}")
            ax2.plot(z[[0, -1], j], h[[0, -1]], "o", color=col, ms=4, alpha=alpha)  # ends (a point when w = 0)
        kind = "symmetric" if c["symmetric"] else "asymmetric"
        title = f"cluster {int(c['cluster'])} ({kind}, n={int(c['size'])})\nMSE {row['test_loss']:.2g}, seed {int(row['seed'])}"
        for a in (ax1, ax2):
            a.set_title(title, fontsize=8)
            a.legend(fontsize=6, loc="best")
        ax1.set_xlabel("input x")
        ax1.set_ylabel("post-activation")
        ax2.set_xlabel("pre-activation z = w x + b")
        ax2.set_ylabel("post-activation")
    for a in list(axx.flat[n:]) + list(axz.flat[n:]):
        a.axis("off")
    if subject:
        figx.suptitle(f"{subject}: each width-2 cluster's representative, post-activations against the input", fontsize=10)
        figz.suptitle(f"{subject}: each width-2 cluster's representative, post-activations against the pre-activation",
                      fontsize=10)
    figx.tight_layout()
    figz.tight_layout()
    save(figx, [png_x, pdf_x], dpi)
    save(figz, [png_z, pdf_z], dpi)


def fig_lottery_ticket(nets, clusters, x, y_of_x, act, png, pdf, dpi=150, subject: str = "") -> None:
    """Paper Fig 2c: the lottery-ticket width-2 network (representative of the lowest-loss cluster)."""
    plt = pyplot()
    x = np.asarray(x).reshape(-1)
    c = clusters.sort_values("cluster").iloc[0]
    row, w, b, v, c0 = _rep_params(nets, int(c["representative_seed"]))
    h = activation(act, np.outer(x, w) + b)
    f = h @ v + c0
    y = y_of_x(x)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for j, col in enumerate(("tab:red", "tab:blue")):
        axes[0].plot(x, v[j] * h[:, j], color=col, label=f"v{j + 1}·act(w{j + 1}x+b{j + 1}): w={w[j]:.4f}, b={b[j]:.4f}, v={v[j]:.4f}")
    axes[0].axhline(0, color="k", lw=0.5)
    axes[0].set_title("the two neurons' contributions", fontsize=9)
    axes[0].legend(fontsize=6.5)
    axes[1].plot(x, y, color="0.6", lw=4, label="target")
    axes[1].plot(x, f, "k--", lw=1.2, label=f"network, c = {c0:.4f}")
    axes[1].set_title("output", fontsize=9)
    axes[1].legend(fontsize=7)
    axes[2].plot(x, f - y, color="tab:purple")
    axes[2].axhline(0, color="k", lw=0.5)
    axes[2].set_title(f"error f − y (test MSE {row['test_loss']:.3g})", fontsize=9)
    for a in axes:
        a.set_xlabel("x")
    kind = "symmetric pair" if row["symmetric"] else "not a symmetric pair"
    fig.suptitle(f"{_prefix(subject)}lottery ticket: representative of the lowest-loss width-2 cluster (seed {int(row['seed'])}, {kind}; "
                 f"cluster has {int(c['size'])} networks, {c['share']:.0%})", fontsize=10)
    fig.tight_layout()
    save(fig, [png, pdf], dpi)


def fig_distill(distilled, width2, png, pdf, dpi=150, subject: str = "") -> None:
    """Paper Fig 13: histogram of log10 test MSE of distilled width-2 networks vs trained width-2 networks."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    d = np.log10(np.clip(distilled["test_loss"].to_numpy(float), 1e-300, None))
    series = [(d, f"distilled from N={int(distilled['source_width'].iloc[0])} best ticket (n={d.size})", "tab:blue")] if d.size else []
    if width2 is not None and len(width2):
        t = np.log10(np.clip(width2["test_loss"].to_numpy(float), 1e-300, None))
        series.append((t, f"trained width 2 (n={t.size})", "tab:orange"))
    allv = np.concatenate([s[0] for s in series]) if series else np.zeros(1)
    bins = np.linspace(allv.min() - 0.1, allv.max() + 0.1, 41)
    for vals, label, col in series:
        ax.hist(vals, bins=bins, alpha=0.6, color=col, label=label)
    if d.size:
        best = distilled.sort_values("test_loss").iloc[0]
        ax.axvline(np.log10(max(best["test_loss"], 1e-300)), color="tab:blue", ls="--", lw=0.8)
        ax.set_title(f"{_prefix(subject)}best distilled: test MSE {best['test_loss']:.2g} (seed {int(best['seed'])})", fontsize=9)
    ax.set_xlabel("log10 test MSE")
    ax.set_ylabel("networks")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, [png, pdf], dpi)
