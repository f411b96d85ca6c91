"""The analysis commands end to end on small synthetic trained-network files."""

import json

import numpy as np
import pandas as pd
import pytest

from lottery_scaling import cli

from ..conftest import write_losses_file

from lottery_scaling.studies.lottery import networks as h5io
from lottery_scaling.claims import COLUMNS
from lottery_scaling.studies.lottery.claims import DEFAULT_THRESHOLDS
from lottery_scaling.studies.lottery.trainer import TrainResult, TrainSettings


def fake_file(path, width, loss, activation="silu", diverged=None):
    return write_losses_file(path, width, loss, activation, diverged)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    d = tmp_path_factory.mktemp("exp")
    rng = np.random.default_rng(0)
    files = {}
    for w in (1, 2, 4, 10, 20):
        log = rng.normal(-3 - np.log10(w), 0.3, 120)
        if w == 2:  # two well separated modes
            log[:40] -= 2.5
        div = np.zeros(120, bool)
        div[:2] = w == 4
        files[w] = fake_file(d / f"N{w}.h5", w, 10.0**log, diverged=div)
    return d, files


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_histogram_command(experiment, capsys):
    d, files = experiment
    out = d / "hist"
    assert run("histogram", files[2], "--out-summary", out / "N2_summary.csv", "--out-modes", out / "N2_modes.csv",
               "--out-kde", out / "N2_kde.csv", "--bootstrap", 30, "--median-bootstrap", 50) == 0
    s = pd.read_csv(out / "N2_summary.csv")
    assert s.loc[0, "n_modes"] == 2 and s.loc[0, "lottery_share"] == pytest.approx(40 / 120, abs=0.02)
    m = pd.read_csv(out / "N2_modes.csv")
    assert m["lottery"].sum() == 1 and m.loc[m["lottery"], "log10_loss"].iloc[0] == pytest.approx(-5.8, abs=0.3)
    k = pd.read_csv(out / "N2_kde.csv")
    assert np.trapezoid(k["density"], k["log10_loss"]) == pytest.approx(1, abs=0.01)
    assert "2 robust mode(s)" in capsys.readouterr().out
    assert run("histogram", files[4], "--out-summary", out / "N4_summary.csv", "--out-modes", out / "N4_modes.csv",
               "--out-kde", out / "N4_kde.csv", "--bootstrap", 10, "--median-bootstrap", 10) == 0
    assert pd.read_csv(out / "N4_summary.csv").loc[0, "n_diverged"] == 2
    assert run("concat-tables", out / "N2_summary.csv", out / "N4_summary.csv", "--out", out / "summary.csv") == 0
    assert list(pd.read_csv(out / "summary.csv")["width"]) == [2, 4]


def test_synergy_and_fit_commands(experiment):
    d, files = experiment
    assert run("synergy", *files.values(), "--out-summary", d / "syn.csv", "--out-samples", d / "samples.csv",
               "--pairs", 300, "--bootstrap", 20) == 0
    s = pd.read_csv(d / "syn.csv")
    assert list(s["width"]) == [2, 4, 20]
    samples = pd.read_csv(d / "samples.csv")
    assert (samples[(samples.width == 20) & (samples.kind == "ensemble")].shape[0]) == 300
    assert run("fit", *files.values(), "--range", "n1:10:50", "--range", "all:1:20", "--out-medians", d / "med.csv",
               "--out-slopes", d / "slopes.csv", "--out-exponents", d / "exp.csv", "--bootstrap", 50) == 0
    e = pd.read_csv(d / "exp.csv").set_index("range")
    assert e.loc["n1", "widths_used"] == "10 20"
    assert e.loc["n1", "alpha"] == pytest.approx(1.0, abs=0.2)
    assert len(pd.read_csv(d / "slopes.csv")) == 4


def test_claims_and_claims_table_commands(experiment, tmp_path):
    d, files = experiment
    exp_dir = tmp_path / "x2_silu"
    for sub in ("histogram", "synergy", "fit"):
        (exp_dir / sub).mkdir(parents=True)
    for w, f in files.items():
        run("histogram", f, "--out-summary", exp_dir / f"histogram/N{w}.csv", "--out-modes", tmp_path / f"m{w}.csv",
            "--out-kde", tmp_path / f"k{w}.csv", "--bootstrap", 10, "--median-bootstrap", 10)
    run("concat-tables", *[exp_dir / f"histogram/N{w}.csv" for w in files], "--out", exp_dir / "histogram/summary.csv")
    run("synergy", *files.values(), "--out-summary", exp_dir / "synergy/summary.csv", "--out-samples", tmp_path / "s.csv",
        "--pairs", 200, "--bootstrap", 10)
    run("fit", *files.values(), "--range", "n1:10:50", "--range", "early:10:20", "--range", "late:20:50",
        "--out-medians", tmp_path / "m.csv", "--out-slopes", tmp_path / "sl.csv", "--out-exponents", exp_dir / "fit/exponents.csv",
        "--bootstrap", 20)
    part = tmp_path / "part.csv"
    assert run("claims", "--experiment", "x2_silu", "x2", "silu", exp_dir, "--thresholds", json.dumps(DEFAULT_THRESHOLDS),
               "--out", part) == 0
    other = tmp_path / "other.csv"
    pd.DataFrame([dict(zip(COLUMNS, ["pairs_symmetric", "x2_silu", "s", 1, 0, 2, "t", "supported", ""]))]).iloc[:, ::-1].to_csv(other, index=False)
    assert run("claims-table", part, other, "--out", tmp_path / "claims.csv") == 0
    table = pd.read_csv(tmp_path / "claims.csv")
    assert list(table.columns) == list(COLUMNS)
    assert table["claim"].iloc[-1] == "pairs_symmetric"
    got = table.set_index("claim")["verdict"]
    assert got["narrow_multimodal"] == "supported"
    assert got["silu_n_minus_1"] == "not tested"  # only widths 10 and 20 in [10, 50]; 3 needed
    assert got["synergy_close_N40"] == "not tested"
    assert got["leaky_relu_early_n_minus_4"] == "not tested"


def test_user_errors_are_one_line(tmp_path, capsys):
    foreign = tmp_path / "foreign.h5"
    foreign.write_bytes(b"not hdf5")
    assert run("histogram", foreign, "--out-summary", tmp_path / "a.csv", "--out-modes", tmp_path / "b.csv",
               "--out-kde", tmp_path / "c.csv") == 2
    err = capsys.readouterr().err
    assert "foreign.h5" in err and "Traceback" not in err and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("claim,verdict\nx,maybe\n")
    assert run("claims-table", bad, "--out", tmp_path / "t.csv") == 2
    assert "missing column" in capsys.readouterr().err
    assert not (tmp_path / "t.csv").exists()


def test_claims_table_lists_expected_claims_that_no_input_judged(experiment, tmp_path):
    part = tmp_path / "part.csv"
    pd.DataFrame([dict(zip(COLUMNS, ["silu_n_minus_1", "x2_silu", "alpha", 1, 0.9, 1.1, "t", "supported", ""]))]).to_csv(part, index=False)
    out = tmp_path / "claims.csv"
    per_width = tmp_path / "per_width.csv"
    pd.DataFrame([dict(zip(COLUMNS, ["synergy_close_N20", "x2_silu", "r", 1, 0.9, 1.1, "t", "supported", ""]))]).to_csv(per_width, index=False)
    assert run("claims-table", part, per_width, "--expect", "silu_n_minus_1", "synergy_close", "wide_symmetric_neurons",
               "--out", out) == 0
    table = pd.read_csv(out).set_index("claim")
    assert "synergy_close" not in table.index  # judged per width (synergy_close_N20)
    assert table.loc["silu_n_minus_1", "verdict"] == "supported"
    assert table.loc["wide_symmetric_neurons", "verdict"] == "not tested"
    assert "no experiment" in table.loc["wide_symmetric_neurons", "detail"]


@pytest.mark.parametrize("argv, message", [
    # files of one analysis must come from one experiment: other steps or data are named
    (lambda f, t: ["fit", f["mixed"], f[4], "--range", "n1:1:10", "--out-medians", t / "m.csv",
                   "--out-slopes", t / "s.csv", "--out-exponents", t / "e.csv"], "(steps 10 vs 20)"),
    (lambda f, t: ["merge", f[1], f[2], "--out", f[1]], "is also an input"),
    (lambda f, t: ["claims", "--experiment", "e", "x2", "gelu", t, "--thresholds", "{}", "--out", t / "c.csv"],
     "unknown activation 'gelu'"),
    (lambda f, t: ["claims", "--experiment", "e", "x2", "silu", t, "--thresholds",
                   '{"silu_n_minus_1": {"tolerance": "big"}}', "--out", t / "c.csv"],
     "claims.silu_n_minus_1.tolerance: must be a number, got 'big'"),
])
def test_inconsistent_inputs_are_one_line_errors(experiment, tmp_path, capsys, argv, message):
    d, files = experiment
    mixed = tmp_path / "mixed.h5"
    if not mixed.exists():
        settings = h5io.read_result(files[2]).settings
        r = h5io.read_result(files[2])
        h5io.write_result(mixed, TrainResult(**{**r.__dict__, "settings": TrainSettings(**{**settings.__dict__, "steps": 20})}))
    assert run(*argv({**files, "mixed": mixed}, tmp_path)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1, err


def test_no_output_is_written_when_one_output_cannot_be(experiment, tmp_path, capsys):
    d, files = experiment
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder is needed")
    assert run("histogram", files[2], "--out-summary", tmp_path / "s.csv", "--out-modes", tmp_path / "m.csv",
               "--out-kde", blocker / "k.csv") == 2
    assert "--out-kde" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "m.csv").exists()
