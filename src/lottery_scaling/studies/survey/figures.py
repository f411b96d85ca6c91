"""Figures of the survey study, one per question, for a reader of the survey (not of the code)."""

from __future__ import annotations

import numpy as np

from ...plotting import pyplot, save, save_note


def _iqr(values):
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    return tuple(np.percentile(values, [50, 25, 75]))


def _width_ticks(ax, frames) -> None:
    """Label the log width axis with the widths themselves (3 x 10^1 reads badly)."""
    from matplotlib.ticker import NullFormatter

    widths = sorted({int(w) for f in frames if f is not None for w in f["width"]})
    if widths:
        ax.set_xticks(widths)
        ax.set_xticklabels([str(w) for w in widths])
        ax.xaxis.set_minor_formatter(NullFormatter())


def plot_supermask(df, paths, dpi=150) -> None:
    """Item 1: test loss (or accuracy) of the masked untrained network against the share of weights
    kept, supermask against random masks of the same size, one panel per experiment label."""
    plt = pyplot()
    labels = sorted(set(df["label"]))
    fig, axes = plt.subplots(1, len(labels), figsize=(5.6 * len(labels), 4.6), squeeze=False, constrained_layout=True)
    styles = {("supermask", "init"): ("C3", "-", "supermask, kept weights at init"),
              ("supermask", "signed_constant"): ("C3", "--", "supermask, signed constants"),
              ("random", "init"): ("0.4", "-", "random mask, kept weights at init"),
              ("random", "signed_constant"): ("0.4", "--", "random mask, signed constants")}
    for ax, label in zip(axes[0], labels):
        g = df[df["label"] == label]
        race = (g["model"] == "race").all()
        metric = "accuracy" if race else "loss"
        for (mask, weights), (color, ls, name) in styles.items():
            h = g[(g["mask"] == mask) & (g["weights"] == weights)]
            keeps = sorted(set(h["keep"]))
            stats = np.array([_iqr(h[h["keep"] == k][metric]) for k in keeps])
            if not keeps:
                continue
            ax.plot(keeps, stats[:, 0], color=color, ls=ls, marker="o", ms=3, label=name)
            ax.fill_between(keeps, stats[:, 1], stats[:, 2], color=color, alpha=0.12, lw=0)
        dense = np.nanmedian(g[f"dense_init_{metric}"])
        trained = np.nanmedian(g[f"trained_{metric}"])
        ax.axhline(dense, color="k", lw=0.8, ls=":", label=f"untrained, no mask ({dense:.3g})")
        ax.axhline(trained, color="C2", lw=0.8, ls="-.", label=f"trained ({trained:.3g})")
        if race:
            ax.axhline(0.5, color="0.7", lw=0.6, label="chance (balanced classes)")
            ax.set_ylabel("test accuracy of the masked untrained network")
        else:
            ax.set_yscale("log")
            ax.set_ylabel("test MSE of the masked untrained network")
        ax.set_xlabel("share of prunable weights kept")
        width = int(g["width"].iloc[0])
        ax.set_title(f"{label} (N = {width}, {g['seed'].nunique()} networks)\nmedian and quartiles over networks",
                     fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Zhou et al.'s supermask (large final |w|, same sign as at init) on the untrained network", fontsize=10)
    save(fig, paths, dpi)


def _median_curve(ax, df, column, color, marker, name):
    widths = sorted(set(int(w) for w in df["width"]))
    stats = np.array([_iqr(df[df["width"] == w][column]) for w in widths])
    if not widths or not np.isfinite(stats[:, 0]).any():
        return None
    ax.errorbar(widths, stats[:, 0], yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]], color=color,
                marker=marker, ms=4, capsize=2, label=name)
    return widths, stats[:, 0]


def plot_scaling(edgepopup, linearised, paths, dpi=150) -> None:
    """Item 2 and 4: median test MSE against width of edge-popup strong tickets (per keep), of the
    trained networks and of their linearised twins, with an N^-1 guide through the trained curve."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    anchor = None
    if edgepopup is not None:
        ok = edgepopup[~edgepopup["diverged"].astype(str).str.lower().eq("true")]
        for j, keep in enumerate(sorted(set(ok["keep"]))):
            g = ok[ok["keep"] == keep]
            _median_curve(ax, g, "test_loss", f"C{3 + j}", "s", f"edge-popup, keep {keep:g} (weights never trained)")
            if j == 0:
                _median_curve(ax, g, "start_test_loss", "0.6", "x", f"random mask of the same size, keep {keep:g}")
        if linearised is None and np.isfinite(ok["trained_test_loss"]).any():
            anchor = _median_curve(ax, ok.drop_duplicates(["width", "seed"]), "trained_test_loss", "C0", "o", "trained network")
    if linearised is not None:
        anchor = _median_curve(ax, linearised, "trained_test_loss", "C0", "o", "trained network")
        _median_curve(ax, linearised, "linearised_test_loss", "C1", "^", "linearised network (tangent space)")
    if anchor is not None:
        w, m = anchor
        grid = np.array([min(w), max(w)], dtype=float)
        ax.plot(grid, m[0] * (grid / w[0]) ** -1.0, color="k", lw=0.8, ls="--", label="N^-1 guide")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, [edgepopup, linearised])
    ax.set_xlabel("width N")
    ax.set_ylabel("test MSE (median, bars: quartiles)")
    ax.set_title("Does pruning alone show a scaling law? Strong tickets against training", fontsize=10)
    ax.legend(fontsize=7)
    save(fig, paths, dpi)


def plot_movement(linearised, paths, dpi=150) -> None:
    """Item 4: relative parameter movement |theta - theta0| / |theta0| against width (lazy or rich)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.4))
    anchor = _median_curve(ax, linearised, "trained_movement", "C0", "o", "trained network")
    _median_curve(ax, linearised, "linearised_movement", "C1", "^", "linearised network")
    if anchor is not None:
        w, m = anchor
        grid = np.array([min(w), max(w)], dtype=float)
        ax.plot(grid, m[0] * (grid / w[0]) ** -0.5, color="k", lw=0.8, ls="--", label="N^-1/2 (lazy-training scaling)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, [linearised])
    ax.set_xlabel("width N")
    ax.set_ylabel("|theta - theta0| / |theta0| (median, bars: quartiles)")
    lrs = sorted(set(linearised["lr"])) if "lr" in linearised else []
    ax.set_title("How far training moves the parameters: lazy (falls with N) or rich"
                 + (f"\nlr {', '.join(f'{v:g}' for v in lrs)}" if lrs else ""), fontsize=10)
    ax.legend(fontsize=7)
    save(fig, paths, dpi)


def plot_overlap(overlap, pairs, paths, dpi=150) -> None:
    """Item 3: Jaccard of two methods' kept weights and neurons per network against the random-mask
    null's band, and the share of networks each method's mask keeps the best mirror pair in."""
    plt = pyplot()
    if overlap.empty:
        save_note(paths, "IMP against supermask", "no networks were compared", dpi)
        return
    overlap = overlap.assign(pair=overlap["method_a"] + " vs " + overlap["method_b"])
    combos = sorted(set(zip(overlap["width"], overlap["keep"])))
    names = sorted(set(overlap["pair"]))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), constrained_layout=True)
    for ax, level in zip(axes[:2], ("weights", "neurons")):
        ticks = []
        for ci, (width, keep) in enumerate(combos):
            for pi, name in enumerate(names):
                g = overlap[(overlap["width"] == width) & (overlap["keep"] == keep) & (overlap["pair"] == name)]
                if g.empty:
                    continue
                x = ci * (len(names) + 1) + pi
                ticks.append((x, f"N={width} keep {keep:g}\n{name}"))
                lo, hi = np.median(g[f"null_{level}_low"]), np.median(g[f"null_{level}_high"])
                ax.add_patch(plt.Rectangle((x - 0.35, lo), 0.7, hi - lo, color="0.85", lw=0))
                ax.plot([x - 0.35, x + 0.35], [np.median(g[f"null_{level}_mean"])] * 2, color="0.45", lw=1)
                jitter = (np.arange(len(g)) % 7 - 3) * 0.04
                ax.scatter(x + jitter, g[f"jaccard_{level}"], s=10, color=f"C{pi}", zorder=3)
        ax.set_xticks([t[0] for t in ticks])
        ax.set_xticklabels([t[1] for t in ticks], fontsize=6, rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"Jaccard of kept {level}")
        ax.set_title(f"kept {level}", fontsize=9)
    ax = axes[2]
    if pairs is not None and not pairs.empty:
        vals = pairs["keeps_pair"].astype(str).str.lower()
        has = pairs[vals.isin(["true", "false"])]
        groups = sorted(set(zip(has["width"], has["keep"], has["method"])))
        for k, (width, keep, method) in enumerate(groups):
            g = has[(has["width"] == width) & (has["keep"] == keep) & (has["method"] == method)]
            share = g["keeps_pair"].astype(str).str.lower().eq("true").mean()
            ax.bar(k, share, color="C0")
            ax.plot([k - 0.4, k + 0.4], [g["random_keeps_pair"].mean()] * 2, color="k", lw=1.2)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"N={w} keep {k:g}\n{m}" for w, k, m in groups], fontsize=6, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of networks keeping both neurons")
        ax.set_title("does the mask keep both neurons of the best mirror pair?\n(black: chance of random masks)",
                     fontsize=9)
    else:
        ax.axis("off")
    fig.suptitle("The survey's test: do IMP (train, prune, rewind) and supermasks keep the same subnetwork?\n"
                 "dots: networks; grey box and line: random masks of each method's sizes (95% of draws, mean)",
                 fontsize=10)
    save(fig, paths, dpi)


def plot_manifold(panels, paths, dpi=150) -> None:
    """Item 4 (Fig 2a): first-layer (w, b) of a wide network at init and trained, with the minimum
    spanning tree (the nearest-neighbour chain, our fitted curve) and the ratio R of each.

    panels: list of dicts with title, w, b, w_scale, ratio, collapsed, edges (E, 2), points (distinct)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6), squeeze=False, constrained_layout=True)
    for ax, p in zip(axes[0], panels):
        from matplotlib.collections import LineCollection

        pts = p["points"]
        if p["edges"].size:
            seg = np.stack([pts[p["edges"][:, 0]], pts[p["edges"][:, 1]]], axis=1)
            seg[:, :, 0] /= p["w_scale"]
            ax.add_collection(LineCollection(seg, colors="C1", linewidths=0.5, alpha=0.7, label="minimum spanning tree"))
        ax.scatter(p["w"], p["b"], s=3, color="C0", lw=0, zorder=3, label="neurons")
        ax.set_xlabel("first-layer weight w")
        ax.set_ylabel("first-layer bias b")
        ax.set_title(f"{p['title']}\nR = {p['ratio']:.2f} (1 = no structure), {p['collapsed']} collapsed at (0, 0)",
                     fontsize=8)
        ax.axvline(0, color="k", lw=0.5, ls="--")
        ax.legend(fontsize=6, loc="lower center", markerscale=3)
    fig.suptitle("Do trained (w, b) concentrate near a curve (the paper's attractor manifold), unlike at init?",
                 fontsize=10)
    save(fig, paths, dpi)
