"""lottery_scaling.open_results (docs/results-api.md): the pipeline's tables and networks by
experiment and stage, on a small results folder laid out by the test config's plan."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from lottery_scaling import open_results
from lottery_scaling.cli import main as cli
from lottery_scaling.errors import UserError

from .conftest import write_losses_file
from .plan_configs import load

LOSSES = {1: np.linspace(1.0, 2.0, 20), 2: np.linspace(0.3, 0.6, 20), 4: np.linspace(0.01, 0.05, 20)}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """x2_silu of config/test.yaml trained (losses only) and fitted by the fit command, where the plan puts them."""
    root = tmp_path_factory.mktemp("api")
    config = {**load(), "results": str(root / "res")}
    res = open_results(configfile=config)
    merged = [write_losses_file(_mkdir(res.lottery.merged_file("x2_silu", w)), w, loss) for w, loss in LOSSES.items()]
    fit = res.lottery
    assert cli(["fit", *merged, *fit.fit_range_options().split(), "--bootstrap", "20",
                "--out-medians", _mkdir(fit.fit_table("x2_silu", "medians")),
                "--out-slopes", fit.fit_table("x2_silu", "slopes"),
                "--out-exponents", fit.fit_table("x2_silu", "exponents")]) == 0
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root, config


def _mkdir(path):
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def test_tables_by_experiment_and_stage(results):
    root, config = results
    res = open_results(root / "res", configfile=root / "config.yaml")
    assert res.experiments == ["x2_silu", "x2_leaky_relu"] and res.race_experiments == ["digits"]
    medians = res.medians("x2_silu")
    assert list(medians["width"]) == [1, 2, 4]
    assert np.allclose(medians["median_loss"], [np.median(LOSSES[w]) for w in (1, 2, 4)])
    exponents = res.fit("x2_silu", "exponents").set_index("range")
    assert set(exponents.index) == {"n1", "early", "late"} and exponents.loc["n1", "alpha"] > 0


def test_the_trained_networks_of_a_run_as_arrays(results):
    _, config = results
    net = open_results(configfile=config).networks("x2_silu", 4)
    assert net.w.shape == (20, 4, 1) and net.b.shape == net.v.shape == (20, 4) and net.c.shape == (20,)
    assert np.array_equal(net.test_loss, LOSSES[4]) and list(net.seed) == list(range(20))
    assert net.settings.activation == "silu" and net.settings.width == 4


def test_the_results_folder_defaults_to_the_configs(results):
    root, config = results
    assert open_results(configfile=config).dir == str(root / "res")
    assert open_results(str(root / "res") + "/", configfile=config).fit("x2_silu", "slopes").shape[0] == 2


@pytest.mark.parametrize("read, file, rule", [
    (lambda r: r.histogram("x2_silu"), "x2_silu/histogram/summary.csv", "histogram_table"),
    (lambda r: r.synergy("x2_silu", "samples"), "x2_silu/synergy/samples.csv", "synergy"),
    (lambda r: r.fit("x2_leaky_relu", "medians"), "x2_leaky_relu/fit/medians.csv", "fit"),
    (lambda r: r.networks("x2_leaky_relu", 2), "N2_seeds0-20.h5", "merge_width"),
    (lambda r: r.claims(), "res/claims.csv", "claims_table"),
    (lambda r: r.pairs("x2_silu", "width2_clusters"), "x2_silu/pairs/width2_clusters.csv", "width2_algorithms"),
    (lambda r: r.race_table("digits", "merge"), "race/digits/merge.csv", "race_clusters"),
    (lambda r: r.race_runs("digits"), "race/train/digits_n40_d20_", "race_train"),
    (lambda r: r.bridge_table("alignment/networks"), "bridge/alignment/networks.csv", "bridge_alignment"),
    (lambda r: r.bridge_networks(0.1, 4), "N4_seeds0-6.h5", "train_bridge"),
])
def test_a_file_not_made_yet_names_the_file_and_its_rule(results, read, file, rule):
    _, config = results
    with pytest.raises(UserError) as info:
        read(open_results(configfile=config))
    message = str(info.value)
    assert file in message and f"rule {rule} makes it" in message and "\n" not in message


@pytest.mark.parametrize("read, shown", [
    (lambda r: r.fit("x2_gelu"), "no experiment 'x2_gelu' in the config; experiments: x2_silu, x2_leaky_relu"),
    (lambda r: r.fit("x2_silu", "median"), "unknown table 'median'; allowed: medians, slopes, exponents"),
    (lambda r: r.networks("x2_silu", 3), "experiment x2_silu trains widths [1, 2, 4], not 3"),
    (lambda r: r.race_runs("digits", (40, 20, 0.5)), "race experiment digits trains no setting (40, 20, 0.5)"),
    (lambda r: r.bridge_networks(0.5, 4), "bridge.init_scales are [0.1, 1.0], not 0.5"),
])
def test_a_name_the_config_does_not_plan_is_one_clear_error(results, read, shown):
    _, config = results
    with pytest.raises(UserError, match=None) as info:
        read(open_results(configfile=config))
    assert str(info.value).startswith(shown)


def test_a_bad_config_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="cannot read the config"):
        open_results(configfile=tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="fit.ranges.n1: needs 0 < LO <= HI"):
        open_results(configfile={**load(), "fit": {"ranges": {"n1": [4, 2]}}})
    with pytest.raises(UserError, match="no `experiments` section"):
        open_results(configfile={"results": "x"})
