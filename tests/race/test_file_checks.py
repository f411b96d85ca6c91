"""Race files are checked on reading (task_files.read_dataset, trajectories.read_runs): a good file
reads as written; a copy with one thing corrupted is one line naming the file, the dataset and
what is wrong, and the commands exit 2 writing nothing."""

import json
import shutil

import h5py
import numpy as np
import pytest

from lottery_scaling.cli import main
from lottery_scaling.errors import UserError
from lottery_scaling.studies.race import data, task_files, trainer, trajectories


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    task = data.load_digits_task(40, 0)
    data.write_dataset(d / "task.h5", task)
    s = trainer.RaceSettings(width=6, sigma=1e-2, lr=0.01, max_epochs=8, checkpoints=5)
    result = trainer.train_runs(task, [0, 1, 2], s, threads=1)
    trajectories.write_runs(d / "runs.h5", result, task)
    return d, task, result


def _replace(h5, name, value, **kw):
    del h5[name]
    h5.create_dataset(name, data=value, **kw)


def _set(name, index, value):
    def edit(h5):
        a = h5[name][()]
        a = a.astype(np.result_type(a, type(value))) if isinstance(value, float) else a
        a[index] = value
        _replace(h5, name, a)
    return edit


def _edit(name, change):
    def edit(h5):
        a = h5[name][()]
        change(a)
        _replace(h5, name, a)
    return edit


def _relabel_one_0_as_3(h5):  # same class, so only the balance is wrong
    a = h5["label_train"][()]
    a[np.flatnonzero(a == 0)[0]] = 3
    _replace(h5, "label_train", a)


def _corrupt(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as h5:
        edit(h5)
    return dst


def _one_line(exc_info, path, *words):
    text = str(exc_info.value)
    assert "\n" not in text and text.startswith(f"{path}: "), text
    for w in words:
        assert w in text, text


# ---- prepared task files (and the task/ group of a runs file) ----

def test_good_task_reads_as_written(good):
    d, task, _ = good
    back = task_files.read_dataset(d / "task.h5")
    for name in ("x_train", "y_train", "label_train", "index_train", "x_test", "y_test", "label_test", "index_test"):
        assert np.array_equal(getattr(back, name), getattr(task, name))
        assert getattr(back, name).dtype == data.read_dataset(d / "task.h5").__dict__[name].dtype
    assert (back.name, back.data_seed, back.sources) == (task.name, task.data_seed, task.sources)


TASK_CASES = {
    "label 7": (_set("label_train", 0, 7), "dataset label_train holds 7 at [0], expected an original label 0, 1, 2 or 3"),
    "NaN input": (_set("x_train", (2, 5), np.nan), "dataset x_train holds nan at [2, 5], expected a finite input in [-1, 1]"),
    "input out of range": (_set("x_test", (0, 0), 1.5), "dataset x_test holds 1.5 at [0, 0]"),
    "bytes for classes": (lambda h5: _replace(h5, "y_train", np.array([b"1"] * 40)),
                          "dataset y_train must hold integers, found bytes (|S1)"),
    "wrong shape": (lambda h5: _replace(h5, "x_train", np.zeros((40, 63))),
                    "dataset x_train has 63 inputs per sample, expected 64 for digits"),
    "labels of other length": (lambda h5: _replace(h5, "label_test", np.zeros(3, np.int8)),
                               "dataset label_test has shape (3,), expected (680,)"),
    "missing dataset": (lambda h5: h5.__delitem__("y_test"), "missing dataset y_test"),
    "class disagrees with label": (_edit("y_train", lambda a: a.__setitem__(5, 1 - a[5])),
                                   "dataset y_train holds 1 at [5], expected the class of its label"),
    "index outside the pool": (_set("index_test", 3, 5000), "dataset index_test holds 5000 at [3], expected an index into the 1797"),
    "index twice": (_edit("index_train", lambda a: a.__setitem__(1, a[0])), "dataset index_train holds"),
    "unbalanced": (_relabel_one_0_as_3, "dataset label_train holds 9 samples of label 0, expected n/4 = 10 (a balanced draw)"),
    "attribute disagrees": (lambda h5: h5.attrs.__setitem__("n_train", 44), "attribute n_train is 44, but the datasets hold 40"),
    "seed attribute as text": (lambda h5: h5.attrs.__setitem__("data_seed", "zero"), "attribute data_seed must be an integer, found 'zero'"),
    "unknown data set": (lambda h5: h5.attrs.__setitem__("dataset", "mnist"), "attribute dataset is 'mnist', expected one of digits, cifar10"),
    "no test samples": (lambda h5: [_replace(h5, f"{k}_test", v) for k, v in
                                    (("x", np.zeros((0, 64))), ("y", np.zeros(0, np.int8)), ("label", np.zeros(0, np.int8)),
                                     ("index", np.zeros(0, np.int64)))],
                        "dataset x_test has 0 samples, expected 1 to 720"),
    "soft link": (lambda h5: [h5.__delitem__("x_test"), h5.__setitem__("x_test", h5py.SoftLink("/x_train"))],
                  "x_test is a soft link, expected a dataset stored in the file"),
    "declared 10^12 samples": (lambda h5: [h5.__delitem__("index_train"),
                                           h5.create_dataset("index_train", shape=(10**12,), dtype="i8", chunks=(4096,))],
                               "dataset index_train has shape (1000000000000,), expected (40,)"),
}


@pytest.mark.parametrize("case", TASK_CASES)
def test_bad_task_file_is_one_line(good, tmp_path, case):
    d, _, _ = good
    edit, words = TASK_CASES[case]
    bad = _corrupt(d / "task.h5", tmp_path / "bad.h5", edit)
    with pytest.raises(UserError) as e:
        task_files.read_dataset(bad)
    _one_line(e, bad, words)


def test_commands_refuse_a_bad_task_file(good, tmp_path, capsys):
    d, _, _ = good
    bad = _corrupt(d / "task.h5", tmp_path / "bad.h5", _set("label_train", 0, 7))
    for args in (["race-train", "--data", str(bad), "--width", "4", "--max-epochs", "2", "--out", str(tmp_path / "o.h5")],
                 ["race-cells", "--data", str(bad), "--probes", "10", "--out", str(tmp_path / "o.csv")]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "label_train holds 7" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.h5"]


# ---- runs files ----

def test_good_runs_read_as_written(good):
    d, task, result = good
    runs = trajectories.read_runs(d / "runs.h5")
    assert np.array_equal(runs.ckpt_step, result.ckpt_step) and np.array_equal(runs.snap["W"], result.snap_W, equal_nan=True)
    assert sorted(runs.neuron) == sorted((*trainer.NEURON_FIELDS, "wv_norm")) and sorted(runs.snap) == ["V", "W", "b", "c", "step"]
    assert runs.settings == result.settings.as_attrs() and runs.task.n == task.n and runs.attrs["format"] == trajectories.FORMAT


def _settings(**change):
    def edit(h5):
        values = json.loads(h5.attrs["settings_json"])
        values.update(change)
        h5.attrs["settings_json"] = json.dumps(values)
    return edit


RUNS_CASES = {
    "status as bytes": (lambda h5: _replace(h5, "status", np.array([b"0", b"0", b"0"])),
                        "dataset status must hold integers, found bytes (|S1)"),
    "status out of range": (_set("status", 1, 7), "dataset status holds 7 at [1], expected 0 (capped), 1 (converged) or 2"),
    "W of the wrong shape": (lambda h5: _replace(h5, "snapshot/W", np.zeros((3, 4, 6, 63))),
                             "dataset snapshot/W has shape (3, 4, 6, 63), expected (3, 4, 6, 64)"),
    "checkpoint step 10^12": (_set("ckpt_step", (0, 2), 10**12),
                              "dataset ckpt_step holds 1000000000000 at [0, 2], expected a step within the run"),
    "stop step 10^12": (_set("stop_step", 0, 10**12), "dataset stop_step holds 1000000000000 at [0]"),
    "snapshot step 10^12": (_set("snapshot/step", (1, 1), 10**12), "dataset snapshot/step holds 1000000000000 at [1, 1]"),
    "snapshot step off the checkpoints": (_set("snapshot/step", (1, 2), 2),
                                          "dataset snapshot/step holds 2 at [1, 2], expected -1 or a step of the run's checkpoints"),
    "checkpoints out of order": (_set("ckpt_step", (2, 3), 1), "dataset ckpt_step holds 1 at [2, 3], expected steps increasing"),
    "NaN loss": (_set("run/train_loss", (0, 1), np.nan), "dataset run/train_loss holds nan at [0, 1], expected a finite loss >= 0"),
    "accuracy above 1": (_set("run/test_acc", (2, 0), 1.5), "dataset run/test_acc holds 1.5 at [2, 0], expected an accuracy in [0, 1]"),
    "cosine 3": (_set("neuron/cos_v", (0, 1, 2), 3.0), "dataset neuron/cos_v holds 3.0 at [0, 1, 2]"),
    "half a sample": (_set("neuron/n_eff", (0, 0, 0), 2.5), "dataset neuron/n_eff holds 2.5 at [0, 0, 0], expected a whole number"),
    "infinite snapshot": (_set("snapshot/b", (1, 0, 3), np.inf), "dataset snapshot/b holds inf at [1, 0, 3], expected finite parameters"),
    "missing dataset": (lambda h5: h5.__delitem__("run/test_acc"), "missing dataset run/test_acc"),
    "missing group": (lambda h5: h5.__delitem__("neuron"), "missing group neuron"),
    "group for a dataset": (lambda h5: [h5.__delitem__("epochs"), h5.create_group("epochs")], "epochs must be a dataset, found a group"),
    "no data": (lambda h5: _replace(h5, "epochs", h5py.Empty("i8")), "dataset epochs holds no data (empty dataspace)"),
    "seed twice": (_set("seed", 2, 0), "dataset seed holds 0 twice"),
    "negative seed": (_set("seed", 2, -4), "dataset seed holds -4 at [2], expected a run seed >= 0"),
    "width as text": (_settings(width="6"), "settings_json: width must be an integer (below 2^62), got '6'"),
    "width unlike the arrays": (_settings(width=7), "dataset neuron/w_norm has shape (3, 7, 6), expected (3, 7, 7)"),
    "bad setting": (_settings(momentum=1.5), "settings_json: momentum must be a number in [0, 1), got 1.5"),
    "unknown setting": (_settings(colour="red"), "settings_json: unknown setting(s) colour"),
    "huge cap": (_settings(max_epochs=10**400), "settings_json: max_epochs must be an integer (below 2^62), got an integer of 1329 bits"),
    "NaN rate": (_settings(lr=float("nan")), "settings_json: lr must be a finite number, got nan"),
    "deep JSON": (lambda h5: h5.attrs.__setitem__("settings_json", "[" * 100000), "attribute settings_json is not JSON"),
    "format as a number": (lambda h5: h5.attrs.__setitem__("format", 3), "not a race runs file (format None)"),
    "snapshot order": (lambda h5: h5["snapshot"].attrs.__setitem__("names", json.dumps(["end", "early", "before_drop", "init"])),
                       "attribute snapshot/names is ['end', 'early', 'before_drop', 'init']"),
    "task label 7": (_set("task/label_train", 0, 7), "dataset task/label_train holds 7 at [0]"),
    "task NaN input": (_set("task/x_test", (4, 4), np.nan), "dataset task/x_test holds nan at [4, 4]"),
    "external link": (lambda h5: [h5.__delitem__("seed"), h5.__setitem__("seed", h5py.ExternalLink("/etc/hostname", "/seed"))],
                      "seed is an external link, expected a dataset stored in the file"),
    "declared 10^12 runs": (lambda h5: [h5.__delitem__("seed"), h5.create_dataset("seed", shape=(10**12,), dtype="i8", chunks=(4096,))],
                            "dataset seed declares 8000000000000 bytes"),
}


@pytest.mark.parametrize("case", RUNS_CASES)
def test_bad_runs_file_is_one_line(good, tmp_path, case):
    d, _, _ = good
    edit, words = RUNS_CASES[case]
    bad = _corrupt(d / "runs.h5", tmp_path / "bad.h5", edit)
    with pytest.raises(UserError) as e:
        trajectories.read_runs(bad)
    _one_line(e, bad, words)


def test_a_diverged_run_may_hold_non_finite_numbers(good, tmp_path):
    d, _, _ = good

    def diverge(h5):
        _set("status", 1, 2)(h5)
        _set("run/train_loss", (1, 2), np.inf)(h5)
        _set("snapshot/W", (1, 3, 0, 0), np.nan)(h5)
    runs = trajectories.read_runs(_corrupt(d / "runs.h5", tmp_path / "div.h5", diverge))
    assert runs.status.tolist() == [0, 2, 0]


def test_external_storage_is_refused(good, tmp_path):
    d, _, _ = good
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.array([0, 0, 0], np.int64).tobytes())

    def edit(h5):
        del h5["status"]
        h5.create_dataset("status", shape=(3,), dtype="<i8", external=[(str(raw), 0, 24)])
    bad = _corrupt(d / "runs.h5", tmp_path / "bad.h5", edit)
    with pytest.raises(UserError) as e:
        trajectories.read_runs(bad)
    _one_line(e, bad, "dataset status keeps its data outside the file")


@pytest.mark.parametrize("command", ["race-alignment", "race-clusters", "race-imp", "plot-race"])
def test_analysis_commands_refuse_a_bad_runs_file(good, tmp_path, capsys, command):
    d, _, _ = good
    bad = _corrupt(d / "runs.h5", tmp_path / "bad.h5", _set("ckpt_step", (0, 2), 10**12))
    out = tmp_path / "out"
    args = {
        "race-alignment": ["--runs", str(bad), "--out-summary", f"{out}/s.csv", "--out-curve", f"{out}/c.csv"],
        "race-clusters": ["--runs", str(bad), "--out-counts", f"{out}/c.csv", "--out-merge", f"{out}/m.csv"],
        "race-imp": ["--runs", str(bad), "--out-summary", f"{out}/s.csv", "--out-neurons", f"{out}/n.csv"],
        "plot-race": ["fig8", "--runs", str(bad), "--out-png", f"{out}/f.png"],
    }[command]
    assert main([command, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}: dataset ckpt_step holds 1000000000000" in err[0], err
    assert not out.exists() or not list(out.iterdir())
