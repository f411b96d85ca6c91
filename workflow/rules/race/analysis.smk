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
        _race_all_files,
    output:
        summary=race_table("{experiment}", "alignment"),
        curve=race_table("{experiment}", "angle_curve"),
    log:
        f"{R}/logs/race/{{experiment}}/alignment.log",
    params:
        analysis=RACE_ANALYSIS_VERSION,
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
        _race_all_files,
    output:
        counts=race_table("{experiment}", "clusters"),
        merge=report(race_table("{experiment}", "merge"), caption="../../report/race/merge.rst",
                     category="Race", subcategory="{experiment}"),
    log:
        f"{R}/logs/race/{{experiment}}/clusters.log",
    params:
        thresholds=RACE_THRESHOLDS,
        analysis=RACE_ANALYSIS_VERSION,
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
        _race_main_input,
    output:
        summary=race_table("{experiment}", "imp"),
        neurons=race_table("{experiment}", "imp_neurons"),
    log:
        f"{R}/logs/race/{{experiment}}/imp.log",
    params:
        runs=RACE_IMP["runs"],
        rounds=RACE_IMP["rounds"],
        sparsities=RACE_SPARSITIES,
        core=RACE_CORE_HASH,  # IMP retrains networks
        analysis=RACE_ANALYSIS_VERSION,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    threads: RACE_THREADS
    resources:
        runtime=_race_imp_runtime,
        mem_mb=4000,
    shell:
        "lottery-scaling race-imp --runs {input:q} --imp-runs {params.runs:q} --rounds {params.rounds:q} "
        "--sparsities {params.sparsities} --threads {threads} "
        "--out-summary {output.summary:q} --out-neurons {output.neurons:q} > {log:q} 2>&1"


rule race_cells:
    conda:
        CONDA_ENV
    input:
        _race_cells_input,
    output:
        race_table("{experiment}", "cells"),
    log:
        f"{R}/logs/race/{{experiment}}/cells.log",
    params:
        options=cli_options(RACE_CELLS),
        analysis=RACE_ANALYSIS_VERSION,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=30,
        mem_mb=4000,
    shell:
        "lottery-scaling race-cells --data {input:q} {params.options} --out {output:q} > {log:q} 2>&1"


for _name in RACE_EXPERIMENTS:
    FINAL_OUTPUTS.extend(race_table(_name, t) for t in ("alignment", "angle_curve", "clusters", "merge", "imp", "imp_neurons", "cells"))
