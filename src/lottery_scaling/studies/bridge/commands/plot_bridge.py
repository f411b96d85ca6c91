"""`lottery-scaling plot-bridge KIND`: figures of the bridge study."""

from __future__ import annotations

import argparse

from ....commands._argtypes import int_at_least

HELP = "figures of the bridge study: alignment, rewind or emergence"
KINDS = {"alignment": ("in_ticket", "alignment", "contribution"), "rewind": ("arm", "test_loss", "width", "diverged"),
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
    p.add_argument("--basin", default=None, help="rewind only: the lottery-ticket basin of bridge-ticket-basin (shaded)")


def run(args) -> int:
    import pandas as pd

    from .. import figures
    from ....tables import read_csv

    from ....errors import UserError

    df = pd.concat([read_csv(p, required=KINDS[args.kind]) for p in args.tables], ignore_index=True)
    if args.kind == "rewind":
        basin = read_csv(args.basin, required=("reference_init_scale", "basin_high")).iloc[0] if args.basin else None
        figures.plot_rewind(df, args.out, args.dpi, basin=basin)
    elif args.basin:
        raise UserError(f"--basin belongs to the rewind figure, not {args.kind}")
    else:
        getattr(figures, f"plot_{args.kind}")(df, args.out, args.dpi)
    return 0
