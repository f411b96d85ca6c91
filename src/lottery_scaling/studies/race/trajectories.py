"""HDF5 file of one race setting: per-neuron trajectories, snapshots and the task.

Layout (every dataset has `description` and `units` attributes; R runs, K checkpoint
slots, d neurons, D inputs; slots past a run's stop step hold NaN / step -1):
  seed (R), status (R: 0 capped, 1 converged, 2 diverged), stop_step (R), epochs (R)
  ckpt_step (R, K)
  neuron/{w_norm, v_norm, bias, n_eff, cos_v, angle, wv_norm} (R, K, d)
  run/{train_loss, train_acc, test_loss, test_acc, aligned_fraction} (R, K)
  snapshot/{W (R, 4, d, D), b (R, 4, d), V (R, 4, 2, d), c (R, 4, 2), step (R, 4)}
      snapshot order: init, early, before_drop, end (attribute `names`)
  task/ the prepared data set (x_train ... index_test, provenance attributes)
Root attributes: format, every training setting (and `settings_json`), the form used,
dataset provenance, software versions, train_seconds. Written with `atomic_path`.
"""

from __future__ import annotations

import json
import platform

import numpy as np

from lottery_scaling.errors import UserError
from lottery_scaling.h5io import atomic_path

from . import data
from .trainer import NEURON_FIELDS, RUN_FIELDS, SNAPSHOTS, RaceResult

FORMAT = "lottery-scaling/race-runs"
FORMAT_VERSION = 1

NEURON_DOCS = {
    "w_norm": ("", "|w_i|, Euclidean norm of the neuron's incoming weights"),
    "v_norm": ("", "|v_i|, Euclidean norm of the neuron's 2 outgoing weights"),
    "bias": ("", "b_i, the neuron's bias"),
    "n_eff": ("samples", "size of the effective data set: training inputs with w_i.x + b_i > 0"),
    "cos_v": ("", "outgoing alignment cos(v_i, (1, -1)) = (v_i1 - v_i2) / (sqrt 2 |v_i|)"),
    "angle": ("degrees", "angle between w_i and t_i = sgn(v_i1 - v_i2) sum_s gate_s y_s x_s "
                         "(y = +1 class 1, -1 class 2; App. D target of the current cell); NaN if no input passes"),
    "wv_norm": ("", "|w_i| |v_i|"),
}
RUN_DOCS = {
    "train_loss": ("nats", "mean cross-entropy on the training set (float64)"),
    "train_acc": ("fraction", "training accuracy (argmax, ties to class 1)"),
    "test_loss": ("nats", "mean cross-entropy on the test set (float64)"),
    "test_acc": ("fraction", "test accuracy"),
    "aligned_fraction": ("fraction", "fraction of live neurons (n_eff > 0) with |cos_v| >= align_cos"),
}


def software_versions() -> dict:
    import h5py
    import numba

    import lottery_scaling

    return {
        "lottery_scaling_version": getattr(lottery_scaling, "__version__", "?"),
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "python_version": platform.python_version(),
    }


def _ds(group, name, value, units, desc):
    ds = group.create_dataset(name, data=value)
    ds.attrs["units"] = units
    ds.attrs["description"] = desc
    return ds


def write_runs(path, result: RaceResult, task: data.TaskData, extra_attrs: dict | None = None) -> None:
    import h5py

    s = result.settings
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            for k, v in s.as_attrs().items():
                h5.attrs[k] = v
            h5.attrs["settings_json"] = json.dumps(s.as_attrs(), sort_keys=True)
            h5.attrs["form"] = result.form
            h5.attrs["train_seconds"] = float(result.seconds)
            for k, v in task.provenance().items():
                h5.attrs[k] = v
            for k, v in software_versions().items():
                h5.attrs[k] = v
            for k, v in (extra_attrs or {}).items():
                h5.attrs[k] = v
            _ds(h5, "seed", result.seeds, "", "run seed: initial parameters and epoch order depend only on it")
            _ds(h5, "status", result.status, "", "0 capped (max_epochs reached), 1 converged, 2 diverged")
            _ds(h5, "stop_step", result.stop_step, "step", "optimiser steps taken when the run stopped")
            _ds(h5, "epochs", result.epochs, "epoch", "epochs completed")
            _ds(h5, "ckpt_step", result.ckpt_step, "step", "optimiser steps before each checkpoint; -1 = not taken")
            g = h5.create_group("neuron")
            for name in NEURON_FIELDS:
                _ds(g, name, result.neuron[name], *NEURON_DOCS[name])
            _ds(g, "wv_norm", result.neuron["w_norm"] * result.neuron["v_norm"], *NEURON_DOCS["wv_norm"])
            g = h5.create_group("run")
            for name in RUN_FIELDS:
                _ds(g, name, result.run[name], *RUN_DOCS[name])
            g = h5.create_group("snapshot")
            g.attrs["names"] = json.dumps(SNAPSHOTS)
            g.attrs["description"] = (
                "parameters at init; early (first checkpoint with >= align_frac of live neurons at "
                "|cos_v| >= align_cos); before_drop (last checkpoint with training loss >= drop_frac ln 2); end"
            )
            _ds(g, "W", result.snap_W, "", "first-layer weights (run, snapshot, neuron, input); NaN = not reached")
            _ds(g, "b", result.snap_b, "", "biases (run, snapshot, neuron)")
            _ds(g, "V", result.snap_V, "", "output weights (run, snapshot, output, neuron)")
            _ds(g, "c", result.snap_c, "", "output biases (run, snapshot, output)")
            _ds(g, "step", result.snap_step, "step", "step of each snapshot; -1 = never reached")
            data.write_dataset_group(h5.create_group("task"), task)


class Runs:
    """What `read_runs` returns: plain numpy arrays and the attributes."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def read_runs(path) -> Runs:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                raise UserError(f"{path}: not a race runs file (format {h5.attrs.get('format')!r})")
            out = {k: h5[k][()] for k in ("seed", "status", "stop_step", "epochs", "ckpt_step")}
            out["neuron"] = {k: h5["neuron"][k][()] for k in h5["neuron"]}
            out["run"] = {k: h5["run"][k][()] for k in h5["run"]}
            out["snap"] = {k: h5["snapshot"][k][()] for k in h5["snapshot"]}
            out["attrs"] = dict(h5.attrs)
            out["settings"] = json.loads(h5.attrs["settings_json"])
            out["task"] = data.read_dataset_group(h5["task"])
    except OSError as exc:
        raise UserError(f"{path}: cannot read as HDF5 ({exc})") from None
    except KeyError as exc:
        raise UserError(f"{path}: incomplete race runs file (missing {exc})") from None
    return Runs(**out)
