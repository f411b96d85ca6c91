# The claims table of every study: each study's common.smk appends its plan's CSV parts of claim
# rows to CLAIM_PARTS and the claim ids it judges to CLAIM_IDS; this rule concatenates the parts into
# {R}/claims.csv and adds a "not tested" row for any listed claim no part judged.
CLAIMS_TABLE = f"{R}/claims.csv"


localrules:
    claims_table,


rule claims_table:
    conda:
        CONDA_ENV
    input:
        lambda wildcards: CLAIM_PARTS,
    output:
        report(CLAIMS_TABLE, caption="../report/claims.rst", category="Claims"),
    log:
        f"{R}/logs/claims/table.log",
    params:
        expect=lambda wildcards: " ".join(CLAIM_IDS),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling claims-table {input:q} --expect {params.expect} --out {output:q} > {log:q} 2>&1"


FINAL_OUTPUTS.append(CLAIMS_TABLE)
