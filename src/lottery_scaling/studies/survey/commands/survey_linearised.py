"""`lottery-scaling survey-linearised`: the tangent-space twin of every trained network, and how far each moved."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options
from ._common import label_text

HELP = ("train the linearised network f(theta0) + J(theta0) dtheta of every trained network with the same Adam, "
        "schedule, data and init; losses and relative parameter movement of both (CSV)")


def configure(p) -> None:
    p.add_argument("--networks", required=True, help="trained-networks file (d = 1 task)")
    p.add_argument("--max-seeds", type=int_at_least(1), default=None, help="only the first this many networks")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="numba threads (default: all cores)")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of the rows (default: from the settings)")
    p.add_argument("--out", required=True, help="CSV, one row per network")
    add_limit_options(p, "train")


def run(args) -> int:
    from ._common import set_threads

    set_threads(args.threads)
    import numpy as np

    from ....tables import write_csv
    from ..linearised import LINEARISED_COLUMNS, linearised_rows
    from ._common import check_train_limits, default_label, load_networks

    result = load_networks(args.networks)
    ok = int((~np.asarray(result.diverged, bool)).sum())
    check_train_limits(args, "linearised", result.settings, ok if args.max_seeds is None else min(ok, args.max_seeds))
    label = args.label or default_label(result.settings)
    rows = linearised_rows(result, label, args.max_seeds, args.threads)
    write_csv(rows, args.out, LINEARISED_COLUMNS)
    med = {k: np.median([r[k] for r in rows]) for k in ("trained_test_loss", "linearised_test_loss", "trained_movement",
                                                        "linearised_movement")}
    print(f"survey-linearised {label} N={result.settings.width}, {len(rows)} networks: median test MSE trained "
          f"{med['trained_test_loss']:.3g}, linearised {med['linearised_test_loss']:.3g}; movement trained "
          f"{med['trained_movement']:.3g}, linearised {med['linearised_movement']:.3g}; wrote {args.out}", file=sys.stderr)
    return 0
