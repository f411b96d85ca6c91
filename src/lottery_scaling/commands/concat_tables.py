"""`lottery-scaling concat-tables`: concatenate CSV tables with the same columns."""

from __future__ import annotations

HELP = "concatenate CSV tables that have the same columns (e.g. the per-width histogram summaries)"


def configure(p) -> None:
    p.add_argument("inputs", nargs="+", help="CSV files with identical columns")
    p.add_argument("--out", required=True, help="output CSV (written atomically)")


def run(args) -> int:
    from ..tables import concat_csv

    n = concat_csv(args.inputs, args.out)
    print(f"{len(args.inputs)} tables, {n} rows -> {args.out}")
    return 0
