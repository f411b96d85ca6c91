# Claims table (docs/lottery.md, Claims): the analysis stages judge the paper's claims; the plan
# lists each stage's CSV of claim rows (LOTTERY.claim_parts(), added to CLAIM_PARTS in common.smk)
# and the thresholds (LOTTERY.claims); `claims_table` concatenates the parts into {R}/claims.csv.
# Columns: see lottery_scaling/claims.py (claim, experiment, statistic, value, ci_low, ci_high,
# threshold, verdict, detail).


rule claims:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.claims_inputs(),
    output:
        LOTTERY.analysis_claims,
    log:
        f"{R}/logs/claims/analysis.log",
    params:
        experiments=LOTTERY.claims_experiment_options(),
        thresholds=LOTTERY.claims_thresholds_option(),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling claims {params.experiments} --thresholds {params.thresholds} --out {output:q} > {log:q} 2>&1"


# Appendix A (docs/lottery.md, Appendix A): three claims per judged experiment, only when the config has more
# than one target (so single-target configurations keep their claims table as it was).


rule appendix_claims:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.appendix_inputs(),
    output:
        claims=report(LOTTERY.appendix_claims, caption="../../report/lottery/appendix_claims.rst", category="Appendix", subcategory="Claims"),
        table=report(LOTTERY.appendix_table, caption="../../report/lottery/appendix_table.rst", category="Appendix", subcategory="Claims"),
    log:
        f"{R}/logs/claims/appendix.log",
    params:
        experiments=LOTTERY.claims_experiment_options(LOTTERY.appendix_experiments),
        settings=LOTTERY.appendix_settings_option(),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling appendix-claims {params.experiments} --settings {params.settings} --out {output.claims:q} "
        "--out-table {output.table:q} > {log:q} 2>&1"
