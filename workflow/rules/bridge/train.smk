# Bridge study, training: the lottery trainer at each configured init scale, with parameter snapshots;
# one job per (run, width). Width 2 is the reference population of the rewinding test.


rule bridge_train:
    conda:
        CONDA_ENV
    output:
        f"{BRIDGE_DIR}/train/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.h5",
    log:
        f"{R}/logs/bridge/train/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.log",
    params:
        settings=lambda wc: bridge_train_args(wc.run),
        seeds=bridge_seeds,
        core=BRIDGE_CORE_HASH,  # a change of the trainer's numerics retrains
    threads: BRIDGE_THREADS
    resources:
        runtime=60,
        mem_mb=2000,
    shell:
        "lottery-scaling train {params.settings} --width {wildcards.width:q} --seeds {params.seeds:q} "
        "--threads {threads} --label bridge/{wildcards.run:q}/N={wildcards.width:q} --out {output:q} > {log:q} 2>&1"
