"""The one way figures are made and saved, for every study: matplotlib without a display,
each figure written atomically in the formats its file names ask for."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed, also on cluster nodes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, paths, dpi: int = 150) -> None:
    """Save `fig` to each path (format from the suffix: png, pdf, svg), atomically, then close it.

    None entries are skipped. `dpi` applies to raster formats.
    """
    from .h5io import atomic_path

    for path in paths:
        if path is None:
            continue
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
