"""`lottery-scaling train`: train one network per seed for one (task, activation, width)."""

from __future__ import annotations

import os
import sys
import time

from ..model import ACTIVATIONS
from ..tasks import TASKS
from ..trainer import DTYPES, TrainSettings
from ..budget import SEED_LIMIT
from ....commands._interrupt import interruptible
from ....commands._argtypes import finite_float, h5_output, int_at_least, int_in_range, positive_float, thread_count
from ....commands._limits import add_options as add_limit_options

HELP = "train networks of one width for a range of seeds and write them to an HDF5 file"
_DEFAULTS = TrainSettings("x2", "silu", 1)


def _task(text: str) -> str:
    """A built-in target, or a formula expr:FORMULA (d = 1, variable x) / exprD:FORMULA (x1..xD)."""
    import argparse

    from ....errors import UserError
    from ..expressions import canonical_task, is_expression

    if text in TASKS:
        return text
    if not is_expression(text):
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(TASKS)}, or a formula expr:FORMULA / exprD:FORMULA)")
    try:
        return canonical_task(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def configure(p) -> None:
    p.add_argument("--task", required=True, type=_task, metavar="TASK",
                   help=f"target function: one of {', '.join(TASKS)}, or a formula 'expr:sin(3*x) + x**2' "
                        "(d = 1, variable x) or 'expr3:x1*x2 + x3' (d = 3, variables x1..x3); numpy functions "
                        "sin cos tan exp log sqrt tanh abs ... and + - * / **")
    p.add_argument("--activation", required=True, choices=ACTIVATIONS, help="hidden-layer activation")
    p.add_argument("--width", required=True, type=int_at_least(1), help="hidden neurons N")
    p.add_argument("--seeds", required=True, type=_seeds,
                   help="which seeds: START:STOP (half-open, e.g. 0:1000), one seed N, or a list N,M,... "
                        "(note: a single number is that one seed; the config's `seeds: N` means 0:N)")
    p.add_argument("--out", required=True, type=h5_output, help="output HDF5 file (written atomically)")
    p.add_argument("--steps", type=int_at_least(0), default=_DEFAULTS.steps, help="Adam steps (default %(default)s)")
    p.add_argument("--lr", type=positive_float, default=_DEFAULTS.lr, help="initial learning rate (default %(default)s)")
    p.add_argument("--lr-decay", type=positive_float, default=_DEFAULTS.lr_decay, help="lr factor at each decay (default %(default)s)")
    p.add_argument("--lr-decay-every", type=int_at_least(1), default=_DEFAULTS.lr_decay_every, help="steps between decays (default %(default)s)")
    p.add_argument("--beta1", type=finite_float, default=_DEFAULTS.beta1, help="Adam beta1 (default %(default)s)")
    p.add_argument("--beta2", type=finite_float, default=_DEFAULTS.beta2, help="Adam beta2 (default %(default)s)")
    p.add_argument("--eps", type=positive_float, default=_DEFAULTS.eps, help="Adam epsilon (default %(default)s)")
    p.add_argument("--n-train", type=int_at_least(1), default=_DEFAULTS.n_train, help="training points M (default %(default)s)")
    p.add_argument("--n-test", type=int_at_least(1), default=None, help="test points (default 10001 for d=1, 10000 for d>1)")
    p.add_argument("--x-range", nargs=2, type=finite_float, metavar=("LO", "HI"), default=None, help="input interval (default -2 2 for d=1, -1 1 for d>1)")
    p.add_argument("--data-seed", type=int_in_range(0, SEED_LIMIT, "2**63"), default=_DEFAULTS.data_seed, help="seed of the random inputs for d>1 (default %(default)s)")
    p.add_argument("--init-seed", type=int_in_range(0, SEED_LIMIT, "2**63"), default=_DEFAULTS.init_seed, help="initialisation stream; equal values share initial networks (default %(default)s)")
    p.add_argument("--dtype", choices=DTYPES, default=_DEFAULTS.dtype, help="training precision (default %(default)s)")
    p.add_argument("--curve-points", type=int_at_least(2), default=_DEFAULTS.curve_points, help="points of the stored loss curve (default %(default)s)")
    p.add_argument("--init-scale", type=positive_float, default=_DEFAULTS.init_scale,
                   help="factor on the first layer's initial w, b (default %(default)s: PyTorch's init)")
    p.add_argument("--snapshots", type=_boolean, default=_DEFAULTS.snapshots,
                   help="store every network's parameters at the loss-curve steps: true or false (default %(default)s)")
    p.add_argument("--threads", type=thread_count, default=None, help="numba threads (default: all cores)")
    add_limit_options(p, "train")
    p.add_argument("--label", default=None, help="name for progress lines (default task/activation/N)")


def run(args) -> int:
    from ....commands._threads import set_threads

    set_threads(args.threads)
    from .. import networks as h5io, trainer

    settings = TrainSettings(
        task=args.task, activation=args.activation, width=args.width, steps=args.steps, lr=args.lr,
        lr_decay=args.lr_decay, lr_decay_every=args.lr_decay_every, beta1=args.beta1, beta2=args.beta2,
        eps=args.eps, n_train=args.n_train, n_test=args.n_test,
        x_range=tuple(args.x_range) if args.x_range else None, data_seed=args.data_seed,
        init_seed=args.init_seed, dtype=args.dtype, curve_points=args.curve_points,
        init_scale=args.init_scale, snapshots=args.snapshots,
    ).resolved()
    _check_work(settings, args)
    _check_memory(settings, args)
    seeds = trainer.parse_seeds(args.seeds[0])
    label = args.label or f"{args.task}/{args.activation}/N={args.width}"
    log = _ProgressLog(label)
    log.start(seeds.size, settings)
    result = interruptible(lambda: trainer.train(settings, seeds, threads=args.threads, progress=log), label)
    h5io.write_result(args.out, result)
    n_div = int(result.diverged.sum())
    print(
        f"[{label}] done: {seeds.size} networks in {result.seconds:.1f} s; median test MSE "
        f"{_median(result.test_loss):.3g}; diverged {n_div}; wrote {args.out}",
        file=sys.stderr, flush=True,
    )
    return 0


def _seeds(text: str):
    """(text, number of seeds) after checking every seed is an integer in [0, 2**63) (int64 in the
    file), without building the list, so that a huge range is refused by the memory check."""
    import argparse

    try:
        if ":" in text:
            lo, hi = (int(p) for p in text.split(":"))
            values, count = (lo, hi - 1), hi - lo
        else:
            values = [int(p) for p in text.split(",")]
            count = len(values)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like START:STOP, N or N,M,...; got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be a non-empty set of integers >= 0; got {text!r}")
    bad = [v for v in values if not 0 <= v < SEED_LIMIT]
    if bad:
        raise argparse.ArgumentTypeError(f"seeds must be integers >= 0 and < 2**63 (stored as int64), got {bad[0]}")
    return text, count


def _check_work(settings, args) -> None:
    """Refuse, before starting, a training past the work bound (--max-work; docs/cli.md, "Limits")."""
    from ....limits import check_work

    work = settings.width * args.seeds[1] * settings.steps * settings.n_train
    check_work("train", work, f"{args.seeds[1]} seeds x width {settings.width} x {settings.steps} steps x "
                              f"n_train {settings.n_train}", args.max_work)


def _check_memory(settings, args) -> None:
    """Refuse, before allocating, a training whose arrays would not fit (the bound: --max-memory)."""
    from ..budget import format_bytes, train_memory_bytes
    from ..tasks import input_dim
    from ....errors import UserError
    from ....limits import memory_bound

    threads = args.threads or os.cpu_count() or 1
    need = train_memory_bytes(input_dim(settings.task), settings.width, args.seeds[1], settings.n_train,
                              settings.n_test, settings.curve_points, settings.dtype, threads, settings.snapshots,
                              settings.steps)
    bound, what = memory_bound(args.max_memory)
    if bound is not None and need > bound:
        raise UserError(
            f"{args.seeds[1]} networks of width {settings.width} on {settings.n_train} training and {settings.n_test} "
            f"test points need about {format_bytes(need)} of memory, more than {format_bytes(bound)} ({what}); "
            f"use fewer --seeds or smaller --width, --n-train or --n-test, or pass --max-memory SIZE if the machine really has it")


def _median(values):
    import numpy as np

    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


class _ProgressLog:
    """Progress lines for long jobs: at most one every few seconds, plus the last."""

    def __init__(self, label: str, every_seconds: float = 5.0):
        self.label = label
        self.every = every_seconds
        self.last = -1e9

    def start(self, total: int, settings) -> None:
        import numba

        slurm_job = os.environ.get("SLURM_JOB_ID")
        where = f", SLURM job {slurm_job} on {os.environ.get('SLURMD_NODENAME', '?')}" if slurm_job else ""
        print(
            f"[{self.label}] training {total} networks: {settings.steps} steps, M={settings.n_train}, "
            f"{settings.dtype}, {numba.get_num_threads()} threads{where}",
            file=sys.stderr, flush=True,
        )

    def __call__(self, done: int, total: int, seconds: float, fraction: float, seconds_left: float | None) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        # the fraction counts steps, so wide networks (minutes each) show progress too
        left = f", ~{seconds_left:.0f} s left" if seconds_left is not None and done < total else ""
        print(
            f"[{self.label}] {done}/{total} networks, {100 * fraction:.0f}% of steps, {seconds:.1f} s elapsed{left}",
            file=sys.stderr, flush=True,
        )


def _boolean(text: str) -> bool:
    """true/false (also yes/no, 1/0, True/False as the workflow writes them)."""
    import argparse

    value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(str(text).lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"must be true or false, got {text!r}")
    return value
