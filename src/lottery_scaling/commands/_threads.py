"""The numba thread count of a command (not a command: the name starts with '_')."""

from __future__ import annotations

import os
import sys


def set_threads(threads) -> None:
    """Before numba starts its thread pool, size it (NUMBA_NUM_THREADS; None: all cores; more
    threads than cores is allowed). Once the pool runs (a command called in a process that has
    trained already, as the tests do) numba refuses another size at its next compilation, so the
    environment is left alone: the trainers cap their threads at the pool's size."""
    if threads is None:
        return
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and getattr(parallel, "_is_initialized", False):
        return
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
