"""`lottery-scaling bridge-rewind`: train the rewound best ticket alone, with controls and magnitude pruning."""

from __future__ import annotations

import os
import sys

from ....commands._argtypes import int_at_least, thread_count
from ....commands._limits import add_options as add_limit_options

HELP = "rewind the best ticket of each width-N network to its init and train it alone (width 2), with controls and pruning"
COLUMNS = ["init_scale", "source_width", "seed", "arm", "width", "neurons", "test_loss", "train_loss", "diverged",
           "ticket_r2", "kept_best_pair"]


_DEFAULT_KEEP = (2, 4, "half")


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
    p.add_argument("--prune-k", nargs="*", type=_keep, default=None,
                   help="widths kept by magnitude pruning, each below N ('half' = N/2; default: those of 2 4 half below N)")
    p.add_argument("--threads", type=thread_count, default=None, help="numba threads (default: all cores)")
    add_limit_options(p, "train")


def run(args) -> int:
    from ....commands._threads import set_threads

    set_threads(args.threads)
    import pandas as pd

    from ..data import load
    from ..rewind import rewind_experiment
    from ....tables import write_csv

    result, width2 = load(args.networks), load(args.width2)
    _check(args, result)
    rows = rewind_experiment(result, width2, args.prune_k, threads=args.threads)
    write_csv(rows, args.out, COLUMNS)
    df = pd.DataFrame(rows)
    med = df.groupby("arm")["test_loss"].median()
    print("bridge-rewind: width %d, %d networks; median test MSE %s; wrote %s" % (
        result.settings.width, int((df["arm"] == "ticket").sum()),
        ", ".join(f"{a} {v:.3g}" for a, v in med.items()), args.out), file=sys.stderr)
    return 0


def _check(args, result) -> None:
    """Refuse a pruning width the networks do not have, and retraining past --max-work or --max-memory."""
    from ..rewind import prune_sizes
    from ...lottery.budget import train_memory_bytes
    from ....commands._limits import check
    from ....errors import UserError

    s = result.settings
    N = s.width
    if args.prune_k is None:
        args.prune_k = [k for k in _DEFAULT_KEEP if k == "half" or k < N]
    for k in args.prune_k:
        if k != "half" and k >= N:
            raise UserError(f"--prune-k {k}: pruning keeps fewer neurons than the networks have, and these have "
                            f"width {N} (allowed: 1..{N - 1}, or half)")
    ks = prune_sizes(N, args.prune_k)
    S = int((~result.diverged).sum())
    work = S * s.steps * s.n_train * (3 * 2 + sum(ks))
    detail = f"{S} networks x {s.steps} steps x n_train {s.n_train} x (3 width-2 arms + kept widths {ks or 'none'})"
    memory = train_memory_bytes(1, max([2, *ks]), S, s.n_train, s.n_test, s.curve_points, s.dtype,
                                args.threads or os.cpu_count() or 1)
    check(args, "train", work, detail, memory, f"retraining {S} networks of width {max([2, *ks])}")
