"""Figures of the analysis stages (matplotlib, Agg backend): scaling law, histograms, synergy.

Every figure shows the test-set MSE (mean squared error on the dense test grid) of the
non-diverged seeds; axes are logarithmic and labelled with units. Plot-only settings live in
FigureStyle so that changing them reruns only the figure rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ...errors import UserError
from ...plotting import pyplot, save  # noqa: F401  (save: the study's figures are saved by the shared saver)

ACTIVATION_LABELS = {"silu": "SiLU", "leaky_relu": "LeakyReLU", "relu": "ReLU", "tanh": "tanh"}
TASK_LABELS = {"x2": "$x^2$", "x3": "$x^3$", "x4": "$x^4$", "sin": r"$\sin x$", "cos": r"$\cos x$", "exp": "$e^x$",
               "sin2": r"$\sin^2 x$", "expx2": "$e^{x^2}$", "relu": "relu$(x)$", "tanh": r"$\tanh x$",
               "prod2": "$x_1x_2$", "prod3": "$x_1x_2x_3$", "prod4": "$x_1 \\cdots x_4$", "prod5": "$x_1 \\cdots x_5$"}


@dataclass(frozen=True)
class FigureStyle:
    dpi: int = 150
    panel_width: float = 3.2  # inches per panel
    panel_height: float = 2.4
    columns: int = 3  # panels per row in grids
    bins_per_decade: float = 8.0
    colors: dict = field(default_factory=lambda: {"silu": "#1f77b4", "leaky_relu": "#d62728", "relu": "#ff7f0e", "tanh": "#2ca02c"})
    mode_color: str = "#444444"
    lottery_color: str = "#e6550d"
    ensemble_color: str = "#9467bd"
    reference_slopes: tuple = (1.0, 4.0)
    # fit ranges (names of config fit.ranges) drawn per activation; activations not listed: none
    fit_lines: dict = field(default_factory=lambda: {"silu": ["n1"], "leaky_relu": ["early", "late"]})

    def color(self, activation: str, i: int = 0) -> str:
        return self.colors.get(activation, f"C{i % 10}")

    @classmethod
    def from_dict(cls, values: dict | None) -> "FigureStyle":
        """Style from the config's `figures` section; a bad value raises UserError naming it."""
        values = dict(values or {})
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise UserError(f"unknown figure setting(s) {', '.join(unknown)}; allowed: {', '.join(f.name for f in fields(cls))}")
        if not isinstance(values.get("colors", {}), dict) or not isinstance(values.get("fit_lines", {}), dict):
            raise UserError("colors and fit_lines must be mappings from activation to a value")
        if "reference_slopes" in values:
            slopes = values["reference_slopes"]
            if not isinstance(slopes, (list, tuple)) or not all(_is_number(x) and x > 0 for x in slopes):
                raise UserError(f"reference_slopes: must be a list of numbers > 0, got {slopes!r}")
            values["reference_slopes"] = tuple(slopes)
        if "colors" in values:
            values["colors"] = {**cls().colors, **values["colors"]}
        style = cls(**values)
        style.check()
        return style

    def check(self) -> None:
        """Raise UserError naming the first setting matplotlib could not use."""
        from matplotlib.colors import is_color_like

        for name, low, kind in (("dpi", 10, int), ("panel_width", 0, float), ("panel_height", 0, float),
                                ("columns", 1, int), ("bins_per_decade", 0, float)):
            value = getattr(self, name)
            ok = _is_number(value) and (float(value).is_integer() if kind is int else True)
            if not ok or (value < low if kind is int else value <= low):
                what = f"an integer >= {low}" if kind is int else f"a number > {low}"
                raise UserError(f"{name}: must be {what}, got {value!r}")
        if self.bins_per_decade > self.panel_width * self.dpi:
            # edges are drawn per bin: past one pixel per bin of a one-decade panel nothing more shows
            raise UserError(f"bins_per_decade: {self.bins_per_decade:g} bins per decade are narrower than a pixel of a "
                            f"{self.panel_width:g}-inch panel at dpi {self.dpi} (at most {self.panel_width * self.dpi:g})")
        colors = {f"colors.{k}": v for k, v in self.colors.items()}
        colors.update(mode_color=self.mode_color, lottery_color=self.lottery_color, ensemble_color=self.ensemble_color)
        for name, value in colors.items():
            if not isinstance(value, str) or not is_color_like(value):
                raise UserError(f"{name}: {value!r} is not a matplotlib colour (e.g. '#1f77b4', 'tab:red', 'C0')")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _nice(activation: str) -> str:
    return ACTIVATION_LABELS.get(activation, activation)


def scaling(curves, style: FigureStyle, task: str):
    """Median test MSE vs width, one curve per experiment (paper Fig 1c, 7, 8).

    curves: list of dicts with name, activation, medians (DataFrame of fit/medians.csv),
    exponents (DataFrame of fit/exponents.csv).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2 * style.panel_width, 1.6 * style.panel_height))
    all_w, anchor = [], None
    for i, c in enumerate(curves):
        m = c["medians"].dropna(subset=["median_loss"])
        if m.empty:
            continue
        color = style.color(c["activation"], i)
        w, med = m["width"].to_numpy(float), m["median_loss"].to_numpy(float)
        yerr = np.vstack([med - m["median_ci_low"].to_numpy(float), m["median_ci_high"].to_numpy(float) - med])
        label = f"{_nice(c['activation'])} ({c['name']})"
        ax.errorbar(w, med, yerr=np.clip(yerr, 0, None), fmt="o-", color=color, ms=4, lw=1.2, capsize=2, label=label)
        all_w += list(w)
        if anchor is None or (w[-1], -med[-1]) > (anchor[0], -anchor[1]):
            anchor = (w[-1], med[-1])  # the lowest median at the largest width
        for k, rname in enumerate(style.fit_lines.get(c["activation"], [])):
            r = c["exponents"][c["exponents"]["range"] == rname]
            if r.empty or not np.isfinite(r.iloc[0]["alpha"]):
                continue
            r = r.iloc[0]
            ws = np.array([float(x) for x in str(r["widths_used"]).split()])
            xs = np.geomspace(ws.min(), ws.max(), 20)
            ax.plot(xs, r["prefactor"] * xs ** -r["alpha"], ls=(0, (4, 1.5)) if k == 0 else (0, (1, 1)), color=color, lw=2.2, alpha=0.6,
                    label=f"{_nice(c['activation'])} fit, N {ws.min():g}-{ws.max():g}: $\\alpha$ = {r['alpha']:.2f} "
                          f"[{r['alpha_ci_low']:.2f}, {r['alpha_ci_high']:.2f}]")
    if all_w and anchor is not None:
        # reference lines pass a factor 3 below the lowest median at the largest width
        xs = np.geomspace(min(all_w), max(all_w), 50)
        for j, s in enumerate(style.reference_slopes):
            ax.plot(xs, anchor[1] / 3 * (xs / anchor[0]) ** -s, color="0.45", lw=1, ls=["--", ":", "-."][j % 3],
                    label=f"reference $\\propto N^{{-{s:g}}}$")
        lo = min(c["medians"]["median_ci_low"].min() for c in curves if not c["medians"].empty)
        hi = max(c["medians"]["median_ci_high"].max() for c in curves if not c["medians"].empty)
        lo = min(lo, anchor[1] / 3)
        if np.isfinite(lo) and np.isfinite(hi) and lo > 0:
            ax.set_ylim(lo / 3, hi * 3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, all_w)
    ax.set_xlabel("width N (hidden neurons)")
    ax.set_ylabel("median test loss (MSE)")
    ax.set_title(f"{task_label(task)}: median test MSE vs width (bars: 95% bootstrap interval)", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def local_slopes(curves, style: FigureStyle, task: str):
    """Local exponent -dlog(median)/dlog(N) between neighbouring widths, per experiment, with intervals.

    curves: list of dicts with name, activation, slopes (DataFrame of fit/slopes.csv).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2 * style.panel_width, 1.4 * style.panel_height))
    widths = set()
    for i, c in enumerate(curves):
        sl = c["slopes"]
        if sl.empty:
            continue
        color = style.color(c["activation"], i)
        lo_w, hi_w = sl["width_low"].to_numpy(float), sl["width_high"].to_numpy(float)
        mid = np.sqrt(lo_w * hi_w)  # geometric midpoint of each pair of widths
        y = sl["local_slope"].to_numpy(float)
        yerr = np.vstack([y - sl["slope_ci_low"].to_numpy(float), sl["slope_ci_high"].to_numpy(float) - y])
        label = f"{_nice(c['activation'])} ({c['name']})"
        ax.errorbar(mid, y, yerr=np.clip(np.nan_to_num(yerr), 0, None), fmt="o-", color=color, ms=4, lw=1.2, capsize=2, label=label)
        widths |= set(lo_w) | set(hi_w)
    for j, s in enumerate(style.reference_slopes):
        ax.axhline(s, color="0.45", lw=1, ls=["--", ":", "-."][j % 3], label=f"slope {s:g} ($N^{{-{s:g}}}$)")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xscale("log")
    _width_ticks(ax, widths)
    ax.set_xlabel("width N (points at the geometric mean of neighbouring trained widths)")
    ax.set_ylabel("local exponent $-\\Delta\\log$ MSE / $\\Delta\\log N$")
    ax.set_title(f"{task_label(task)}: local slope of median test MSE vs width (bars: 95% bootstrap interval)", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def _width_ticks(ax, widths) -> None:
    """Label the log width axis at the trained widths only."""
    if not widths:
        return
    from matplotlib.ticker import NullFormatter

    ticks = sorted(set(widths))
    # over more than two decades neighbouring labels (30, 40, 50) overlap: then label only the
    # trained widths of the form 1, 2 or 5 x 10^k, and the ends
    span = np.log10(max(ticks) / min(ticks)) if min(ticks) > 0 else 0
    if span > 2:
        def one_two_five(w):
            mantissa = w / 10.0 ** np.floor(np.log10(w))
            return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5))

        ticks = sorted({ticks[0], ticks[-1], *[w for w in ticks if one_two_five(w)]})
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{w:g}" for w in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def _log_x(ax) -> None:
    """Log x axis with labelled decades only (also when the data span less than a decade)."""
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    if np.log10(hi / lo) < 1.5:
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _log_edges(log10_values, style: FigureStyle, bins_range=None) -> np.ndarray:
    """Bin edges (in MSE) of equal width in log10, bins_per_decade per decade."""
    step = 1.0 / style.bins_per_decade
    lo, hi = bins_range if bins_range else (float(np.min(log10_values)), float(np.max(log10_values)))
    return 10.0 ** np.arange(np.floor(lo / step) * step, hi + 2 * step, step)


def _hist_panel(ax, log10_loss, kde, modes, n_diverged, style: FigureStyle, bins_range, title, color):
    n = log10_loss.size
    step = 1.0 / style.bins_per_decade
    ax.hist(10.0**log10_loss, bins=_log_edges(log10_loss, style, bins_range), color=color, alpha=0.55, label=f"{n} seeds")
    if kde is not None and len(kde):
        ax.plot(10.0 ** kde["log10_loss"], kde["density"] * n * step, color=color, lw=1.2, label="KDE (seeds per bin)")
    top = ax.get_ylim()[1] * 1.25
    ax.set_ylim(0, top)
    for i, (_, m) in enumerate(modes.sort_values("log10_loss").iterrows()):
        x = 10.0 ** m["log10_loss"]
        y = top * (0.98 - 0.16 * (i % 2))  # alternate heights so labels of close modes do not overlap
        if m["lottery"]:
            ax.axvline(x, color=style.lottery_color, lw=1.6)
            ax.text(x, y, f" lottery\n {100 * m['share']:.0f}%", color=style.lottery_color, fontsize=7, va="top", ha="left")
        else:
            ax.axvline(x, color=style.mode_color, lw=1, ls="--")
            label = " one mode" if len(modes) == 1 else f" {100 * m['share']:.0f}%"
            ax.text(x, y, label, color=style.mode_color, fontsize=7, va="top")
    note = f", {n_diverged} diverged" if n_diverged else ""
    ax.set_title(f"{title}{note}", fontsize=9)
    lo, hi = bins_range
    ax.set_xlim(10.0**lo, 10.0**hi)
    _log_x(ax)


def histogram_grid(panels, style: FigureStyle, title: str):
    """One histogram of log10 test MSE per width, shared x axis, robust modes marked (paper Fig 3, 5, 6).

    panels: list of dicts with width, log10_loss, n_diverged, kde (DataFrame), modes (kept modes, DataFrame), activation.
    """
    plt = pyplot()
    k = len(panels)
    cols = min(style.columns, k)
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(style.panel_width * cols, style.panel_height * rows), sharex=True, squeeze=False)
    everything = np.concatenate([p["log10_loss"] for p in panels if p["log10_loss"].size] or [np.zeros(1)])
    bins_range = (np.floor(everything.min()) - 0.5, np.ceil(everything.max()) + 0.5)
    for ax, p in zip(axes.flat, panels):
        _hist_panel(ax, p["log10_loss"], p["kde"], p["modes"], p["n_diverged"], style, bins_range, f"N = {p['width']}",
                    style.color(p["activation"]))
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("test loss (MSE), log scale")
    for ax in axes[:, 0]:
        ax.set_ylabel("networks (seeds)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def histogram_modes(panel, style: FigureStyle, title: str):
    """The histogram of one width with its robust modes and the lottery-ticket share (paper Fig 2b)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2 * style.panel_width, 1.4 * style.panel_height))
    x = panel["log10_loss"]
    rng = (np.floor(x.min()) - 0.5, np.ceil(x.max()) + 0.5) if x.size else (-1, 1)
    _hist_panel(ax, x, panel["kde"], panel["modes"], panel["n_diverged"], style, rng, title, style.color(panel["activation"]))
    ax.set_xlabel("test loss (MSE), log scale")
    ax.set_ylabel("networks (seeds)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def synergy_panels(comparisons, style: FigureStyle, title: str, activation: str):
    """Width N vs the ensemble prediction of two width-N/2 networks, one panel per N (paper Fig 4).

    comparisons: list of dicts with width, half_width, wide (losses), ensemble (losses), and the summary row.
    """
    plt = pyplot()
    k = len(comparisons)
    cols = min(style.columns, max(k, 1))
    rows = max(int(np.ceil(k / cols)), 1)
    fig, axes = plt.subplots(rows, cols, figsize=(style.panel_width * cols, style.panel_height * rows), squeeze=False)
    for ax, c in zip(axes.flat, comparisons):
        lw, le = np.log10(c["wide"]), np.log10(c["ensemble"])
        edges = _log_edges(np.concatenate([lw, le]), style)
        ax.hist(c["wide"], bins=edges, weights=np.full(lw.size, style.bins_per_decade / lw.size),
                color=style.color(activation), alpha=0.55, label=f"N = {c['width']}")
        ax.hist(c["ensemble"], bins=edges, weights=np.full(le.size, style.bins_per_decade / le.size), histtype="step",
                lw=1.5, color=style.ensemble_color, label=f"{c['half_width']}+{c['half_width']} ensemble")
        _log_x(ax)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
        s = c["row"]
        ax.set_title(f"N = {c['width']} vs {c['half_width']} + {c['half_width']}: ratio {s['median_ratio']:.3g} "
                     f"[{s['ratio_ci_low']:.3g}, {s['ratio_ci_high']:.3g}]\n"
                     f"KS {s['ks']:.2f}, Wasserstein {s['wasserstein_decades']:.2f} decades", fontsize=8)
        ax.set_xlabel("test loss (MSE), log scale")
        ax.set_ylabel("fraction per decade")
        ax.legend(fontsize=6.5, loc="upper right")
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    if not comparisons:
        axes.flat[0].set_visible(True)
        axes.flat[0].text(0.5, 0.5, "no trained width N whose half N/2 is trained", ha="center", va="center")
        axes.flat[0].set_axis_off()
    fig.suptitle(title + "\n(median ratio = ensemble median / N median; > 1: the wide network beats ensembling)", fontsize=9)
    fig.tight_layout()
    return fig


# ---- Appendix A (paper Fig 5-8): every target at once ----

def task_label(task: str) -> str:
    """Display name of a target: the paper's notation for built-in targets, the formula for user-defined ones."""
    if task in TASK_LABELS:
        return TASK_LABELS[task]
    from .expressions import is_expression, label

    return label(task) if is_expression(task) else task


def appendix_histograms(rows, style: FigureStyle, title: str):
    """Grid of log10 test-MSE histograms: one row per target, one column per width (paper Fig 5, 6).

    rows: list of dicts with task, activation and panels ({width: dict(log10_loss, n_diverged, kde, modes)}).
    Each row shares its x axis (so the shift with width reads along the row); robust modes are
    marked with ticks at the top (the lowest-loss mode, the lottery ticket, in the lottery colour)
    and their number is written in the corner.
    """
    plt = pyplot()
    widths = sorted({w for r in rows for w in r["panels"]})
    nr, nc = max(1, len(rows)), max(1, len(widths))
    pw, ph = 0.5 * style.panel_width, 0.45 * style.panel_height
    fig, axes = plt.subplots(nr, nc, figsize=(pw * nc + 0.8, ph * nr + 0.8), squeeze=False)
    for i, r in enumerate(rows):
        logs = [p["log10_loss"] for p in r["panels"].values() if p["log10_loss"].size]
        everything = np.concatenate(logs) if logs else np.zeros(1)
        bins_range = (np.floor(everything.min()) - 0.25, np.ceil(everything.max()) + 0.25)
        color = style.color(r["activation"])
        for j, w in enumerate(widths):
            ax = axes[i, j]
            if j:
                ax.sharex(axes[i, 0])
            p = r["panels"].get(w)
            if p is None:
                ax.text(0.5, 0.5, "not trained", transform=ax.transAxes, ha="center", va="center", fontsize=6, color="0.5")
                ax.set_xscale("log")
                ax.set_xlim(10.0 ** bins_range[0], 10.0 ** bins_range[1])
            else:
                x = p["log10_loss"]
                step = 1.0 / style.bins_per_decade
                if x.size:
                    ax.hist(10.0**x, bins=_log_edges(x, style, bins_range), color=color, alpha=0.55)
                if p["kde"] is not None and len(p["kde"]):
                    ax.plot(10.0 ** p["kde"]["log10_loss"], p["kde"]["density"] * x.size * step, color=color, lw=0.9)
                top = ax.get_ylim()[1] * 1.2
                ax.set_ylim(0, top)
                for _, m in p["modes"].iterrows():
                    c = style.lottery_color if m["lottery"] else style.mode_color
                    ax.plot([10.0 ** m["log10_loss"]], [top * 0.93], marker="v", ms=4, color=c, ls="none")
                n_modes = len(p["modes"])
                note = f"{n_modes} mode{'s' if n_modes != 1 else ''}" + (f"\n{p['n_diverged']} div." if p["n_diverged"] else "")
                ax.text(0.97, 0.8, note, transform=ax.transAxes, ha="right", va="top", fontsize=5.5,
                        color=style.lottery_color if n_modes > 1 else "0.3")
                ax.set_xscale("log")
                ax.set_xlim(10.0 ** bins_range[0], 10.0 ** bins_range[1])
            from matplotlib.ticker import LogLocator, NullFormatter

            span = bins_range[1] - bins_range[0]
            ax.xaxis.set_major_locator(LogLocator(numticks=4 if span > 6 else 6))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.tick_params(labelsize=5, length=2, pad=1)
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"N = {w}", fontsize=8)
            if j == 0:
                ax.set_ylabel(task_label(r["task"]), fontsize=8, rotation=0, ha="right", va="center", labelpad=4)
    fig.supxlabel("test loss (MSE), log scale; each row shares its x axis", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(h_pad=0.3, w_pad=0.2)
    return fig


def appendix_scaling(panels, style: FigureStyle, title: str, anchor_width: float = 10.0, range_name: str = "late"):
    """Median test MSE vs width, one panel per target, with an N^-1 reference (paper Fig 7, 8).

    panels: list of dicts with task, activation, medians (fit/medians.csv), exponents (fit/exponents.csv).
    The reference N^-1 passes through the median at the first trained width >= anchor_width
    (else the widest); the exponent of fit range `range_name` is written in each panel.
    """
    from matplotlib.ticker import NullFormatter

    plt = pyplot()
    k = max(1, len(panels))
    cols = min(5, k)
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(0.8 * style.panel_width * cols, 0.85 * style.panel_height * rows),
                             sharex=True, squeeze=False)
    all_w = sorted({float(w) for p in panels for w in p["medians"]["width"]})
    for ax, p in zip(axes.flat, panels):
        m = p["medians"].dropna(subset=["median_loss"])
        color = style.color(p["activation"])
        ax.set_title(task_label(p["task"]), fontsize=9)
        if m.empty:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=7, color="0.5")
            continue
        w, med = m["width"].to_numpy(float), m["median_loss"].to_numpy(float)
        yerr = np.clip(np.vstack([med - m["median_ci_low"].to_numpy(float), m["median_ci_high"].to_numpy(float) - med]), 0, None)
        ax.errorbar(w, med, yerr=yerr, fmt="o-", color=color, ms=3, lw=1.1, capsize=1.5, label="median (95% CI)")
        at = [i for i, x in enumerate(w) if x >= anchor_width]
        a = at[0] if at else len(w) - 1
        xs = np.geomspace(w.min(), w.max(), 30)
        ax.plot(xs, med[a] * (xs / w[a]) ** -1.0, color="0.4", lw=1, ls="--", label=f"$\\propto N^{{-1}}$ through N = {w[a]:g}")
        r = p["exponents"][p["exponents"]["range"] == range_name]
        if not r.empty and np.isfinite(r.iloc[0]["alpha"]):
            r = r.iloc[0]
            # upper right: the medians fall with N, so that corner is empty in every panel
            ax.text(0.97, 0.95, f"$\\alpha_{{{r['range_low']:g}-{r['range_high']:g}}}$ = {r['alpha']:.2f}\n"
                                f"[{r['alpha_ci_low']:.2f}, {r['alpha_ci_high']:.2f}]",
                    transform=ax.transAxes, fontsize=6.5, va="top", ha="right")
        ax.set_xscale("log")
        ax.set_yscale("log")
        lo = min(np.nanmin(m["median_ci_low"].to_numpy(float)), med[a] * (w.max() / w[a]) ** -1.0)
        hi = max(np.nanmax(m["median_ci_high"].to_numpy(float)), med[a] * (w.min() / w[a]) ** -1.0)
        if np.isfinite(lo) and np.isfinite(hi) and lo > 0:
            ax.set_ylim(lo / 2, hi * 2)
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(which="both", labelsize=6.5)
        ax.yaxis.set_minor_formatter(NullFormatter())
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    ticks = [w for w in all_w if w == all_w[0] or w == all_w[-1] or f"{w:g}".strip("0") in ("1", "2", "5")]
    for ax in axes.flat:
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{w:g}" for w in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    for j in range(cols):  # the lowest visible panel of each column carries the width axis
        bottom = max(i for i in range(rows) if i * cols + j < k) if j < k else None
        if bottom is not None:
            axes[bottom, j].tick_params(labelbottom=True)
            axes[bottom, j].set_xlabel("width N", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("median test MSE", fontsize=8)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=style.color(panels[0]["activation"]) if panels else "C0", marker="o", ms=3, lw=1.1),
               Line2D([], [], color="0.4", lw=1, ls="--")]
    fig.legend(handles, ["median test MSE (bars: 95% bootstrap interval)",
                         f"$\\propto N^{{-1}}$ through the median at the first N >= {anchor_width:g}"],
               loc="lower center", ncol=2, fontsize=7, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
