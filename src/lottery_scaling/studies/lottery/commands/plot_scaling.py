"""`lottery-scaling plot-scaling`: median test MSE vs width for the experiments of one target."""

from __future__ import annotations

from . import _plotargs

HELP = "plot median test MSE vs width (log-log) with fits and reference slopes N^-1, N^-4; or, with --slopes, the local slopes"


def configure(p) -> None:
    p.add_argument("--experiment", action="append", nargs=3, required=True, metavar=("NAME", "ACTIVATION", "FIT_DIR"),
                   help="experiment, its activation and its fit folder (medians.csv, exponents.csv); repeatable")
    p.add_argument("--task", required=True, help="target function (for the title)")
    p.add_argument("--slopes", action="store_true", help="plot the local slopes (fit/slopes.csv) instead of the medians")
    _plotargs.add(p)


def run(args) -> int:
    from pathlib import Path

    from .. import figures
    from ....tables import read_csv
    from .fit import EXPONENT_COLUMNS, MEDIAN_COLUMNS, SLOPE_COLUMNS

    style = _plotargs.style(args)
    if args.slopes:
        curves = [{"name": n, "activation": a, "slopes": read_csv(Path(d) / "slopes.csv", SLOPE_COLUMNS)} for n, a, d in args.experiment]
        figures.save(figures.local_slopes(curves, style, args.task), args.out, style.dpi)
        print(f"wrote {', '.join(args.out)}")
        return 0
    curves = [{"name": n, "activation": a, "medians": read_csv(Path(d) / "medians.csv", MEDIAN_COLUMNS),
               "exponents": read_csv(Path(d) / "exponents.csv", EXPONENT_COLUMNS)} for n, a, d in args.experiment]
    figures.save(figures.scaling(curves, style, args.task), args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
