"""HDF5 helpers shared by every study: atomic writes and the software versions recorded in files.

Files are written to a temporary name in the same folder and renamed, so a killed job never
leaves a file that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def software_versions() -> dict:
    import h5py
    import numba

    from . import __version__

    return {
        "lottery_scaling_version": __version__,
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "numba_cpu_name": str(numba.config.CPU_NAME or "host"),
        "numba_cpu_features": str(numba.config.CPU_FEATURES or "host"),
    }


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to `path`; on success rename it to `path`, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results should be as readable as any new file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
