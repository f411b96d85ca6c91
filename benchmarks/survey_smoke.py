#!/usr/bin/env python
"""Science smoke of the survey trainers (not a test): does pruning alone show a falling loss with width?

x^2, SiLU, M = --n-train points (default 200), a short schedule (--steps, default 5000, lr x0.2
every --decay-every = 1000 steps), --seeds seeds (default 20) per width. Per width: median train
and test MSE of edge-popup (keep --keep, per layer, Adam on the scores), of the trained network
(the lottery trainer, same schedule) and of the linearised network, with the relative parameter
movement of the trained and the linearised networks.

    python benchmarks/survey_smoke.py --widths 10 100 1000      # about 3 minutes on 2 loaded cores
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if (REPO / "src" / "lottery_scaling").is_dir():
    sys.path.insert(0, str(REPO / "src"))

import lottery_scaling  # noqa: E402,F401
from lottery_scaling.studies.lottery.trainer import TrainSettings, train  # noqa: E402
from lottery_scaling.studies.survey.edgepopup import EdgePopupSettings, train_edgepopup  # noqa: E402
from lottery_scaling.studies.survey.linearised import train_linearised, trained_movement  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", type=int, nargs="+", default=[10, 100, 1000])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--decay-every", type=int, default=1000)
    p.add_argument("--n-train", type=int, default=200)
    p.add_argument("--keep", type=float, default=0.5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-trained", action="store_true", help="edge-popup only")
    a = p.parse_args(argv)
    seeds = np.arange(a.seeds)
    common = dict(steps=a.steps, lr_decay_every=a.decay_every, n_train=a.n_train, curve_points=11)
    print("| N | edge-popup train | edge-popup test | edge-popup train at step 0 | trained test | linearised test "
          "| movement trained | movement linearised | seconds |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for N in a.widths:
        ep = train_edgepopup(EdgePopupSettings("x2", "silu", N, keep=a.keep, **common), seeds, threads=a.threads)
        row = [f"{np.median(ep.train_loss):.3g}", f"{np.median(ep.test_loss):.3g}", f"{np.median(ep.loss_curve[:, 0]):.3g}"]
        seconds = ep.seconds
        if a.no_trained:
            row += ["-"] * 4
        else:
            settings = TrainSettings("x2", "silu", N, **common)
            net = train(settings, seeds, threads=a.threads)
            lin = train_linearised(settings, seeds, threads=a.threads)
            row += [f"{np.median(net.test_loss):.3g}", f"{np.median(lin.test_loss):.3g}",
                    f"{np.median(trained_movement(net)):.3g}", f"{np.median(lin.movement):.3g}"]
            seconds += net.seconds + lin.seconds
        print(f"| {N} | " + " | ".join(row) + f" | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
