"""Race study: which learning rate keeps the paper's picture at 1024 inputs (docs/race.md, "The
paper's scale without CIFAR-10 files")?

For each learning rate, train `--runs` networks (d = 300, sigma = 1e-5, the study's other training
defaults) on a 1024-input task and print, per run: how it stopped (epochs, converged or capped),
the median angle of the neurons to their targets at init, at the "early" checkpoint and just
before the loss drop, the median |w||v| before the drop as a share of its final value (the two
parts of the race_silent_alignment claim: angle <= 30 deg, share <= 0.01), test accuracy and the
CPU seconds of the run. Side by side in one run, so the rates are compared on the same machine
state.

Tasks (`--dataset`):
- photos: the study's offline stand-in for CIFAR-10 (32x32 grayscale tiles of scikit-learn's two
  sample photos, studies/race/photos.py);
- digits32: the 8x8 digits upsampled to 32x32 by repeating each pixel 4 x 4 (1024 numbers in a
  64-dimensional subspace; for comparison only, not a data set of the study);
- digits: the default task (64 inputs), for comparison.

    python benchmarks/race_lr_sweep.py [--dataset photos] [--lrs 3e-3 1e-3 3e-4 1e-4] [--runs 2]

Measured 2026-12-03 on the shared 2-core dev machine (another job on the other core): see
docs/race.md, "The paper's scale without CIFAR-10 files".
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from lottery_scaling.studies.race import data, photos, trainer  # noqa: E402


def upsampled_digits(n: int, data_seed: int = 0) -> data.TaskData:
    t = data.load_digits_task(n, data_seed)

    def up(x):
        return np.kron(x.reshape(-1, 8, 8), np.ones((1, 4, 4))).reshape(len(x), 1024)

    return data.TaskData(name="digits32", x_train=up(t.x_train), y_train=t.y_train, label_train=t.label_train,
                         index_train=t.index_train, x_test=up(t.x_test), y_test=t.y_test, label_test=t.label_test,
                         index_test=t.index_test, data_seed=data_seed, normalisation="digits, each pixel 4 x 4")


def load(dataset: str, n: int) -> data.TaskData:
    if dataset == "photos":
        return photos.load_photos_task(n, 0)
    if dataset == "digits32":
        return upsampled_digits(n)
    return data.load_digits_task(n, 0)


def run_numbers(r: trainer.RaceResult, i: int) -> dict:
    steps = r.ckpt_step[i]
    angle = r.neuron["angle"][i]
    norm = r.neuron["w_norm"][i] * r.neuron["v_norm"][i]

    def at(step, values):
        k = np.flatnonzero(steps == step)
        return values[k[0]] if k.size and step >= 0 else np.full(values.shape[1], np.nan)

    init, early, before, end = (int(s) for s in r.snap_step[i])
    final_norm = np.nanmedian(at(end, norm))
    last = np.flatnonzero(steps >= 0)[-1]
    return {
        "status": trainer.STATUS[int(r.status[i])], "epochs": int(r.epochs[i]), "drop_step": before,
        "angle_init": float(np.nanmedian(at(init, angle))), "angle_early": float(np.nanmedian(at(early, angle))),
        "angle_before_drop": float(np.nanmedian(at(before, angle))),
        "norm_share_before_drop": float(np.nanmedian(at(before, norm)) / final_norm),
        "test_acc": float(r.run["test_acc"][i][last]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", choices=("photos", "digits32", "digits"), default="photos",
                   help="photos: the study's 1024-input tiles; digits32: digits upsampled 4 x 4; digits: 64 inputs")
    p.add_argument("--lrs", type=float, nargs="+", default=[3e-3, 1e-3, 3e-4, 1e-4], help="learning rates, in order")
    p.add_argument("--runs", type=int, default=2, help="runs (seeds 0..runs-1) per learning rate")
    p.add_argument("--n", type=int, default=200, help="training samples (a multiple of 4)")
    p.add_argument("--width", type=int, default=300, help="hidden neurons d")
    p.add_argument("--sigma", type=float, default=1e-5, help="init scale")
    p.add_argument("--max-epochs", type=int, default=3000, help="epoch cap (the study's default)")
    args = p.parse_args()
    task = load(args.dataset, args.n)
    norms = np.linalg.norm(task.x_train, axis=1)
    print(f"{args.dataset}: n = {task.n}, {task.inputs} inputs, {task.x_test.shape[0]} test samples; "
          f"median |x| = {np.median(norms):.1f}; d = {args.width}, sigma = {args.sigma:g}, cap {args.max_epochs} epochs")
    trainer.train_runs(task, [0], trainer.RaceSettings(width=4, max_epochs=1, checkpoints=4), threads=1)  # compile
    print("| lr | run | stopped | epochs | drop step | median angle init / early / before drop (deg) "
          "| norm share before drop | test acc | CPU s |")
    print("|---:|---:|---|---:|---:|---|---:|---:|---:|")
    for lr in args.lrs:
        s = trainer.RaceSettings(width=args.width, sigma=args.sigma, lr=lr, max_epochs=args.max_epochs, checkpoints=80)
        for seed in range(args.runs):
            t0 = time.process_time()
            r = trainer.train_runs(task, [seed], s, threads=1)
            cpu = time.process_time() - t0
            q = run_numbers(r, 0)
            print(f"| {lr:g} | {seed} | {q['status']} | {q['epochs']} | {q['drop_step']} | {q['angle_init']:.1f} / "
                  f"{q['angle_early']:.1f} / {q['angle_before_drop']:.1f} | {q['norm_share_before_drop']:.2g} | "
                  f"{q['test_acc']:.3f} | {cpu:.1f} |", flush=True)


if __name__ == "__main__":
    main()
