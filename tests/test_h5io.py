"""Atomic writes leave nothing behind (docs/cli.md, Atomic writes): a writer killed with SIGKILL during the
write leaves its hidden temporary, and the next write of the same output removes it, but only
temporaries of that output that no live process can still own."""

import os
import signal
import subprocess
import sys
import time

from lottery_scaling import h5io

KILLED_WRITER = """
import os, signal, sys
from lottery_scaling.h5io import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half an HDF5 file")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "N2_seeds0-20.h5"
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    left = list(tmp_path.glob(".*.tmp"))
    assert len(left) == 1 and not out.exists()
    with h5io.atomic_path(out) as tmp:
        tmp.write_bytes(b"complete")
    assert out.read_bytes() == b"complete"
    assert not list(tmp_path.glob(".*.tmp"))


def test_only_stale_temporaries_of_the_same_output_are_removed(tmp_path):
    out = tmp_path / "a.h5"
    host = h5io._HOST
    names = {
        "dead": f".a.h5.{_dead_pid()}@{host}.abcd1234.tmp",  # its writer is gone: removed
        "live": f".a.h5.{os.getppid()}@{host}.abcd1234.tmp",  # a running process: kept
        "other_host": f".a.h5.{_dead_pid()}@elsewhere.abcd1234.tmp",  # cannot tell from here: kept while fresh
        "legacy_fresh": ".a.h5.abcd1234.tmp",  # made before pids were recorded: kept while fresh
        "legacy_old": ".a.h5.wxyz5678.tmp",  # ... removed when nobody touched it for a day
        "other_output": f".a.h5.bak.{_dead_pid()}@{host}.abcd1234.tmp",  # another output's: kept
        "not_a_temporary": ".a.h5.notes.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"x")
    day_ago = time.time() - h5io.STALE_SECONDS - 60
    os.utime(tmp_path / names["legacy_old"], (day_ago, day_ago))
    removed = {p.name for p in h5io.remove_stale_temporaries(out)}
    assert removed == {names["dead"], names["legacy_old"]}
    for key in ("live", "other_host", "legacy_fresh", "other_output", "not_a_temporary"):
        assert (tmp_path / names[key]).exists(), key
    # a temporary made after this write started is never touched, even if its pid is gone
    late = tmp_path / f".a.h5.{_dead_pid()}@{host}.late1234.tmp"
    late.write_bytes(b"x")
    assert h5io.remove_stale_temporaries(out, now=time.time() - 3600) == []
