"""`lottery-scaling race-prepare-data`: write the two-class task (digits, photos or CIFAR-10) to HDF5."""

from __future__ import annotations

import sys

from ....commands._argtypes import h5_output, int_at_least, multiple_of_4

HELP = "prepare a two-class task of the race study (digits, photos or CIFAR-10) as an HDF5 file"


def add_data_options(p, required_n=True) -> None:
    p.add_argument("--dataset", choices=("digits", "photos", "cifar10"), default="digits",
                   help="digits: scikit-learn's bundled 8x8 digits (offline); photos: 32x32 grayscale tiles of "
                        "scikit-learn's two sample photos, 1024 inputs (offline); cifar10: python batches in --cifar-dir")
    p.add_argument("--n", type=multiple_of_4, required=required_n,
                   help="training samples, balanced: n/4 of each original label 0, 3 (class 1) and 1, 2 (class 2)")
    p.add_argument("--data-seed", type=int_at_least(0), default=0, help="seed of the balanced draw (default %(default)s)")
    p.add_argument("--cifar-dir", default=None, help="folder with CIFAR-10's data_batch_1..5 and test_batch")


def load_from_args(args):
    from ..task_files import load_task  # CIFAR-10 batches checked before the core unpickles them

    if args.dataset != "cifar10" and args.cifar_dir is not None:
        from lottery_scaling.errors import UserError

        raise UserError("--cifar-dir is only used with --dataset cifar10")
    return load_task(args.dataset, args.n, args.data_seed, args.cifar_dir)


def configure(p) -> None:
    add_data_options(p)
    p.add_argument("--out", required=True, type=h5_output, help="output HDF5 file (written atomically)")


def run(args) -> int:
    from ..data import write_dataset

    task = load_from_args(args)
    write_dataset(args.out, task)
    print(f"[race-prepare-data] {task.name}: {task.n} training, {task.x_test.shape[0]} test samples, "
          f"{task.inputs} inputs; wrote {args.out}", file=sys.stderr)
    return 0
