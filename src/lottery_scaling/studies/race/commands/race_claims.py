"""`lottery-scaling race-claims`: the race study's claims rows of one experiment (docs/race.md, Claims)."""

from __future__ import annotations

import json

HELP = "judge the race study's claims for one experiment from its analysis tables (CSV of claim rows)"


def configure(p) -> None:
    p.add_argument("--experiment", required=True, help="experiment name (the rows' experiment column)")
    p.add_argument("--main", nargs=3, required=True, metavar=("N", "WIDTH", "SIGMA"),
                   help="the experiment's main setting (its runs give the per-run claims)")
    p.add_argument("--alignment", required=True, help="summary CSV of race-alignment")
    p.add_argument("--counts", required=True, help="counts CSV of race-clusters")
    p.add_argument("--merge", required=True, help="merge CSV of race-clusters")
    p.add_argument("--imp", default=None, help="summary CSV of race-imp (claim not tested without it)")
    p.add_argument("--cells", default=None, help="CSV of race-cells (claim not tested without it)")
    p.add_argument("--thresholds", default="{}", help="JSON object of race.claims settings (defaults: settings.ClaimSettings)")
    p.add_argument("--out", required=True, help="CSV of claim rows")


def run(args) -> int:
    from dataclasses import fields

    from lottery_scaling.claims import COLUMNS
    from lottery_scaling.errors import UserError
    from lottery_scaling.tables import read_csv, write_csv

    from ..alignment import ALIGNMENT_COLUMNS
    from ..claims import judge
    from ..clusters import CARRY_SHARES, COUNT_COLUMNS, MERGE_COLUMNS
    from ..cells import CELL_COLUMNS
    from ..settings import ClaimSettings

    try:
        main = {"n": int(args.main[0]), "width": int(args.main[1]), "sigma": float(args.main[2])}
    except ValueError:
        raise UserError(f"--main: expected N WIDTH SIGMA (numbers), got {' '.join(args.main)}") from None
    try:
        given = json.loads(args.thresholds)
    except json.JSONDecodeError as exc:
        raise UserError(f"--thresholds: not JSON ({exc.msg})") from None
    allowed = {f.name for f in fields(ClaimSettings)}
    if not isinstance(given, dict) or set(given) - allowed:
        raise UserError(f"--thresholds: a JSON object with keys among {', '.join(sorted(allowed))}")
    settings = ClaimSettings(**given)
    if settings.carry_share not in CARRY_SHARES:
        raise UserError(f"--thresholds: carry_share must be one of {', '.join(map(str, CARRY_SHARES))}, "
                        f"got {settings.carry_share!r}")
    # a table written before these columns existed ends here in one line naming the file and the column
    tables = {
        "alignment": read_csv(args.alignment, ALIGNMENT_COLUMNS),
        "counts": read_csv(args.counts, COUNT_COLUMNS),
        "merge": read_csv(args.merge, MERGE_COLUMNS),
        "imp": read_csv(args.imp, ("sparsity", "spearman_early", "ticket_test_acc", "unpruned_test_acc",
                                   "within_clusters", "spearman_within", "spearman_within_null_q95")) if args.imp else None,
        "cells": read_csv(args.cells, CELL_COLUMNS) if args.cells else None,
    }
    rows = judge(args.experiment, main, **tables, t=settings)
    write_csv(rows, args.out, COLUMNS)
    for r in rows:
        print(f"{r['claim']}: {r['verdict']} ({r['value']:.3g})")
    return 0
