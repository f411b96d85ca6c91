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


# method names of the masks files and of survey-overlap's --zhou, as a reader of the survey knows them
METHOD_NAMES = {"imp": "IMP (train, prune, rewind)", "edgepopup": "edge-popup (scores trained, weights frozen)",
                "zhou": "Zhou's supermask of the trained network"}
SHORT_NAMES = {"imp": "IMP", "edgepopup": "edge-popup", "zhou": "Zhou"}


def _plain_log_labels(axis) -> None:
    """Tick labels of a log axis as plain numbers (2, 3 rather than 2 x 10^0)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _networks_text(frames) -> str:
    """'x2_silu, 8 networks per width' from the tables' label, width and seed columns."""
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return ""
    labels = sorted({str(v) for f in frames for v in f["label"]}) if all("label" in f for f in frames) else []
    counts = sorted({int(n) for f in frames for n in f.groupby("width")["seed"].nunique()})
    count = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    return ", ".join(labels + [f"{count} networks per width"])


def plot_supermask(df, paths, dpi=150) -> None:
    """Item 1: test loss (or accuracy) of the masked untrained network against the share of weights
    kept, supermask against random masks of the same size, one panel per experiment label."""
    plt = pyplot()
    labels = sorted(set(df["label"]))
    fig, axes = plt.subplots(1, len(labels), figsize=(5.6 * len(labels), 4.6), squeeze=False, constrained_layout=True)
    styles = {("supermask", "init"): ("C3", "-", "o", "supermask, kept weights at init"),
              ("supermask", "signed_constant"): ("C3", "--", "s", "supermask, signed constants"),
              ("random", "init"): ("0.4", "-", "o", "random mask, kept weights at init"),
              ("random", "signed_constant"): ("0.4", "--", "s", "random mask, signed constants")}
    for ax, label in zip(axes[0], labels):
        g = df[df["label"] == label]
        race = (g["model"] == "race").all()
        metric = "accuracy" if race else "loss"
        for (mask, weights), (color, ls, marker, name) in styles.items():
            h = g[(g["mask"] == mask) & (g["weights"] == weights)]
            keeps = sorted(set(h["keep"]))
            stats = np.array([_iqr(h[h["keep"] == k][metric]) for k in keeps])
            if not keeps:
                continue
            ax.plot(keeps, stats[:, 0], color=color, ls=ls, marker=marker, ms=3.5, mfc="none" if ls == "--" else color,
                    label=name)
            ax.fill_between(keeps, stats[:, 1], stats[:, 2], color=color, alpha=0.12, lw=0)
        dense = np.nanmedian(g[f"dense_init_{metric}"])
        trained = np.nanmedian(g[f"trained_{metric}"])
        ax.axhline(dense, color="k", lw=0.8, ls=":", label=f"untrained, no mask ({dense:.3g})")
        if race:
            ax.axhline(trained, color="C2", lw=0.8, ls="-.", label=f"trained ({trained:.3g})")
            ax.axhline(0.5, color="0.7", lw=0.6, label="chance (balanced classes)")
            ax.set_ylabel("test accuracy of the masked untrained network")
        else:
            ax.set_yscale("log")
            ax.set_ylabel("test MSE of the masked untrained network")
            # the trained networks' loss sits orders of magnitude lower: as text, not as an axis range
            ax.plot([], [], " ", label=f"trained network: {trained:.3g} (off this scale)")
            _plain_log_labels(ax.yaxis)
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
        ax.plot(grid, m[0] * (grid / w[0]) ** -1.0, color="k", lw=0.8, ls="--",
                label=f"$N^{{-1}}$ through the trained median at N = {w[0]}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, [edgepopup, linearised])
    ax.set_xlabel("width N")
    ax.set_ylabel("test MSE (median, bars: quartiles)")
    what = _networks_text([edgepopup, linearised])
    ax.set_title("Does pruning alone show a scaling law? Strong tickets against training"
                 + (f"\n{what}" if what else ""), fontsize=10)
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
        ax.plot(grid, m[0] * (grid / w[0]) ** -0.5, color="k", lw=0.8, ls="--",
                label=f"$N^{{-1/2}}$ (lazy training) through the trained median at N = {w[0]}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, [linearised])
    ax.set_xlabel("width N")
    ax.set_ylabel(r"relative movement $|\theta - \theta_0|\,/\,|\theta_0|$" + "\n(median, bars: quartiles)")
    lrs = sorted(set(linearised["lr"])) if "lr" in linearised else []
    what = ", ".join(([_networks_text([linearised])] if "label" in linearised else [])
                     + ([f"Adam lr {', '.join(f'{v:g}' for v in lrs)}"] if lrs else []))
    ax.set_title("How far training moves the parameters: lazy (falls as $N^{-1/2}$) or rich"
                 + (f"\n{what}" if what else ""), fontsize=10)
    ax.legend(fontsize=7)
    save(fig, paths, dpi)


def plot_overlap(overlap, pairs, paths, dpi=150) -> None:
    """Item 3: Jaccard of two methods' kept weights and neurons per network against the random-mask
    null's band, and the share of networks each method's mask keeps the best mirror pair in."""
    plt = pyplot()
    if overlap.empty:
        save_note(paths, "IMP against supermask", "no networks were compared", dpi)
        return
    def short(m):
        return SHORT_NAMES.get(str(m), str(m))

    overlap = overlap.assign(pair=overlap["method_a"].map(short) + " vs " + overlap["method_b"].map(short))
    combos = sorted(set(zip(overlap["width"], overlap["keep"])))
    one = len(combos) == 1  # one width and keep: said once, in the title, not under every column
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
                ticks.append((x, name if one else f"N = {width}, keep {keep:g}\n{name}"))
                lo, hi = np.median(g[f"null_{level}_low"]), np.median(g[f"null_{level}_high"])
                ax.add_patch(plt.Rectangle((x - 0.35, lo), 0.7, hi - lo, color="0.85", lw=0))
                ax.plot([x - 0.35, x + 0.35], [np.median(g[f"null_{level}_mean"])] * 2, color="0.45", lw=1)
                jitter = (np.arange(len(g)) % 7 - 3) * 0.04
                ax.scatter(x + jitter, g[f"jaccard_{level}"], s=10, color=f"C{pi}", zorder=3)
        ax.set_xticks([t[0] for t in ticks])
        ax.set_xticklabels([t[1] for t in ticks], fontsize=8, rotation=0 if one else 30, ha="center" if one else "right")
        ax.set_xlim(-0.6, max((t[0] for t in ticks), default=0) + 0.6)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"Jaccard |A and B| / |A or B| of kept {level}")
        ax.set_title(f"kept {level}" + (" (w and v; biases are never pruned by IMP)" if level == "weights" else
                                          " (v_i and at least one w_i kept)"), fontsize=9)
    ax = axes[2]
    if pairs is not None and not pairs.empty:
        vals = pairs["keeps_pair"].astype(str).str.lower()
        has = pairs[vals.isin(["true", "false"])]
        groups = sorted(set(zip(has["width"], has["keep"], has["method"])))
        from ...bootstrap import wilson_interval

        single = len({(w, k) for w, k, _ in groups}) == 1
        for k, (width, keep, method) in enumerate(groups):
            g = has[(has["width"] == width) & (has["keep"] == keep) & (has["method"] == method)]
            hits, n = int(g["keeps_pair"].astype(str).str.lower().eq("true").sum()), len(g)
            lo, hi = wilson_interval(hits, n)
            ax.bar(k, hits / n, color="C0", width=0.6)
            # Wilson's interval of 0/n or n/n reaches the share only to rounding: clip at 0
            ax.errorbar(k, hits / n, yerr=[[max(0.0, hits / n - lo)], [max(0.0, hi - hits / n)]], color="C0", capsize=3,
                        lw=1)
            ax.text(k, hi + 0.02, f"{hits}/{n}", ha="center", fontsize=8)
            ax.plot([k - 0.4, k + 0.4], [g["random_keeps_pair"].mean()] * 2, color="k", lw=1.5,
                    label="random masks of the same sizes" if k == 0 else None)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([short(m) if single else f"N = {w}, keep {k:g}\n{short(m)}" for w, k, m in groups],
                           fontsize=8, rotation=0 if single else 30, ha="center" if single else "right")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of networks keeping both neurons\n(bars: 95% Wilson interval)")
        ax.set_title("does the mask keep both neurons of the trained network's\nbest mirror pair (the first paper's ticket)?",
                     fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    else:
        ax.axis("off")
    methods = sorted(set(overlap["method_a"]) | set(overlap["method_b"]))
    where = f"N = {combos[0][0]}, keep {combos[0][1]:g}, " if one else ""
    fig.suptitle("The survey's test: do IMP (train, prune, rewind) and a supermask found without training keep the same "
                 f"subnetwork?\n{where}" + "; ".join(f"{short(m)}: {METHOD_NAMES.get(m, m)}" for m in methods)
                 + "\ndots: networks; grey box and line: random masks of each method's sizes (95% of draws, mean)",
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
        from matplotlib.ticker import MaxNLocator

        ax.set_title(f"{p['title']}\nR = {p['ratio']:.2f} (1 = no structure); {p['collapsed']} of {len(p['w'])} "
                     "neurons collapsed at (0, 0)", fontsize=8)
        ax.axvline(0, color="k", lw=0.5, ls="--")
        ax.xaxis.set_major_locator(MaxNLocator(6))
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=8, markerscale=3, frameon=False)
    fig.suptitle("Do trained (w, b) concentrate near a curve (the paper's attractor manifold), unlike at init?\n"
                 "R = length of the minimum spanning tree of (w, b) / the same with b shuffled over the neurons",
                 fontsize=10)
    save(fig, paths, dpi)
