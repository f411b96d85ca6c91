"""The survey commands end to end on tiny trained files (tables, masks files, claims, figures), and
bad inputs: one line naming the problem, exit status 2, nothing written."""

import shutil

import h5py
import numpy as np
import pandas as pd
import pytest

from lottery_scaling.claims import COLUMNS
from lottery_scaling.cli import main
from lottery_scaling.studies.lottery import networks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.survey.masks import read_masks
from lottery_scaling.studies.survey.settings import CLAIM_IDS

SMALL = dict(steps=150, lr_decay_every=60, n_train=30, n_test=41, curve_points=4)
WIDTHS = (6, 12, 24)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("survey")
    for n in WIDTHS:
        networks.write_result(d / f"N{n}.h5", train(TrainSettings("x2", "silu", n, **SMALL), np.arange(4), threads=1))
    return d


def _ok(*args):
    code = main([str(a) for a in args])
    assert code == 0, args


@pytest.fixture(scope="module")
def tables(files):
    d = files
    for n in WIDTHS:
        _ok("survey-edgepopup", "--networks", d / f"N{n}.h5", "--keeps", 0.5, 0.25, "--threads", 1,
            "--out", d / f"ep{n}.h5", "--out-table", d / f"ep{n}.csv")
        _ok("survey-linearised", "--networks", d / f"N{n}.h5", "--threads", 1, "--out", d / f"lin{n}.csv")
    _ok("survey-imp", "--networks", d / "N24.h5", "--sparsities", 0.5, 0.75, "--rounds", 2, "--threads", 1,
        "--out", d / "imp.h5", "--out-table", d / "imp.csv")
    _ok("survey-overlap", "--networks", d / "N24.h5", "--masks", d / "imp.h5", d / "ep24.h5", "--zhou", "--null-draws", 40,
        "--out-overlap", d / "ov.csv", "--out-pairs", d / "pairs.csv")
    _ok("survey-supermask", "--networks", d / "N24.h5", "--keeps", 0.25, 0.5, "--random-draws", 2, "--out", d / "sup.csv")
    _ok("survey-manifold", d / "N24.h5", d / "N12.h5", "--min-neurons", 5, "--shuffles", 3, "--out", d / "man.csv")
    _ok("survey-claims", "--supermask", d / "sup.csv", "--edgepopup", *[d / f"ep{n}.csv" for n in WIDTHS],
        "--linearised", *[d / f"lin{n}.csv" for n in WIDTHS], "--overlap", d / "ov.csv", "--pairs", d / "pairs.csv",
        "--manifold", d / "man.csv", "--settings", '{"bootstrap": 100}', "--out", d / "claims.csv")
    return d


def test_every_table_masks_file_and_claim(tables):
    d = tables
    ep = pd.read_csv(d / "ep24.csv")
    assert len(ep) == 8 and set(ep["keep"]) == {0.5, 0.25} and np.isfinite(ep["trained_test_loss"]).all()
    m = read_masks(d / "ep24.h5")
    assert m.method == "edgepopup" and m.mask_v.shape == (4, 2, 24)
    # per layer, keep 1/2 of (w, b) and of v
    assert (m.mask_w[:, 0].reshape(4, -1).sum(1) + m.mask_b[:, 0].sum(1) == 24).all() and (m.mask_v[:, 0].sum(1) == 12).all()
    imp = read_masks(d / "imp.h5")
    assert imp.method == "imp" and imp.mask_b.all() and np.allclose(sorted(imp.keep), [0.25, 0.5])
    ov = pd.read_csv(d / "ov.csv")
    assert {tuple(p) for p in ov[["method_a", "method_b"]].to_numpy()} == {("imp", "edgepopup"), ("imp", "zhou"),
                                                                          ("edgepopup", "zhou")}
    assert len(ov) == 3 * 2 * 4 and ov["jaccard_weights"].between(0, 1).all()
    pairs = pd.read_csv(d / "pairs.csv")
    assert set(pairs["method"]) == {"imp", "edgepopup", "zhou"}
    lin = pd.read_csv(d / "lin24.csv")
    assert len(lin) == 4 and (lin["trained_movement"] > 0).all()
    man = pd.read_csv(d / "man.csv")
    assert sorted(set(man["width"])) == [12, 24] and man["ratio_init"].between(0.5, 1.5).all()
    claims = pd.read_csv(d / "claims.csv")
    assert list(claims.columns) == list(COLUMNS) and set(claims["claim"]) == set(CLAIM_IDS)
    assert (claims["claim"].str.startswith("survey_")).all()


def test_every_figure(tables, tmp_path):
    d = tables
    eps = [d / f"ep{n}.csv" for n in WIDTHS]
    lins = [d / f"lin{n}.csv" for n in WIDTHS]
    for kind, args in [("supermask", ["--supermask", d / "sup.csv"]), ("scaling", ["--edgepopup", *eps, "--linearised", *lins]),
                       ("movement", ["--linearised", *lins]), ("overlap", ["--overlap", d / "ov.csv", "--pairs", d / "pairs.csv"]),
                       ("manifold", ["--networks", d / "N24.h5"])]:
        out = tmp_path / f"{kind}.png"
        _ok("plot-survey", kind, *args, "--out", out, tmp_path / f"{kind}.pdf")
        assert out.stat().st_size > 1000 and (tmp_path / f"{kind}.pdf").exists()
    # no network keeps its best pair, or every one does: Wilson's interval of 0/3 starts at 5.6e-17, not 0
    for value in (False, True):
        pairs = pd.read_csv(d / "pairs.csv").query("seed < 3").assign(keeps_pair=value)
        pairs.to_csv(tmp_path / "pairs.csv", index=False)
        _ok("plot-survey", "overlap", "--overlap", d / "ov.csv", "--pairs", tmp_path / "pairs.csv", "--out", tmp_path / "o.png")


def _refused(capsys, args, words, outputs=()):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and words in err, err
    assert "Traceback" not in err
    for path in outputs:
        assert not path.exists(), path


def test_bad_command_lines_are_one_line(tables, tmp_path, capsys):
    d = tables
    out, table = tmp_path / "o.h5", tmp_path / "o.csv"
    cases = [
        (["survey-edgepopup", "--networks", d / "N6.h5", "--seeds", "0:3", "--out", out, "--out-table", table],
         "--seeds goes with --train-settings"),
        (["survey-edgepopup", "--train-settings", '{"task": "x2"}', "--seeds", "0:2", "--out", out, "--out-table", table],
         "must be a JSON object of lottery training settings"),
        (["survey-edgepopup", "--train-settings", '{"task": "x2", "activation": "silu", "width": 4}', "--out", out,
          "--out-table", table], "--train-settings needs --seeds"),
        (["survey-edgepopup", "--networks", d / "N6.h5", "--keeps", "0", "--out", out, "--out-table", table],
         "must be a number in (0, 1], got '0'"),
        (["survey-supermask", "--networks", d / "N6.h5", "--label", "a,b", "--out", table], "without commas"),
        (["survey-supermask", "--runs", d / "N6.h5", "--out", table], "not a race runs file"),
        (["survey-imp", "--networks", d / "N6.h5", "--sparsities", "0.5", "0.5", "--out", out, "--out-table", table],
         "holds a value twice"),
        (["survey-overlap", "--networks", d / "N12.h5", "--masks", d / "ep24.h5", "--out-overlap", table,
          "--out-pairs", tmp_path / "p.csv"], "not on the same initial networks (width 12 vs 24)"),
        (["survey-overlap", "--networks", d / "N24.h5", "--masks", d / "ep24.h5", "--out-overlap", table,
          "--out-pairs", tmp_path / "p.csv"], "the overlap needs two methods"),
        (["survey-overlap", "--networks", d / "N24.h5", "--masks", d / "ep24.csv", "--zhou", "--out-overlap", table,
          "--out-pairs", tmp_path / "p.csv"], "cannot read as HDF5"),
        (["survey-claims", "--settings", '{"min_alpha": "x"}', "--out", table], "min_alpha must be a finite number"),
        (["survey-claims", "--settings", "[1", "--out", table], "must be a JSON object of survey claims settings"),
        (["survey-claims", "--manifold", d / "ov.csv", "--out", table], "missing column(s) test_loss, ratio_trained"),
        (["plot-survey", "scaling", "--out", tmp_path / "f.png"], "needs --edgepopup or --linearised"),
        (["plot-survey", "manifold", "--networks", d / "N6.h5", "--supermask", d / "sup.csv", "--out", tmp_path / "f.png"],
         "--supermask does not belong to the manifold figure"),
        (["survey-manifold", d / "ep24.h5", "--out", table], "not a lottery-scaling trained-networks file"),
    ]
    for args, words in cases:
        _refused(capsys, args, words, (out, table, tmp_path / "p.csv", tmp_path / "f.png"))


def test_a_job_past_its_memory_or_work_bound_is_refused_before_it_starts(tables, tmp_path, capsys):
    d = tables
    out, table = tmp_path / "o.h5", tmp_path / "o.csv"
    huge = '{"task": "x2", "activation": "silu", "width": 100000000, "n_train": 1000}'
    cases = [
        (["survey-edgepopup", "--networks", d / "N6.h5", "--max-memory", "20k", "--out", out, "--out-table", table],
         "survey-edgepopup: 4 networks x 1 keeps of width 6 x 150 steps x n_train 30 (n_test 41, "),
        (["survey-edgepopup", "--networks", d / "N6.h5", "--max-memory", "20k", "--out", out, "--out-table", table],
         "of memory, more than 20 kB (--max-memory)"),
        # the estimate from the settings alone, before any array: 1e8 neurons x 1000 samples of activations
        (["survey-edgepopup", "--train-settings", huge, "--seeds", "0:2", "--threads", "1", "--max-work", "1e30",
          "--max-memory", "64G", "--out", out, "--out-table", table], "more than 64 GB (--max-memory)"),
        (["survey-linearised", "--networks", d / "N12.h5", "--max-work", "1000", "--out", table],
         "survey-linearised: 4 networks of width 12 x 150 steps x n_train 30 (n_test 41, "),
        (["survey-linearised", "--networks", d / "N12.h5", "--max-work", "1000", "--out", table],
         "= 2.16e+05 neuron-sample-steps, more than 1e+03 (--max-work)"),
        (["survey-imp", "--networks", d / "N24.h5", "--sparsities", "0.5", "0.75", "--rounds", "2", "--max-memory", "20k",
          "--out", out, "--out-table", table], "4 networks x 2 sparsities x 2 rounds of width 24"),
        (["survey-supermask", "--networks", d / "N24.h5", "--max-memory", "20k", "--out", table],
         "survey-supermask: 4 networks x 7 keeps x (1 + 5 random draws)"),
        (["survey-overlap", "--networks", d / "N24.h5", "--masks", d / "imp.h5", d / "ep24.h5", "--zhou",
          "--null-draws", "100000000", "--out-overlap", table, "--out-pairs", tmp_path / "p.csv"],
         "survey-overlap: 4 networks x 2 keeps x 3 methods x 100000000 null draws of width 24"),
    ]
    for args, words in cases:
        _refused(capsys, args, words, (out, table, tmp_path / "p.csv"))


def test_the_pipeline_bound_reaches_the_survey_commands(tables, tmp_path, capsys, monkeypatch):
    import json

    from lottery_scaling import limits

    monkeypatch.setenv(limits.ENV, json.dumps({"max_job_memory": "20k"}))
    _refused(capsys, ["survey-linearised", "--networks", tables / "N6.h5", "--out", tmp_path / "o.csv"],
             "more than 20 kB (limits.max_job_memory of the pipeline)", (tmp_path / "o.csv",))


def test_float32_networks_are_linearised_in_float64_but_not_pruned(tmp_path, capsys):
    path = tmp_path / "f32.h5"
    networks.write_result(path, train(TrainSettings("x2", "silu", 4, dtype="float32", **SMALL), np.arange(2), threads=1))
    _ok("survey-linearised", "--networks", path, "--threads", 1, "--out", tmp_path / "lin.csv")
    assert np.isfinite(pd.read_csv(tmp_path / "lin.csv")["linearised_test_loss"]).all()
    capsys.readouterr()
    _refused(capsys, ["survey-imp", "--networks", path, "--out", tmp_path / "i.h5", "--out-table", tmp_path / "i.csv"],
             "IMP retrains in float64 only; these networks were trained in float32", (tmp_path / "i.h5",))


def test_claims_table_with_text_in_a_number_column(tables, tmp_path, capsys):
    bad = tmp_path / "man.csv"
    df = pd.read_csv(tables / "man.csv")
    df["ratio_trained"] = "high"
    df.to_csv(bad, index=False)
    _refused(capsys, ["survey-claims", "--manifold", bad, "--out", tmp_path / "c.csv"], "column ratio_trained must hold numbers",
             (tmp_path / "c.csv",))


def _edit(name, fn):
    def edit(h5):
        a = h5[name][()]
        del h5[name]
        h5.create_dataset(name, data=fn(a))
    return edit


MASK_CASES = {
    "foreign format": (lambda h5: h5.attrs.__setitem__("format", "other"), "not a survey masks file"),
    "unknown method": (lambda h5: h5.attrs.__setitem__("method", "magic"), "attribute method is 'magic'"),
    "mask value 2": (_edit("mask_v", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 3, 2, a)),
                     "dataset mask_v holds 2 at [0, 0, 3], expected 0 or 1"),
    "mask shape": (_edit("mask_w", lambda a: a[:, :, :5]), "dataset mask_w has shape (4, 2, 5, 1), expected (4, 2, 24, 1)"),
    "seed twice": (_edit("seed", lambda a: np.array([0, 0, 1, 2])), "holds a seed twice"),
    "keep 0": (_edit("keep", lambda a: np.array([0.0, a[1]])), "dataset keep holds 0.0 at [0], expected a fraction in (0, 1]"),
    "NaN loss of a converged network": (_edit("test_loss", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 1,
                                                                               np.nan, a)),
                                        "dataset test_loss holds nan at [0, 1]"),
    "text masks": (_edit("mask_b", lambda a: np.full(a.shape, b"x")), "dataset mask_b must hold booleans"),
    "bad settings": (lambda h5: h5.attrs.__setitem__("settings_json", '{"task": "x2", "activation": "silu", "width": -3}'),
                     "settings_json: width must be an integer >= 1"),
    "missing dataset": (lambda h5: h5.__delitem__("diverged"), "missing dataset diverged"),
}


@pytest.mark.parametrize("case", MASK_CASES)
def test_corrupt_masks_file_is_one_line(tables, tmp_path, capsys, case):
    edit, words = MASK_CASES[case]
    bad = tmp_path / "bad.h5"
    shutil.copy(tables / "ep24.h5", bad)
    with h5py.File(bad, "r+") as h5:
        edit(h5)
    _refused(capsys, ["survey-overlap", "--networks", tables / "N24.h5", "--masks", bad, "--zhou",
                      "--out-overlap", tmp_path / "o.csv", "--out-pairs", tmp_path / "p.csv"], f"{bad}: ",
             (tmp_path / "o.csv",))
    with pytest.raises(Exception) as e:
        read_masks(bad)
    assert words in str(e.value), str(e.value)


def test_the_survey_commands_are_found():
    from lottery_scaling.cli import _command_modules

    names = {name for name, _ in _command_modules()}
    assert {"survey-supermask", "survey-edgepopup", "survey-imp", "survey-overlap", "survey-linearised",
            "survey-manifold", "survey-claims", "plot-survey"} <= names


def test_an_output_that_is_an_input_is_refused(tables, capsys):
    _refused(capsys, ["survey-manifold", tables / "N24.h5", "--out", tables / "N24.h5"], "is also an input")
    assert (tables / "N24.h5").exists()
