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
    from .limits import check_figure

    if any(path is not None and Path(path).suffix.lower() == ".png" for path in paths):
        # before any file: a canvas matplotlib cannot draw (>= 2**16 pixels a side) or that does not fit
        width_in, height_in = fig.get_size_inches()
        check_figure(width_in, height_in, dpi, "figure")
    for path in paths:
        if path is None:
            continue
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)


def save_note(paths, title: str, message: str, dpi: int = 150) -> None:
    """A figure that only says why there is nothing to draw (e.g. every network diverged), so a
    stage still writes every output it promises and the reason is where the figure would be."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 2.5))
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=10, transform=ax.transAxes)
    save(fig, paths, dpi)
