"""The trained-networks HDF5 file of the lottery study: one chunk of seeds, or all seeds of one width (merged).

Layout (docs/cli.md, HDF5 layout): datasets seed (S,), w (S,N,d), b (S,N), v (S,N),
c (S,), train_loss (S,), test_loss (S,), diverged (S,), loss_curve (S,K),
curve_step (K,); root attributes hold every training setting, the format name and the
versions of the software that made the file. Files are written to a temporary name in
the same folder and renamed, so a killed job never leaves a file that looks complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...errors import UserError
from ...h5io import atomic_path, software_versions
from .trainer import TrainResult, TrainSettings

FORMAT = "lottery-scaling/trained-networks"
FORMAT_VERSION = 1

DATASET_DOCS = {
    "seed": ("", "seed of each network: its initial parameters depend only on (d, width, seed, init_seed)"),
    "w": ("", "first-layer weights, shape (seed, neuron, input dimension)"),
    "b": ("", "first-layer biases, shape (seed, neuron)"),
    "v": ("", "output weights, shape (seed, neuron)"),
    "c": ("", "output bias, shape (seed,)"),
    "train_loss": ("MSE", "final mean squared error on the training set (evaluated in float64)"),
    "test_loss": ("MSE", "final mean squared error on the test set (evaluated in float64)"),
    "diverged": ("", "true where training produced a non-finite loss or parameters"),
    "loss_curve": ("MSE", "training-set MSE (in the training dtype) at the steps in curve_step"),
    "curve_step": ("step", "optimiser steps taken before each loss_curve entry (0 = initial network)"),
}
DATASETS = tuple(DATASET_DOCS)
_SETTING_NAMES = tuple(TrainSettings.__dataclass_fields__)


def write_result(path, result: TrainResult, extra_attrs: dict | None = None) -> None:
    """Write a TrainResult atomically."""
    import h5py

    attrs = dict(result.settings.as_attrs())
    attrs.update(software_versions())
    attrs.update(result.extra_attrs)
    attrs.update(extra_attrs or {})
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            for key, value in attrs.items():
                h5.attrs[key] = "null" if value is None else value
            h5.attrs["settings_json"] = json.dumps(result.settings.as_attrs(), sort_keys=True)
            h5.attrs["train_seconds"] = float(result.seconds)
            for name in DATASETS:
                data = np.asarray(getattr(result, name))
                ds = h5.create_dataset(name, data=data)
                unit, doc = DATASET_DOCS[name]
                ds.attrs["description"] = doc
                if unit:
                    ds.attrs["units"] = unit
            _write_snapshots(h5, result)


def read_result(path) -> TrainResult:
    """Read a file written by write_result; any problem raises UserError naming the file."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                raise UserError(f"{path}: not a lottery-scaling trained-networks file (format attribute missing or different)")
            missing = [name for name in DATASETS if name not in h5]
            if missing:
                raise UserError(f"{path}: missing dataset(s) {', '.join(missing)}")
            not_datasets = [name for name in DATASETS if not isinstance(h5[name], h5py.Dataset)]
            if not_datasets:
                raise UserError(f"{path}: {', '.join(not_datasets)} must be dataset(s), found a group or link")
            data = {name: h5[name][()] for name in DATASETS}
            if "settings_json" not in h5.attrs:
                raise UserError(f"{path}: attribute settings_json missing")
            if SNAPSHOTS in h5 and not isinstance(h5[SNAPSHOTS], h5py.Dataset):
                raise UserError(f"{path}: {SNAPSHOTS} must be a dataset, found a group")
            snapshots = h5[SNAPSHOTS][()] if SNAPSHOTS in h5 else None
            settings_json = h5.attrs["settings_json"]
            seconds = h5.attrs.get("train_seconds", 0.0)
    except UserError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise UserError(f"{path}: cannot read as HDF5 (truncated or corrupt?): {exc}") from None
    settings = _settings_of_file(path, settings_json)
    _check_datasets(path, data, settings)
    if snapshots is not None:
        S, K = data["loss_curve"].shape
        P = data["w"].shape[1] * data["w"].shape[2] + 2 * data["w"].shape[1] + 1
        if snapshots.dtype.kind not in "iuf" or snapshots.shape != (S, K, P):
            raise UserError(f"{path}: dataset {SNAPSHOTS} has shape {snapshots.shape} ({snapshots.dtype}), "
                            f"expected numbers of shape {(S, K, P)}")
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise UserError(f"{path}: attribute train_seconds must be a number, got {seconds!r}") from None
    return TrainResult(settings=settings, seconds=seconds, snapshots=snapshots, **data)


# the kind of number each dataset must hold (numpy dtype kinds: b bool, i/u integer, f float)
_KINDS = {"seed": "iu", "w": "iuf", "b": "iuf", "v": "iuf", "c": "iuf", "train_loss": "iuf", "test_loss": "iuf",
          "diverged": "biu", "loss_curve": "iuf", "curve_step": "iu"}
_KIND_WORDS = {"iu": "integers", "iuf": "numbers", "biu": "booleans"}


def _settings_of_file(path, settings_json) -> TrainSettings:
    """The training settings of a file from its settings_json attribute, checked like any settings."""
    if isinstance(settings_json, bytes):
        settings_json = settings_json.decode("utf-8", errors="replace")
    try:
        values = json.loads(settings_json) if isinstance(settings_json, str) else None
    except ValueError as exc:
        raise UserError(f"{path}: attribute settings_json is not JSON ({exc})") from None
    if not isinstance(values, dict):
        raise UserError(f"{path}: attribute settings_json must be a JSON object of training settings")
    missing = [k for k in ("task", "activation", "width") if k not in values]
    if missing:
        raise UserError(f"{path}: settings_json lacks {', '.join(missing)}")
    try:
        settings = settings_from_dict(values)
        settings.validate()
    except UserError as exc:
        raise UserError(f"{path}: settings_json: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise UserError(f"{path}: settings_json has a value of the wrong type ({exc})") from None
    return settings


def settings_from_dict(values: dict) -> TrainSettings:
    values = dict(values)
    if values.get("x_range") is not None:
        values["x_range"] = tuple(values["x_range"])
    return TrainSettings(**{k: values[k] for k in _SETTING_NAMES if k in values})


def _check_datasets(path, data: dict, settings: TrainSettings) -> None:
    """Every dataset holds numbers of its kind, with the shapes of the layout."""
    from .tasks import input_dim

    for name, kinds in _KINDS.items():
        value = data[name] = np.asarray(data[name]) if isinstance(data[name], np.generic) else data[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in kinds:
            what = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
            raise UserError(f"{path}: dataset {name} must hold {_KIND_WORDS[kinds]}, found {what}")
    for name in ("seed", "curve_step"):
        if data[name].ndim != 1:
            raise UserError(f"{path}: dataset {name} has shape {data[name].shape}, expected a 1-d array")
    _check_shapes(path, data, settings)
    d = input_dim(settings.task)
    if data["w"].shape[2] != d:
        raise UserError(f"{path}: dataset w has shape {data['w'].shape}, expected input dimension {d} of task {settings.task}")


def _check_shapes(path, data: dict, settings: TrainSettings) -> None:
    S = data["seed"].shape[0]
    N = settings.width
    K = data["curve_step"].shape[0]
    expected = {
        "seed": (S,), "b": (S, N), "v": (S, N), "c": (S,), "train_loss": (S,), "test_loss": (S,),
        "diverged": (S,), "loss_curve": (S, K), "curve_step": (K,),
    }
    for name, shape in expected.items():
        if data[name].shape != shape:
            raise UserError(f"{path}: dataset {name} has shape {data[name].shape}, expected {shape}")
    if data["w"].ndim != 3 or data["w"].shape[:2] != (S, N):
        raise UserError(f"{path}: dataset w has shape {data['w'].shape}, expected ({S}, {N}, d)")


def settings_differences(a, b, ignore=()) -> str:
    """'steps 300 vs 200, n_train 50 vs 1000' for the training settings that differ (empty if none)."""
    a, b = a.as_attrs(), b.as_attrs()
    return ", ".join(f"{k} {a[k]!r} vs {b[k]!r}" for k in a if k not in ignore and a[k] != b[k])


def merge(paths, out) -> TrainResult:
    """Merge chunk files of one (experiment, width) into one file sorted by seed."""
    parts = [read_result(p) for p in paths]
    if not parts:
        raise UserError("merge needs at least one input file")
    first = parts[0].settings
    for p, part in zip(paths, parts):
        if part.settings != first:
            raise UserError(f"{p}: training settings differ from {paths[0]} ({settings_differences(part.settings, first)}); "
                            "only chunks of one experiment and width can be merged")
        if not np.array_equal(part.curve_step, parts[0].curve_step):
            raise UserError(f"{p}: curve_step differs from {paths[0]}")
    seed = np.concatenate([p.seed for p in parts])
    order = np.argsort(seed, kind="stable")
    dup = seed[order][1:][np.diff(seed[order]) == 0]
    if dup.size:
        raise UserError(f"seed {int(dup[0])} appears in more than one input file")
    merged = {name: np.concatenate([getattr(p, name) for p in parts])[order] for name in DATASETS if name != "curve_step"}
    result = TrainResult(
        settings=first, curve_step=parts[0].curve_step, seconds=sum(p.seconds for p in parts), **merged
    )
    if all(p.snapshots is not None for p in parts):
        result.snapshots = np.concatenate([p.snapshots for p in parts])[order]
    write_result(out, result, {"merged_from": len(parts)})
    return result


# ---- parameter snapshots (training option `snapshots`) ----
SNAPSHOTS = "snapshots"
SNAPSHOTS_DOC = (
    "parameters of every network after curve_step[k] Adam steps, shape (seed, k, P) with P = N*d + 2N + 1 "
    "laid out as [w (N x d, row-major), b (N), v (N), c], in the training dtype; the last entry is the final network "
    "(present only when the setting snapshots is true)"
)


def _write_snapshots(h5, result: TrainResult) -> None:
    if result.snapshots is None:
        return
    ds = h5.create_dataset(SNAPSHOTS, data=np.asarray(result.snapshots), compression="gzip", compression_opts=4)
    ds.attrs["description"] = SNAPSHOTS_DOC


def split_snapshots(snapshots: np.ndarray, width: int, d: int = 1):
    """(w (S, K, N, d), b (S, K, N), v (S, K, N), c (S, K)) from a (S, K, P) snapshots array."""
    snapshots = np.asarray(snapshots)
    S, K, P = snapshots.shape
    N = width
    if P != N * d + 2 * N + 1:
        raise UserError(f"snapshots have {P} parameters per network, expected {N * d + 2 * N + 1} for width {N}, d = {d}")
    w = snapshots[..., : N * d].reshape(S, K, N, d)
    b = snapshots[..., N * d : N * d + N]
    v = snapshots[..., N * d + N : N * d + 2 * N]
    c = snapshots[..., -1]
    return w, b, v, c
