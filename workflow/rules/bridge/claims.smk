# Bridge study, claims rows bridge_* (thresholds: config bridge.claims, lottery_scaling.studies.bridge.claims).


localrules:
    bridge_claims,


rule bridge_claims:
    conda:
        CONDA_ENV
    input:
        alignment=BRIDGE.table("alignment/networks"),
        rewind=BRIDGE.all_rewind_tables(),
        basin=BRIDGE.basin,
    output:
        BRIDGE.table("claims"),
    log:
        f"{R}/logs/bridge/claims.log",
    params:
        settings=BRIDGE.claims_option(),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling bridge-claims --alignment {input.alignment:q} --rewind {input.rewind:q} --basin {input.basin:q} "
        "--settings {params.settings} --out {output:q} > {log:q} 2>&1"
