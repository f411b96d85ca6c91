"""Defaults of the survey study's analyses and claims, held once: the commands' option defaults (and
later the workflow's config section `survey`) read them from here. Each `validate()` ends in one
UserError naming the offending value.

Training settings of the networks come from the files the commands read (the lottery study's
trained networks, the race study's runs); edge-popup's own optimiser settings are
`edgepopup.EdgePopupSettings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ...errors import UserError

CLAIM_IDS = (
    "survey_supermask_beats_random",
    "survey_strong_ticket_beats_random",
    "survey_strong_ticket_scaling",
    "survey_strong_ticket_matches_training",
    "survey_linearised_n_minus_1",
    "survey_lazy_with_width",
    "survey_imp_edgepopup_above_random",
    "survey_imp_edgepopup_same_subnetwork",
    "survey_keeps_best_pair",
    "survey_attractor_manifold",
)


def _fail(name, allowed, value):
    raise UserError(f"{name} must be {allowed}, got {value!r}")


def _fractions(name, values):
    """A non-empty list of numbers in (0, 1]."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        _fail(name, "a non-empty list of numbers in (0, 1]", values)
    values = tuple(values)
    if not values:
        _fail(name, "a non-empty list of numbers in (0, 1]", list(values))
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 < v <= 1:
            _fail(name, "a list of numbers in (0, 1]", v)
    return values


def _fraction(name, value, closed_low=False):
    """A number in (0, 1] ([0, 1] with closed_low)."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and (
        (0 <= value if closed_low else 0 < value) and value <= 1)
    if not ok:
        _fail(name, f"a number in {'[' if closed_low else '('}0, 1]", value)


def _positive_int(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _fail(name, f"an integer >= {low}", value)


def from_dict(cls, values, where: str):
    """cls(**values) with unknown keys and wrong types ending in one UserError naming `where`."""
    if not isinstance(values, dict):
        raise UserError(f"{where} must be a mapping of settings, got {type(values).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"{where}: unknown setting(s) {', '.join(map(str, unknown))} (known: {', '.join(sorted(known))})")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    settings = cls(**values)
    settings.validate()
    return settings


@dataclass(frozen=True)
class SupermaskSettings:
    """survey.supermask: Zhou et al.'s "large final, same sign" masks on the untrained network."""

    keeps: tuple = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)  # fractions of the prunable weights kept
    scope: str = "global"  # one ranking over all prunable weights ("layer": per layer, Zhou et al.'s choice)
    include_biases: bool = False  # lottery networks: rank b with the first layer (biases place the kinks)
    random_draws: int = 5  # random masks of the same size per network and keep (the null)
    mask_seed: int = 0

    def validate(self) -> None:
        _fractions("keeps", self.keeps)
        if self.scope not in ("global", "layer"):
            _fail("scope", "global or layer", self.scope)
        if not isinstance(self.include_biases, bool):
            _fail("include_biases", "true or false", self.include_biases)
        _positive_int("random_draws", self.random_draws)
        if self.random_draws > 1000:  # zhou.MAX_DRAWS: the random masks' streams are mask_seed * 1000 + draw
            _fail("random_draws", "an integer from 1 to 1000", self.random_draws)
        _positive_int("mask_seed", self.mask_seed, 0)


@dataclass(frozen=True)
class EdgePopupSweepSettings:
    """survey.edgepopup: strong tickets at these keep fractions (Ramanujan et al.: per layer)."""

    keeps: tuple = (0.5,)
    scope: str = "layer"
    optimizer: str = "adam"  # the project's Adam and schedule, so losses compare with training
    score_seed: int = 0

    def validate(self) -> None:
        _fractions("keeps", self.keeps)
        if self.scope not in ("global", "layer"):
            _fail("scope", "layer or global", self.scope)
        if self.optimizer not in ("adam", "sgd"):
            _fail("optimizer", "adam or sgd", self.optimizer)
        _positive_int("score_seed", self.score_seed, 0)


@dataclass(frozen=True)
class ImpSettings:
    """survey.imp: IMP with rewinding on the lottery networks, as the race study's (weights w and v
    pruned together by global magnitude, biases never, R rounds, rewound to init)."""

    sparsities: tuple = (0.5, 0.8)
    rounds: int = 3

    def validate(self) -> None:
        for p in _fractions("sparsities", self.sparsities):
            if p >= 1:
                _fail("sparsities", "a list of numbers in (0, 1)", p)
        _positive_int("rounds", self.rounds)


@dataclass(frozen=True)
class LinearisedSettings:
    """survey.linearised: the tangent-space network trained like the network it linearises."""

    max_seeds: int | None = None  # linearise only the first this many seeds of a file (wide networks cost)

    def validate(self) -> None:
        if self.max_seeds is not None:
            _positive_int("max_seeds", self.max_seeds)


@dataclass(frozen=True)
class OverlapSettings:
    """survey.overlap: Jaccard of kept weights and neurons against random masks of the same sizes."""

    null_draws: int = 200  # random mask pairs per network and keep
    mask_seed: int = 0

    def validate(self) -> None:
        _positive_int("null_draws", self.null_draws)
        _positive_int("mask_seed", self.mask_seed, 0)


@dataclass(frozen=True)
class ManifoldSettings:
    """survey.manifold: the attractor-manifold ratio R of manifold.py."""

    origin_tol: float = 1e-3  # |(w, b)| below this = collapsed onto the origin (left out, counted)
    shuffles: int = 20  # shuffled-pairing MSTs per network
    min_neurons: int = 50  # fewer active neurons: no statistic (NaN)

    def validate(self) -> None:
        if isinstance(self.origin_tol, bool) or not isinstance(self.origin_tol, (int, float)) or not (
                math.isfinite(self.origin_tol) and self.origin_tol >= 0):
            _fail("origin_tol", "a number >= 0", self.origin_tol)
        _positive_int("shuffles", self.shuffles)
        _positive_int("min_neurons", self.min_neurons, 3)


@dataclass(frozen=True)
class SurveyClaimSettings:
    """survey.claims: thresholds of the survey_* rows (claims.py states each rule)."""

    supermask_keep: float = 0.5  # survey_supermask_beats_random is judged at this keep
    min_log10_gain: float = 0.0  # ... and survey_strong_ticket_beats_random: median log10(L_random / L_mask) above this
    min_accuracy_gain: float = 0.0  # ... race classifier: median accuracy(supermask) - accuracy(random) above this
    min_alpha: float = 0.25  # survey_strong_ticket_scaling: lower end of alpha (loss ~ N^-alpha) above this
    min_widths: int = 3  # scaling fits need this many widths
    max_loss_ratio: float = 10.0  # survey_strong_ticket_matches_training: upper end of L_edgepopup / L_trained at most this
    linear_alpha: float = 1.0  # survey_linearised_n_minus_1: alpha within linear_alpha +- alpha_tolerance (whole interval)
    alpha_tolerance: float = 0.3
    # survey_lazy_with_width: movement ~ N^-beta, lower end of beta above this: the midpoint between the
    # null (movement independent of N, beta 0) and lazy training's 1/2, so "supported" means nearer lazy
    min_movement_decay: float = 0.25
    # survey_imp_edgepopup_above_random: median J - J_random, lower end above this. 0 is the null's own
    # value (J_random is the mean Jaccard of random masks of the same sizes, so the excess of independent
    # masks is 0 up to the Monte Carlo error of null_draws draws, ~0.003 at 200): the same rule as every
    # other "beats random" row; how large an overlap counts as the same subnetwork is min_jaccard's row
    min_jaccard_excess: float = 0.0
    min_jaccard: float = 0.8  # survey_imp_edgepopup_same_subnetwork ("almost identical"): lower end of median J at least this
    max_ratio_to_init: float = 0.8  # survey_attractor_manifold: upper end of median R_trained / R_init below this
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def validate(self) -> None:
        _fraction("supermask_keep", self.supermask_keep)
        for name in ("min_log10_gain", "min_accuracy_gain", "min_alpha", "min_movement_decay", "min_jaccard_excess",
                     "linear_alpha"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                _fail(name, "a finite number", v)
        for name in ("max_loss_ratio", "alpha_tolerance", "max_ratio_to_init"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
                _fail(name, "a number > 0", v)
        _fraction("min_jaccard", self.min_jaccard, closed_low=True)
        _positive_int("min_widths", self.min_widths, 2)
        _positive_int("bootstrap", self.bootstrap)
        _positive_int("seed", self.seed, 0)
        if isinstance(self.confidence, bool) or not isinstance(self.confidence, (int, float)) or not 0 < self.confidence < 1:
            _fail("confidence", "a number in (0, 1)", self.confidence)
