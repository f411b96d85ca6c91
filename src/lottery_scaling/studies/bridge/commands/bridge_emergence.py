"""`lottery-scaling bridge-emergence`: when the final best ticket becomes a mirror pair and reaches its R^2."""

from __future__ import annotations

import sys

from ....commands._argtypes import fraction, positive_float
from ....commands._limits import add_options as add_limit_options

HELP = "emergence of the final best ticket over training, from parameter snapshots (train with snapshots: true)"
COLUMNS = ["init_scale", "width", "seed", "steps", "ticket_i", "ticket_j", "mirror_step", "r2_step", "final_r2", "early_step",
           "early_leader", "leader_wins", "leaders_win", "leader_chance", "leaders_chance"]


def configure(p) -> None:
    p.add_argument("networks", nargs="+", help="trained-networks files with snapshots (d = 1 task)")
    p.add_argument("--out", required=True, help="CSV, one row per network")
    p.add_argument("--threshold", type=fraction, default=0.05, help="asymmetry score below which a pair is a mirror pair (default %(default)s)")
    p.add_argument("--r2-factor", type=positive_float, default=2.0, help="reached when 1 - R^2 <= this x its final value (default %(default)s)")
    p.add_argument("--early-fraction", type=fraction, default=0.02, help="the race's early snapshot: first step >= this x steps (default %(default)s)")
    add_limit_options(p, "analysis", memory=False)


def run(args) -> int:
    import numpy as np

    from ..data import load
    from ..emergence import emergence_table
    from ....tables import write_csv

    results = [load(p, need_snapshots=True) for p in args.networks]
    _check(args, results)
    rows = emergence_table(results, args.threshold, args.r2_factor, args.early_fraction)
    write_csv(rows, args.out, COLUMNS)
    wins = np.mean([r["leader_wins"] for r in rows]) if rows else float("nan")
    print(f"bridge-emergence: {len(rows)} networks; early leader in the final best ticket: {wins:.2f}; wrote {args.out}",
          file=sys.stderr)
    return 0


def _check(args, results) -> None:
    """Refuse, before the ticket searches, files whose networks would take past --max-work."""
    from ....commands._limits import check
    from ....limits import ticket_search_work

    work = sum(ticket_search_work(r.seed.size, r.settings.width, r.settings.n_train, r.curve_step.size) for r in results)
    sizes = ", ".join(f"{r.seed.size} x width {r.settings.width}" for r in results)
    check(args, "analysis", work, f"ticket searches and snapshot fits of networks {sizes} (n_train, snapshots)")
