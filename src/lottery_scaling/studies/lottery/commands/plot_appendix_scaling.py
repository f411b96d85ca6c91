"""`lottery-scaling plot-appendix-scaling`: median test MSE vs width, one panel per target (paper Fig 7, 8)."""

from __future__ import annotations

from . import _plotargs

HELP = "plot median test MSE vs width with an N^-1 reference, one panel per target (paper Appendix A, Fig 7 and 8)"


def configure(p) -> None:
    p.add_argument("--panel", action="append", nargs=3, required=True, metavar=("TASK", "ACTIVATION", "FIT_DIR"),
                   help="a target (panel, in the order given), its activation and its experiment's fit folder "
                        "(medians.csv, exponents.csv); repeatable")
    p.add_argument("--title", required=True, help="figure title")
    p.add_argument("--range", default="late", help="fit range whose exponent is written in each panel (default %(default)s)")
    p.add_argument("--anchor-width", type=float, default=10.0,
                   help="the N^-1 reference passes through the median at the first width >= this (default %(default)s)")
    _plotargs.add(p)


def run(args) -> int:
    from pathlib import Path

    from .. import figures
    from ....tables import read_csv
    from .fit import EXPONENT_COLUMNS, MEDIAN_COLUMNS

    style = _plotargs.style(args)
    panels = [{"task": t, "activation": a, "medians": read_csv(Path(d) / "medians.csv", MEDIAN_COLUMNS),
               "exponents": read_csv(Path(d) / "exponents.csv", EXPONENT_COLUMNS)} for t, a, d in args.panel]
    fig = figures.appendix_scaling(panels, style, args.title, anchor_width=args.anchor_width, range_name=args.range)
    figures.save(fig, args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
