"""`lottery-scaling survey-manifold`: the attractor-manifold ratio of trained first-layer (w, b), at init and shuffled."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least, nonnegative_float
from ..settings import ManifoldSettings
from ._common import label_text

HELP = ("the paper's Fig 2a attractor manifold as a number: MST length of (s w, b) over its shuffled-pairing null, "
        "for trained networks, their initialisation and a shuffled pairing (CSV)")
_D = ManifoldSettings()


def configure(p) -> None:
    p.add_argument("networks", nargs="+", help="trained-networks files (d = 1 tasks; wide networks)")
    p.add_argument("--origin-tol", type=nonnegative_float, default=_D.origin_tol,
                   help="|(w, b)| below this counts as collapsed onto the origin (default %(default)s)")
    p.add_argument("--shuffles", type=int_at_least(1), default=_D.shuffles, help="shuffled MSTs per network (default %(default)s)")
    p.add_argument("--min-neurons", type=int_at_least(3), default=_D.min_neurons,
                   help="fewer active neurons give no statistic (default %(default)s)")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of every row (default: from each file)")
    p.add_argument("--out", required=True, help="CSV, one row per network")


def run(args) -> int:
    import numpy as np

    from ....tables import write_csv
    from ..manifold import MANIFOLD_COLUMNS, manifold_rows
    from ._common import default_label, load_networks

    settings = ManifoldSettings(origin_tol=args.origin_tol, shuffles=args.shuffles, min_neurons=args.min_neurons)
    settings.validate()
    rows = []
    for path in args.networks:
        result = load_networks(path)
        rows += manifold_rows(result, args.label or default_label(result.settings), settings)
    write_csv(rows, args.out, MANIFOLD_COLUMNS)
    parts = []
    for key in sorted({(r["label"], r["width"]) for r in rows}):
        sel = [r for r in rows if (r["label"], r["width"]) == key]
        parts.append(f"{key[0]} N={key[1]}: R trained {np.nanmedian([r['ratio_trained'] for r in sel]):.3f}, "
                     f"init {np.nanmedian([r['ratio_init'] for r in sel]):.3f}")
    print("survey-manifold: " + "; ".join(parts) + f"; wrote {args.out}", file=sys.stderr)
    return 0
