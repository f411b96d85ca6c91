# lottery-scaling: train-per-width -> histogram -> pair-and-disentangle -> synergy -> fit,
# plus figures, a claims table and a report. See README.md.
from snakemake.utils import min_version

min_version("8.20")


# A --configfile on the command line replaces config.yaml instead of being merged into it,
# so its experiments are exactly the ones that run (--config KEY=VALUE still overrides).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/histogram.smk"
include: "workflow/rules/synergy.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/pairs.smk"


# Cheap bookkeeping and plotting: on a cluster these run where Snakemake runs, not as jobs.
localrules:
    all,
    merge_width,
    histogram_table,
    claims_analysis,
    claims_table,
    figure_scaling,
    figure_slopes,
    figure_histograms,
    figure_modes,
    figure_synergy,
    pairs_skipped_note,
    fig_pairs_neurons,
    fig_pairs_tickets,
    fig_pairs_width2,
    fig_pairs_distill,


# On SLURM (profiles/slurm): report cancelled/preempted jobs as failures and refuse jobs
# larger than a node before submission (issue 12; src/lottery_scaling/slurm.py). A no-op
# for every other executor.
onstart:
    from lottery_scaling.slurm import on_start

    on_start(workflow)


rule all:
    input:
        all_outputs(),
    default_target: True
