# Race study, claims rows of each experiment (docs/race.md, Claims), appended to the shared claims table.


localrules:
    race_claims,


rule race_claims:
    conda:
        CONDA_ENV
    input:
        alignment=RACE.table("{experiment}", "alignment"),
        counts=RACE.table("{experiment}", "clusters"),
        merge=RACE.table("{experiment}", "merge"),
        imp=RACE.table("{experiment}", "imp"),
        cells=RACE.table("{experiment}", "cells"),
    output:
        RACE.table("{experiment}", "claims"),
    log:
        f"{R}/logs/race/{{experiment}}/claims.log",
    params:
        main=lambda wc: RACE.main_option(wc.experiment),
        thresholds=RACE.claims_option(),
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling race-claims --experiment {wildcards.experiment:q} --main {params.main} "
        "--alignment {input.alignment:q} --counts {input.counts:q} --merge {input.merge:q} --imp {input.imp:q} "
        "--cells {input.cells:q} --thresholds {params.thresholds} --out {output:q} > {log:q} 2>&1"
