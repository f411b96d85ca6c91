"""race-prepare-data / race-train on the command line: a real run, and one line (exit 2, no file) per bad value."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from lottery_scaling.studies.race import trajectories


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lottery_scaling", *args], capture_output=True, text=True)


def test_prepare_then_train_writes_self_describing_file(tmp_path):
    d = tmp_path / "task.h5"
    proc = run_cli("race-prepare-data", "--dataset", "digits", "--n", "40", "--data-seed", "2", "--out", str(d))
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs.h5"
    proc = run_cli("race-train", "--data", str(d), "--width", "12", "--sigma", "1e-3", "--runs", "0:3",
                   "--max-epochs", "30", "--checkpoints", "10", "--threads", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    runs = trajectories.read_runs(out)
    assert runs.seed.tolist() == [0, 1, 2]
    assert runs.neuron["angle"].shape[0] == 3 and runs.neuron["angle"].shape[2] == 12
    assert runs.settings["width"] == 12 and runs.attrs["data_seed"] == 2
    assert runs.task.n == 40
    with h5py.File(out) as h5:
        assert h5["neuron/angle"].attrs["units"] == "degrees"
        assert "numba_version" in h5.attrs and h5.attrs["form"] == "span"
        for name in h5["run"]:
            assert h5["run"][name].attrs["description"]
    taken = runs.ckpt_step[0] >= 0
    assert runs.ckpt_step[0][taken][0] == 0 and np.all(np.diff(runs.ckpt_step[0][taken]) > 0)


BAD = [
    (["--n", "6"], "--n: must be a positive multiple of 4, got 6"),
    (["--n", "800"], "n = 800 is more than the digits data set holds"),
    (["--n", "8", "--width", "0"], "--width: must be an integer >= 1, got 0"),
    (["--n", "8", "--sigma", "-1e-5"], "--sigma: must be a finite number > 0"),
    (["--n", "8", "--momentum", "1"], "--momentum: must be a number in [0, 1)"),
    (["--n", "8", "--runs", "4:1"], "runs must name at least one seed"),
    (["--n", "8", "--dtype", "float16"], "--dtype: invalid choice"),
    (["--n", "8", "--dataset", "cifar10"], "needs the folder of the CIFAR-10 python batches"),
    (["--n", "8", "--dataset", "cifar10", "--cifar-dir", "/nonexistent"], "/nonexistent: not a folder"),
    (["--n", "8", "--out", "x.txt"], "--out: must be a file name ending in .h5"),
    (["--data", "missing.h5"], "missing.h5"),
    ([], "give --n"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_values_one_line_exit_2_no_file(tmp_path, extra, message):
    out = tmp_path / "o.h5"
    args = ["race-train", *extra]
    if "--out" not in extra:
        args += ["--out", str(out)]
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()
