"""Inputs that used to end in a traceback (docs/cli.md, Errors, inputs and outputs): seeds that do not fit int64, sizes
that exhaust memory, and trained-network files with the right format attribute but a malformed
inside. Each is one line naming the value or the file, exit status 2, no output."""

import json

import h5py
import numpy as np
import pytest

from lottery_scaling import cli
from lottery_scaling.studies.lottery import budget

from ..conftest import write_losses_file


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    return rc, err


TRAIN = ["train", "--task", "x2", "--activation", "silu", "--width", "1", "--steps", "2", "--n-train", "10", "--n-test", "11"]


@pytest.mark.parametrize("args, message", [
    (["--seeds", "9223372036854775808"], "argument --seeds: seeds must be integers >= 0 and < 2**63"),
    (["--seeds", "0:9223372036854775809"], "argument --seeds: seeds must be integers >= 0 and < 2**63"),
    (["--seeds", "0:2", "--init-seed", str(2**70)], f"argument --init-seed: must be an integer >= 0 and < 2**63, got {2**70}"),
    (["--seeds", "0:2", "--data-seed", str(2**70)], "argument --data-seed: must be an integer >= 0 and < 2**63"),
    (["--seeds", "0:10000000000"], "10000000000 networks of width 1"),
    (["--seeds", "0:2", "--width", str(10**11)], f"networks of width {10**11}"),
    (["--seeds", "0:2", "--n-train", str(10**9)], f"on {10**9} training"),
    (["--seeds", "0:2", "--n-test", str(10**10)], f"and {10**10} test points"),
    (["--seeds", "0:2", "--max-memory", "1M"], "more than 1 MB (--max-memory)"),
    (["--seeds", "0:2", "--max-memory", "lots"], "argument --max-memory: expected a size"),
    # work: a typo of --steps used to start a job of days
    (["--seeds", "0:1000", "--width", "10", "--steps", str(10**12), "--n-train", "1000"],
     "1000 seeds x width 10 x 1000000000000 steps x n_train 1000 = 1e+19 neuron-sample-steps, more than 1e+15 "
     "(the default of --max-work)"),
    # raised on purpose, the next bound (memory) is the one that speaks
    (["--seeds", "0:1000", "--steps", str(10**12), "--max-work", "1e30", "--max-memory", "1M"], "more than 1 MB (--max-memory)"),
    (["--seeds", "0:2", "--max-work", "0"], "argument --max-work: must be a finite number > 0"),
    (["--seeds", "0:2", "--threads", str(10**9)], "argument --threads: must be an integer from 1 to"),
    # the parameter snapshots (bridge study) were left out of the estimate
    (["--seeds", "0:100", "--width", "1000", "--steps", "1000", "--snapshots", "true", "--curve-points", "1000",
      "--max-memory", "1G"], "need about 2.55 GB of memory, more than 1 GB"),
])
def test_train_refuses_in_one_line(tmp_path, capsys, args, message):
    out = tmp_path / "a.h5"
    argv = TRAIN + args + ["--out", out]
    if "--max-memory" not in args:
        argv += ["--max-memory", "4G"]  # the bound, independent of the test machine's memory
    with pytest.raises(SystemExit) if "argument" in message else _no_raise() as exc:
        rc, err = run(capsys, *argv)
    if exc is not None and "argument" in message:
        rc, err = exc.value.code, capsys.readouterr().err
    assert rc == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


class _no_raise:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_memory_estimate_is_a_bound_for_small_runs_and_grows_with_every_size():
    small = budget.train_memory_bytes(1, 10, 100, 200, 10001, 51)
    assert 1e6 < small < 1e9
    for grown in (budget.train_memory_bytes(1, 10, 10**6, 200, 10001, 51), budget.train_memory_bytes(1, 10**5, 100, 200, 10001, 51),
                  budget.train_memory_bytes(1, 10, 100, 10**8, 10001, 51), budget.train_memory_bytes(1, 10, 100, 200, 10**9, 51)):
        assert grown > 10 * small
    assert budget.parse_size("64G") == 64 * 10**9 and budget.parse_size("1500") == 1500


def _break(path, how):
    with h5py.File(path, "a") as h5:
        if how == "seed 0-d":
            del h5["seed"]
            h5["seed"] = 3
        elif how == "curve_step 0-d":
            del h5["curve_step"]
            h5["curve_step"] = 7
        elif how == "test_loss bytes":
            del h5["test_loss"]
            h5["test_loss"] = np.bytes_(b"0.5")
        elif how == "v group":
            del h5["v"]
            h5.create_group("v")
        elif how == "settings without task":
            s = json.loads(h5.attrs["settings_json"])
            del s["task"]
            h5.attrs["settings_json"] = json.dumps(s)
        elif how == "settings not an object":
            h5.attrs["settings_json"] = json.dumps([1, 2])
        elif how == "settings width text":
            s = json.loads(h5.attrs["settings_json"])
            s["width"] = "four"
            h5.attrs["settings_json"] = json.dumps(s)


BROKEN = ["seed 0-d", "curve_step 0-d", "test_loss bytes", "v group", "settings without task", "settings not an object",
          "settings width text"]
MESSAGES = {"seed 0-d": "seed", "curve_step 0-d": "curve_step", "test_loss bytes": "test_loss", "v group": "v",
            "settings without task": "task", "settings not an object": "JSON object", "settings width text": "settings_json"}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    d = tmp_path_factory.mktemp("broken")
    files = {}
    for how in BROKEN:
        path = d / f"{how.replace(' ', '_')}.h5"
        write_losses_file(path, 4, np.geomspace(1e-4, 1e-2, 6))
        _break(path, how)
        files[how] = path
    return d, files


COMMANDS = {
    "histogram": lambda f, o: ["histogram", f, "--out-summary", o / "s.csv", "--out-modes", o / "m.csv", "--out-kde", o / "k.csv"],
    "pairs": lambda f, o: ["pairs", f, "--out-tickets", o / "t.csv", "--out-networks", o / "n.csv"],
    "width2": lambda f, o: ["width2", f, "--out-networks", o / "n.csv", "--out-clusters", o / "c.csv", "--out-bic", o / "b.csv"],
    "fit": lambda f, o: ["fit", f, "--out-medians", o / "m.csv", "--out-slopes", o / "s.csv", "--out-exponents", o / "e.csv"],
    "synergy": lambda f, o: ["synergy", f, "--out-summary", o / "s.csv", "--out-samples", o / "p.csv"],
    "distill": lambda f, o: ["distill", f, "--out", o / "d.csv"],
    "merge": lambda f, o: ["merge", f, "--out", o / "m.h5"],
}


@pytest.mark.parametrize("how", BROKEN)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_malformed_files_are_one_line_naming_the_file(broken, tmp_path, capsys, command, how):
    _, files = broken
    rc, err = run(capsys, *COMMANDS[command](files[how], tmp_path))
    assert rc == 2, err
    assert str(files[how]) in err and MESSAGES[how] in err.split(str(files[how]), 1)[1], err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# a trained-networks file whose task text (settings_json) someone else wrote: every stage that
# rebuilds the target from it (pairs, width2, distill, the bridge) stops with one line naming the file
HOSTILE_TASKS = {
    "expr:1/0 + x": "'1/0' is undefined",
    "expr:" + "-" * 495 + "x": "nested 496 levels deep",
    "expr:x + (-8)**(1/3)": "'(-8)**(1/3)' has no real value",
    "expr:9**9**9**9 * x": "'9**9**9' overflows float64",
    "expr:" + "1" * 400 + " * x": "too large for float64",
    "expr:arctan(1/x)": "is not finite at x = [0.0]",  # fine as a formula, not on the file's test points
    "expr" + "9" * 5000 + ":x": "dimension must be in 1..64",
    "expr:" + "x+" * 100_000 + "x": "at most 2500 characters",
}
REBUILDING = {
    "pairs": COMMANDS["pairs"], "width2": COMMANDS["width2"], "distill": COMMANDS["distill"],
    "bridge-alignment": lambda f, o: ["bridge-alignment", f, "--out-neurons", o / "n.csv", "--out-networks", o / "w.csv"],
    "bridge-emergence": lambda f, o: ["bridge-emergence", f, "--out", o / "e.csv"],
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from ..conftest import write_networks_file

    d = tmp_path_factory.mktemp("hostile")
    files = {}
    for i, task in enumerate(HOSTILE_TASKS):
        path = d / f"task{i}.h5"
        z = np.zeros((3, 2))
        write_networks_file(path, "x2", np.ones((3, 2, 1)), z, z, np.zeros(3))
        with h5py.File(path, "a") as h5:
            s = json.loads(h5.attrs["settings_json"])
            s["task"] = task
            h5.attrs["settings_json"] = json.dumps(s)
        files[task] = path
    return files


@pytest.mark.parametrize("task", list(HOSTILE_TASKS), ids=lambda t: t[:20])
@pytest.mark.parametrize("command", list(REBUILDING))
def test_a_hostile_formula_in_a_file_is_one_line_naming_the_file(hostile, tmp_path, capsys, command, task):
    rc, err = run(capsys, *REBUILDING[command](hostile[task], tmp_path))
    assert rc == 2, err
    assert str(hostile[task]) in err and HOSTILE_TASKS[task] in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and len(err) < 2000, err
    assert list(tmp_path.iterdir()) == []


def test_the_pipeline_passes_its_raised_bounds_to_the_commands(tmp_path, capsys, monkeypatch):
    argv = TRAIN + ["--seeds", "0:1000", "--steps", str(10**12), "--max-memory", "1M", "--out", tmp_path / "a.h5"]
    rc, err = run(capsys, *argv)
    assert rc == 2 and "neuron-sample-steps, more than 1e+15" in err, err
    monkeypatch.setenv("LOTTERY_SCALING_LIMITS", json.dumps({"max_train_work": 1e30}))
    rc, err = run(capsys, *argv)
    assert rc == 2 and "more than 1 MB (--max-memory)" in err, err
    monkeypatch.setenv("LOTTERY_SCALING_LIMITS", json.dumps({"max_analysis_work": 10}))
    f = write_losses_file(tmp_path / "l.h5", 2, np.geomspace(1e-4, 1e-2, 20))
    rc, err = run(capsys, *ANALYSES["histogram"](f, tmp_path))
    assert rc == 2 and "more than 10 (limits.max_analysis_work of the pipeline)" in err, err


ANALYSES = {
    "histogram": lambda f, o: ["histogram", f, "--out-summary", o / "s.csv", "--out-modes", o / "m.csv", "--out-kde", o / "k.csv"],
    "fit": lambda f, o: ["fit", f, "--out-medians", o / "m.csv", "--out-slopes", o / "s.csv", "--out-exponents", o / "e.csv"],
    "synergy": lambda f, o: ["synergy", f, o.parent / "half.h5", "--out-summary", o / "s.csv", "--out-samples", o / "p.csv"],
}


@pytest.mark.parametrize("command, extra, message", [
    ("histogram", ["--bootstrap", str(10**12)], "1000000000000 mode resamples x (20 seeds + 1024 grid points + 100000"),
    ("histogram", ["--median-bootstrap", str(10**9), "--max-memory", "1G"], "needs about 320 GB of memory, more than 1 GB (--max-memory)"),
    ("fit", ["--bootstrap", str(10**12)], "1000000000000 resamples x 20 seeds of 1 widths"),
    ("synergy", ["--pairs", str(10**12)], "1 compared widths x (1000000000000 pairs"),
    ("synergy", ["--bootstrap", str(10**12)], "1000000000000 resamples"),
])
def test_resampling_past_the_bounds_is_refused_in_one_line(tmp_path, capsys, command, extra, message):
    out = tmp_path / "out"
    f = write_losses_file(tmp_path / "wide.h5", 4, np.geomspace(1e-4, 1e-2, 20))
    write_losses_file(tmp_path / "half.h5", 2, np.geomspace(1e-4, 1e-2, 20))
    rc, err = run(capsys, *ANALYSES[command](f, out), *extra)
    assert rc == 2 and message in err and "more than" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_pair_claims_bootstrap_past_the_bound_is_refused(tmp_path, capsys):
    import pandas as pd

    wide = tmp_path / "wide.csv"
    pd.DataFrame({"width": [4] * 5, "mirror_nn_ratio": np.linspace(0.5, 1, 5)}).to_csv(wide, index=False)
    rc, err = run(capsys, "pair-claims", "--experiment", "e", "--rows", "wide", "--wide-networks", wide,
                  "--n-boot", str(10**12), "--out", tmp_path / "c.csv")
    assert rc == 2 and "1000000000000 resamples x 5 wide networks" in err, err
    assert not (tmp_path / "c.csv").exists()


def test_figures_matplotlib_cannot_draw_are_refused_before_any_file(tmp_path):
    from lottery_scaling.errors import UserError
    from lottery_scaling.plotting import pyplot, save
    from lottery_scaling.studies.lottery.figures import FigureStyle

    fig, _ = pyplot().subplots(figsize=(4, 3))
    with pytest.raises(UserError, match="4 x 3 inches at dpi 100000 is 400000 x 300000 pixels"):
        save(fig, [tmp_path / "a.png", tmp_path / "a.pdf"], dpi=100000)
    assert not list(tmp_path.iterdir())
    with pytest.raises(UserError, match="bins_per_decade: 1e"):
        FigureStyle.from_dict({"bins_per_decade": 1e9})


def test_memory_estimate_counts_snapshots():
    plain = budget.train_memory_bytes(1, 50, 400, 200, 10001, 51)
    kept = budget.train_memory_bytes(1, 50, 400, 200, 10001, 51, snapshots=True, steps=50000)
    assert kept - plain == 400 * 51 * 151 * 8
    assert budget.train_memory_bytes(1, 50, 400, 200, 10001, 51, snapshots=True, steps=9) - plain == 400 * 10 * 151 * 8
