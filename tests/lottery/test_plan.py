"""The lottery study's plan built from config dicts, without Snakemake (docs/development.md, Layout)."""

from __future__ import annotations

import pytest

from lottery_scaling.errors import ConfigError, UserError
from lottery_scaling.studies.lottery.plan import LotteryPlan, stage_table

from ..plan_configs import changed, load


def plan(config, results="res"):
    return LotteryPlan(config, results)


def test_the_test_config_plans_its_experiments_runs_and_paths():
    p = plan(load())
    assert list(p.experiments) == ["x2_silu", "x2_leaky_relu"]
    e = p.experiments["x2_silu"]
    assert (e.task, e.activation, e.widths, e.seeds) == ("x2", "silu", [1, 2, 4], (0, 20))
    # the run names of results made by earlier versions (a changed recipe would retrain them)
    assert e.run == "x2-silu-69f4d126b8" and p.experiments["x2_leaky_relu"].run == "x2-leaky_relu-27e09805cc"
    assert p.merged_file("x2_silu", 4) == "res/train/x2-silu-69f4d126b8/N4_seeds0-20.h5"
    assert p.chunk_file(e.run, 4, 0, 12) == "res/train/x2-silu-69f4d126b8/N4/seeds0-12.h5"
    assert p.fit_table("x2_silu", "exponents") == "res/x2_silu/fit/exponents.csv" == stage_table("res/x2_silu", "fit", "exponents")
    assert p.histogram_file("x2_silu", 2, "kde") == "res/x2_silu/histogram/N2_kde.csv"
    assert p.pair_experiments == ["x2_silu", "x2_leaky_relu"] and not p.appendix_on
    assert p.claim_parts() == ["res/claims/analysis.csv", "res/x2_silu/pairs/claims.csv"]


def test_the_default_config_plans_paper_widths():
    p = plan(load("config.yaml"))
    assert p.experiments["x2_silu"].widths == [1, 2, 3, 4, 10, 20, 30, 40]
    assert p.fit_range_options() == "--range early:10:20 --range late:20:50 --range n1:10:50"
    assert len(p.final_outputs()) == len(set(p.final_outputs()))


def test_seed_chunks_align_on_seeds_per_job_and_reuse_chunks_on_disk(tmp_path):
    p = plan(load(), str(tmp_path))
    run = p.experiments["x2_silu"].run
    assert p.seed_chunks(0, 20) == [(0, 12), (12, 20)]
    assert p.seed_chunks(5, 30) == [(5, 12), (12, 24), (24, 30)]
    chunk = tmp_path / "train" / run / "N4" / "seeds12-20.h5"
    chunk.parent.mkdir(parents=True)
    chunk.write_bytes(b"")
    # growing seeds 20 -> 30 keeps the partial chunk 12-20 and trains only 20-24 and 24-30
    assert p.seed_chunks(0, 30, run, 4) == [(0, 12), (12, 20), (20, 24), (24, 30)]
    assert p.chunks_of_merged(run, 4, 0, 30)[1] == f"{tmp_path}/train/{run}/N4/seeds12-20.h5"


def test_option_strings_of_the_commands():
    p = plan(load())
    args = p.train_args(p.experiments["x2_silu"].run)
    assert args.startswith("--task x2 --activation silu --steps 300 --lr 0.01 ") and "--max-memory" not in args
    assert "--max-memory 1000000000 " in plan(changed(lambda c: c.update(limits={"max_job_memory": "1G"}))).train_args(
        p.experiments["x2_silu"].run)
    assert "--bootstrap 20 " in p.histogram_options() and "--median-bootstrap 50 " in p.histogram_options()
    assert p.claims_experiment_options() == ("--experiment x2_leaky_relu x2 leaky_relu res/x2_leaky_relu "
                                             "--experiment x2_silu x2 silu res/x2_silu")


@pytest.mark.parametrize("change, key", [
    (lambda c: c["experiments"]["x2_silu"].update(seeds=[5, 5]), "experiments.x2_silu.seeds"),
    (lambda c: c["experiments"]["x2_silu"].update(seeds=1), "experiments.x2_silu.seeds"),
    (lambda c: c["experiments"]["x2_silu"].update(task={"expr": "log(x)"}), "experiments.x2_silu.task"),
    (lambda c: c["experiments"]["x2_silu"].update(training={"lr": -1}), "experiments.x2_silu (training settings)"),
    (lambda c: c.update(training={"steps": -3}), "training"),
    (lambda c: c.update(limits={"max_train_chunks": 3}), "experiments.x2_silu"),
    (lambda c: c.update(limits={"max_job_memory": "12 parsecs"}), "limits.max_job_memory"),
    (lambda c: c["fit"]["ranges"].update(n1=[4, 2]), "fit.ranges.n1"),
    (lambda c: c["histogram"].update(bootstraps=3), "histogram"),
    (lambda c: c["histogram"].update(bootstrap=10**12), "histogram (experiment x2_silu, per width)"),
    (lambda c: c.update(claims={"silu_n_minus_1": {"range": "middle"}}), "claims.silu_n_minus_1.range"),
    (lambda c: c["figures"].update(modes_width=3), "figures.modes_width"),
    (lambda c: c["figures"].update(dpi=100000), "figures.dpi"),
    (lambda c: c["pairs"].update(figures={"ticket_widths": [7]}), "pairs.figures.ticket_widths"),
    (lambda c: c.update(limits={"max_analysis_work": 10}), "claims.wide_symmetric_neurons.bootstrap (experiment x2_silu)"),
])
def test_a_config_mistake_is_a_config_error_naming_the_key(change, key):
    with pytest.raises(ConfigError) as info:
        plan(changed(change))
    assert info.value.key == key
    assert str(info.value).startswith(key + ": ")
    assert isinstance(info.value, UserError) and "\n" not in str(info.value)
