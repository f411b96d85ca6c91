"""`lottery-scaling plot-histograms`: log10 test-MSE histograms per width with robust modes marked."""

from __future__ import annotations

from . import _plotargs

HELP = "plot log10 test-MSE histograms (one panel per width, or one large panel) with robust modes and lottery tickets"


def configure(p) -> None:
    p.add_argument("inputs", nargs="+", help="merged trained-networks HDF5 files of one experiment")
    p.add_argument("--histogram-dir", required=True, help="folder with N{width}_modes.csv and N{width}_kde.csv of the histogram stage")
    p.add_argument("--title", required=True, help="figure title")
    p.add_argument("--single", action="store_true", help="one large panel (needs exactly one input)")
    _plotargs.add(p)


def run(args) -> int:
    from pathlib import Path

    from .. import figures, losses
    from ....errors import UserError
    from ....tables import read_csv
    from .histogram import KDE_COLUMNS, MODE_COLUMNS

    if args.single and len(args.inputs) != 1:
        raise UserError("--single needs exactly one input file")
    d = Path(args.histogram_dir)
    panels = []
    for width, wl in losses.load_many(args.inputs).items():
        modes = read_csv(d / f"N{width}_modes.csv", MODE_COLUMNS)
        panels.append({"width": width, "log10_loss": wl.log10, "n_diverged": wl.n_diverged, "activation": wl.activation,
                       "kde": read_csv(d / f"N{width}_kde.csv", KDE_COLUMNS), "modes": modes[modes["kept"].astype(bool)]})
    style = _plotargs.style(args)
    if args.single:
        fig = figures.histogram_modes(panels[0], style, args.title)
    else:
        fig = figures.histogram_grid(panels, style, args.title)
    figures.save(fig, args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
