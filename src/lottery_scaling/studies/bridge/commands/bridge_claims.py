"""`lottery-scaling bridge-claims`: the bridge_* rows of the claims table."""

from __future__ import annotations

import json
import sys

from ....commands._limits import add_options as add_limit_options

HELP = "claims rows bridge_* from the alignment and rewinding tables"


def _settings(text):
    import argparse

    from ..claims import BridgeClaimSettings
    from ....errors import UserError

    try:
        values = json.loads(text)
        settings = BridgeClaimSettings(**values)
        settings.validate()
    except (json.JSONDecodeError, TypeError, UserError) as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object of bridge claim settings: {exc}") from None
    return settings


def configure(p) -> None:
    p.add_argument("--alignment", required=True, help="network table of bridge-alignment (--out-networks)")
    p.add_argument("--rewind", nargs="+", required=True, help="tables of bridge-rewind")
    p.add_argument("--basin", required=True, help="the lottery-ticket basin of bridge-ticket-basin")
    p.add_argument("--settings", type=_settings, default=None, help="thresholds as JSON (config bridge.claims)")
    p.add_argument("--out", required=True, help="claims CSV part")
    add_limit_options(p, "analysis")


def run(args) -> int:
    import pandas as pd

    from ..claims import BridgeClaimSettings, claim_rows
    from ....claims import COLUMNS
    from ....tables import read_csv, write_csv

    nets = read_csv(args.alignment, required=("init_scale", "width", "spearman", "ticket_percentile", "p_value"))
    rew = pd.concat([read_csv(p, required=("init_scale", "arm", "width", "diverged", "test_loss")) for p in args.rewind],
                    ignore_index=True)
    basin = read_csv(args.basin, required=("reference_init_scale", "basin_high")).iloc[0].to_dict()
    settings = args.settings or BridgeClaimSettings()
    from ....commands._limits import check
    from ....limits import bridge_claims_estimate

    work, memory, detail = bridge_claims_estimate(len(nets), settings.bootstrap, settings.null_draws)
    check(args, "analysis", work, detail, memory, detail)
    rows = claim_rows(nets, rew, basin, settings)
    write_csv(rows, args.out, COLUMNS)
    print(f"bridge-claims: {len(rows)} rows ({sum(r['verdict'] == 'supported' for r in rows)} supported); wrote {args.out}",
          file=sys.stderr)
    return 0
