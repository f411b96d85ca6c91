"""`lottery-scaling plot-bridge KIND`: figures of the bridge study."""

from __future__ import annotations

import argparse

from ....commands._argtypes import int_at_least

HELP = "figures of the bridge study: alignment, rewind or emergence"
KINDS = {"alignment": ("in_ticket", "alignment", "contribution"), "rewind": ("arm", "test_loss", "lottery_basin_high"),
         "emergence": ("mirror_step", "r2_step", "width")}


def _figure_path(text: str) -> str:
    if not text.endswith((".png", ".pdf", ".svg")):
        raise argparse.ArgumentTypeError(f"must end in .png, .pdf or .svg, got {text!r}")
    return text


def configure(p) -> None:
    p.add_argument("kind", choices=sorted(KINDS), help="which figure")
    p.add_argument("tables", nargs="+", help="its tables: bridge-alignment neurons, bridge-rewind tables, or bridge-emergence")
    p.add_argument("--out", nargs="+", required=True, type=_figure_path, help="figure files (.png/.pdf/.svg)")
    p.add_argument("--dpi", type=int_at_least(20), default=150, help="raster resolution (default %(default)s)")


def run(args) -> int:
    import pandas as pd

    from .. import figures
    from ....tables import read_csv

    df = pd.concat([read_csv(p, required=KINDS[args.kind]) for p in args.tables], ignore_index=True)
    getattr(figures, f"plot_{args.kind}")(df, args.out, args.dpi)
    return 0
