# lottery-scaling: one pipeline, one folder of rules per study (docs/development.md, Layout).
# Lottery study: train-per-width -> histogram -> pair-and-disentangle -> synergy -> fit, plus
# figures; every study adds rows to one claims table; one HTML report (snakemake --report).
from snakemake.utils import min_version

min_version("8.20")


# A --configfile on the command line replaces config.yaml instead of being merged into it,
# so its experiments are exactly the ones that run (--config KEY=VALUE still overrides).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"




include: "workflow/rules/common.smk"
include: "workflow/rules/lottery/common.smk"
include: "workflow/rules/lottery/train.smk"
include: "workflow/rules/lottery/histogram.smk"
include: "workflow/rules/lottery/synergy.smk"
include: "workflow/rules/lottery/fit.smk"
include: "workflow/rules/lottery/claims.smk"
include: "workflow/rules/lottery/figures.smk"
include: "workflow/rules/lottery/pairs.smk"
include: "workflow/rules/bridge/common.smk"
include: "workflow/rules/bridge/train.smk"
include: "workflow/rules/bridge/analysis.smk"
include: "workflow/rules/bridge/claims.smk"
include: "workflow/rules/bridge/figures.smk"
# Race study ("It's Not a Lottery, It's a Race"; config section `race`)
include: "workflow/rules/race/common.smk"
include: "workflow/rules/race/data.smk"
include: "workflow/rules/race/train.smk"
include: "workflow/rules/race/analysis.smk"
include: "workflow/rules/race/figures.smk"
include: "workflow/rules/race/claims.smk"
# Survey study (issue 22; config section `survey`): supermasks, strong tickets, IMP, linearised networks on the lottery networks
include: "workflow/rules/survey/common.smk"
include: "workflow/rules/survey/analysis.smk"
include: "workflow/rules/survey/claims.smk"
include: "workflow/rules/survey/figures.smk"
include: "workflow/rules/claims.smk"

# Job records made before the rules quoted their paths stay valid (src/lottery_scaling/snakemake_records.py).
upgrade_job_records()


localrules:
    all,


# On SLURM (profiles/slurm): report cancelled/preempted jobs as failures and refuse jobs
# larger than a node before submission (docs/slurm.md; src/lottery_scaling/slurm.py). A no-op
# for every other executor.
onstart:
    from lottery_scaling.slurm import on_start

    on_start(workflow)


rule all:
    input:
        all_outputs(),
    default_target: True
