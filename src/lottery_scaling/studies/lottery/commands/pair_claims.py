"""`lottery-scaling pair-claims`: claims-table rows of the pair-and-disentangle stage (logic: pairs/claims.py)."""

from __future__ import annotations

from ....commands._argtypes import int_at_least, positive_float
from ....commands._limits import add_options as add_limit_options
from ..pairs.settings import TicketClaimSettings, WideClaimSettings

_T, _W = TicketClaimSettings(), WideClaimSettings()

HELP = "claims-table rows of the pair-and-disentangle stage (width-2 symmetric tickets, wide symmetric neurons)"


def configure(p) -> None:
    p.add_argument("--experiment", required=True, help="experiment name for the rows")
    p.add_argument("--rows", nargs="+", choices=("ticket", "wide"), default=["ticket", "wide"],
                   help="which claims to judge (default: both)")
    p.add_argument("--activation", default=None, help="activation of the experiment (named in the detail)")
    p.add_argument("--width2-clusters", default=None, help="clusters CSV of `lottery-scaling width2` (omit: width 2 not trained)")
    p.add_argument("--width2-networks", default=None, help="networks CSV of `lottery-scaling width2`")
    p.add_argument("--wide-networks", default=None, help="networks CSV of `lottery-scaling pairs` for the widest width")
    p.add_argument("--ticket-min-share", type=float, default=_T.min_share,
                   help="share of symmetric networks in the lowest-loss width-2 cluster needed for 'supported' (default %(default)s)")
    p.add_argument("--wide-max-ratio", type=positive_float, default=_W.max_ratio,
                   help="largest upper CI end of the mirrored/plain nearest-neighbour ratio for 'supported' (default %(default)s)")
    p.add_argument("--wide-min-width", type=int_at_least(3), default=_W.min_width, help="smallest width counted as wide (default %(default)s)")
    p.add_argument("--n-boot", type=int_at_least(0), default=_W.bootstrap, help="bootstrap resamples (default %(default)s)")
    p.add_argument("--random-state", type=int_at_least(0), default=_W.seed, help="bootstrap seed (default %(default)s)")
    p.add_argument("--out", required=True, help="CSV of claim rows")
    add_limit_options(p, "analysis")


def run(args) -> int:
    import pandas as pd

    from ....errors import UserError
    from ....claims import COLUMNS
    from ....tables import read_csv, write_csv
    from ..pairs.claims import ticket_row, wide_row

    if not 0 < args.ticket_min_share <= 1:
        raise UserError(f"--ticket-min-share must be in (0, 1], got {args.ticket_min_share}")
    clusters = read_csv(args.width2_clusters, ["cluster", "size", "share", "loss_median", "symmetric_share"]) if args.width2_clusters else None
    networks = read_csv(args.width2_networks, ["cluster", "symmetric"]) if args.width2_networks else None
    wide = read_csv(args.wide_networks, ["width", "mirror_nn_ratio"]) if args.wide_networks else None
    if wide is not None and "wide" in args.rows:
        from ....commands._limits import check
        from ....limits import bootstrap_estimate

        work, memory, detail = bootstrap_estimate(args.n_boot, len(wide), "wide networks")
        check(args, "analysis", work, detail, memory, detail)
    rows = [ticket_row(args.experiment, clusters, networks, args.ticket_min_share)] if "ticket" in args.rows else []
    row = None if "wide" not in args.rows else wide_row(args.experiment, args.activation, wide, args.wide_max_ratio, args.wide_min_width, args.n_boot,
                   args.random_state)
    if row is not None:
        rows.append(row)
    write_csv(pd.DataFrame(rows, columns=COLUMNS), args.out, COLUMNS)
    return 0
