"""The race study's way in to its data: prepared-task files read with every content checked, and
CIFAR-10 batches checked before the core loader (data.py, whose bytes are hashed) unpickles them.

Every command goes through here, never through `data.read_dataset` or `data.load_task` directly.
A prepared task (a race-dataset file, or the `task/` group of a runs file) is what
`data.write_dataset_group` writes: n training and m test samples of the data set's D inputs
(digits 64, CIFAR-10 and photos 1024), finite inputs in [-1, 1], original labels 0..3 drawn balanced
(n/4 each), classes y = [label in {1, 2}], distinct indices into the source pool; the
provenance attributes agree with the arrays. Anything else is one UserError naming the file,
the dataset and the first offending value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lottery_scaling.errors import UserError
from lottery_scaling.h5checks import H5Reader

from . import data


@dataclass(frozen=True)
class _Pool:
    inputs: int  # D
    train_pool: int  # indices of training samples lie in [0, train_pool)
    test_pool: int
    max_train: int  # samples of labels 0..3 in the training pool
    max_test: int


POOLS = {
    # sklearn's 1797 digits, 720 of them labelled 0..3; train and test come from the same pool
    "digits": _Pool(inputs=64, train_pool=1797, test_pool=1797, max_train=720, max_test=720),
    # 50000 training images (5000 per label), test_batch 10000 (1000 per label)
    "cifar10": _Pool(inputs=1024, train_pool=50000, test_pool=10000, max_train=20000, max_test=4000),
    # 520 tiles of scikit-learn's two sample photos (photos.py); train and test from the same pool
    "photos": _Pool(inputs=1024, train_pool=520, test_pool=520, max_train=400, max_test=516),
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def load_task(dataset: str, n: int, data_seed: int = 0, cifar_dir=None) -> data.TaskData:
    """`data.load_task`, with every CIFAR-10 batch checked first (cifar_files) and the loaded
    files' SHA-256 compared with the checked bytes (a file swapped in between is refused)."""
    from . import cifar_files

    if dataset == "photos":  # not in data.py, whose bytes are the race core's hash (provenance.CORE_MODULES)
        from .photos import load_photos_task

        return load_photos_task(n, data_seed)
    if dataset != "cifar10" or cifar_dir is None or not Path(cifar_dir).is_dir():
        return data.load_task(dataset, n, data_seed, cifar_dir)
    checked = cifar_files.check_folder(cifar_dir)
    task = data.load_task(dataset, n, data_seed, cifar_dir)
    for name, digest in checked.items():
        if task.sources.get(name) != digest:
            raise UserError(f"{Path(cifar_dir) / name}: changed while it was being read; run again")
    return task


def read_dataset(path) -> data.TaskData:
    """A file of race-prepare-data, every dataset and attribute checked (module docstring)."""
    with H5Reader(path) as f:
        fmt = f.format_attr()
        if fmt != data.FORMAT:
            f.fail(f"not a race data set file (format {fmt!r})")
        return read_task_group(f, "")


def read_task_group(f: H5Reader, where: str) -> data.TaskData:
    """The prepared task in group `where` ('' = the root) of an open file."""
    g = f"{where}/" if where else ""
    name = f.text_attr("dataset", where)
    if name not in POOLS:
        f.fail(f"attribute {g}dataset is {name!r}, expected one of {', '.join(POOLS)}")
    pool = POOLS[name]
    n, D = f.shape(g + "x_train", 2)
    m, Dt = f.shape(g + "x_test", 2)
    if D != pool.inputs or Dt != pool.inputs:
        f.fail(f"dataset {g}{'x_train' if D != pool.inputs else 'x_test'} has {D if D != pool.inputs else Dt} inputs "
               f"per sample, expected {pool.inputs} for {name}")
    if not (4 <= n <= pool.max_train and n % 4 == 0):
        f.fail(f"dataset {g}x_train has {n} samples, expected a multiple of 4 from 4 to {pool.max_train} ({name})")
    if not 1 <= m <= pool.max_test:
        f.fail(f"dataset {g}x_test has {m} samples, expected 1 to {pool.max_test} ({name})")
    arrays = {}
    for split, rows, pool_size in (("train", n, pool.train_pool), ("test", m, pool.test_pool)):
        x = arrays[f"x_{split}"] = f.array(f"{g}x_{split}", "f", (rows, D))
        f.require(f"{g}x_{split}", x, (x >= -1) & (x <= 1), "a finite input in [-1, 1]")
        label = arrays[f"label_{split}"] = f.array(f"{g}label_{split}", "iu", (rows,))
        f.require(f"{g}label_{split}", label, np.isin(label, data.LABEL_ORDER), "an original label 0, 1, 2 or 3")
        y = arrays[f"y_{split}"] = f.array(f"{g}y_{split}", "iu", (rows,))
        f.require(f"{g}y_{split}", y, y == np.isin(label, data.GROUPS[1]),
                  f"the class of its label in label_{split} (0 for labels 0, 3; 1 for labels 1, 2)")
        index = arrays[f"index_{split}"] = f.array(f"{g}index_{split}", "iu", (rows,))
        f.require(f"{g}index_{split}", index, (index >= 0) & (index < pool_size),
                  f"an index into the {pool_size} samples of the source pool")
        _require_distinct(f, f"{g}index_{split}", index)
    for lab in data.LABEL_ORDER:
        count = int(np.sum(arrays["label_train"] == lab))
        if count != n // 4:
            f.fail(f"dataset {g}label_train holds {count} samples of label {lab}, expected n/4 = {n // 4} (a balanced draw)")
    if name in ("digits", "photos"):
        shared = np.intersect1d(arrays["index_train"], arrays["index_test"])
        if shared.size:
            f.fail(f"dataset {g}index_test holds {int(shared[0])}, a training sample too (index_train)")
    for attr, value in (("n_train", n), ("n_test", m), ("inputs", D)):
        stored = f.int_attr(attr, where)
        if stored != value:
            f.fail(f"attribute {g}{attr} is {stored}, but the datasets hold {value}")
    sources = f.json_attr("source_sha256", where)
    if not (isinstance(sources, dict) and all(isinstance(k, str) and isinstance(v, str) and _SHA256.fullmatch(v)
                                                for k, v in sources.items())):
        f.fail(f"attribute {g}source_sha256 must be a JSON object of file name -> SHA-256 (64 hex digits)")
    return data.TaskData(
        name=name, data_seed=f.int_attr("data_seed", where, low=0), normalisation=f.text_attr("normalisation", where),
        sources=sources, **arrays,
    )


def _require_distinct(f: H5Reader, name: str, values: np.ndarray) -> None:
    ordered = np.sort(values, kind="stable")
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    if twice.size:
        f.fail(f"dataset {name} holds {int(twice[0])} more than once, expected distinct samples")
