"""`lottery-scaling train`: train one network per seed for one (task, activation, width)."""

from __future__ import annotations

import os
import sys
import time

from ..model import ACTIVATIONS
from ..tasks import TASKS
from ..trainer import DTYPES, TrainSettings
from ....commands._argtypes import finite_float, h5_output, int_at_least, positive_float

HELP = "train networks of one width for a range of seeds and write them to an HDF5 file"
_DEFAULTS = TrainSettings("x2", "silu", 1)


def configure(p) -> None:
    p.add_argument("--task", required=True, choices=TASKS, help="target function")
    p.add_argument("--activation", required=True, choices=ACTIVATIONS, help="hidden-layer activation")
    p.add_argument("--width", required=True, type=int_at_least(1), help="hidden neurons N")
    p.add_argument("--seeds", required=True,
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
    p.add_argument("--data-seed", type=int_at_least(0), default=_DEFAULTS.data_seed, help="seed of the random inputs for d>1 (default %(default)s)")
    p.add_argument("--init-seed", type=int_at_least(0), default=_DEFAULTS.init_seed, help="initialisation stream; equal values share initial networks (default %(default)s)")
    p.add_argument("--dtype", choices=DTYPES, default=_DEFAULTS.dtype, help="training precision (default %(default)s)")
    p.add_argument("--curve-points", type=int_at_least(2), default=_DEFAULTS.curve_points, help="points of the stored loss curve (default %(default)s)")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="numba threads (default: all cores)")
    p.add_argument("--label", default=None, help="name for progress lines (default task/activation/N)")


def run(args) -> int:
    if args.threads is not None:
        # must be set before numba starts its thread pool; more threads than cores is allowed
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    from .. import networks as h5io, trainer

    settings = TrainSettings(
        task=args.task, activation=args.activation, width=args.width, steps=args.steps, lr=args.lr,
        lr_decay=args.lr_decay, lr_decay_every=args.lr_decay_every, beta1=args.beta1, beta2=args.beta2,
        eps=args.eps, n_train=args.n_train, n_test=args.n_test,
        x_range=tuple(args.x_range) if args.x_range else None, data_seed=args.data_seed,
        init_seed=args.init_seed, dtype=args.dtype, curve_points=args.curve_points,
    ).resolved()
    seeds = trainer.parse_seeds(args.seeds)
    label = args.label or f"{args.task}/{args.activation}/N={args.width}"
    log = _ProgressLog(label)
    log.start(seeds.size, settings)
    result = _interruptible(lambda: trainer.train(settings, seeds, threads=args.threads, progress=log), label)
    h5io.write_result(args.out, result)
    n_div = int(result.diverged.sum())
    print(
        f"[{label}] done: {seeds.size} networks in {result.seconds:.1f} s; median test MSE "
        f"{_median(result.test_loss):.3g}; diverged {n_div}; wrote {args.out}",
        file=sys.stderr, flush=True,
    )
    return 0


def _interruptible(work, label):
    """Run `work` in a worker thread so that Ctrl-C (SIGINT) stops the command at once.

    The numba kernel holds the calling thread for the whole training without running Python,
    so a SIGINT would otherwise wait until every network is trained (an hour for wide
    networks). Nothing has been written yet (the output is written after training,
    atomically), so the process can end right away.
    """
    import threading

    box = {}

    def target():
        try:
            box["result"] = work()
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="train", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        print(f"[{label}] interrupted: nothing written", file=sys.stderr, flush=True)
        os._exit(130)  # the daemon worker is inside the numba kernel and cannot be joined
    if "error" in box:
        raise box["error"]
    return box["result"]


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
