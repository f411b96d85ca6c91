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
dataset provenance, software versions, train_seconds. Written with `atomic_path`; `read_runs`
checks every dataset against this layout and the trainer's rules before anything uses it.
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
    """A runs file of race-train with every dataset checked against the layout (module docstring)
    and the settings that made it; any problem is one UserError naming the file and the dataset."""
    from lottery_scaling.h5checks import H5Reader

    from .task_files import read_task_group

    with H5Reader(path) as f:
        fmt = f.format_attr()
        if fmt != FORMAT:
            f.fail(f"not a race runs file (format {fmt!r})")
        settings = _settings_of(f)
        task = read_task_group(f, "task")
        R = f.shape("seed", 1)[0]
        K = f.shape("ckpt_step", 2)[1]
        d, D = settings["width"], task.inputs
        if R < 1:
            f.fail("dataset seed is empty, expected at least one run")
        if not 2 <= K <= settings["checkpoints"] + 2:
            f.fail(f"dataset ckpt_step has {K} checkpoint slots, expected 2 to checkpoints + 2 = {settings['checkpoints'] + 2}")
        out = {name: f.array(name, "iu", (R,)) for name in ("seed", "status", "stop_step", "epochs")}
        out["ckpt_step"] = f.array("ckpt_step", "iu", (R, K))
        out["neuron"] = {name: f.array(f"neuron/{name}", "iuf", (R, K, d)) for name in (*NEURON_FIELDS, "wv_norm")}
        out["run"] = {name: f.array(f"run/{name}", "iuf", (R, K)) for name in RUN_FIELDS}
        shapes = {"W": (R, 4, d, D), "b": (R, 4, d), "V": (R, 4, 2, d), "c": (R, 4, 2)}
        out["snap"] = {name: f.array(f"snapshot/{name}", "iuf", shape) for name, shape in shapes.items()}
        out["snap"]["step"] = f.array("snapshot/step", "iu", (R, 4))
        names = f.json_attr("names", "snapshot")
        if names != list(SNAPSHOTS):
            f.fail(f"attribute snapshot/names is {names!r}, expected {list(SNAPSHOTS)}")
        _check_runs(f, out, settings, task.n)
        out["attrs"] = f.all_attrs()
    return Runs(settings=settings, task=task, **out)


def _settings_of(f) -> dict:
    """The training settings of settings_json (every RaceSettings field, of its type, checked)."""
    from dataclasses import asdict, fields

    from lottery_scaling.h5checks import value_text

    from .trainer import RaceSettings

    values = f.json_attr("settings_json")
    if not isinstance(values, dict):
        f.fail("attribute settings_json must be a JSON object of training settings")
    defaults = RaceSettings()
    known = {field.name for field in fields(RaceSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        f.fail(f"settings_json: unknown setting(s) {', '.join(unknown)}")
    for name, value in values.items():
        kind = type(getattr(defaults, name))
        if kind is int:  # the kernels take int64
            ok, words = type(value) is int and abs(value) < 2**62, "an integer (below 2^62)"
        elif kind is float:
            ok, words = type(value) in (int, float) and abs(value) < 1e300, "a finite number"
        else:
            ok, words = isinstance(value, kind), "text"
        if not ok:
            f.fail(f"settings_json: {name} must be {words}, got {value_text(value)}")
    try:
        settings = RaceSettings(**values).check()
    except UserError as exc:
        f.fail(f"settings_json: {exc}")
    if settings.init_seed < 0:
        f.fail(f"settings_json: init_seed must be an integer >= 0, got {settings.init_seed}")
    return asdict(settings)


def _check_runs(f, out: dict, settings: dict, n: int) -> None:
    """Values of a runs file against the trainer's rules (trainer and _kernels docstrings)."""
    seed, status, stop, epochs, ckpt = (out[k] for k in ("seed", "status", "stop_step", "epochs", "ckpt_step"))
    f.require("seed", seed, seed >= 0, "a run seed >= 0")
    ordered = np.sort(seed)
    if np.any(ordered[1:] == ordered[:-1]):
        f.fail(f"dataset seed holds {int(ordered[1:][ordered[1:] == ordered[:-1]][0])} twice, expected distinct runs")
    f.require("status", status, np.isin(status, (0, 1, 2)), "0 (capped), 1 (converged) or 2 (diverged)")
    f.require("epochs", epochs, (epochs >= 1) & (epochs <= settings["max_epochs"]),
              f"1 to max_epochs = {settings['max_epochs']} epochs")
    per_epoch = -(-n // settings["batch"])  # a run stops at the end of an epoch
    f.require("stop_step", stop, (stop > (epochs - 1) * per_epoch) & (stop <= epochs * per_epoch),
              f"the step count of the run's epochs ({per_epoch} steps each)")
    taken = ckpt >= 0
    f.require("ckpt_step", ckpt, taken | (ckpt == -1), "a step >= 0, or -1 for a checkpoint not taken")
    f.require("ckpt_step", ckpt, ckpt <= stop[:, None], "a step within the run (at most its stop_step)")
    first = np.zeros(ckpt.shape, bool)
    first[:, 0] = True
    f.require("ckpt_step", ckpt, ~first | (ckpt == 0), "step 0 in the first slot (the initial network)")
    increasing = np.ones(ckpt.shape, bool)
    increasing[:, 1:] = ~taken[:, 1:] | (taken[:, :-1] & (ckpt[:, 1:] > ckpt[:, :-1]))
    f.require("ckpt_step", ckpt, increasing, "steps increasing from slot to slot, untaken (-1) slots only at the end")
    last = np.zeros(ckpt.shape, bool)
    last[np.arange(ckpt.shape[0]), taken.sum(axis=1) - 1] = True
    f.require("ckpt_step", ckpt, ~last | (ckpt == stop[:, None]), "the run's stop step (stop_step) in its last checkpoint")
    step = out["snap"]["step"]
    f.require("snapshot/step", step, (step >= -1) & (step <= stop[:, None]), "-1 or a step within the run (at most its stop_step)")
    at_checkpoint = (step[:, :, None] == np.where(taken, ckpt, -2)[:, None, :]).any(axis=2)
    f.require("snapshot/step", step, (step == -1) | at_checkpoint, "-1 or a step of the run's checkpoints (ckpt_step)")
    which = np.arange(4)[None, :]
    f.require("snapshot/step", step, (which != 0) | (step == 0), "step 0 for the init snapshot (slot 0)")
    f.require("snapshot/step", step, (which != 3) | (step == stop[:, None]), "the run's stop step for the end snapshot (slot 3)")
    # numbers of runs that did not diverge, where a checkpoint or snapshot was taken
    alive = (status != 2)[:, None] & taken
    in_run = {
        "train_loss": ((0, np.inf), "a finite loss >= 0"), "test_loss": ((0, np.inf), "a finite loss >= 0"),
        "train_acc": ((0, 1), "an accuracy in [0, 1]"), "test_acc": ((0, 1), "an accuracy in [0, 1]"),
        "aligned_fraction": ((0, 1), "a fraction in [0, 1]"),
    }
    for name, ((lo, hi), words) in in_run.items():
        values = out["run"][name]
        f.require(f"run/{name}", values, ~alive | (np.isfinite(values) & (values >= lo) & (values <= hi)),
                  f"{words} (a checkpoint of a run that did not diverge)")
    tol = 1e-9
    in_neuron = {
        "w_norm": (lambda v: np.isfinite(v) & (v >= 0), "a finite norm >= 0"),
        "v_norm": (lambda v: np.isfinite(v) & (v >= 0), "a finite norm >= 0"),
        "wv_norm": (lambda v: np.isfinite(v) & (v >= 0), "a finite norm >= 0"),
        "bias": (np.isfinite, "a finite bias"),
        "n_eff": (lambda v: (v >= 0) & (v <= n) & (v == np.round(v)), f"a whole number of samples 0..{n}"),
        "cos_v": (lambda v: np.isnan(v) | (np.abs(v) <= 1 + tol), "a cosine in [-1, 1] (or NaN for v = 0)"),
        "angle": (lambda v: np.isnan(v) | ((v >= -tol) & (v <= 180 + tol)), "an angle in [0, 180] degrees (or NaN)"),
    }
    for name, (rule, words) in in_neuron.items():
        values = out["neuron"][name]
        f.require(f"neuron/{name}", values, ~alive[:, :, None] | rule(values), f"{words} (a checkpoint of a run that did not diverge)")
    reached = (status != 2)[:, None] & (step >= 0)
    for name, values in out["snap"].items():
        if name != "step":
            f.require(f"snapshot/{name}", values, ~reached.reshape(reached.shape + (1,) * (values.ndim - 2)) |
                      np.isfinite(values), "finite parameters (a snapshot taken in a run that did not diverge)")
