# Race study, analyses of each experiment: norm vs alignment and clusters and merging (every
# setting: the larger inits are the claims' nulls), IMP with rewinding (main setting), stable
# cells (every n of the experiment, with shuffled labels as the null).


localrules:
    race_alignment,
    race_clusters,


rule race_alignment:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.all_files(wc.experiment),
    output:
        summary=RACE.table("{experiment}", "alignment"),
        curve=RACE.table("{experiment}", "angle_curve"),
    log:
        f"{R}/logs/race/{{experiment}}/alignment.log",
    params:
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling race-alignment --runs {input:q} --out-summary {output.summary:q} --out-curve {output.curve:q} > {log:q} 2>&1"


rule race_clusters:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.all_files(wc.experiment),
    output:
        counts=RACE.table("{experiment}", "clusters"),
        merge=report(RACE.table("{experiment}", "merge"), caption="../../report/race/merge.rst",
                     category="Race", subcategory="{experiment}"),
    log:
        f"{R}/logs/race/{{experiment}}/clusters.log",
    params:
        thresholds=RACE.thresholds_option(),
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=10,
        mem_mb=4000,
    shell:
        "lottery-scaling race-clusters --runs {input:q} --thresholds {params.thresholds} "
        "--out-counts {output.counts:q} --out-merge {output.merge:q} > {log:q} 2>&1"


rule race_imp:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.main_file(wc.experiment),
    output:
        summary=RACE.table("{experiment}", "imp"),
        neurons=RACE.table("{experiment}", "imp_neurons"),
    log:
        f"{R}/logs/race/{{experiment}}/imp.log",
    params:
        runs=RACE.imp["runs"],
        rounds=RACE.imp["rounds"],
        sparsities=RACE.sparsities_option(),
        core=RACE.core_hash,  # IMP retrains networks
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    threads: RACE.threads
    resources:
        runtime=lambda wc, threads: RACE.imp_runtime(wc.experiment, threads),
        mem_mb=4000,
    shell:
        "lottery-scaling race-imp --runs {input:q} --imp-runs {params.runs:q} --rounds {params.rounds:q} "
        "--sparsities {params.sparsities} --threads {threads} "
        "--out-summary {output.summary:q} --out-neurons {output.neurons:q} > {log:q} 2>&1"


rule race_cells:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.cells_input(wc.experiment),
    output:
        RACE.table("{experiment}", "cells"),
    log:
        f"{R}/logs/race/{{experiment}}/cells.log",
    params:
        options=RACE.cells_options(),
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=30,
        mem_mb=4000,
    shell:
        "lottery-scaling race-cells --data {input:q} {params.options} --out {output:q} > {log:q} 2>&1"
