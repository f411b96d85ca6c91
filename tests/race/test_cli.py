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
    # sizes: work (runs to the epoch cap) and memory of the arrays, before any is allocated
    (["--n", "40", "--runs", "0:100000000"], "100000000 runs x width 300 x 64 inputs x (max_epochs 3000 x n 40"),
    (["--n", "40", "--max-epochs", str(10**12)], "max_epochs 1000000000000 x n 40"),
    (["--n", "40", "--width", str(10**8), "--max-work", "1e30", "--max-memory", "64G"],
     "width 100000000 x 64 inputs"),
    (["--n", "40", "--checkpoints", str(10**10), "--max-memory", "64G"], "checkpoints 10000000000, batch 4 needs about 321 GB"),
    (["--n", "40", "--batch", str(10**12), "--max-memory", "64G"], "batch 1000000000000 needs about 8 TB"),
    (["--n", "40", "--threads", str(10**9)], "--threads: must be an integer from 1 to"),
    (["--n", "40", "--max-work", "-1"], "--max-work: must be a finite number > 0"),
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


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    task = d / "task.h5"
    assert run_cli("race-prepare-data", "--n", "40", "--out", str(task)).returncode == 0
    runs = d / "runs.h5"
    proc = run_cli("race-train", "--data", str(task), "--width", "4", "--runs", "0:1", "--max-epochs", "3",
                   "--checkpoints", "3", "--threads", "1", "--out", str(runs))
    assert proc.returncode == 0, proc.stderr
    return task, runs


@pytest.mark.parametrize("command, message", [
    (["race-imp", "--rounds", str(10**8)], "(1 runs + 100000000 rounds x 1 runs x 3 sparsities) trainings x width 4"),
    (["race-imp", "--imp-runs", "1", "--sparsities", "0.5", "--max-work", "10"], "more than 10 (--max-work)"),
    (["race-cells", "--probes", str(10**10)], "10000000000 probes x 200 iterations x 2 alignments x n 40 x inputs"),
    (["race-cells", "--max-iter", str(10**12)], "2000 probes x 1000000000000 iterations"),
])
def test_imp_and_cells_past_the_bounds_are_one_line(tiny_runs, tmp_path, command, message):
    task, runs = tiny_runs
    if command[0] == "race-imp":
        args = [*command, "--runs", str(runs), "--out-summary", str(tmp_path / "s.csv"), "--out-neurons", str(tmp_path / "n.csv")]
    else:
        args = [*command, "--data", str(task), "--out", str(tmp_path / "c.csv")]
    proc = run_cli(*args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())


def test_bounds_raised_by_the_pipeline_reach_race_train(tmp_path):
    import os

    args = ["race-train", "--n", "40", "--runs", "0:100000000", "--max-memory", "1G", "--out", str(tmp_path / "o.h5")]
    env = dict(os.environ, LOTTERY_SCALING_LIMITS='{"max_race_work": 1e30}')
    proc = subprocess.run([sys.executable, "-m", "lottery_scaling", *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "of memory, more than 1 GB (--max-memory)" in proc.stderr, proc.stderr
