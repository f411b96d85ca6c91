#!/usr/bin/env python
"""Which learning rate gives the paper's Fig 2a picture at N = 1000? (issue 22, item 4)

x^2, SiLU, M = --n-train points (default 200), the paper's schedule (50000 Adam steps, lr x0.2
every 10000; --steps scales the decay interval with it, steps / 5), seeds --seeds, one network per
(lr, seed). Per lr: median final test MSE (against a reference width, default N = 10 at lr 1e-2
with the same seeds), the share of neurons collapsed onto the origin (|(w, b)| < 1e-3), the
attractor-manifold ratio R of studies/survey/manifold.py (MST length of (s w, b) over its
shuffled-pairing null; ~1 at init, small on a curve) trained and at init, and the relative
parameter movement |theta - theta0| / |theta0|.

    python benchmarks/wide_lr_sweep.py                               # about 5 CPU-minutes
    python benchmarks/wide_lr_sweep.py --lrs 1e-2 1e-3 --seeds 0 --save results/lr_sweep   # + networks files

With --save DIR every (lr) is written as a trained-networks file DIR/N{width}_lr{lr}.h5 (the
format of the lottery study), so plot-survey manifold can draw it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if (REPO / "src" / "lottery_scaling").is_dir():
    sys.path.insert(0, str(REPO / "src"))

from lottery_scaling.studies.lottery import init  # noqa: E402
from lottery_scaling.studies.lottery.pairs.pairing import input_rms  # noqa: E402
from lottery_scaling.studies.lottery.tasks import make_dataset  # noqa: E402
from lottery_scaling.studies.lottery.trainer import TrainSettings, train  # noqa: E402
from lottery_scaling.studies.survey.linearised import trained_movement  # noqa: E402
from lottery_scaling.studies.survey.manifold import collapsed, curve_statistic  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1000)
    p.add_argument("--lrs", type=float, nargs="+", default=[1e-2, 3e-3, 1e-3, 3e-4])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=50000)
    p.add_argument("--n-train", type=int, default=200)
    p.add_argument("--reference-width", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save", default=None, help="folder for the trained-networks files")
    a = p.parse_args(argv)
    seeds = np.array(a.seeds)
    base = TrainSettings("x2", "silu", a.width, steps=a.steps, lr_decay_every=max(1, a.steps // 5), n_train=a.n_train,
                         curve_points=11)
    x, _, _, _ = make_dataset(base.data_spec())
    scale = input_rms(x)
    w0, b0, _, _ = init.scaled_initial_parameters(1, a.width, seeds)
    at_init = [curve_statistic(w0[k], b0[k], scale, seed=int(s)).ratio for k, s in enumerate(seeds)]
    ref = train(replace(base, width=a.reference_width), seeds, threads=a.threads)
    print(f"x2 SiLU, M = {a.n_train}, {a.steps} steps (lr x0.2 every {base.lr_decay_every}), seeds {[int(s) for s in seeds]}; "
          f"reference N = {a.reference_width} at lr {base.lr:g}: median test MSE {np.median(ref.test_loss):.3g}")
    print(f"manifold ratio R at init (N = {a.width}): median {np.median(at_init):.3f}")
    print("| N | lr | median test MSE | per seed | collapsed share (median) | R trained (median) | per seed "
          "| movement | seconds |")
    print("|---:|---:|---:|---|---:|---:|---|---:|---:|")
    for lr in a.lrs:
        settings = replace(base, lr=lr)
        start = time.perf_counter()
        r = train(settings, seeds, threads=a.threads)
        gone = [float(collapsed(r.w[k], r.b[k], 1e-3).mean()) for k in range(seeds.size)]
        R = [curve_statistic(r.w[k], r.b[k], scale, seed=int(s)).ratio for k, s in enumerate(seeds)]
        move = trained_movement(r)
        if a.save:
            from lottery_scaling.studies.lottery.networks import write_result

            Path(a.save).mkdir(parents=True, exist_ok=True)
            write_result(Path(a.save) / f"N{a.width}_lr{lr:g}.h5", r)
        print(f"| {a.width} | {lr:g} | {np.median(r.test_loss):.3g} | {', '.join(f'{v:.2g}' for v in r.test_loss)} "
              f"| {np.median(gone):.2f} | {np.median(R):.3f} | {', '.join(f'{v:.2f}' for v in R)} "
              f"| {np.median(move):.3g} | {time.perf_counter() - start:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
