#!/usr/bin/env python
"""Same-process A/B of the trainer kernels: another version of `_kernels.py` against this one.

Loads a second copy of the kernels from a file (e.g. an older commit's) under another
module name and calls both `train_batch`es on the same arrays (SiLU, x^2, M = 1000,
mirrored-pair order, the trainer's own initial parameters), one numba thread, repeats
interleaved in time, rates from the thread's CPU time (time.thread_time), medians. Prints
net-steps/s of both in float64 and float32, new/base and the float32/float64 ratios.
Same process and interleaved, so the ratios hold on a loaded machine better than rates
from separate runs.

    git show eb88757:src/lottery_scaling/_kernels.py > /tmp/base_kernels.py
    python benchmarks/kernels_ab.py --base /tmp/base_kernels.py --widths 2 10 50
    python benchmarks/kernels_ab.py --base /tmp/base_kernels.py --widths 1000 --seeds 2 --steps 60
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time

import lottery_scaling  # noqa: F401  (CPU features before numba)
import numba
import numpy as np

from lottery_scaling.studies.lottery import _kernels as NEW
from lottery_scaling.studies.lottery import init, tasks, trainer


def load_base(path):
    spec = importlib.util.spec_from_file_location("base_kernels", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["base_kernels"] = module  # numba's cache refers to the module by name
    spec.loader.exec_module(module)
    return module


def prepare(width, dtype, seeds, n_train=1000):
    s = trainer.TrainSettings(task="x2", activation="silu", width=width, n_train=n_train, dtype=dtype).resolved()
    x, y, _, _ = tasks.make_dataset(s.data_spec())
    w0, b0, v0, c0 = init.initial_parameters(1, width, np.arange(seeds), 0)
    theta = np.ascontiguousarray(np.concatenate([w0.reshape(seeds, width), b0, v0, c0[:, None]], axis=1).astype(dtype))
    order, half = trainer._mirrored_order(x)
    xT = np.ascontiguousarray(x[order].T, dtype=dtype)
    yy = np.ascontiguousarray(y[order], dtype=dtype)
    return theta, xT, yy, half, trainer.keeps_activations(width, n_train, dtype)


def rate(kernels, theta, xT, y, half, store, steps):
    th = theta.copy()
    S, P = th.shape
    N = (P - 1) // 3
    at = trainer.curve_steps(steps, 5)
    curve = np.empty((S, at.size), th.dtype)
    t0 = time.thread_time()
    kernels.train_batch(0, th, N, 1, xT, y, half, store,  # activation code 0: SiLU
                        steps, 1e-2, 0.2, 10000, 0.9, 0.999, 1e-8, at, curve, np.zeros(S, bool), np.zeros(S, np.int64))
    return S * steps / (time.thread_time() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="path of the other _kernels.py")
    p.add_argument("--widths", type=int, nargs="+", default=[2, 10, 50])
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--steps", type=int, default=None, help="default 16000 / N, at least 200")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    base = load_base(args.base)
    numba.set_num_threads(1)
    print("| N | base float64 | new float64 | new/base float64 | base float32 | new float32 | new/base float32 "
          "| new float32/float64 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for width in args.widths:
        steps = args.steps or max(200, 16000 // width)
        data = {dt: prepare(width, dt, args.seeds) for dt in ("float64", "float32")}
        for k in (base, NEW):
            for dt in data:
                rate(k, *data[dt], 2)  # compile or load
        rates = {}
        for _ in range(args.repeats):
            for name, k in (("base", base), ("new", NEW)):
                for dt in data:
                    rates.setdefault((name, dt), []).append(rate(k, *data[dt], steps))
        m = {key: statistics.median(v) for key, v in rates.items()}
        print(f"| {width} | {m['base', 'float64']:.3g} | {m['new', 'float64']:.3g} | {m['new', 'float64'] / m['base', 'float64']:.2f} "
              f"| {m['base', 'float32']:.3g} | {m['new', 'float32']:.3g} | {m['new', 'float32'] / m['base', 'float32']:.2f} "
              f"| {m['new', 'float32'] / m['new', 'float64']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
