"""The survey study's plan built from config dicts, without Snakemake (docs/development.md, Plans)."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict

import pytest

from lottery_scaling.errors import ConfigError
from lottery_scaling.studies.lottery.plan import LotteryPlan
from lottery_scaling.studies.survey.plan import SurveyPlan, SurveySettings
from lottery_scaling.studies.survey.settings import CLAIM_IDS

from ..plan_configs import changed, load


def test_the_test_config_plans_its_tables_figures_and_claims():
    config = load()
    p, lottery = SurveyPlan(config, "res"), LotteryPlan(config, "res")
    assert p.on and p.settings["widths"] == [2, 4] and p.settings["overlap_width"] == 4
    assert p.networks(lottery, 4) == lottery.merged_file("x2_silu", 4)
    inputs = p.claim_inputs()
    assert inputs["edgepopup"] == ["res/survey/edgepopup/N2.csv", "res/survey/edgepopup/N4.csv"]
    assert inputs["overlap"] == ["res/survey/overlap/N4.csv"] and inputs["manifold"] == ["res/survey/manifold.csv"]
    assert p.masks("imp", 4) == "res/survey/imp/N4_masks.h5"
    assert p.final_outputs() == [f"res/figures/survey_{k}.png" for k in ("scaling", "movement", "supermask", "overlap", "manifold")] + [
        "res/survey/claims.csv"]
    assert p.claim_parts() == ["res/survey/claims.csv"] and p.claim_ids() == list(CLAIM_IDS)
    assert p.edgepopup_options() == "--keeps 0.5 --scope layer --optimizer adam --score-seed 0 --max-seeds 3"
    assert p.imp_options() == "--sparsities 0.5 --rounds 1 --max-seeds 3"
    assert p.supermask_options() == "--keeps 0.5 --scope global --random-draws 2 --mask-seed 0"
    assert p.threads == 1 and p.dpi == 60
    claims = json.loads(shlex.split(p.claims_option())[0])
    assert claims["bootstrap"] == 50 and claims["min_widths"] == 2 and claims["min_alpha"] == 0.25


def test_table_options_quote_every_path():
    options = SurveyPlan.table_options({"edgepopup": ["a b/N2.csv", "x;y.csv"]})
    assert shlex.split(options) == ["--edgepopup", "a b/N2.csv", "x;y.csv"]


def test_the_default_and_survey_configs_plan_the_survey():
    for name in ("config.yaml", "config/survey.yaml"):
        p = SurveyPlan(load(name), "res")
        assert p.on and p.table("claims") in p.final_outputs()


def test_overlap_and_manifold_can_be_left_out():
    def change(c):
        c["survey"].update(overlap_width=None, manifold_widths=[], supermask_widths=[])
    p = SurveyPlan(changed(change), "res")
    assert p.figure_kinds() == ["scaling", "movement"] and set(p.claim_inputs()) == {"edgepopup", "linearised"}


def test_no_survey_section_plans_nothing_with_the_defaults():
    p = SurveyPlan(changed(lambda c: c.pop("survey")), "res")
    assert not p.on and p.final_outputs() == [] and p.claim_ids() == [] and p.claim_parts() == []
    assert p.settings == asdict(SurveySettings())


@pytest.mark.parametrize("change, key", [
    (lambda s: s.update(seed=3), "survey"),
    (lambda s: s.update(experiment="nope"), "survey.experiment"),
    (lambda s: s.update(widths=[3]), "survey.widths"),
    (lambda s: s.update(widths=[]), "survey.widths"),
    (lambda s: s.update(widths="4"), "survey.widths"),
    (lambda s: s.update(supermask_widths=[4, 4]), "survey.supermask_widths"),
    (lambda s: s.update(manifold_widths=[100]), "survey.manifold_widths"),
    (lambda s: s.update(overlap_width=1), "survey.overlap_width"),
    (lambda s: s.update(max_seeds=0), "survey.max_seeds"),
    (lambda s: s.update(threads=True), "survey.threads"),
    (lambda s: s.update(supermask={"keeps": [1.5]}), "survey.supermask"),
    (lambda s: s.update(edgepopup={"optimiser": "adam"}), "survey.edgepopup"),
    (lambda s: s.update(imp={"sparsities": [1.0]}), "survey.imp"),
    (lambda s: s.update(overlap={"null_draws": 0}), "survey.overlap"),
    (lambda s: s.update(manifold={"min_neurons": 2}), "survey.manifold"),
    (lambda s: s.update(claims={"confidence": 2}), "survey.claims"),
    (lambda s: s.update(figures={"dpi": 5}), "survey.figures.dpi"),
    (lambda s: s.update(claims={"supermask_keep": 0.3}), "survey.claims.supermask_keep"),
    (lambda s: s.update(figures={"size": 5}), "survey.figures"),
])
def test_a_config_mistake_is_a_config_error_naming_the_key(change, key):
    with pytest.raises(ConfigError) as info:
        SurveyPlan(changed(lambda c: change(c["survey"])), "res")
    assert info.value.key == key and str(info.value).startswith(key + ": ")


def test_a_two_input_experiment_is_refused():
    def change(c):
        c["experiments"]["x2_silu"]["task"] = "prod2"
    with pytest.raises(ConfigError) as info:
        SurveyPlan(changed(change), "res")
    assert info.value.key == "survey.experiment"


def test_a_section_that_is_not_a_mapping_is_refused():
    with pytest.raises(ConfigError) as info:
        SurveyPlan(changed(lambda c: c.update(survey=[1])), "res")
    assert info.value.key == "survey"


def test_the_trainings_are_counted_against_the_train_work_limit():
    def change(c):
        c["limits"] = {"max_train_work": 1e7}  # the lottery trainings of the test config (2.1e6) pass
        c["survey"]["edgepopup"] = {"keeps": [0.5] * 100}
    with pytest.raises(ConfigError) as info:
        SurveyPlan(changed(change), "res")
    # (2 + 4) x 101 + 4 x 1 x 1 neurons x 3 seeds x 300 steps x 50 points
    assert info.value.key == "survey" and "x 3 seeds x 300 steps x n_train 50 = 2.74e+07" in str(info.value)


def test_a_formula_task_in_the_lottery_experiment_is_read_as_the_lottery_study_reads_it():
    def change(c):
        c["experiments"]["x2_silu"]["task"] = {"expr": "x**2 + x"}
    assert SurveyPlan(changed(change), "res").on


def _fractions(n):
    return [(k + 1) / (n + 2) for k in range(n)]  # n distinct fractions in (0, 1), without 1/2 for n = 9


def _all_seeds(c, **survey):
    c["survey"].update(max_seeds=None, **survey)  # the 20 seeds of x2_silu in every survey job


@pytest.mark.parametrize("change, key, words", [
    # the linearised kernel keeps two (width x n_train) feature arrays; the lottery trainer does not
    (lambda c: c["training"].update(n_train=10**6), "survey.widths", "survey-linearised: 3 networks of width 2"),
    (lambda c: _all_seeds(c, edgepopup={"keeps": _fractions(400000)}), "survey.edgepopup",
     "survey-edgepopup: 20 networks x 400000 keeps of width 2"),
    (lambda c: _all_seeds(c, imp={"sparsities": _fractions(10000)}), "survey.imp",
     "survey-imp: 20 networks x 10000 sparsities x 3 rounds of width 4"),
    (lambda c: c["survey"].update(overlap={"null_draws": 10**9}), "survey.overlap",
     "survey-overlap: 3 networks x 1 keeps x 3 methods x 1000000000 null draws of width 4"),
    (lambda c: c["survey"].update(supermask={"keeps": [0.5] + _fractions(9), "random_draws": 1000}), "survey.supermask",
     "survey-supermask: 20 networks x 10 keeps x (1 + 1000 random draws)"),
])
def test_a_job_past_the_memory_bound_is_refused_naming_its_key(change, key, words):
    def edit(c):
        change(c)
        c["limits"] = {"max_job_memory": "300M", "max_train_work": 1e30, "max_analysis_work": 1e30}
    with pytest.raises(ConfigError) as info:
        SurveyPlan(changed(edit), "res")
    text = str(info.value)
    assert info.value.key == key and words in text and "more than 300 MB (limits.max_job_memory)" in text, text
    assert "\n" not in text
    SurveyPlan(changed(lambda c: (change(c), c.update(limits={"max_train_work": 1e30, "max_analysis_work": 1e30,
                                                              "max_job_memory": "1T"}))), "res")  # a larger bound runs it


def test_the_survey_config_fits_a_small_machine_and_its_linearised_evaluation_sets_the_need():
    config = load("config/survey.yaml")
    config["limits"] = {"max_job_memory": "2G"}
    assert SurveyPlan(config, "res").on  # N = 1000, 8 seeds: under 2 GB a job
    config["limits"] = {"max_job_memory": "500M"}  # the lottery trainings (~0.35 GB at N = 1000) fit
    with pytest.raises(ConfigError) as info:  # the linearised test-set evaluation: 8 arrays of 1000 x 10001 floats
        SurveyPlan(config, "res")
    assert info.value.key == "survey.widths" and "survey-linearised: 8 networks of width 1000" in str(info.value)


def test_training_jobs_ask_for_their_estimated_memory():
    """mem_mb of the survey's training rules: 2000 for small jobs (the old fixed value), the estimate
    above an interpreter allowance for large ones, and more on a retry."""
    from lottery_scaling import limits

    small = SurveyPlan(load("config/test.yaml"), "res")
    assert small.train_mem("edgepopup", small.settings["widths"][0]) == 2000
    assert small.train_mem("linearised", small.settings["widths"][0], attempt=2) == 4000
    config = load("config/survey.yaml")
    config["experiments"]["x2_silu"].update(widths=[10, 40, 100, 20000])
    config["survey"].update(widths=[10, 40, 100, 20000], manifold_widths=[], supermask_widths=[40])
    config["limits"] = {"max_job_memory": "100G", "max_train_work": 1e30}
    big = SurveyPlan(config, "res")
    e = big._lottery.experiments["x2_silu"]
    _, memory, _ = limits.survey_train_estimate("linearised", e.n_seeds, 20000, e.settings["n_train"],
                                                e.settings["n_test"], e.settings["steps"], big.threads)
    assert memory > 2**30  # the point of the test: a job well over the old fixed 2000 MB
    assert big.train_mem("linearised", 20000) == 1000 + -(-memory // 2**20)
    assert big.train_mem("imp", 40) == 2000
