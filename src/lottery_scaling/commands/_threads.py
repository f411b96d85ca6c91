"""The numba thread count of a command (not a command: the name starts with '_')."""

from __future__ import annotations

import os


def set_threads(threads) -> None:
    """Before numba loads: its thread pool is sized once, from NUMBA_NUM_THREADS (None: all cores;
    more threads than cores is allowed)."""
    if threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)
