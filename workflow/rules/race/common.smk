# The race study's plan (src/lottery_scaling/studies/race/plan.py; docs/race.md): experiments of
# the config section `race`, the settings each one trains, run names, limits, the paths of every
# output and the option strings of the commands.
from lottery_scaling.studies.race.plan import FIGURE_KINDS as RACE_FIGURE_KINDS, RacePlan
from lottery_scaling.studies.race.runs import RUN_NAME_PATTERN as RACE_RUN_PATTERN

RACE = build(RacePlan, LIMITS)
FINAL_OUTPUTS += RACE.final_outputs()
CLAIM_IDS += RACE.claim_ids()
CLAIM_PARTS += RACE.claim_parts()
_RACE_EXP_RE = RACE.experiment_pattern()


wildcard_constraints:
    race_run=RACE_RUN_PATTERN,
