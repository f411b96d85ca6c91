# Lottery study, stage 3, pair-and-disentangle (docs/lottery.md, Stages and outputs; paper section 3, appendices B-D).
# Runs for experiments with d = 1 tasks only: symmetric neurons are pairs (w, b) ~ (-w, b) of
# scalar-input neurons. For d > 1 experiments a note file says the stage was skipped.
# Outputs: {R}/{experiment}/pairs/...  Figures: {R}/figures/{experiment}_pairs_*.{png,pdf}
# Defaults: lottery_scaling/studies/lottery/pairs/settings.py (config section `pairs`, and the
# stage's two claims under `claims`).


localrules:
    pairs_skipped_note,
    figure_pairs_neurons,
    figure_pairs_tickets,
    figure_pairs_width2,
    figure_pairs_distill,


CLAIM_IDS.extend(["width2_tickets_symmetric", "wide_symmetric_neurons"])


rule pairs_width:
    conda:
        CONDA_ENV
    input:
        lambda wc: merged_file(wc.experiment, int(wc.width)),
    output:
        tickets=f"{R}/{{experiment}}/pairs/N{{width}}_tickets.csv",
        networks=f"{R}/{{experiment}}/pairs/N{{width}}_networks.csv",
    log:
        f"{R}/logs/pairs/{{experiment}}/N{{width}}_pairs.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
        width="[0-9]+",
    params:
        opts=" ".join([_W_SCALE, _opt("--dead-tol", PAIRS["dead_tol"]),
                       _opt("--symmetric-threshold", PAIRS["symmetric_threshold"]),
                       _opt("--variance", PAIRS["variance"])]),
    resources:
        runtime=30,
        mem_mb=4000,
    shell:
        "lottery-scaling pairs {input:q} --out-tickets {output.tickets:q} --out-networks {output.networks:q} "
        "{params.opts} > {log:q} 2>&1"


rule width2_algorithms:
    conda:
        CONDA_ENV
    input:
        lambda wc: merged_file(wc.experiment, 2),
    output:
        networks=f"{R}/{{experiment}}/pairs/width2_networks.csv",
        clusters=f"{R}/{{experiment}}/pairs/width2_clusters.csv",
        bic=f"{R}/{{experiment}}/pairs/width2_bic.csv",
    log:
        f"{R}/logs/pairs/{{experiment}}/width2_algorithms.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        opts=" ".join([_W_SCALE, _opt("--max-clusters", PAIRS["max_clusters"]),
                       _opt("--symmetric-threshold", PAIRS["symmetric_threshold"]),
                       _opt("--align-iterations", PAIRS["align_iterations"]),
                       _opt("--random-state", PAIRS["random_state"])]),
    resources:
        runtime=60,
        mem_mb=4000,
    shell:
        "lottery-scaling width2 {input:q} --out-networks {output.networks:q} --out-clusters {output.clusters:q} "
        "--out-bic {output.bic:q} {params.opts} > {log:q} 2>&1"


rule distill:
    conda:
        CONDA_ENV
    input:
        lambda wc: merged_file(wc.experiment, _widest(wc.experiment)),
    output:
        f"{R}/{{experiment}}/pairs/distilled.csv",
    log:
        f"{R}/logs/pairs/{{experiment}}/distill.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        opts=_W_SCALE,
    resources:
        runtime=30,
        mem_mb=4000,
    shell:
        "lottery-scaling distill {input:q} --out {output:q} {params.opts} > {log:q} 2>&1"


rule pair_claims:
    conda:
        CONDA_ENV
    input:
        unpack(_pair_claim_inputs),
    output:
        f"{R}/{{experiment}}/pairs/claims.csv",
    log:
        f"{R}/logs/pairs/{{experiment}}/claims.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        activation=lambda wc: EXPERIMENTS[wc.experiment]["activation"],
        rows=lambda wc: " ".join(_pair_claim_rows(wc.experiment)),
        files=_pair_claim_opts,
        opts=" ".join([
            _opt("--ticket-min-share", _CLAIM_TICKETS["min_share"]),
            _opt("--wide-max-ratio", _CLAIM_WIDE["max_ratio"]),
            _opt("--wide-min-width", _CLAIM_WIDE["min_width"]),
            _opt("--n-boot", _CLAIM_WIDE["bootstrap"]),
            _opt("--random-state", _CLAIM_WIDE["seed"]),
        ]),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling pair-claims --experiment {wildcards.experiment:q} --activation {params.activation:q} "
        "--rows {params.rows} "
        "{params.files} {params.opts} --out {output:q} > {log:q} 2>&1"


rule pairs_skipped_note:
    conda:
        CONDA_ENV
    output:
        f"{R}/{{experiment}}/pairs/SKIPPED.txt",
    log:
        f"{R}/logs/pairs/{{experiment}}/skipped.log",
    wildcard_constraints:
        experiment="|".join(PAIR_SKIPPED) or "(?!x)x",
    params:
        # inside the command's single quotes: a quote in the text is closed, escaped and reopened
        task=lambda wc: EXPERIMENTS[wc.experiment]["task"].replace("'", "'\\''"),
    shell:
        "echo 'pair-and-disentangle skipped: task {params.task} has input dimension d > 1; symmetric "
        "neurons (w, b) ~ (-w, b) are defined for d = 1 only' > {output:q} 2> {log:q}"


# ---- figures (figure-only settings are params here, never of the compute rules) ----

rule figure_pairs_neurons:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: merged_file(wc.experiment, _widest(wc.experiment)),
        tickets=lambda wc: f"{pairs_dir(wc.experiment)}/N{_widest(wc.experiment)}_tickets.csv",
    output:
        **_fig_rule_outputs("fig2a_neurons", "pairs_fig2a_neurons.rst"),
    log:
        f"{R}/logs/figures/{{experiment}}_pairs_fig2a_neurons.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        dpi=_FIG_DPI,
    shell:
        "lottery-scaling plot-pairs neurons --subject {wildcards.experiment:q} --h5 {input.h5:q} --tickets {input.tickets:q} "
        "--out {output.png:q} {output.pdf:q} --dpi {params.dpi:q} > {log:q} 2>&1"


rule figure_pairs_tickets:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: [merged_file(wc.experiment, w) for w in _ticket_fig_widths(wc.experiment)],
        tickets=lambda wc: [f"{pairs_dir(wc.experiment)}/N{w}_tickets.csv" for w in _ticket_fig_widths(wc.experiment)],
    output:
        **_fig_rule_outputs("fig12_tickets", "pairs_fig12_tickets.rst"),
    log:
        f"{R}/logs/figures/{{experiment}}_pairs_fig12_tickets.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        dpi=_FIG_DPI,
    shell:
        "lottery-scaling plot-pairs tickets --subject {wildcards.experiment:q} --h5 {input.h5:q} --tickets {input.tickets:q} "
        "--out {output.png:q} {output.pdf:q} --dpi {params.dpi:q} > {log:q} 2>&1"


rule figure_pairs_width2:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: merged_file(wc.experiment, 2),
        networks=f"{R}/{{experiment}}/pairs/width2_networks.csv",
        clusters=f"{R}/{{experiment}}/pairs/width2_clusters.csv",
    output:
        **_fig_rule_outputs("fig9_pca", "pairs_fig9_pca.rst"),
        act_x=report(f"{R}/figures/{{experiment}}_pairs_fig10_activations_x.png", caption="../../report/lottery/pairs_fig10_activations_x.rst",
                     category="Pair and disentangle", subcategory="{experiment}"),
        act_x_pdf=f"{R}/figures/{{experiment}}_pairs_fig10_activations_x.pdf",
        act_z=report(f"{R}/figures/{{experiment}}_pairs_fig11_activations_z.png", caption="../../report/lottery/pairs_fig11_activations_z.rst",
                     category="Pair and disentangle", subcategory="{experiment}"),
        act_z_pdf=f"{R}/figures/{{experiment}}_pairs_fig11_activations_z.pdf",
        ticket=report(f"{R}/figures/{{experiment}}_pairs_fig2c_lottery_ticket.png", caption="../../report/lottery/pairs_fig2c_lottery_ticket.rst",
                      category="Pair and disentangle", subcategory="{experiment}"),
        ticket_pdf=f"{R}/figures/{{experiment}}_pairs_fig2c_lottery_ticket.pdf",
    log:
        f"{R}/logs/figures/{{experiment}}_pairs_width2.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        dpi=_FIG_DPI,
    shell:
        "lottery-scaling plot-pairs width2 --subject {wildcards.experiment:q} --h5 {input.h5:q} --networks {input.networks:q} --clusters {input.clusters:q} "
        "--out {output.png:q} {output.pdf:q} --out-activations-x {output.act_x:q} {output.act_x_pdf:q} "
        "--out-activations-z {output.act_z:q} {output.act_z_pdf:q} --out-lottery-ticket {output.ticket:q} {output.ticket_pdf:q} "
        "--dpi {params.dpi:q} > {log:q} 2>&1"


rule figure_pairs_distill:
    conda:
        CONDA_ENV
    input:
        unpack(_distill_fig_inputs),
    output:
        **_fig_rule_outputs("fig13_distill", "pairs_fig13_distill.rst"),
    log:
        f"{R}/logs/figures/{{experiment}}_pairs_fig13_distill.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        dpi=_FIG_DPI,
        width2=lambda wc, input: f"--width2 {shlex.quote(input.width2)}" if "width2" in input.keys() else "",
    shell:
        "lottery-scaling plot-pairs distill --subject {wildcards.experiment:q} --distilled {input.distilled:q} {params.width2} "
        "--out {output.png:q} {output.pdf:q} --dpi {params.dpi:q} > {log:q} 2>&1"


for _e in PAIR_EXPERIMENTS:
    _widths = EXPERIMENTS[_e]["widths"]
    _d = pairs_dir(_e)
    for _w in _pair_widths(_e):
        FINAL_OUTPUTS.append(f"{_d}/N{_w}_networks.csv")
    if _pair_widths(_e):
        FINAL_OUTPUTS.append(pair_fig(_e, "fig2a_neurons") + ".png")
    if _pair_claim_rows(_e):
        CLAIM_PARTS.append(f"{_d}/claims.csv")
        FINAL_OUTPUTS.append(f"{_d}/claims.csv")
    if _ticket_fig_widths(_e):
        FINAL_OUTPUTS.append(pair_fig(_e, "fig12_tickets") + ".png")
    if 2 in _widths:
        FINAL_OUTPUTS.append(pair_fig(_e, "fig9_pca") + ".png")
    if _widest(_e) >= 4:
        FINAL_OUTPUTS.append(f"{_d}/distilled.csv")
        FINAL_OUTPUTS.append(pair_fig(_e, "fig13_distill") + ".png")
for _e in PAIR_SKIPPED:
    FINAL_OUTPUTS.append(f"{pairs_dir(_e)}/SKIPPED.txt")
