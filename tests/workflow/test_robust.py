"""The pipeline on configurations that used to stop it or plan without bound (docs/cli.md, Limits): an
experiment whose networks all diverge runs to the end; duplicate keys and oversized work are
refused before any job with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .test_pipeline import ROOT, copy_env

from ..conftest import copy_workflow

TINY = """\
results: results
training: {steps: 20, lr_decay_every: 10, n_train: 20, n_test: 31, curve_points: 3}
seeds_per_job: 4
train_threads: 1
experiments:
  x2_leaky_relu:
    task: x2
    activation: leaky_relu
    widths: [1, 2, 4]
    seeds: 4
    training: {lr: 1.0e+150}
histogram: {bootstrap: 5, median_bootstrap: 5}
synergy: {pairs: 20, bootstrap: 5}
fit: {bootstrap: 5, ranges: {n1: [2, 4], early: [1, 2], late: [2, 4]}}
figures: {dpi: 30}
pairs: {max_clusters: 2, align_iterations: 1, figures: {dpi: 30}}
claims:
  silu_n_minus_1: {activation: leaky_relu}
  width2_tickets_symmetric: {activation: leaky_relu}
  wide_symmetric_neurons: {activation: leaky_relu, min_width: 4, bootstrap: 5}
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("robust"))


def snakemake(work: Path, config_text: str, *args: str) -> subprocess.CompletedProcess:
    config = work / "config" / f"c{abs(hash(config_text))}.yaml"
    config.write_text(config_text)
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(config), *args],
                          cwd=work, capture_output=True, text=True, env=copy_env(work))


def test_an_experiment_whose_networks_all_diverge_runs_to_the_end(work):
    proc = snakemake(work, TINY)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = work / "results"
    claims = pd.read_csv(results / "claims.csv")
    mine = claims[claims["experiment"] == "x2_leaky_relu"]
    assert len(mine) >= 4 and (mine["verdict"] == "not tested").all()
    assert mine["detail"].str.contains("every network diverged").all(), mine["detail"].tolist()
    assert (results / "figures" / "x2_leaky_relu_pairs_fig9_pca.png").is_file()
    assert "every network diverged" in (results / "logs" / "pairs" / "x2_leaky_relu" / "width2_algorithms.log").read_text()


def _config(**changes) -> str:
    import yaml

    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    for key, value in changes.items():
        target = config
        *parents, last = key.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value
    return yaml.safe_dump(config)


DUPLICATE_EXPERIMENT = """\
results: results
experiments:
  x2_silu: {task: x2, activation: silu, widths: [1], seeds: 4}
  x2_silu: {task: x2, activation: relu, widths: [1], seeds: 4}
"""
DUPLICATE_TOP = """\
results: results
seeds_per_job: 10
experiments:
  x2_silu: {task: x2, activation: silu, widths: [1], seeds: 4}
seeds_per_job: 2
"""


@pytest.mark.parametrize("config_text, message", [
    (DUPLICATE_EXPERIMENT, "key 'x2_silu' appears twice in one mapping (lines 3 and 4)"),
    (DUPLICATE_TOP, "key 'seeds_per_job' appears twice in one mapping (lines 2 and 5)"),
    (_config(**{"experiments.x2_silu.seeds": 10_000_000}),
     "experiments.x2_silu: 2500002 training jobs (10000000 seeds x 3 widths in chunks of seeds_per_job 12), "
     "more than limits.max_train_chunks 20000"),
    (_config(**{"training.steps": 10**12}), "neuron-sample-steps (widths x seeds x steps x n_train), more than limits.max_train_work 1e+15"),
    (_config(**{"training.n_train": 10**9, "limits": {"max_job_memory": "16G"}}),
     "a training job (12 seeds of width 4, n_train 1000000000, n_test 101) needs about 208 GB of memory, more than 16 GB"),
    (_config(**{"training.init_seed": 2**70}), "training.init_seed: 1180591620717411303424 is greater than the maximum"),
])
def test_unbounded_or_ambiguous_configs_are_refused_at_once(work, config_text, message):
    proc = snakemake(work, config_text, "-n")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and message in text, text[-3000:]
    assert "Traceback" not in text and len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_limits_can_be_raised_explicitly(work):
    text = _config(**{"training.steps": 10**12, "limits": {"max_train_work": 1e30, "max_job_memory": "2T"}})
    proc = snakemake(work, text, "-n", "-p")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "--max-memory 2000000000000" in proc.stdout + proc.stderr


@pytest.mark.parametrize("changes, message", [
    ({"experiments.x2_silu.task": {"expr": "1/0 + x"}}, "expression '1/0 + x': '1/0' is undefined"),
    # fine as a formula, but not on the experiment's data (its x_range): refused before any job too
    ({"experiments.x2_silu.task": {"expr": "log(x)"}}, "task 'expr:log(x)' is not finite at x = [-2.0]"),
    ({"experiments.x2_silu.task": {"expr": "sqrt(x)"}, "experiments.x2_silu.training": {"x_range": [0.0, 1.0]}}, None),
    ({"bridge": {"task": "expr:1/0 + x"}}, "expression '1/0 + x': '1/0' is undefined"),
    ({"bridge": {"task": "expr:log(x)"}}, "task 'expr:log(x)' is not finite at x = [-2.0]"),
])
def test_a_bad_formula_is_a_config_error_before_any_job(work, changes, message):
    """The config check refuses what the formula parser refuses (every class of it: tests/lottery/test_expressions.py)."""
    proc = snakemake(work, _config(**changes), "-n")
    text = proc.stdout + proc.stderr
    if message is None:
        assert proc.returncode == 0, text[-3000:]
        return
    key = "bridge.task" if "bridge" in changes else "experiments.x2_silu.task"
    assert proc.returncode != 0 and f"Config error: {key}: " in text and message in text, text[-3000:]
    assert "Traceback" not in text and len([line for line in text.splitlines() if line.strip()]) <= 2, text
