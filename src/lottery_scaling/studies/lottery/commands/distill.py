"""`lottery-scaling distill`: width-2 networks distilled from the best ticket of each wide network."""

from __future__ import annotations

import sys

from ....commands._argtypes import positive_float

HELP = "distill a width-2 network from the best lottery ticket (highest R^2) of each wide network (d = 1)"

COLUMNS = ["seed", "source_width", "source_test_loss", "ticket", "ticket_r2", "w1", "w2", "b1", "b2", "v1", "v2", "c",
           "train_loss", "test_loss"]


def configure(p) -> None:
    p.add_argument("input", help="merged trained-networks file of a wide width (>= 4, d = 1 task)")
    p.add_argument("--out", required=True, help="CSV, one row per distilled network")
    p.add_argument("--w-scale", type=positive_float, default=None, help="weight scale of the mirror distance (default: RMS of the training inputs)")


def run(args) -> int:
    import numpy as np
    import pandas as pd

    from ..pairs.distill import distill_network
    from ....errors import UserError
    from ....tables import write_csv
    from ..pairs.data import load_d1, w_scale_for

    res, ok, x, y, xt, yt = load_d1(args.input)
    if res.settings.width < 4:
        raise UserError(f"{args.input}: width {res.settings.width}; distillation needs width >= 4")
    s = w_scale_for(x, args.w_scale)
    rows = []
    for i in np.flatnonzero(ok):
        d = distill_network(res.w[i, :, 0], res.b[i], res.v[i], x, y, xt, yt, res.settings.activation, s)
        if d is None:
            continue
        rows.append([int(res.seed[i]), res.settings.width, res.test_loss[i], d.ticket, d.r2, *d.w, *d.b, *d.v, d.c,
                     d.train_loss, d.test_loss])
    df = pd.DataFrame(rows, columns=COLUMNS).sort_values("test_loss", kind="stable")
    write_csv(df, args.out, df.columns, float_format=None)
    best = f"best test MSE {df['test_loss'].iloc[0]:.3g} (seed {int(df['seed'].iloc[0])})" if len(df) else "no network had a mirror pair"
    print(f"distill: {len(df)} networks of width {res.settings.width} distilled to width 2; {best}; wrote {args.out}",
          file=sys.stderr)
    return 0
