"""`lottery-scaling bridge-ticket-basin`: the lottery-ticket mode of trained width-2 networks, the basin a
rewound network must land in to win the lottery (see studies/bridge/rewind.py for why one reference scale)."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options

HELP = "the width-2 lottery-ticket basin (log10 test MSE <= basin_high) from trained width-2 networks"


def configure(p) -> None:
    p.add_argument("--width2", required=True, help="trained width-2 networks (the reference population)")
    p.add_argument("--mode-bootstrap", type=int_at_least(0), default=200,
                   help="resamples of the width-2 mode search (default %(default)s)")
    p.add_argument("--out", required=True, help="CSV, one row: reference init scale, networks, modes, basin_high, share")
    add_limit_options(p, "analysis")


def run(args) -> int:
    from ..data import load
    from ..rewind import BASIN_COLUMNS, ticket_basin
    from ...lottery.histogram import ModeSettings
    from ....errors import UserError
    from ....tables import write_csv

    width2 = load(args.width2)
    if width2.settings.width != 2:
        raise UserError(f"--width2: the reference networks must have width 2, got {width2.settings.width}")
    settings = ModeSettings(bootstrap=args.mode_bootstrap)
    from ....commands._limits import check
    from ....limits import histogram_estimate

    work, memory, detail = histogram_estimate(int((~width2.diverged).sum()), settings.bootstrap, settings.median_bootstrap)
    check(args, "analysis", work, detail, memory, detail)
    row = ticket_basin(width2, settings)
    write_csv([row], args.out, BASIN_COLUMNS)
    print(f"bridge-ticket-basin: init scale {row['reference_init_scale']:g}, {row['networks']} networks, "
          f"{row['n_modes']} robust modes, basin log10 MSE <= {row['basin_high']:.3g} (share {row['share']:.3f}); "
          f"wrote {args.out}", file=sys.stderr)
    return 0
