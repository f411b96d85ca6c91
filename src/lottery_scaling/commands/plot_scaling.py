"""`lottery-scaling plot-scaling`: median test MSE vs width for the experiments of one target."""

from __future__ import annotations

from . import _plotargs

HELP = "plot median test MSE vs width (log-log) with fits and reference slopes N^-1, N^-4"


def configure(p) -> None:
    p.add_argument("--experiment", action="append", nargs=3, required=True, metavar=("NAME", "ACTIVATION", "FIT_DIR"),
                   help="experiment, its activation and its fit folder (medians.csv, exponents.csv); repeatable")
    p.add_argument("--task", required=True, help="target function (for the title)")
    _plotargs.add(p)


def run(args) -> int:
    from pathlib import Path

    from .. import figures
    from ..tables import read_csv
    from .fit import EXPONENT_COLUMNS, MEDIAN_COLUMNS

    curves = [{"name": n, "activation": a, "medians": read_csv(Path(d) / "medians.csv", MEDIAN_COLUMNS),
               "exponents": read_csv(Path(d) / "exponents.csv", EXPONENT_COLUMNS)} for n, a, d in args.experiment]
    style = _plotargs.style(args)
    figures.save(figures.scaling(curves, style, args.task), args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
