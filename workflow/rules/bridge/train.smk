# Bridge study, training: the lottery trainer at each configured init scale, with parameter snapshots;
# one job per (run, width). Width 2 is the reference population of the rewinding test.


rule train_bridge:
    conda:
        CONDA_ENV
    output:
        BRIDGE.train_pattern("{run}", "{width}", "{lo}", "{hi}"),
    log:
        f"{R}/logs/bridge/train/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.log",
    params:
        settings=lambda wc: BRIDGE.train_args(wc.run),
        seeds=lambda wc: BRIDGE.seeds_option(wc.lo, wc.hi),
        core=BRIDGE.core_hash,  # a change of the trainer's numerics retrains
    threads: BRIDGE.threads
    resources:
        runtime=60,
        mem_mb=2000,
    shell:
        "lottery-scaling train {params.settings} --width {wildcards.width:q} --seeds {params.seeds:q} "
        "--threads {threads} --label bridge/{wildcards.run:q}/N={wildcards.width:q} --out {output:q} > {log:q} 2>&1"
