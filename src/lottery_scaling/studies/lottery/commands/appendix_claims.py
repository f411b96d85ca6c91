"""`lottery-scaling appendix-claims`: judge Appendix A's three observations per target (docs/lottery.md, Appendix A)."""

from __future__ import annotations

from .claims import _json_object

HELP = ("judge Appendix A per target: narrow multi-peaked, wide single-peaked, scaling class "
        "(from histogram and fit tables); write claim rows as CSV")


def configure(p) -> None:
    p.add_argument("--experiment", action="append", nargs=4, default=[],
                   metavar=("NAME", "TASK", "ACTIVATION", "DIR"),
                   help="an experiment and its analysis folder (histogram/summary.csv, fit/exponents.csv, fit/slopes.csv, "
                        "and fit/medians.csv with --out-table); repeatable")
    p.add_argument("--settings", type=_json_object, default={}, help="the config's `appendix` section as JSON (default: the defaults)")
    p.add_argument("--out", required=True, help="claims CSV (columns: see lottery_scaling.claims)")
    p.add_argument("--out-table", default=None, help="also a summary CSV, one row per target: medians at "
                   "appendix.table_widths, the exponent on appendix.table_range, class found and the paper's")


def run(args) -> int:
    from .. import appendix
    from ....claims import COLUMNS
    from ....tables import read_csv, write_csv
    from .fit import EXPONENT_COLUMNS, MEDIAN_COLUMNS, SLOPE_COLUMNS
    from ..plan import stage_table
    from ._experiments import checked_experiments, print_rows
    from .histogram import SUMMARY_COLUMNS as HIST

    settings = appendix.AppendixSettings.from_dict(args.settings)
    experiments = [
        appendix.AppendixTables(
            name, task, activation,
            histogram=read_csv(stage_table(d, "histogram", "summary"), HIST),
            exponents=read_csv(stage_table(d, "fit", "exponents"), EXPONENT_COLUMNS),
            slopes=read_csv(stage_table(d, "fit", "slopes"), SLOPE_COLUMNS),
            medians=read_csv(stage_table(d, "fit", "medians"), MEDIAN_COLUMNS) if args.out_table else None,
        )
        for name, task, activation, d in checked_experiments(args.experiment)
    ]
    rows = appendix.evaluate(settings, experiments)
    write_csv(rows, args.out, COLUMNS)
    if args.out_table:
        write_csv(appendix.summary_rows(settings, experiments), args.out_table, appendix.table_columns(settings))
    print_rows(rows)
    return 0
