"""Defaults of the pair-and-disentangle stage, held once: the commands' option defaults and the
pipeline's config section `pairs` (and the two claims of this stage) both read them from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PairSettings:
    """Config section `pairs` (compute settings; see config.yaml for what each means)."""

    w_scale: float | None = None  # s of the mirror distance; None: RMS of the training inputs
    dead_tol: float = 1e-6
    variance: float = 0.99
    symmetric_threshold: float = 0.05
    max_clusters: int = 10
    align_iterations: int = 10
    random_state: int = 0


@dataclass(frozen=True)
class PairFigureSettings:
    """Config section `pairs.figures` (plot-only)."""

    dpi: int = 150
    ticket_widths: tuple | None = None  # None: the 4 widest widths >= 4


@dataclass(frozen=True)
class TicketClaimSettings:
    """claims.width2_tickets_symmetric."""

    task: str = "x2"
    activation: str = "silu"
    min_share: float = 0.9


@dataclass(frozen=True)
class WideClaimSettings:
    """claims.wide_symmetric_neurons."""

    task: str = "x2"
    activation: str = "silu"
    max_ratio: float = 0.8
    min_width: int = 10
    bootstrap: int = 2000
    seed: int = 0
