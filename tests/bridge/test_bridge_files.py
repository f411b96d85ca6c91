"""The bridge stages check the trained-networks files they read (bridge/data.load): a copy of a good
file with one thing corrupted is one line naming the file, the dataset and what is wrong, exit 2,
nothing written."""

import shutil

import h5py
import numpy as np
import pytest

from lottery_scaling.cli import main
from lottery_scaling.errors import UserError
from lottery_scaling.studies.bridge import data as bridge_data
from lottery_scaling.studies.lottery import networks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train

SMALL = dict(steps=200, lr_decay_every=80, n_train=40, n_test=81, curve_points=6, snapshots=True)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("bridge") / "N4.h5"
    networks.write_result(path, train(TrainSettings("x2", "silu", 4, **SMALL), np.arange(4)))
    return path


def _replace(h5, name, value, **kw):
    del h5[name]
    h5.create_dataset(name, data=value, **kw)


def _set(name, index, value):
    def edit(h5):
        a = h5[name][()]
        a[index] = value
        _replace(h5, name, a)
    return edit


CASES = {
    "curve step 10^12": (_set("curve_step", 2, 10**12),
                         "dataset curve_step holds 1000000000000 at [2], expected a step from 0 to the 200 training steps"),
    "curve steps out of order": (_set("curve_step", 3, 1), "dataset curve_step holds 1 at [3], expected steps increasing"),
    "snapshots not up to the end": (_set("curve_step", 5, 199), "dataset curve_step holds from 0 to 199, expected the snapshot"),
    "NaN weight": (_set("w", (1, 2, 0), np.nan), "dataset w holds nan at [1, 2, 0], expected a finite parameter"),
    "infinite output bias": (_set("c", 3, np.inf), "dataset c holds inf at [3]"),
    "negative loss": (_set("test_loss", 0, -1.0), "dataset test_loss holds -1.0 at [0], expected a finite loss >= 0"),
    "NaN snapshot": (_set("snapshots", (2, 1, 0), np.nan), "dataset snapshots holds nan at [2, 1, 0]"),
    "negative seed": (_set("seed", 1, -5), "dataset seed holds -5 at [1], expected a seed >= 0"),
    "seed twice": (_set("seed", 1, 0), "dataset seed holds 0 twice"),
    "diverged 2": (lambda h5: _replace(h5, "diverged", np.array([0, 2, 0, 0])), "dataset diverged holds 2 at [1], expected true or false"),
    "bytes for weights": (lambda h5: _replace(h5, "w", np.full((4, 4, 1), b"x")), "dataset w must hold numbers"),
    "wrong shape": (lambda h5: _replace(h5, "b", np.zeros((4, 5))), "dataset b has shape (4, 5), expected (4, 4)"),
    "missing dataset": (lambda h5: h5.__delitem__("v"), "missing dataset(s) v"),
    "soft link": (lambda h5: [h5.__delitem__("b"), h5.__setitem__("b", h5py.SoftLink("/v"))],
                  "b is a soft link, expected a dataset stored in the file"),
    "declared 10^12 snapshots": (lambda h5: [h5.__delitem__("snapshots"),
                                             h5.create_dataset("snapshots", shape=(10**6, 6, 10**6), dtype="f8",
                                                               chunks=(1, 6, 1000), compression="gzip")],
                                 "dataset snapshots declares 48000000000000 bytes"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_networks_file_is_one_line(good, tmp_path, case):
    edit, words = CASES[case]
    bad = tmp_path / "bad.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as h5:
        edit(h5)
    with pytest.raises(UserError) as e:
        bridge_data.load(bad, need_snapshots=True)
    text = str(e.value)
    assert "\n" not in text and text.startswith(f"{bad}: ") and words in text, text


def test_a_diverged_network_may_hold_non_finite_numbers(good, tmp_path):
    bad = tmp_path / "div.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as h5:
        _set("diverged", 1, True)(h5)
        _set("w", (1, 0, 0), np.nan)(h5)
        _set("test_loss", 1, np.inf)(h5)
        _replace(h5, "diverged", h5["diverged"][()].astype(np.int8))  # 0/1 integers are read as booleans
    result = bridge_data.load(bad, need_snapshots=True)
    assert result.diverged.dtype == bool and result.diverged.tolist() == [False, True, False, False]


@pytest.mark.parametrize("command", ["bridge-alignment", "bridge-emergence", "bridge-rewind"])
def test_commands_refuse_a_bad_file(good, tmp_path, capsys, command):
    bad = tmp_path / "bad.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as h5:
        _set("curve_step", 2, 10**12)(h5)
        _set("w", (0, 0, 0), np.nan)(h5)
    out = tmp_path / "out"
    args = {
        "bridge-alignment": [str(bad), "--out-neurons", f"{out}/n.csv", "--out-networks", f"{out}/m.csv"],
        "bridge-emergence": [str(bad), "--out", f"{out}/e.csv"],
        "bridge-rewind": ["--networks", str(bad), "--width2", str(good), "--out", f"{out}/r.csv"],
    }[command]
    assert main([command, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}: dataset " in err[0], err
    assert not out.exists() or not list(out.iterdir())
