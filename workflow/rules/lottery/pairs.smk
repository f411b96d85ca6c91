# Lottery study, stage 3, pair-and-disentangle (docs/lottery.md, Stages and outputs; paper section 3, appendices B-D).
# Runs for experiments with d = 1 tasks only: symmetric neurons are pairs (w, b) ~ (-w, b) of
# scalar-input neurons. For d > 1 experiments a note file says the stage was skipped.
# Outputs: {R}/{experiment}/pairs/...  Figures: {R}/figures/{experiment}_pairs_*.{png,pdf}
# Defaults: lottery_scaling/studies/lottery/pairs/settings.py (config section `pairs`, and the
# stage's two claims under `claims`); the stage's settings, targets and claim parts: the plan.
_PAIR_EXP_RE = LOTTERY.pair_experiment_pattern()
_FIG_DPI = LOTTERY.pair_dpi



localrules:
    pairs_skipped_note,
    plot_pairs_neurons,
    plot_pairs_tickets,
    plot_pairs_width2,
    plot_pairs_distill,


rule pairs_width:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.merged_file(wc.experiment, int(wc.width)),
    output:
        tickets=LOTTERY.pairs_file("{experiment}", "N{width}_tickets.csv"),
        networks=LOTTERY.pairs_file("{experiment}", "N{width}_networks.csv"),
    log:
        f"{R}/logs/pairs/{{experiment}}/N{{width}}_pairs.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
        width="[0-9]+",
    params:
        opts=LOTTERY.pairs_width_options(),
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
        lambda wc: LOTTERY.merged_file(wc.experiment, 2),
    output:
        networks=LOTTERY.pairs_file("{experiment}", "width2_networks.csv"),
        clusters=LOTTERY.pairs_file("{experiment}", "width2_clusters.csv"),
        bic=LOTTERY.pairs_file("{experiment}", "width2_bic.csv"),
    log:
        f"{R}/logs/pairs/{{experiment}}/width2_algorithms.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        opts=LOTTERY.width2_options(),
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
        lambda wc: LOTTERY.merged_file(wc.experiment, LOTTERY.widest(wc.experiment)),
    output:
        LOTTERY.pairs_file("{experiment}", "distilled.csv"),
    log:
        f"{R}/logs/pairs/{{experiment}}/distill.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        opts=LOTTERY.w_scale_option(),
    resources:
        runtime=30,
        mem_mb=4000,
    shell:
        "lottery-scaling distill {input:q} --out {output:q} {params.opts} > {log:q} 2>&1"


rule pair_claims:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: LOTTERY.pair_claim_inputs(wc.experiment)),
    output:
        LOTTERY.pairs_file("{experiment}", "claims.csv"),
    log:
        f"{R}/logs/pairs/{{experiment}}/claims.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        activation=lambda wc: EXPERIMENTS[wc.experiment].activation,
        rows=lambda wc: " ".join(LOTTERY.pair_claim_rows(wc.experiment)),
        files=lambda wc, input: LOTTERY.pair_claim_file_options(input),
        opts=LOTTERY.pair_claim_options(),
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
        LOTTERY.pairs_file("{experiment}", "SKIPPED.txt"),
    log:
        f"{R}/logs/pairs/{{experiment}}/skipped.log",
    wildcard_constraints:
        experiment=LOTTERY.pair_skipped_pattern(),
    params:
        # inside the command's single quotes: a quote in the text is closed, escaped and reopened
        task=lambda wc: EXPERIMENTS[wc.experiment].task.replace("'", "'\\''"),
    shell:
        "echo 'pair-and-disentangle skipped: task {params.task} has input dimension d > 1; symmetric "
        "neurons (w, b) ~ (-w, b) are defined for d = 1 only' > {output:q} 2> {log:q}"


# ---- figures (figure-only settings are params here, never of the compute rules) ----

rule plot_pairs_neurons:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: LOTTERY.merged_file(wc.experiment, LOTTERY.widest(wc.experiment)),
        tickets=lambda wc: LOTTERY.pairs_file(wc.experiment, f"N{LOTTERY.widest(wc.experiment)}_tickets.csv"),
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


rule plot_pairs_tickets:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: [LOTTERY.merged_file(wc.experiment, w) for w in LOTTERY.ticket_fig_widths(wc.experiment)],
        tickets=lambda wc: [LOTTERY.pairs_file(wc.experiment, f"N{w}_tickets.csv") for w in LOTTERY.ticket_fig_widths(wc.experiment)],
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


rule plot_pairs_width2:
    conda:
        CONDA_ENV
    input:
        h5=lambda wc: LOTTERY.merged_file(wc.experiment, 2),
        networks=LOTTERY.pairs_file("{experiment}", "width2_networks.csv"),
        clusters=LOTTERY.pairs_file("{experiment}", "width2_clusters.csv"),
    output:
        **_fig_rule_outputs("fig9_pca", "pairs_fig9_pca.rst"),
        act_x=report(LOTTERY.pair_fig("{experiment}", "fig10_activations_x") + ".png", caption="../../report/lottery/pairs_fig10_activations_x.rst",
                     category="Pair and disentangle", subcategory="{experiment}"),
        act_x_pdf=LOTTERY.pair_fig("{experiment}", "fig10_activations_x") + ".pdf",
        act_z=report(LOTTERY.pair_fig("{experiment}", "fig11_activations_z") + ".png", caption="../../report/lottery/pairs_fig11_activations_z.rst",
                     category="Pair and disentangle", subcategory="{experiment}"),
        act_z_pdf=LOTTERY.pair_fig("{experiment}", "fig11_activations_z") + ".pdf",
        ticket=report(LOTTERY.pair_fig("{experiment}", "fig2c_lottery_ticket") + ".png", caption="../../report/lottery/pairs_fig2c_lottery_ticket.rst",
                      category="Pair and disentangle", subcategory="{experiment}"),
        ticket_pdf=LOTTERY.pair_fig("{experiment}", "fig2c_lottery_ticket") + ".pdf",
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


rule plot_pairs_distill:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: LOTTERY.distill_fig_inputs(wc.experiment)),
    output:
        **_fig_rule_outputs("fig13_distill", "pairs_fig13_distill.rst"),
    log:
        f"{R}/logs/figures/{{experiment}}_pairs_fig13_distill.log",
    wildcard_constraints:
        experiment=_PAIR_EXP_RE,
    params:
        dpi=_FIG_DPI,
        width2=lambda wc, input: f"--width2 {LOTTERY.quoted(input.width2)}" if "width2" in input.keys() else "",
    shell:
        "lottery-scaling plot-pairs distill --subject {wildcards.experiment:q} --distilled {input.distilled:q} {params.width2} "
        "--out {output.png:q} {output.pdf:q} --dpi {params.dpi:q} > {log:q} 2>&1"
