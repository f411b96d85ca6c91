# Claims table (docs/lottery.md, Claims): the analysis stages judge the paper's claims; every stage that
# judges claims appends a CSV of claim rows to CLAIM_PARTS; `claims_table` concatenates them
# into {R}/claims.csv. Columns: see lottery_scaling/claims.py (claim, experiment, statistic,
# value, ci_low, ci_high, threshold, verdict, detail).
from lottery_scaling.studies.lottery.claims import DEFAULT_THRESHOLDS

# Each claim's settings from the config override its defaults key by key. Other keys of the
# `claims` section (e.g. the pair-and-disentangle thresholds) belong to other rule files.
_user_claims = config.get("claims") or {}
for _claim in DEFAULT_THRESHOLDS:
    _spec = _user_claims.get(_claim) or {}
    if not isinstance(_spec, dict):
        config_error(f"claims.{_claim}: must be a mapping of settings, got {_spec!r}")
    _unknown = sorted(set(_spec) - set(DEFAULT_THRESHOLDS[_claim]))
    if _unknown:
        config_error(f"claims.{_claim}: unknown key(s) {', '.join(_unknown)}; allowed: {', '.join(DEFAULT_THRESHOLDS[_claim])}")
CLAIMS = {name: {**spec, **(_user_claims.get(name) or {})} for name, spec in DEFAULT_THRESHOLDS.items()}
for _claim, _spec in CLAIMS.items():
    for _key in ("range", "early_range", "late_range"):
        if _key in _spec and _spec[_key] not in FIT_RANGES:
            config_error(
                f"claims.{_claim}.{_key}: '{_spec[_key]}' is not a width range of fit.ranges "
                f"(allowed: {', '.join(FIT_RANGES)})"
            )

CLAIM_IDS.extend(DEFAULT_THRESHOLDS)
ANALYSIS_CLAIMS = f"{R}/claims/analysis.csv"
CLAIM_PARTS.append(ANALYSIS_CLAIMS)


rule claims_analysis:
    conda:
        CONDA_ENV
    input:
        _claims_inputs,
    output:
        ANALYSIS_CLAIMS,
    log:
        f"{R}/logs/claims/analysis.log",
    params:
        experiments=" ".join(
            f"--experiment {name} {shlex.quote(e['task'])} {e['activation']} {shlex.quote(f'{R}/{name}')}" for name, e in sorted(EXPERIMENTS.items())
        ),
        thresholds=shlex.quote(json.dumps(CLAIMS, sort_keys=True)),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling claims {params.experiments} --thresholds {params.thresholds} --out {output:q} > {log:q} 2>&1"


# Appendix A (docs/lottery.md, Appendix A): three claims per judged experiment, only when the config has more
# than one target (so single-target configurations keep their claims table as it was).
APPENDIX_CLAIMS = f"{R}/claims/appendix.csv"
APPENDIX_TABLE = f"{R}/claims/appendix_table.csv"
if APPENDIX_ON:
    CLAIM_IDS.extend(APPENDIX_CLAIM_IDS)
    CLAIM_PARTS.append(APPENDIX_CLAIMS)
    FINAL_OUTPUTS.append(APPENDIX_TABLE)  # a target of its own: results made before the table existed get it too


rule appendix_claims:
    conda:
        CONDA_ENV
    input:
        lambda wc: [
            p for n in APPENDIX_EXPERIMENTS for p in (histogram_table(n), fit_table(n, "exponents"), fit_table(n, "slopes"), fit_table(n, "medians"))
        ],
    output:
        claims=report(APPENDIX_CLAIMS, caption="../../report/lottery/appendix_claims.rst", category="Appendix", subcategory="Claims"),
        table=report(APPENDIX_TABLE, caption="../../report/lottery/appendix_table.rst", category="Appendix", subcategory="Claims"),
    log:
        f"{R}/logs/claims/appendix.log",
    params:
        experiments=" ".join(
            f"--experiment {n} {shlex.quote(EXPERIMENTS[n]['task'])} {EXPERIMENTS[n]['activation']} {shlex.quote(f'{R}/{n}')}" for n in APPENDIX_EXPERIMENTS
        ),
        settings=shlex.quote(json.dumps(APPENDIX.as_dict(), sort_keys=True)),
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "lottery-scaling appendix-claims {params.experiments} --settings {params.settings} --out {output.claims:q} "
        "--out-table {output.table:q} > {log:q} 2>&1"
