# The survey study's plan (src/lottery_scaling/studies/survey/plan.py; docs/survey.md): the lottery
# networks it reads, its settings and the paths of its outputs. Without a `survey:` section nothing is added.
from lottery_scaling.studies.survey.plan import SurveyPlan

SURVEY = build(SurveyPlan, LIMITS, LOTTERY)
FINAL_OUTPUTS += SURVEY.final_outputs()
CLAIM_PARTS += SURVEY.claim_parts()
CLAIM_IDS += SURVEY.claim_ids()
