"""HDF5 helpers shared by every study: atomic writes and the software versions recorded in files.

Files are written to a temporary name in the same folder and renamed, so a killed job never
leaves a file that looks complete.
"""

from __future__ import annotations

import glob
import os
import re
import socket
import tempfile
import time
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


# A temporary is named .{output}.{pid}@{host}.{random}.tmp, so that a later write of the same
# output can tell a leftover of a killed writer (kill -9, a lost node) from a live one.
STALE_SECONDS = 24 * 3600  # a temporary nobody touched for this long is a leftover, whoever made it
_HOST = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to `path`; on success rename it to `path`, else delete it.

    Leftover temporaries of the same output (see remove_stale_temporaries) are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}@{_HOST}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results should be as readable as any new file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(path: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove the temporaries of `path` that no live process can still be writing; return them.

    Only names of this output's own pattern are touched (.{name}.{pid}@{host}.{8 chars}.tmp, or
    .{name}.{8 chars}.tmp of versions before the pid was recorded). One is stale when it was last
    modified before this write started and either its pid, on this host, no longer runs, or nobody
    touched it for STALE_SECONDS (a writer on another host, or an unknown one: a write takes
    seconds to minutes, and a live writer keeps the file's modification time fresh). A pid that
    runs again (reused) keeps its file until then.
    """
    path = Path(path)
    now = time.time() if now is None else now
    pattern = re.compile(r"^\.%s\.(?:(\d+)@([A-Za-z0-9_-]+)\.)?[A-Za-z0-9_]{8}\.tmp$" % re.escape(path.name))
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        m = pattern.match(tmp.name)
        if not m:
            continue
        try:
            mtime = tmp.stat().st_mtime
        except OSError:
            continue
        if mtime >= now:
            continue
        pid, host = m.group(1), m.group(2)
        dead = pid is not None and host == _HOST and not _pid_alive(int(pid))
        if dead or now - mtime > STALE_SECONDS:
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass  # another writer removed it first, or no permission: leave it
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or cannot tell: keep the file
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
