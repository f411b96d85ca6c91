"""The trained-networks HDF5 file of the lottery study: one chunk of seeds, or all seeds of one width (merged).

Layout (see README, "HDF5 layout"): datasets seed (S,), w (S,N,d), b (S,N), v (S,N),
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
            data = {name: h5[name][()] for name in DATASETS}
            settings_dict = json.loads(h5.attrs["settings_json"])
            seconds = float(h5.attrs.get("train_seconds", 0.0))
    except UserError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise UserError(f"{path}: cannot read as HDF5 (truncated or corrupt?): {exc}") from None
    settings = settings_from_dict(settings_dict)
    _check_shapes(path, data, settings)
    return TrainResult(settings=settings, seconds=seconds, **data)


def settings_from_dict(values: dict) -> TrainSettings:
    values = dict(values)
    if values.get("x_range") is not None:
        values["x_range"] = tuple(values["x_range"])
    return TrainSettings(**{k: values[k] for k in _SETTING_NAMES if k in values})


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
    write_result(out, result, {"merged_from": len(parts)})
    return result
