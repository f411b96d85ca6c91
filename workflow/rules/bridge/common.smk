# The bridge study's plan (src/lottery_scaling/studies/bridge/plan.py; docs/bridge.md): its runs
# (the lottery trainer with init_scale and snapshots), settings, limits and the paths of its
# outputs. Without a `bridge:` section nothing is added.
from lottery_scaling.studies.bridge.plan import BridgePlan

BRIDGE = build(BridgePlan, LIMITS)
FINAL_OUTPUTS += BRIDGE.final_outputs()
CLAIM_PARTS += BRIDGE.claim_parts()
CLAIM_IDS += BRIDGE.claim_ids()
