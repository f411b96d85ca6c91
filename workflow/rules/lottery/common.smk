# The lottery study's plan (src/lottery_scaling/studies/lottery/plan.py): experiments and their
# runs, seed chunks, settings, limits and the paths of every stage's outputs. Rule files of the
# study call LOTTERY's methods; nothing here but building it and Snakemake's wildcard constraints.
from lottery_scaling.studies.lottery.expressions import SLUG_PATTERN
from lottery_scaling.studies.lottery.plan import LotteryPlan
from lottery_scaling.studies.lottery.runs import RUN_NAME_PATTERN

LOTTERY = build(LotteryPlan, LIMITS)
EXPERIMENTS = LOTTERY.experiments
FINAL_OUTPUTS += LOTTERY.final_outputs()
CLAIM_IDS += LOTTERY.claim_ids()
CLAIM_PARTS += LOTTERY.claim_parts()


def _fig_rule_outputs(name, caption):
    """PNG (in the report) and PDF outputs of a pair-and-disentangle figure, for pairs.smk."""
    return {
        "png": report(LOTTERY.pair_fig("{experiment}", name) + ".png", caption=f"../../report/lottery/{caption}",
                      category="Pair and disentangle", subcategory="{experiment}"),
        "pdf": LOTTERY.pair_fig("{experiment}", name) + ".pdf",
    }


wildcard_constraints:
    run=RUN_NAME_PATTERN,
    width="[0-9]+",
    lo="[0-9]+",
    hi="[0-9]+",
    experiment="[A-Za-z][A-Za-z0-9_]*",
    task=SLUG_PATTERN,
