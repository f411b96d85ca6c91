"""Two-class image tasks of the race study (SPEC section 6): digits (offline default) and CIFAR-10.

Grouping (both data sets): class 1 = original labels {0, 3}, class 2 = {1, 2}. For CIFAR-10
that is {airplane, cat} vs {automobile, bird}, as in the paper; for digits it is the same
label numbers ({0, 3} vs {1, 2}). In arrays the class is stored as `y` in {0, 1}
(0 = class 1, 1 = class 2), the index of the network output that should win.

Training set: n samples, balanced, n/4 per original label (so n must be a multiple of 4).
They are drawn without replacement with `numpy.random.default_rng(data_seed)`: for each
original label in the order 0, 3, 1, 2, `rng.choice(pool, n/4, replace=False)` from the
sorted indices of that label in the training pool; the chosen indices are then sorted
ascending (the order of the training set carries no meaning; the trainer shuffles every
epoch). n/4 may not exceed the smallest per-label pool count (UserError otherwise).

Test set:
- digits: every sample of the four labels that is not in the training set (sklearn's
  1797 bundled 8x8 images hold 178/182/177/183 of labels 0/1/2/3, so n <= 708).
- CIFAR-10: every sample of the four labels in `test_batch` (4000 images).

Inputs:
- digits: 64 pixels with values 0..16, scaled by x / 8 - 1 to [-1, 1].
- CIFAR-10: `data` rows are uint8 R|G|B planes of 32x32 (1024 each); luma
  Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) computed on pixels / 255 in float64,
  flattened row-major to 1024 values in [0, 1], scaled by 2 Y - 1 to [-1, 1].
Indices into the pool: digits, the row of `load_digits()`; CIFAR-10 training, the global
index over data_batch_1..5 concatenated (0..49999); CIFAR-10 test, the row of test_batch.

CIFAR-10 files are read with a restricted unpickler (`_BatchUnpickler`) that can build
only plain containers and numpy arrays (numpy's array reconstruction helpers, ndarray,
dtype, and `_codecs.encode`, which protocol-2 pickles written by Python 3 use for bytes); any other global in the file is refused, so a foreign pickle cannot run code.
A missing, truncated, foreign or malformed batch is one UserError naming the file.

The prepared set is written to HDF5 by `write_dataset` (atomic) with provenance: the
SHA-256 of every source file, the chosen indices, grouping, normalisation and data seed;
`read_dataset` reads it back and checks the format.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lottery_scaling.errors import UserError
from lottery_scaling.h5io import atomic_path

DATASETS = ("digits", "cifar10")
GROUPS = ((0, 3), (1, 2))  # class 1, class 2 (original labels)
LABEL_ORDER = (0, 3, 1, 2)
CIFAR_NAMES = {0: "airplane", 1: "automobile", 2: "bird", 3: "cat"}
CIFAR_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_FILE = "test_batch"
LUMA = (0.299, 0.587, 0.114)
FORMAT = "lottery-scaling/race-dataset"
FORMAT_VERSION = 1


@dataclass
class TaskData:
    """A prepared two-class task. x_* float64 in [-1, 1]; y_* int8 in {0, 1} (0 = class 1)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    label_train: np.ndarray
    index_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    label_test: np.ndarray
    index_test: np.ndarray
    data_seed: int
    normalisation: str
    sources: dict = field(default_factory=dict)  # file name -> sha256

    @property
    def n(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def inputs(self) -> int:
        return int(self.x_train.shape[1])

    def provenance(self) -> dict:
        """Root attributes describing how the task was made (JSON-able values)."""
        return {
            "dataset": self.name,
            "n_train": self.n,
            "n_test": int(self.x_test.shape[0]),
            "inputs": self.inputs,
            "data_seed": int(self.data_seed),
            "grouping": json.dumps({"class_1": list(GROUPS[0]), "class_2": list(GROUPS[1])}),
            "normalisation": self.normalisation,
            "source_sha256": json.dumps(self.sources, sort_keys=True),
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _class_of(labels: np.ndarray) -> np.ndarray:
    return np.isin(labels, GROUPS[1]).astype(np.int8)


def _check_n(n: int, counts: dict, what: str) -> None:
    if not isinstance(n, (int, np.integer)) or n < 4 or n % 4:
        raise UserError(f"n must be a positive multiple of 4 (n/4 samples per original label), got {n}")
    most = 4 * min(counts.values())
    if n > most:
        raise UserError(
            f"n = {n} is more than {what} holds for a balanced draw: at most {most} "
            f"(per-label counts {dict(sorted(counts.items()))})"
        )


def balanced_indices(labels: np.ndarray, n: int, data_seed: int, what: str = "the data set") -> np.ndarray:
    """n/4 indices per label in LABEL_ORDER, drawn without replacement; sorted ascending."""
    pools = {lab: np.flatnonzero(labels == lab) for lab in LABEL_ORDER}
    _check_n(n, {lab: p.size for lab, p in pools.items()}, what)
    rng = np.random.default_rng(data_seed)
    chosen = [rng.choice(pools[lab], n // 4, replace=False) for lab in LABEL_ORDER]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def load_digits_task(n: int, data_seed: int = 0) -> TaskData:
    """scikit-learn's bundled 8x8 digits (no download), grouped {0, 3} vs {1, 2}."""
    from importlib import resources

    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.asarray(digits.data, dtype=np.float64)
    labels = np.asarray(digits.target, dtype=np.int64)
    train = balanced_indices(labels, n, data_seed, "the digits data set")
    in_four = np.flatnonzero(np.isin(labels, LABEL_ORDER))
    test = np.setdiff1d(in_four, train)
    source = resources.files("sklearn.datasets.data") / "digits.csv.gz"
    sources = {"sklearn/datasets/data/digits.csv.gz": _sha256(Path(str(source)))}
    x = images / 8.0 - 1.0
    return TaskData(
        name="digits", x_train=x[train], y_train=_class_of(labels[train]), label_train=labels[train].astype(np.int8),
        index_train=train, x_test=x[test], y_test=_class_of(labels[test]), label_test=labels[test].astype(np.int8),
        index_test=test, data_seed=int(data_seed), normalisation="x = pixel / 8 - 1 (pixels 0..16)", sources=sources,
    )


class _BatchUnpickler(pickle.Unpickler):
    """Only plain containers and numpy arrays; any other global is refused."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how Python 3 writes bytes in protocol <= 2 pickles
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _get(d: dict, key: str):
    if key.encode() in d:
        return d[key.encode()]
    return d.get(key)


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(data uint8 N x 3072, labels int64 N) of one CIFAR-10 python batch; UserError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: missing CIFAR-10 batch file (expected the python version: data_batch_1..5, test_batch)")
    try:
        with open(path, "rb") as f:
            obj = _BatchUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, KeyError, UnicodeDecodeError, MemoryError) as exc:
        raise UserError(f"{path}: not a readable CIFAR-10 python batch (truncated or foreign file: {exc})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path}: not a CIFAR-10 python batch (holds a {type(obj).__name__}, expected a dict)")
    data, labels = _get(obj, "data"), _get(obj, "labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise UserError(f"{path}: not a CIFAR-10 python batch ('data' must be a uint8 array N x 3072)")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise UserError(f"{path}: not a CIFAR-10 python batch ('labels' must be a list of integers)") from None
    if labels.shape != (data.shape[0],) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise UserError(f"{path}: not a CIFAR-10 python batch ('labels' must be N integers 0..9)")
    return data, labels


def cifar_gray(data: np.ndarray) -> np.ndarray:
    """uint8 N x 3072 (R|G|B planes) -> float64 N x 1024 in [-1, 1] (BT.601 luma of pixels/255)."""
    rgb = data.reshape(-1, 3, 1024).astype(np.float64) / 255.0
    y = LUMA[0] * rgb[:, 0] + LUMA[1] * rgb[:, 1] + LUMA[2] * rgb[:, 2]
    return 2.0 * y - 1.0


def load_cifar_task(cifar_dir: str | Path, n: int, data_seed: int = 0) -> TaskData:
    folder = Path(cifar_dir)
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder (expected the CIFAR-10 python batches data_batch_1..5, test_batch)")
    datas, labels, sources = [], [], {}
    for name in CIFAR_TRAIN_FILES:
        d, lab = read_cifar_batch(folder / name)
        datas.append(d)
        labels.append(lab)
        sources[name] = _sha256(folder / name)
    data, lab = np.concatenate(datas), np.concatenate(labels)
    train = balanced_indices(lab, n, data_seed, f"CIFAR-10 in {folder}")
    tdata, tlab = read_cifar_batch(folder / CIFAR_TEST_FILE)
    sources[CIFAR_TEST_FILE] = _sha256(folder / CIFAR_TEST_FILE)
    test = np.flatnonzero(np.isin(tlab, LABEL_ORDER))
    if test.size == 0:
        raise UserError(f"{folder / CIFAR_TEST_FILE}: holds no image of labels 0-3; cannot make a test set")
    return TaskData(
        name="cifar10", x_train=cifar_gray(data[train]), y_train=_class_of(lab[train]),
        label_train=lab[train].astype(np.int8), index_train=train, x_test=cifar_gray(tdata[test]),
        y_test=_class_of(tlab[test]), label_test=tlab[test].astype(np.int8), index_test=test,
        data_seed=int(data_seed),
        normalisation="x = 2 (0.299 R + 0.587 G + 0.114 B) / 255 - 1 (ITU-R BT.601 luma), 32x32 flattened row-major",
        sources=sources,
    )


def load_task(dataset: str, n: int, data_seed: int = 0, cifar_dir: str | Path | None = None) -> TaskData:
    if dataset == "digits":
        return load_digits_task(n, data_seed)
    if dataset == "cifar10":
        if cifar_dir is None:
            raise UserError("dataset cifar10 needs the folder of the CIFAR-10 python batches (--cifar-dir)")
        return load_cifar_task(cifar_dir, n, data_seed)
    raise UserError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")


_ARRAYS = {
    "x_train": ("", "training inputs, shape (sample, input), scaled to [-1, 1]"),
    "y_train": ("", "training class: 0 = class 1 (labels 0, 3), 1 = class 2 (labels 1, 2)"),
    "label_train": ("", "original label of each training sample"),
    "index_train": ("", "index of each training sample in its source pool (see data_source_indexing)"),
    "x_test": ("", "test inputs, shape (sample, input), scaled to [-1, 1]"),
    "y_test": ("", "test class: 0 = class 1, 1 = class 2"),
    "label_test": ("", "original label of each test sample"),
    "index_test": ("", "index of each test sample in its source pool"),
}


def write_dataset(path, task: TaskData, extra_attrs: dict | None = None) -> None:
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            write_dataset_group(h5, task)
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            for k, v in (extra_attrs or {}).items():
                h5.attrs[k] = v


def write_dataset_group(group, task: TaskData) -> None:
    for key, value in task.provenance().items():
        group.attrs[key] = value
    group.attrs["data_source_indexing"] = (
        "digits: row of sklearn load_digits(); cifar10 train: global index over data_batch_1..5; "
        "cifar10 test: row of test_batch"
    )
    for name, (units, desc) in _ARRAYS.items():
        ds = group.create_dataset(name, data=getattr(task, name))
        ds.attrs["units"] = units
        ds.attrs["description"] = desc


def read_dataset(path) -> TaskData:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                raise UserError(f"{path}: not a race data set file (format {h5.attrs.get('format')!r})")
            return read_dataset_group(h5)
    except OSError as exc:
        raise UserError(f"{path}: cannot read as HDF5 ({exc})") from None


def read_dataset_group(group) -> TaskData:
    arrays = {name: group[name][()] for name in _ARRAYS}
    return TaskData(
        name=str(group.attrs["dataset"]), data_seed=int(group.attrs["data_seed"]),
        normalisation=str(group.attrs["normalisation"]), sources=json.loads(group.attrs["source_sha256"]), **arrays,
    )
