"""Does M = 200 training points give the medians of M = 1000? (docs/lottery.md shows it for x^2; here other targets)

Trains SiLU networks on each target with the paper's full schedule (50000 Adam steps, lr 0.01
x0.2 every 10000) at M = 200 and at M = 1000 on the same seeds, and prints, per width, the median
test MSE (10001-point test grid) with its 95% bootstrap interval over seeds and the ratio of the
two medians. Writes one CSV row per (target, M, width).

    python benchmarks/m200_check.py --tasks x3 expx2 sin --widths 2 10 20 40 --seeds 100 \
        --out m200_check.csv

Cost: seeds x sum(widths) x (200 + 1000) x 50000 neuron-sample-steps per target
(about 4.3e11 for the command above, ~5 min per target at 1.5e9/s on 2 cores).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

import numpy as np

from lottery_scaling.bootstrap import median_interval
from lottery_scaling.studies.lottery.trainer import TrainSettings, train


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=["x3", "expx2", "sin"])
    p.add_argument("--widths", nargs="+", type=int, default=[2, 10, 20, 40])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--n-train", nargs="+", type=int, default=[200, 1000])
    p.add_argument("--steps", type=int, default=50000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    seeds = np.arange(args.seeds)
    rows = []
    for task in args.tasks:
        for width in args.widths:
            for m in args.n_train:
                s = TrainSettings(task, "silu", width, steps=args.steps, n_train=m)
                t0 = time.perf_counter()
                r = train(s, seeds, threads=args.threads)
                loss = r.test_loss[~r.diverged]
                med, lo, hi = median_interval(loss, 1000, 0.95, np.random.default_rng(0))
                rows.append(dict(task=task, n_train=m, width=width, seeds=args.seeds, median=med, ci_low=lo,
                                 ci_high=hi, diverged=int(r.diverged.sum()), seconds=round(time.perf_counter() - t0, 1)))
                print(f"{task} N={width} M={m}: median {med:.3g} [{lo:.3g}, {hi:.3g}] "
                      f"({rows[-1]['seconds']} s)", file=sys.stderr, flush=True)
                with open(args.out, "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
