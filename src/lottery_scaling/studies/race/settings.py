"""Defaults of the race study's analyses, figures and claims, held once: the commands' option
defaults and the pipeline's config section `race` both read them from here.

Training settings are `trainer.RaceSettings`; an experiment's main setting and grid are in
the config (see config.yaml, section `race`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlignmentSettings:
    """race-alignment's fixed analysis choices (command options; the pipeline uses these defaults)."""

    bulk_max_angle: float = 80.0  # the exponential fit is judged on neurons below this early angle (deg): above it
    # sit the neurons that never entered the race (a cliff at ~90 deg that pulls a fit over all neurons)


@dataclass(frozen=True)
class ClusterSettings:
    """race.clusters: cos-sim thresholds of the greedy clusters (paper: 0.95, and 0.99)."""

    thresholds: tuple = (0.95, 0.99)


@dataclass(frozen=True)
class ImpSettings:
    """race.imp: iterative magnitude pruning with rewinding (paper: 20/50/70% in 3 rounds)."""

    sparsities: tuple = (0.2, 0.5, 0.7)
    rounds: int = 3
    runs: int = 1  # IMP is run on the first `runs` seeds of the main setting (it trains 1 + rounds x sparsities networks per run)


@dataclass(frozen=True)
class CellSettings:
    """race.cells: App. D's probe iteration (probes on the sphere, patience-based plateau)."""

    probes: int = 2000
    patience: int = 5
    max_iter: int = 200
    seed: int = 0
    null_shuffles: int = 5  # the same iteration on the same inputs with this many label permutations (the null)


@dataclass(frozen=True)
class FigureSettings:
    """race.figures (plot-only)."""

    dpi: int = 150


@dataclass(frozen=True)
class ClaimSettings:
    """race.claims: the thresholds of the race claims rows (see claims.py for each rule and its null)."""

    min_aligned_share: float = 0.75  # race_outgoing_aligned_before_drop: share of live neurons with |cos v| >= align_cos
    max_aligned_angle: float = 30.0  # race_silent_alignment: median angle before the drop at most this (deg), and below
    # the 1% quantile of the angles at init (random directions to the same targets)
    max_norm_share_before_drop: float = 0.01  # ... while median |w||v| before the drop is at most this share of its final value
    max_spearman: float = -0.5  # race_norm_exponential_in_alignment: median Spearman(angle early, log final norm) at most this
    min_bulk_r2: float = 0.8  # ... and R^2 of the exponential fit below AlignmentSettings.bulk_max_angle at least this,
    # above the R^2 of the stated alternative (a power law, log norm linear in log angle)
    max_spearman_init: float = -0.2  # race_init_alignment_predicts_norm
    max_cluster_share: float = 0.5  # race_clusters_fewer_than_neurons: clusters / neurons at the end (threshold 0.95)
    cluster_threshold: float = 0.95
    carry_share: float = 0.99  # race_clusters_rise_with_*: count the clusters that carry this share of sum |u||v|
    # (one of clusters.CARRY_SHARES)
    interval_level: float = 0.95  # ... a rise needs the Welch interval of (mean at largest - mean at smallest) above 0
    max_merge_acc_change: float = 0.005  # race_merging_lossless: |acc after - before|, train and test
    max_merge_loss_change: float = 0.01  # ... relative change of train and test loss
    imp_sparsity: float = 0.2  # race_early_alignment_predicts_imp: judged at this sparsity (the paper: lower sparsities)
    min_imp_spearman: float = 0.5  # ... median Spearman(early angle, pruned count) at least this
    max_stable_share: float = 0.1  # race_stable_cells_far_fewer: attractors / distinct cells among the probes at most this,
    min_settled_share: float = 0.5  # ... at least this share of the live probes on a fixed point or a 2-cycle,
    # and fewer patterns at the plateau than every shuffled-label null (race.cells.null_shuffles)
    min_angle_per_norm: float = 100.0  # race_angle_faster_than_norm: median radians of angle fallen per unit of |w|
    # grown, init to the early checkpoint (Lemma 3.9: ~1/|w|, so it depends on the init scale and the units)
    min_unlock_ratio: float = 1.5  # race_asynchronous_unlocking: latest / earliest unlocking step of the groups
    max_follower_slowdown: float = 0.5  # race_lateral_inhibition: followers' growth rate after / before the leader unlocks
    max_lateral_ratio: float = 0.5  # ... and at most this times the other groups' slowdown over the same window


CLAIM_IDS = (
    "race_outgoing_aligned_before_drop",
    "race_silent_alignment",
    "race_norm_exponential_in_alignment",
    "race_init_alignment_predicts_norm",
    "race_early_alignment_predicts_better",
    "race_clusters_fewer_than_neurons",
    "race_clusters_rise_with_n",
    "race_clusters_rise_with_sigma",
    "race_merging_lossless",
    "race_early_alignment_predicts_imp",
    "race_stable_cells_far_fewer",
    "race_angle_faster_than_norm",
    "race_asynchronous_unlocking",
    "race_lateral_inhibition",
    "race_imp_better_within_clusters",
)
