# Race study, claims rows of each experiment (SPEC section 6), appended to the shared claims table.


localrules:
    race_claims,


rule race_claims:
    conda:
        CONDA_ENV
    input:
        alignment=race_table("{experiment}", "alignment"),
        counts=race_table("{experiment}", "clusters"),
        merge=race_table("{experiment}", "merge"),
        imp=race_table("{experiment}", "imp"),
        cells=race_table("{experiment}", "cells"),
    output:
        race_table("{experiment}", "claims"),
    log:
        f"{R}/logs/race/{{experiment}}/claims.log",
    params:
        main=lambda wc: race_main_option(wc.experiment),
        thresholds=RACE_CLAIM_JSON,
        analysis=RACE_ANALYSIS_VERSION,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling race-claims --experiment {wildcards.experiment:q} --main {params.main} "
        "--alignment {input.alignment:q} --counts {input.counts:q} --merge {input.merge:q} --imp {input.imp:q} "
        "--cells {input.cells:q} --thresholds {params.thresholds} --out {output:q} > {log:q} 2>&1"


if RACE_EXPERIMENTS:
    CLAIM_IDS.extend(RACE_CLAIM_IDS)
CLAIM_PARTS.extend(race_table(_name, "claims") for _name in RACE_EXPERIMENTS)
