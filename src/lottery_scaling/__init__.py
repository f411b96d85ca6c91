"""lottery-scaling: train many tiny two-layer networks and test the N^-1 lottery-ticket scaling law."""

__version__ = "0.1.0"

from ._simd import prefer_wide_vectors as _prefer_wide_vectors

_prefer_wide_vectors()


def open_results(results_dir=None, configfile=None):
    """The pipeline's results as pandas tables and arrays (docs/results-api.md; lottery_scaling.results)."""
    from .results import open_results as _open

    return _open(results_dir, configfile)
