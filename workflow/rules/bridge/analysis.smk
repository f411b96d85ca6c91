# Bridge study, analysis: alignment at init, emergence over training (snapshots), rewinding test.


localrules:
    bridge_ticket_basin,


rule bridge_alignment:
    conda:
        CONDA_ENV
    input:
        BRIDGE.all_networks(),
    output:
        neurons=BRIDGE.table("alignment/neurons"),
        networks=BRIDGE.table("alignment/networks"),
    log:
        f"{R}/logs/bridge/alignment.log",
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling bridge-alignment {input:q} --out-neurons {output.neurons:q} --out-networks {output.networks:q} > {log:q} 2>&1"


rule bridge_emergence:
    conda:
        CONDA_ENV
    input:
        BRIDGE.all_networks(),
    output:
        BRIDGE.table("emergence"),
    log:
        f"{R}/logs/bridge/emergence.log",
    params:
        options=BRIDGE.emergence_options(),
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling bridge-emergence {input:q} {params.options} --out {output:q} > {log:q} 2>&1"


rule bridge_rewind:
    conda:
        CONDA_ENV
    input:
        networks=lambda wc: BRIDGE.networks(wc.run, wc.width),
        width2=lambda wc: BRIDGE.networks(wc.run, 2),
    output:
        BRIDGE.rewind_table("{run}", "{width}"),
    log:
        f"{R}/logs/bridge/rewind/{{run}}/N{{width}}.log",
    params:
        prune=BRIDGE.prune_option(),
        core=BRIDGE.core_hash,  # it trains
    threads: BRIDGE.threads
    resources:
        runtime=60,
        mem_mb=2000,
    shell:
        "lottery-scaling bridge-rewind --networks {input.networks:q} --width2 {input.width2:q} --prune-k {params.prune} "
        "--threads {threads} --out {output:q} > {log:q} 2>&1"


rule bridge_ticket_basin:
    conda:
        CONDA_ENV
    input:
        lambda wc: BRIDGE.networks(BRIDGE.reference_run, 2),
    output:
        BRIDGE.basin,
    log:
        f"{R}/logs/bridge/ticket_basin.log",
    params:
        mode_bootstrap=BRIDGE.settings["mode_bootstrap"],
    resources:
        runtime=10,
        mem_mb=1000,
    shell:
        "lottery-scaling bridge-ticket-basin --width2 {input:q} --mode-bootstrap {params.mode_bootstrap:q} --out {output:q} > {log:q} 2>&1"
