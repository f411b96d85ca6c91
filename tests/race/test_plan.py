"""The race study's plan built from config dicts, without Snakemake (docs/development.md, Layout)."""

from __future__ import annotations

import pytest

from lottery_scaling.errors import ConfigError
from lottery_scaling.studies.race.plan import RacePlan

from ..plan_configs import changed, load


def test_the_test_config_plans_every_setting_with_its_run_name():
    p = RacePlan(load(), "res")
    e = p.experiments["digits"]
    assert e.main == (40, 20, 1e-3) and e.ns == [40, 80] and e.runs == 2
    assert sorted(e.settings) == [(40, 20, 1e-3), (40, 20, 1e-2), (80, 20, 1e-3)]
    # the run names of results made by earlier versions
    assert sorted(p.runs) == ["digits_n40_d20_1d8811e356", "digits_n40_d20_85819b00ae", "digits_n80_d20_bbde27a71e"]
    assert p.main_file("digits") in [f"res/race/train/{r}.h5" for r in p.runs]
    assert p.train_input(next(iter(p.runs))) == "res/race/data/digits_n40_seed0.h5"
    assert p.table("digits", "imp_neurons") == "res/race/digits/imp_neurons.csv"
    assert p.figure_options("digits", "fig3a", {"counts": "a b.csv"}) == "--counts 'a b.csv' --main 40 20 0.001 --carry-share 0.99"
    assert p.figure_options("digits", "fig3b", {"counts": "a b.csv"}) == "--counts 'a b.csv' --main 40 20 0.001"
    assert p.figure_options("digits", "fig6", {"runs": ["a b.h5", "c.h5"]}) == "--runs 'a b.h5' c.h5"
    assert p.claim_parts() == ["res/race/digits/claims.csv"] and p.claim_ids()
    assert len(p.final_outputs()) == 3 + 7 + 2 * 10  # runs, tables, figures (png + pdf)


def test_the_default_config_plans_the_paper_digits_setting():
    p = RacePlan(load("config.yaml"), "res")
    assert p.experiments["digits"].main == (200, 300, 1e-05) and p.experiments["digits"].runs == 3


def test_no_race_section_plans_nothing():
    p = RacePlan(changed(lambda c: c.pop("race")), "res")
    assert p.experiments == {} and p.final_outputs() == [] and p.claim_ids() == []
    assert p.experiment_pattern() == "(?!x)x"


@pytest.mark.parametrize("change, key", [
    (lambda r: r["imp"].update(round=2), "race.imp"),
    (lambda r: r["experiments"]["digits"].update(dataset="cifar10"), "race.experiments.digits"),
    (lambda r: r.update(cifar_dir="a{b}"), "race.cifar_dir"),
    (lambda r: r["experiments"]["digits"].update(n=5000), "race.experiments.digits"),
    (lambda r: r["experiments"]["digits"].update(training={"lr": -1.0}), "race.experiments.digits (training settings)"),
    (lambda r: r["figures"].update(dpi=100000), "race.figures.dpi"),
    (lambda r: r["experiments"]["digits"].update(runs=10**9), "race.experiments.digits (setting n 40, width 20, sigma 0.001)"),
])
def test_a_config_mistake_is_a_config_error_naming_the_key(change, key):
    with pytest.raises(ConfigError) as info:
        RacePlan(changed(lambda c: change(c["race"])), "res")
    assert info.value.key == key and str(info.value).startswith(key + ": ")


def test_cifar_needs_every_batch_file(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"")
    config = changed(lambda c: c["race"].update(cifar_dir=str(tmp_path)) or c["race"]["experiments"]["digits"].update(dataset="cifar10"))
    with pytest.raises(ConfigError, match="lacks data_batch_2"):
        RacePlan(config, "res")


def test_the_photos_config_plans_the_cifar_shape_offline_and_refuses_too_many_tiles():
    p = RacePlan(load("config/race-photos.yaml"), "res")
    e = p.experiments["photos"]
    assert e.main == (200, 300, 1e-05) and e.ns == [100, 200, 400] and e.runs == 5 and len(e.settings) == 11
    assert p.data_input("photos") == [] and p.data_options("photos") == ""
    with pytest.raises(ConfigError, match=r"n 404 is more than the 400 balanced training samples photos holds \(100 per label\)"):
        RacePlan(changed(lambda c: c["race"]["experiments"]["photos"].update(vary_n=[404]), "config/race-photos.yaml"), "res")
