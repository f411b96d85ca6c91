# Survey study, analyses of the lottery study's trained networks: Zhou et al.'s supermasks, edge-popup
# strong tickets, IMP with rewinding, their overlap, the linearised network and the attractor manifold.


rule survey_supermask:
    conda:
        CONDA_ENV
    input:
        lambda wc: SURVEY.networks(LOTTERY, wc.width),
    output:
        SURVEY.table("supermask/N{width}"),
    log:
        SURVEY.log("supermask/N{width}"),
    params:
        options=SURVEY.supermask_options(),
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling survey-supermask --networks {input:q} {params.options} --out {output:q} > {log:q} 2>&1"


rule survey_edgepopup:
    conda:
        CONDA_ENV
    input:
        lambda wc: SURVEY.networks(LOTTERY, wc.width),
    output:
        masks=SURVEY.masks("edgepopup", "{width}"),
        table=SURVEY.table("edgepopup/N{width}"),
    log:
        SURVEY.log("edgepopup/N{width}"),
    params:
        options=SURVEY.edgepopup_options(),
        core=LOTTERY.core_hash,  # it trains with the lottery kernels
    threads: SURVEY.threads
    resources:
        runtime=120,
        mem_mb=lambda wc, attempt: SURVEY.train_mem("edgepopup", wc.width, attempt),
    shell:
        "lottery-scaling survey-edgepopup --networks {input:q} {params.options} --threads {threads} "
        "--out {output.masks:q} --out-table {output.table:q} > {log:q} 2>&1"


rule survey_imp:
    conda:
        CONDA_ENV
    input:
        lambda wc: SURVEY.networks(LOTTERY, wc.width),
    output:
        masks=SURVEY.masks("imp", "{width}"),
        table=SURVEY.table("imp/N{width}"),
    log:
        SURVEY.log("imp/N{width}"),
    params:
        options=SURVEY.imp_options(),
        core=LOTTERY.core_hash,
    threads: SURVEY.threads
    resources:
        runtime=120,
        mem_mb=lambda wc, attempt: SURVEY.train_mem("imp", wc.width, attempt),
    shell:
        "lottery-scaling survey-imp --networks {input:q} {params.options} --threads {threads} "
        "--out {output.masks:q} --out-table {output.table:q} > {log:q} 2>&1"


rule survey_overlap:
    conda:
        CONDA_ENV
    input:
        networks=lambda wc: SURVEY.networks(LOTTERY, wc.width),
        imp=SURVEY.masks("imp", "{width}"),
        edgepopup=SURVEY.masks("edgepopup", "{width}"),
    output:
        overlap=SURVEY.table("overlap/N{width}"),
        pairs=SURVEY.table("pairs/N{width}"),
    log:
        SURVEY.log("overlap/N{width}"),
    params:
        options=SURVEY.overlap_options(),
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling survey-overlap --networks {input.networks:q} --masks {input.imp:q} {input.edgepopup:q} "
        "{params.options} --out-overlap {output.overlap:q} --out-pairs {output.pairs:q} > {log:q} 2>&1"


rule survey_linearised:
    conda:
        CONDA_ENV
    input:
        lambda wc: SURVEY.networks(LOTTERY, wc.width),
    output:
        SURVEY.table("linearised/N{width}"),
    log:
        SURVEY.log("linearised/N{width}"),
    params:
        options=SURVEY.linearised_options(),
        core=LOTTERY.core_hash,
    threads: SURVEY.threads
    resources:
        runtime=120,
        mem_mb=lambda wc, attempt: SURVEY.train_mem("linearised", wc.width, attempt),
    shell:
        "lottery-scaling survey-linearised --networks {input:q} {params.options} --threads {threads} "
        "--out {output:q} > {log:q} 2>&1"


rule survey_manifold:
    conda:
        CONDA_ENV
    input:
        [SURVEY.networks(LOTTERY, w) for w in SURVEY.settings["manifold_widths"]],
    output:
        SURVEY.table("manifold"),
    log:
        SURVEY.log("manifold"),
    params:
        options=SURVEY.manifold_options(),
    resources:
        runtime=30,
        mem_mb=2000,
    shell:
        "lottery-scaling survey-manifold {input:q} {params.options} --out {output:q} > {log:q} 2>&1"
