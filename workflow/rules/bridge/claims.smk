# Bridge study, claims rows bridge_* (thresholds: config bridge.claims, lottery_scaling.studies.bridge.claims).


localrules:
    bridge_claims,


rule bridge_claims:
    conda:
        CONDA_ENV
    input:
        alignment=f"{BRIDGE_DIR}/alignment/networks.csv",
        rewind=bridge_all_rewind_tables(),
        basin=BRIDGE_BASIN,
    output:
        f"{BRIDGE_DIR}/claims.csv",
    log:
        f"{R}/logs/bridge/claims.log",
    params:
        settings=BRIDGE_CLAIMS_JSON,
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling bridge-claims --alignment {input.alignment:q} --rewind {input.rewind:q} --basin {input.basin:q} "
        "--settings {params.settings} --out {output:q} > {log:q} 2>&1"


if BRIDGE_ON:
    CLAIM_PARTS.append(f"{BRIDGE_DIR}/claims.csv")
    CLAIM_IDS.extend(BRIDGE_CLAIM_IDS)
