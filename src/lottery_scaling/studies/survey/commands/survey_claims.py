"""`lottery-scaling survey-claims`: the survey_* rows of the claims table."""

from __future__ import annotations

import sys

from ..settings import SurveyClaimSettings
from ._common import settings_json

HELP = "claims rows survey_* from the survey tables (a table not given makes its rows 'not tested')"

TABLES = {
    "supermask": ("label", "model", "seed", "keep", "mask", "weights", "kept", "prunable", "loss", "accuracy",
                  "dense_init_loss", "dense_init_accuracy", "trained_loss", "trained_accuracy"),
    "edgepopup": ("label", "width", "keep", "seed", "test_loss", "start_test_loss", "diverged", "trained_test_loss"),
    "linearised": ("label", "width", "seed", "trained_test_loss", "trained_movement", "linearised_test_loss",
                   "linearised_movement", "linearised_diverged"),
    "overlap": ("label", "width", "seed", "keep", "method_a", "method_b", "jaccard_weights", "null_weights_mean",
                "null_weights_low", "null_weights_high", "jaccard_neurons", "null_neurons_mean", "null_neurons_low",
                "null_neurons_high"),
    "pairs": ("label", "width", "seed", "keep", "method", "kept_neurons", "keeps_pair", "random_keeps_pair"),
    "manifold": ("label", "width", "seed", "test_loss", "ratio_trained", "ratio_init", "ratio_shuffled", "active",
                 "collapsed_share"),
}
# columns that hold words or true/false; every other required column must hold numbers (NaN allowed)
TEXT_COLUMNS = {"label", "model", "mask", "weights", "method_a", "method_b", "method", "keeps_pair", "diverged",
                "linearised_diverged"}


def configure(p) -> None:
    for name in TABLES:
        p.add_argument(f"--{name}", nargs="+", default=None, help=f"tables of survey-{'overlap' if name == 'pairs' else name}"
                       + (" (--out-pairs)" if name == "pairs" else ""))
    p.add_argument("--settings", type=settings_json(SurveyClaimSettings, "survey claims"), default=None,
                   help="thresholds as JSON (config survey.claims)")
    p.add_argument("--out", required=True, help="claims CSV part")


def run(args) -> int:
    import pandas as pd

    from ....claims import COLUMNS
    from ....errors import UserError
    from ....tables import read_csv, write_csv
    from ..claims import claim_rows

    tables = {}
    for name, required in TABLES.items():
        paths = getattr(args, name)
        if paths is None:
            continue
        frames = [read_csv(p, required=required) for p in paths]
        for p, f in zip(paths, frames):
            bad = [c for c in required if c not in TEXT_COLUMNS and len(f) and not pd.api.types.is_numeric_dtype(f[c])]
            if bad:
                raise UserError(f"{p}: column {bad[0]} must hold numbers")
        tables[name] = pd.concat(frames, ignore_index=True)
    rows = claim_rows(settings=args.settings or SurveyClaimSettings(), **tables)
    write_csv(rows, args.out, COLUMNS)
    print(f"survey-claims: {len(rows)} rows ({sum(r['verdict'] == 'supported' for r in rows)} supported, "
          f"{sum(r['verdict'] == 'not tested' for r in rows)} not tested); wrote {args.out}", file=sys.stderr)
    return 0
