"""`lottery-scaling claims`: judge the paper's claims from the analysis tables of the experiments."""

from __future__ import annotations

import argparse
import json

HELP = "judge the paper's claims from histogram, synergy and fit tables; write claim rows as CSV"


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def configure(p) -> None:
    p.add_argument("--experiment", action="append", nargs=4, default=[], required=True,
                   metavar=("NAME", "TASK", "ACTIVATION", "DIR"),
                   help="an experiment and its analysis folder (holding histogram/summary.csv, synergy/summary.csv, fit/exponents.csv); repeatable")
    p.add_argument("--thresholds", type=_json_object, required=True, help="the config's `claims` section as JSON")
    p.add_argument("--out", required=True, help="claims CSV (columns: see lottery_scaling.claims)")


def run(args) -> int:
    from .. import claims
    from ....tables import read_csv, write_csv
    from .fit import EXPONENT_COLUMNS
    from .histogram import SUMMARY_COLUMNS as HIST
    from .synergy import SUMMARY_COLUMNS as SYN
    from ..plan import stage_table
    from ._experiments import checked_experiments, print_rows

    claims.check_thresholds(args.thresholds)
    experiments = [
        claims.ExperimentTables(
            name, task, activation,
            histogram=read_csv(stage_table(d, "histogram", "summary"), HIST),
            synergy=read_csv(stage_table(d, "synergy", "summary"), SYN),
            exponents=read_csv(stage_table(d, "fit", "exponents"), EXPONENT_COLUMNS),
        )
        for name, task, activation, d in checked_experiments(args.experiment)
    ]
    rows = claims.evaluate(args.thresholds, experiments)
    write_csv(rows, args.out, claims.COLUMNS)
    print_rows(rows)
    return 0
