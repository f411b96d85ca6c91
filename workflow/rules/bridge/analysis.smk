# Bridge study, analysis: alignment at init, emergence over training (snapshots), rewinding test.


localrules:
    bridge_ticket_basin,


rule bridge_alignment:
    conda:
        CONDA_ENV
    input:
        bridge_all_networks(),
    output:
        neurons=f"{BRIDGE_DIR}/alignment/neurons.csv",
        networks=f"{BRIDGE_DIR}/alignment/networks.csv",
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
        bridge_all_networks(),
    output:
        f"{BRIDGE_DIR}/emergence.csv",
    log:
        f"{R}/logs/bridge/emergence.log",
    params:
        options=BRIDGE_EMERGENCE,
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling bridge-emergence {input:q} {params.options} --out {output:q} > {log:q} 2>&1"


rule bridge_rewind:
    conda:
        CONDA_ENV
    input:
        networks=lambda wc: bridge_networks(wc.run, wc.width),
        width2=lambda wc: bridge_networks(wc.run, 2),
    output:
        f"{BRIDGE_DIR}/rewind/{{run}}/N{{width}}.csv",
    log:
        f"{R}/logs/bridge/rewind/{{run}}/N{{width}}.log",
    params:
        prune=BRIDGE_PRUNE,
        core=BRIDGE_CORE_HASH,  # it trains
    threads: BRIDGE_THREADS
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
        lambda wc: bridge_networks(BRIDGE_REFERENCE_RUN, 2),
    output:
        BRIDGE_BASIN,
    log:
        f"{R}/logs/bridge/ticket_basin.log",
    params:
        mode_bootstrap=BRIDGE["mode_bootstrap"],
    resources:
        runtime=10,
        mem_mb=1000,
    shell:
        "lottery-scaling bridge-ticket-basin --width2 {input:q} --mode-bootstrap {params.mode_bootstrap:q} --out {output:q} > {log:q} 2>&1"
