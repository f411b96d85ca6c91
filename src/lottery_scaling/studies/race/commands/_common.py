"""Helpers of the race commands (not a command: the name starts with '_')."""

from __future__ import annotations

import os

from ....commands._interrupt import interruptible  # noqa: F401  (the race commands import it from here)


def set_threads(threads):
    if threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)


def read_runs(path):
    from ..trajectories import read_runs as _read

    return _read(path)
