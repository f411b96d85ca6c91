"""`lottery-scaling bridge-rewind`: train the rewound best ticket alone, with controls and magnitude pruning."""

from __future__ import annotations

import os
import sys

from ....commands._argtypes import int_at_least

HELP = "rewind the best ticket of each width-N network to its init and train it alone (width 2), with controls and pruning"
COLUMNS = ["init_scale", "source_width", "seed", "arm", "width", "neurons", "test_loss", "train_loss", "diverged",
           "ticket_r2", "kept_best_pair"]


def _keep(text: str):
    import argparse

    if text == "half":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1 or 'half', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1 or 'half', got {text!r}")
    return value


def configure(p) -> None:
    p.add_argument("--networks", required=True, help="trained width-N networks (d = 1 task)")
    p.add_argument("--width2", required=True, help="trained width-2 networks with the same settings (written as rows "
                   "trained_width2; which rows win the lottery is decided later, from bridge-ticket-basin)")
    p.add_argument("--out", required=True, help="CSV, one row per network and arm")
    p.add_argument("--prune-k", nargs="*", type=_keep, default=[2, 4, "half"], help="widths kept by magnitude pruning ('half' = N/2; default 2 4 half)")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="numba threads (default: all cores)")


def run(args) -> int:
    if args.threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    import pandas as pd

    from ..data import load
    from ..rewind import rewind_experiment
    from ....tables import write_csv

    result, width2 = load(args.networks), load(args.width2)
    rows = rewind_experiment(result, width2, args.prune_k, threads=args.threads)
    write_csv(rows, args.out, COLUMNS)
    df = pd.DataFrame(rows)
    med = df.groupby("arm")["test_loss"].median()
    print("bridge-rewind: width %d, %d networks; median test MSE %s; wrote %s" % (
        result.settings.width, int((df["arm"] == "ticket").sum()),
        ", ".join(f"{a} {v:.3g}" for a, v in med.items()), args.out), file=sys.stderr)
    return 0
