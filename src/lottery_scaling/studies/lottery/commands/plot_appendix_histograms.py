"""`lottery-scaling plot-appendix-histograms`: loss histograms of every target x width in one grid (paper Fig 5, 6)."""

from __future__ import annotations

from . import _plotargs

HELP = "plot a grid of log10 test-MSE histograms, one row per target and one column per width (paper Appendix A, Fig 5 and 6)"


def configure(p) -> None:
    p.add_argument("inputs", nargs="+", help="merged trained-networks HDF5 files; each goes to the row of its task")
    p.add_argument("--row", action="append", nargs=2, required=True, metavar=("TASK", "HISTOGRAM_DIR"),
                   help="a target (row, in the order given) and its experiment's histogram folder "
                        "(N{width}_modes.csv, N{width}_kde.csv); repeatable")
    p.add_argument("--title", required=True, help="figure title")
    _plotargs.add(p)


def run(args) -> int:
    from pathlib import Path

    from .. import figures, losses
    from ....errors import UserError
    from ....tables import read_csv
    from .histogram import KDE_COLUMNS, MODE_COLUMNS

    order = [t for t, _ in args.row]
    if len(set(order)) != len(order):
        raise UserError("--row: each target at most once")
    by_task = {t: [] for t in order}
    for path in args.inputs:
        task = losses.load(path).task
        if task not in by_task:
            raise UserError(f"{path}: task {task!r} has no --row")
        by_task[task].append(path)
    rows = []
    for task, folder in args.row:
        d = Path(folder)
        panels = {}
        for width, wl in losses.load_many(by_task[task]).items():
            modes = read_csv(d / f"N{width}_modes.csv", MODE_COLUMNS)
            panels[width] = {"log10_loss": wl.log10, "n_diverged": wl.n_diverged,
                             "kde": read_csv(d / f"N{width}_kde.csv", KDE_COLUMNS), "modes": modes[modes["kept"].astype(bool)]}
            activation = wl.activation
        rows.append({"task": task, "activation": activation if panels else "", "panels": panels})
    style = _plotargs.style(args)
    figures.save(figures.appendix_histograms(rows, style, args.title), args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
