"""The bridge study's plan built from config dicts, without Snakemake (docs/development.md, Layout)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from lottery_scaling.errors import ConfigError
from lottery_scaling.studies.bridge.plan import BridgePlan, BridgeSettings

from ..plan_configs import changed, load


def test_the_test_config_plans_its_runs_and_paths():
    p = BridgePlan(load(), "res")
    assert p.on and p.settings["widths"] == [4, 6] and p.settings["prune_k"] == [2, "half"]
    # the run names of results made by earlier versions, one per init scale
    assert sorted(p.runs) == ["x2-silu-4f64092b54", "x2-silu-6e2978c3d1"]
    assert p.reference_run == p.run_of_scale[1.0]  # the largest scale unless ticket_reference_scale says otherwise
    run = p.run_of_scale[0.1]
    assert p.networks(run, 4) == f"res/bridge/train/{run}/N4_seeds0-6.h5"
    assert p.networks(run, 2) == f"res/bridge/train/{run}/N2_seeds0-12.h5"
    assert p.all_rewind_tables() == [f"res/bridge/rewind/{r}/N4.csv" for r in p.runs]
    assert "--init-scale 0.1 " in p.train_args(run) and "--snapshots True" in p.train_args(run) and "--width" not in p.train_args(run)
    assert p.emergence_options() == "--early-fraction 0.02 --r2-factor 2.0 --threshold 0.05"
    assert p.final_outputs()[-1] == "res/bridge/claims.csv" and p.claim_parts() == ["res/bridge/claims.csv"]


def test_the_default_config_plans_both_init_scales():
    p = BridgePlan(load("config.yaml"), "res")
    assert p.on and sorted(p.run_of_scale) == [0.1, 1.0]


def test_no_bridge_section_plans_nothing_with_the_defaults():
    p = BridgePlan(changed(lambda c: c.pop("bridge")), "res")
    assert not p.on and p.runs == {} and p.final_outputs() == [] and p.claim_ids() == []
    assert p.settings == asdict(BridgeSettings()) and p.settings["seeds"] == 40


@pytest.mark.parametrize("change, key", [
    (lambda b: b.update(seed=3), "bridge"),
    (lambda b: b.update(rewind_widths=[5]), "bridge.rewind_widths"),
    (lambda b: b.update(prune_k=[4]), "bridge.prune_k"),
    (lambda b: b.update(task="x1x2"), "bridge.task"),
    (lambda b: b.update(ticket_reference_scale=0.5), "bridge.ticket_reference_scale"),
    (lambda b: b.update(width2_seeds=1), "bridge.width2_seeds"),
    (lambda b: b.update(claims={"nope": 1}), "bridge.claims"),
    (lambda b: b.update(training={"steps": -1}), "bridge (training settings)"),
    (lambda b: b.update(seeds=10**9), "bridge (init scale 1, width 4)"),
])
def test_a_config_mistake_is_a_config_error_naming_the_key(change, key):
    with pytest.raises(ConfigError) as info:
        BridgePlan(changed(lambda c: change(c["bridge"])), "res")
    assert info.value.key == key and str(info.value).startswith(key + ": ")
