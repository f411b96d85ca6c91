"""Race trainer vs a PyTorch loop of the same training, one run at a time, one thread.

Same work on both sides: one-hidden-layer ReLU net (D = 1024 inputs, d = 300), 2 outputs,
softmax + cross-entropy, SGD momentum 0.9, lr 1e-3, batch 4, a fresh permutation each
epoch, and the full training loss evaluated at the end of every epoch (our stopping rule;
PyTorch does it under no_grad). Random data of CIFAR shape (uniform in [-1, 1]), sigma 1e-2.
Ours also takes two checkpoints (step 0 and the end; test set of 4 samples, so they cost
little). Steps per second = steps / wall seconds; medians of `--repeats` interleaved repeats.

    python benchmarks/race_trainer.py [--n 200 4000] [--steps 1000] [--repeats 3]

Measured on the shared 2-core AMD EPYC dev machine (branch race, torch 2.13.0 CPU, one thread,
medians of 3; includes each run's fixed costs: P0 = W0 X^T, two checkpoints):
  n=200  float64 (5000 steps): torch 868, ours direct 2,949 (3.4x), ours span 10,556 steps/s (12.2x)
  n=200  float32 (5000 steps): torch 1,884, ours direct 4,835 (2.6x), ours span 10,287 steps/s (5.5x)
  n=4000 float64 (2000 steps): torch 1,337, ours direct 1,784 steps/s (1.3x)  -- target 2x not met
  n=4000 float32 (2000 steps): torch 1,902, ours direct 2,358 steps/s (1.2x)  -- target 2x not met
After the direct form's forward pass and its full-set evaluations (per-epoch loss,
checkpoints) went neuron-major (each row of W read once per batch / per block of 8 samples;
same numbers bitwise), 2026-11-30, medians of 3, --steps 10000 so that the two checkpoints
(about 0.25 s each at n = 4000: a pass over the training set) do not dominate:
  n=4000 float64 (10000 steps): torch 1,746, ours direct 3,059 steps/s (1.8x; before: 2,507, 1.5x)
  n=4000 float32 (10000 steps): torch 1,866, ours direct 3,791 steps/s (2.0x; before: 3,661, 2.0x)
  with --steps 2000 the fixed costs weigh in: float64 1.0-1.2x, float32 1.2-1.5x (noisy machine)

Needs torch (benchmark only; never a dependency of the product): pip install torch==2.13.0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from lottery_scaling.studies.race import data, trainer  # noqa: E402


def make_task(n, D=1024, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, D))
    y = np.tile(np.array([0, 0, 1, 1], np.int8), n // 4)
    lab = np.tile(np.array([0, 3, 1, 2], np.int8), n // 4)
    return data.TaskData(name="random", x_train=x, y_train=y, label_train=lab, index_train=np.arange(n),
                         x_test=x[:4], y_test=y[:4], label_test=lab[:4], index_test=np.arange(4), data_seed=seed,
                         normalisation="uniform [-1, 1]")


def ours(task, epochs, dtype, form):
    s = trainer.RaceSettings(width=300, sigma=1e-2, max_epochs=epochs, loss_threshold=0.0, checkpoints=1,
                             dtype=dtype, form=form)
    t0 = time.perf_counter()
    res = trainer.train_runs(task, [0], s, threads=1)
    return int(res.stop_step[0]) / (time.perf_counter() - t0)


def torch_loop(task, epochs, dtype):
    import torch

    torch.set_num_threads(1)
    dt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    torch.manual_seed(0)
    X = torch.tensor(task.x_train, dtype=dt)
    Y = torch.tensor(task.y_train.astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 300), torch.nn.ReLU(), torch.nn.Linear(300, 2)).to(dt)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 1e-2) if p.dim() == 2 else p.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    lossf = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    n = X.shape[0]
    steps = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for pos in range(0, n, 4):
            idx = perm[pos:pos + 4]
            opt.zero_grad(set_to_none=False)
            loss = lossf(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            steps += 1
        with torch.no_grad():
            float(lossf(model(X), Y))
    return steps / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[200, 4000])
    ap.add_argument("--steps", type=int, default=1000, help="about this many steps per timing")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for n in args.n:
        task = make_task(n)
        epochs = max(1, args.steps // (n // 4))
        for dtype in ("float64", "float32"):
            cases = {"torch": lambda: torch_loop(task, epochs, dtype), "ours direct": lambda: ours(task, epochs, dtype, "direct")}
            if n < 1024:
                cases["ours span"] = lambda: ours(task, epochs, dtype, "span")
            for f in cases.values():  # warm-up (numba compile / load from cache, torch init)
                if f is not cases["torch"]:
                    ours(make_task(8, 16), 1, dtype, "direct" if f is cases["ours direct"] else "span")
            times = {k: [] for k in cases}
            for _ in range(args.repeats):
                for k, f in cases.items():
                    times[k].append(f())
            med = {k: statistics.median(v) for k, v in times.items()}
            line = ", ".join(f"{k} {v:,.0f} steps/s" for k, v in med.items())
            ratios = ", ".join(f"{k}/torch {med[k] / med['torch']:.1f}x" for k in med if k != "torch")
            print(f"n={n} {dtype} ({epochs} epochs x {-(-n // 4)} steps): {line}; {ratios}", flush=True)


if __name__ == "__main__":
    main()
