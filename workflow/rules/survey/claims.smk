# Survey study, claims rows survey_* (thresholds: config survey.claims, lottery_scaling.studies.survey.claims).


localrules:
    survey_claims,


rule survey_claims:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: SURVEY.claim_inputs()),
    output:
        SURVEY.table("claims"),
    log:
        SURVEY.log("claims"),
    params:
        files=lambda wc: SURVEY.table_options(SURVEY.claim_inputs()),
        settings=SURVEY.claims_option(),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling survey-claims {params.files} --settings {params.settings} --out {output:q} > {log:q} 2>&1"
