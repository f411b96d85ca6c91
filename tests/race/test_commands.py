"""Race analysis commands end to end on a tiny trained file: every table and figure is written,
bad inputs give one line (exit 2, nothing written), batched IMP equals IMP per run, the
claims rows say "not tested" with the reason when the runs cannot judge a claim, and
Ctrl-C stops race-train at once."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.claims import COLUMNS
from lottery_scaling.studies.race import claims, data, imp, trainer
from lottery_scaling.studies.race.settings import CLAIM_IDS, ClaimSettings


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lottery_scaling", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("race")
    task = d / "task.h5"
    assert run_cli("race-prepare-data", "--n", "40", "--out", task).returncode == 0
    files = []
    for sigma in ("1e-3", "1e-2"):
        out = d / f"runs_{sigma}.h5"
        proc = run_cli("race-train", "--data", task, "--width", "16", "--sigma", sigma, "--runs", "0:2", "--lr", "0.01",
                       "--max-epochs", "60", "--checkpoints", "15", "--threads", "1", "--out", out)
        assert proc.returncode == 0, proc.stderr
        files.append(out)
    return d, task, files


def test_every_analysis_table_claims_and_figure(trained):
    d, task, (main, other) = trained
    steps = [
        ("race-alignment", "--runs", main, other, "--out-summary", d / "al.csv", "--out-curve", d / "curve.csv"),
        ("race-clusters", "--runs", main, other, "--out-counts", d / "counts.csv", "--out-merge", d / "merge.csv"),
        ("race-imp", "--runs", main, "--sparsities", "0.2", "0.5", "--rounds", "2", "--threads", "1",
         "--out-summary", d / "imp.csv", "--out-neurons", d / "impn.csv"),
        ("race-cells", "--data", task, "--probes", "100", "--patience", "2", "--max-iter", "20", "--null-shuffles", "2",
         "--out", d / "cells.csv"),
        ("race-claims", "--experiment", "tiny", "--main", "40", "16", "1e-3", "--alignment", d / "al.csv",
         "--counts", d / "counts.csv", "--merge", d / "merge.csv", "--imp", d / "imp.csv", "--cells", d / "cells.csv",
         "--thresholds", '{"imp_sparsity": 0.5}', "--out", d / "claims.csv"),
    ]
    for args in steps:
        proc = run_cli(*args)
        assert proc.returncode == 0, (args[0], proc.stderr)
    al = pd.read_csv(d / "al.csv")
    assert sorted(set(al["time"])) == ["before_drop", "early", "init"] and len(al) == 12
    assert set(al["sigma"]) == {1e-3, 1e-2} and al["angle_q01"].notna().all()
    assert set(pd.read_csv(d / "curve.csv")["sigma"]) == {1e-3, 1e-2}
    cells = pd.read_csv(d / "cells.csv")
    assert list(cells["labels"]) == ["task"] * 2 + ["shuffled"] * 4 and list(cells["shuffle"]) == [-1, -1, 0, 0, 1, 1]
    counts = pd.read_csv(d / "counts.csv")
    assert set(counts["sigma"]) == {1e-3, 1e-2} and (counts[counts["time"] == "init"]["clusters"] == 16).all()
    merge = pd.read_csv(d / "merge.csv")
    assert (merge["clusters"] <= merge["neurons"]).all() and len(merge) == 2 * 2 * 2
    neurons = pd.read_csv(d / "impn.csv")
    summary = pd.read_csv(d / "imp.csv")
    for _, row in summary.iterrows():  # pruned counts add up to the sparsity reached
        got = neurons[(neurons["seed"] == row["seed"]) & (neurons["sparsity"] == row["sparsity"])]["pruned"].sum()
        assert got == round(row["sparsity"] * (16 * 64 + 32))
    table = pd.read_csv(d / "claims.csv")
    assert list(table.columns) == list(COLUMNS) and list(table["claim"]) == list(CLAIM_IDS)
    assert {"race_angle_faster_than_norm", "race_lateral_inhibition"} <= set(table["claim"])
    imp_summary = pd.read_csv(d / "imp.csv")
    assert {"spearman_within", "spearman_within_null_q95"} <= set(imp_summary.columns)
    assert "cluster" in pd.read_csv(d / "impn.csv").columns
    assert table.set_index("claim").loc["race_clusters_rise_with_n", "verdict"] == "not tested"
    assert "paper:" in table["detail"].iloc[0]
    for kind, extra in (("fig1", ("--runs", main)), ("fig4", ("--runs", main)), ("fig8", ("--runs", main)),
                        ("fig3a", ("--counts", d / "counts.csv", "--main", "40", "16", "1e-3")),
                        ("fig3b", ("--counts", d / "counts.csv", "--main", "40", "16", "1e-3")),
                        ("fig5", ("--imp-neurons", d / "impn.csv")), ("fig6", ("--runs", main, other)),
                        ("unlock", ("--runs", main)), ("inhibition", ("--runs", main)),
                        ("imp_clusters", ("--imp-neurons", d / "impn.csv"))):
        png, pdf = d / f"{kind}.png", d / f"{kind}.pdf"
        proc = run_cli("plot-race", kind, *extra, "--dpi", "40", "--out-png", png, "--out-pdf", pdf)
        assert proc.returncode == 0, (kind, proc.stderr)
        assert png.stat().st_size > 1000 and pdf.stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (("race-alignment", "--runs", "{task}", "--out-summary", "{d}/x.csv", "--out-curve", "{d}/y.csv"), "not a race runs file"),
    (("race-clusters", "--runs", "{main}", "--thresholds", "1.5", "--out-counts", "{d}/x.csv", "--out-merge", "{d}/y.csv"),
     "--thresholds: must be a cosine in (-1, 1]"),
    (("race-imp", "--runs", "{main}", "--sparsities", "1", "--out-summary", "{d}/x.csv", "--out-neurons", "{d}/y.csv"),
     "--sparsities: must be a number in (0, 1)"),
    (("race-claims", "--experiment", "e", "--main", "40", "16", "x", "--alignment", "{d}/none.csv", "--counts", "{d}/none.csv",
      "--merge", "{d}/none.csv", "--out", "{d}/x.csv"), "--main: expected N WIDTH SIGMA"),
    (("race-claims", "--experiment", "e", "--main", "40", "16", "1e-3", "--alignment", "{d}/none.csv", "--counts",
      "{d}/none.csv", "--merge", "{d}/none.csv", "--thresholds", '{{"nope": 1}}', "--out", "{d}/x.csv"), "--thresholds: a JSON object"),
    (("plot-race", "fig5", "--out-png", "{d}/x.png"), "plot-race fig5 needs --imp-neurons"),
    (("plot-race", "fig1", "--runs", "{main}", "{main}", "--out-png", "{d}/x.png"), "plot-race fig1 takes one --runs file, got 2"),
    (("plot-race", "fig3a", "--counts", "{d}/none.csv", "--main", "40", "16", "1e-3", "--carry-share", "0.5",
      "--out-png", "{d}/x.png"), "--carry-share: must be one of 0.9, 0.99, 0.999, got 0.5"),
    (("race-claims", "--experiment", "e", "--main", "40", "16", "1e-3", "--alignment", "{d}/none.csv", "--counts",
      "{d}/none.csv", "--merge", "{d}/none.csv", "--thresholds", '{{"carry_share": 0.5}}', "--out", "{d}/x.csv"),
     "--thresholds: carry_share must be one of 0.9, 0.99, 0.999, got 0.5"),
    (("race-cells", "--data", "{task}", "--null-shuffles", "-1", "--out", "{d}/x.csv"), "--null-shuffles: must be an integer >= 0"),
    (("race-alignment", "--runs", "{main}", "--bulk-max-angle", "0", "--out-summary", "{d}/x.csv", "--out-curve", "{d}/y.csv"),
     "--bulk-max-angle: must be an angle in (0, 180] degrees, got '0'"),
])
def test_bad_inputs_are_one_line_and_write_nothing(trained, args, message):
    d, task, (main, _) = trained
    out = d / "bad"
    out.mkdir(exist_ok=True)
    proc = run_cli(*[a.format(d=out, task=task, main=main) for a in args])
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not list(out.iterdir())


def test_batched_imp_equals_imp_per_run():
    task = data.load_digits_task(40, data_seed=0)
    s = trainer.RaceSettings(width=8, sigma=0.05, lr=0.01, max_epochs=4, loss_threshold=0.0, checkpoints=3)
    many = imp.imp_many(task, [0, 1], s, [0.3, 0.6], rounds=2, threads=1)
    for t in many["tickets"]:
        one = imp.imp(task, t["seed"], s, sparsity=t["sparsity"], rounds=2, threads=1)
        np.testing.assert_array_equal(t["mask_w"], one["mask_w"])
        np.testing.assert_array_equal(t["mask_v"], one["mask_v"])
        assert t["ticket_test_acc"] == one["ticket_test_acc"] and t["ticket_train_loss"] == one["ticket_train_loss"]


def test_imp_ticket_is_evaluated_with_its_mask():
    # the tickets of the digits run keep the unpruned accuracy (docs/race.md, IMP); a mask that removes every
    # incoming weight must show up in the evaluation (chance-level accuracy, loss ln 2)
    task = data.load_digits_task(40, data_seed=0)
    s = trainer.RaceSettings(width=8, sigma=0.05, lr=0.01, max_epochs=5, loss_threshold=0.0, checkpoints=3, form="direct")
    res = trainer.train_runs(task, [0], s, threads=1, mask_w=np.zeros((8, 64)))
    last = int(np.max(np.flatnonzero(res.ckpt_step[0] >= 0)))
    assert np.all(res.W[0] == 0)
    assert res.run["test_loss"][0, last] == pytest.approx(np.log(2), abs=0.05)


def test_claims_without_data_are_not_tested_with_a_reason():
    empty_al = pd.DataFrame(columns=["n", "width", "sigma", "seed", "time", "step", "spearman", "aligned_share",
                                     "median_angle", "median_wv_norm", "final_median_wv_norm", "slope_per_degree", "r2"])
    empty_counts = pd.DataFrame(columns=["n", "width", "sigma", "time", "threshold", "clusters", "neurons"])
    empty_merge = pd.DataFrame(columns=["threshold", "test_acc_before", "test_acc_after", "test_loss_before",
                                        "test_loss_after", "neurons", "clusters"])
    rows = claims.judge("e", {"n": 40, "width": 16, "sigma": 1e-3}, empty_al, empty_counts, empty_merge, None, None,
                        ClaimSettings())
    assert [r["claim"] for r in rows] == list(CLAIM_IDS)
    assert all(r["verdict"] == "not tested" and r["detail"] for r in rows)


def test_race_train_stops_at_once_on_ctrl_c(tmp_path):
    out = tmp_path / "runs.h5"
    proc = subprocess.Popen([sys.executable, "-m", "lottery_scaling", "race-train", "--n", "400", "--width", "300",
                             "--runs", "0:1", "--max-epochs", "3000", "--loss-threshold", "0", "--threads", "1",
                             "--out", str(out)], stderr=subprocess.PIPE, text=True,
                            # a shell without job control starts background commands with SIGINT ignored,
                            # and Python then installs no KeyboardInterrupt handler: restore the default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    line = ""
    while "training" not in line and time.time() < deadline:
        line = proc.stderr.readline()
    time.sleep(2.0)  # inside the kernel
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 130 and time.time() - t0 < 10
    assert "interrupted: nothing written" in rest
    assert not out.exists() and not list(tmp_path.iterdir())


def test_figures_show_what_issue_21_asked(trained):
    # Fig 1 titles apart; Fig 3a all and carrying clusters with y = d; Fig 3b the before-drop steps;
    # Fig 4 the bulk fit beside a power law; Fig 8 the angle not drawn solid after the drop
    import pandas as pd

    from lottery_scaling.plotting import pyplot
    from lottery_scaling.studies.race import clusters, figures, trajectories
    from lottery_scaling.studies.race.trainer import SNAPSHOTS

    _, _, (main, other) = trained
    runs = trajectories.read_runs(main)
    fig = figures.norm_vs_alignment(runs, 0)
    fig.canvas.draw()
    boxes = [ax.title.get_window_extent() for ax in fig.axes[:3]]
    width = fig.axes[0].get_window_extent().width  # a clear gap, not only no overlap (3-digit steps are wider)
    assert all(b.x0 - a.x1 > 0.25 * width for a, b in zip(boxes, boxes[1:]))
    pyplot().close(fig)

    counts = pd.DataFrame(clusters.count_rows(runs, [0.95]) + clusters.count_rows(trajectories.read_runs(other), [0.95]))
    fig = figures.clusters_vs_n(counts, 0.95, 1e-3)
    assert len(fig.axes) == 2 and "carrying" in fig.axes[1].get_title()
    assert all(any(np.allclose(line.get_ydata(), 16) for line in ax.get_lines()) for ax in fig.axes)  # y = d
    fig = figures.clusters_vs_time(counts, 0.95, 40, 16)
    assert all("before the drop = step" in t.get_text() for t in fig.axes[0].get_legend().get_texts())

    fig = figures.norm_vs_alignment(runs, 0, times=("early",), fit=True, bulk_max_angle=180)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("power law" in t for t in labels) and any("exp fit below" in t for t in labels)

    fig = figures.training_curves(runs)
    drops = runs.snap["step"][:, SNAPSHOTS.index("before_drop")]
    solid = [line for line in fig.axes[2].get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) > 1]
    assert (drops > 0).all() and len(solid) == len(drops)
    assert all(line.get_xdata().max() <= drop for line, drop in zip(solid, drops))
