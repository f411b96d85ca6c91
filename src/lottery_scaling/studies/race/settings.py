"""Defaults of the race study's analyses, figures and claims, held once: the commands' option
defaults and the pipeline's config section `race` both read them from here.

Training settings are `trainer.RaceSettings`; an experiment's main setting and grid are in
the config (see config.yaml, section `race`).
"""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class FigureSettings:
    """race.figures (plot-only)."""

    dpi: int = 150


@dataclass(frozen=True)
class ClaimSettings:
    """race.claims: the thresholds of the race claims rows (see claims.py for each rule)."""

    min_aligned_share: float = 0.75  # race_outgoing_aligned_before_drop: share of live neurons with |cos v| >= align_cos
    min_init_angle: float = 80.0  # race_silent_alignment: median angle at init at least this (deg; ~90)
    max_aligned_angle: float = 30.0  # ... and at most this before the drop (deg)
    min_norm_growth: float = 10.0  # ... while median |w||v| grows at least this factor after the drop
    max_spearman: float = -0.5  # race_norm_exponential_in_alignment: median Spearman(angle early, log final norm) at most this
    max_spearman_init: float = -0.2  # race_init_alignment_predicts_norm
    max_cluster_share: float = 0.5  # race_clusters_fewer_than_neurons: clusters / neurons at the end (threshold 0.95)
    cluster_threshold: float = 0.95
    max_merge_acc_change: float = 0.005  # race_merging_lossless: |test acc after - before|
    max_merge_loss_change: float = 0.05  # ... relative change of test loss
    imp_sparsity: float = 0.2  # race_early_alignment_predicts_imp: judged at this sparsity (the paper: lower sparsities)
    min_imp_spearman: float = 0.5  # ... median Spearman(early angle, pruned count) at least this
    max_stable_share: float = 0.1  # race_stable_cells_far_fewer: stable cells / distinct cells among the probes at most this


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
)
