"""The command line: a real training run, and one clear line (exit 2, no file) for every bad argument."""

import contextlib
import io
import subprocess
import sys

import numpy as np
import pytest

from lottery_scaling.studies.lottery import networks as h5io
from lottery_scaling.studies.lottery.commands.train import _ProgressLog


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lottery_scaling", *args], capture_output=True, text=True, cwd=cwd)


def test_train_writes_a_complete_file_and_logs_progress(tmp_path):
    out = tmp_path / "n2.h5"
    proc = run_cli("train", "--task", "x2", "--activation", "silu", "--width", "2", "--seeds", "0:6",
                   "--steps", "200", "--n-train", "40", "--n-test", "21", "--lr-decay-every", "50",
                   "--x-range", "-1", "1", "--threads", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "6/6 networks" in proc.stderr and "done" in proc.stderr
    result = h5io.read_result(out)
    assert result.seed.tolist() == list(range(6))
    assert result.settings.x_range == (-1.0, 1.0) and result.settings.lr_decay_every == 50
    assert np.all(np.isfinite(result.test_loss))


def test_progress_counts_steps_so_wide_networks_show_it():
    # a wide network can take many minutes: the estimate comes from the steps done
    log = _ProgressLog("x2/N=10000", every_seconds=0.0)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        log(0, 3, 0.5, 0.0, None)
        log(0, 3, 12.5, 0.2, 50.0)
        log(1, 3, 30.0, 0.6, 20.0)
        log(3, 3, 50.0, 1.0, 0.0)
    lines = err.getvalue().splitlines()
    assert lines[0] == "[x2/N=10000] 0/3 networks, 0% of steps, 0.5 s elapsed"
    assert lines[1] == "[x2/N=10000] 0/3 networks, 20% of steps, 12.5 s elapsed, ~50 s left"
    assert lines[2] == "[x2/N=10000] 1/3 networks, 60% of steps, 30.0 s elapsed, ~20 s left"
    assert lines[3] == "[x2/N=10000] 3/3 networks, 100% of steps, 50.0 s elapsed"


BAD = [
    (["--width", "0"], "--width: must be an integer >= 1, got 0"),
    (["--width", "two"], "--width: must be an integer >= 1, got 'two'"),
    (["--task", "x5"], "--task: invalid choice: 'x5'"),
    (["--activation", "gelu"], "--activation: invalid choice: 'gelu'"),
    (["--seeds", "9:3"], "seeds"),
    (["--lr", "-0.1"], "--lr: must be a finite number > 0"),
    (["--dtype", "float16"], "--dtype: invalid choice"),
    (["--x-range", "2", "-2"], "x_range must be two finite numbers LO < HI"),
    (["--out", "result.txt"], "--out: must be a file name ending in .h5"),
    (["--steps", "-5"], "--steps: must be an integer >= 0"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_bad_argument_gives_one_line_and_no_file(tmp_path, change, message):
    args = {"--task": "x2", "--activation": "silu", "--width": "2", "--seeds": "0:2", "--steps": "5",
            "--out": str(tmp_path / "out.h5")}
    i = 0
    extra = []
    while i < len(change):
        key = change[i]
        values = []
        i += 1
        while i < len(change) and not change[i].startswith("--"):
            values.append(change[i])
            i += 1
        if key in args:
            args[key] = values[0]
        else:
            extra += [key, *values]
    flat = [item for kv in args.items() for item in kv] + extra
    proc = run_cli("train", *flat, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_merge_of_a_corrupt_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    proc = run_cli("merge", str(bad), "--out", str(tmp_path / "m.h5"))
    assert proc.returncode == 2 and "bad.h5" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "m.h5").exists()


def test_every_study_command_is_found():
    from lottery_scaling.cli import _command_modules

    names = {name for name, _ in _command_modules()}
    # shared commands and the lottery study's, including the pair stage's
    assert {"claims-table", "concat-tables", "train", "merge", "histogram", "pairs", "width2", "distill",
            "pair-claims", "plot-pairs", "plot-scaling"} <= names


@pytest.mark.parametrize("argv", [
    # an output that is also an input, whatever option names the input
    ["plot-pairs", "width2", "--h5", "{h5}", "--networks", "{csv}", "--clusters", "{csv}", "--out", "{csv}"],
    ["pair-claims", "--experiment", "e", "--width2-clusters", "{csv}", "--out", "{csv}"],
    ["pairs", "{h5}", "--out-tickets", "{h5}", "--out-networks", "{tmp}/n.csv"],
    ["plot-histograms", "{h5}", "--title", "t", "--histogram-dir", "{tmp}", "--out", "{tmp}/fig.png"],
])
def test_an_output_that_is_an_input_is_refused_for_every_command(tmp_path, capsys, argv):
    from lottery_scaling.cli import main

    (tmp_path / "table.csv").write_text("cluster,size\n1,2\n")
    (tmp_path / "a.h5").write_bytes(b"")
    (tmp_path / "fig.png").write_bytes(b"")  # a file inside the --histogram-dir folder
    subs = {"{h5}": str(tmp_path / "a.h5"), "{csv}": str(tmp_path / "table.csv"), "{tmp}": str(tmp_path)}
    args = [a.replace(k, v) for a in argv for k, v in [next(((k, v) for k, v in subs.items() if k in a), ("", ""))]]
    before = (tmp_path / "table.csv").read_text()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is also an input" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "table.csv").read_text() == before
