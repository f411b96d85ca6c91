"""`lottery-scaling race-train`: train one race setting (several runs) and write trajectories.

Example: lottery-scaling race-train --dataset digits --n 200 --width 300 --sigma 1e-5
--runs 0:4 --out runs.h5. The task comes from --dataset/--n/--data-seed (and --cifar-dir),
or from a file written by race-prepare-data (--data FILE).
"""

from __future__ import annotations

import os
import sys

from ..trainer import DTYPES, FORMS, RaceSettings
from ....commands._argtypes import fraction, h5_output, int_at_least, momentum, nonnegative_float, positive_float, thread_count
from ....commands._limits import add_options as add_limit_options
from ._common import interruptible, set_threads
from .race_prepare_data import add_data_options, load_from_args

HELP = "train networks of one race setting (one per run seed) and write per-neuron trajectories to HDF5"
_D = RaceSettings()


def configure(p) -> None:
    add_data_options(p, required_n=False)
    p.add_argument("--data", default=None, help="prepared task file from race-prepare-data (instead of --dataset/--n)")
    p.add_argument("--width", type=int_at_least(1), default=_D.width, help="hidden neurons d (default %(default)s)")
    p.add_argument("--sigma", type=positive_float, default=_D.sigma, help="std of the Gaussian init of W and V (default %(default)s)")
    p.add_argument("--runs", default="0:1", help="run seeds: START:STOP (half-open), N, or N,M,... (default %(default)s)")
    p.add_argument("--out", required=True, type=h5_output, help="output HDF5 file (written atomically)")
    p.add_argument("--lr", type=positive_float, default=_D.lr, help="learning rate (default %(default)s)")
    p.add_argument("--momentum", type=momentum, default=_D.momentum, help="SGD momentum (default %(default)s)")
    p.add_argument("--batch", type=int_at_least(1), default=_D.batch, help="mini-batch size (default %(default)s)")
    p.add_argument("--loss-threshold", type=nonnegative_float, default=_D.loss_threshold,
                   help="stop when the training cross-entropy (end of epoch) is below this (default %(default)s)")
    p.add_argument("--max-epochs", type=int_at_least(1), default=_D.max_epochs, help="epoch cap (default %(default)s)")
    p.add_argument("--checkpoints", type=int_at_least(1), default=_D.checkpoints,
                   help="log-spaced checkpoints between step 1 and the cap, plus step 0 and the stop step (default %(default)s)")
    p.add_argument("--form", choices=FORMS, default=_D.form, help="first-layer form; auto = span when n < inputs (default %(default)s)")
    p.add_argument("--init-seed", type=int_at_least(0), default=_D.init_seed, help="init stream (default %(default)s)")
    p.add_argument("--dtype", choices=DTYPES, default=_D.dtype, help="training precision (default %(default)s)")
    p.add_argument("--align-cos", type=fraction, default=_D.align_cos,
                   help="an outgoing weight vector is aligned when |cos(v_i, (1,-1))| >= this (default %(default)s)")
    p.add_argument("--align-frac", type=fraction, default=_D.align_frac,
                   help="'early' snapshot: first checkpoint where this share of live neurons is aligned (default %(default)s: the median)")
    p.add_argument("--drop-frac", type=fraction, default=_D.drop_frac,
                   help="'before the drop' snapshot: last checkpoint with training loss >= this x ln 2 (default %(default)s)")
    p.add_argument("--threads", type=thread_count, default=None, help="numba threads (default: all cores)")
    add_limit_options(p, "race")


def run(args) -> int:
    set_threads(args.threads)
    from lottery_scaling.errors import UserError

    from .. import task_files, trainer, trajectories

    if args.data is not None:
        if args.n is not None or args.cifar_dir is not None:
            raise UserError("--data replaces --dataset/--n/--cifar-dir; give one or the other")
        task = task_files.read_dataset(args.data)
    else:
        if args.n is None:
            raise UserError("give --n (training samples) or a prepared --data file")
        task = load_from_args(args)
    _check_limits(args, task)
    seeds = trainer.parse_runs(args.runs)
    settings = trainer.RaceSettings(
        width=args.width, sigma=args.sigma, lr=args.lr, momentum=args.momentum, batch=args.batch,
        loss_threshold=args.loss_threshold, max_epochs=args.max_epochs, dtype=args.dtype,
        checkpoints=args.checkpoints, form=args.form, init_seed=args.init_seed,
        align_cos=args.align_cos, align_frac=args.align_frac, drop_frac=args.drop_frac,
    ).check()
    label = f"race {task.name} n={task.n} d={args.width} sigma={args.sigma:g}"
    print(f"[{label}] training {seeds.size} runs ({settings.dtype}, cap {settings.max_epochs} epochs)",
          file=sys.stderr, flush=True)
    result = interruptible(lambda: trainer.train_runs(task, seeds, settings, threads=args.threads), label)
    trajectories.write_runs(args.out, result, task)
    counts = {name: int((result.status == code).sum()) for code, name in trainer.STATUS.items()}
    print(f"[{label}] done in {result.seconds:.1f} s ({result.form} form): {counts}; wrote {args.out}",
          file=sys.stderr, flush=True)
    return 0


def _count_runs(text) -> int | None:
    """Number of run seeds in --runs without building them (None: malformed, parse_runs says why)."""
    text = str(text).strip()
    try:
        if ":" in text:
            lo, hi = text.split(":")
            return int(hi) - int(lo)
        return len(text.split(","))
    except ValueError:
        return None


def _check_limits(args, task) -> None:
    """Refuse, before any array exists, a training past --max-work or --max-memory (docs/cli.md, "Limits")."""
    from ....commands._limits import check
    from ....limits import race_train_estimate

    runs = _count_runs(args.runs)
    if runs is None or runs < 1:
        return
    settings = {"max_epochs": args.max_epochs, "checkpoints": args.checkpoints, "batch": args.batch,
                "dtype": args.dtype, "form": args.form}
    work, memory, detail = race_train_estimate(runs, args.width, task.inputs, task.n, int(task.x_test.shape[0]),
                                               settings, args.threads or os.cpu_count() or 1)
    check(args, "race", work, detail, memory, detail)
