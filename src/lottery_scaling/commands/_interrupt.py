"""Ctrl-C for commands whose work runs inside a numba kernel (train, race-train, race-imp, ...)."""

from __future__ import annotations

import os
import sys


def interruptible(work, label):
    """Run `work` in a worker thread so that Ctrl-C (SIGINT) stops the command at once: the numba
    kernel holds its thread without running Python, so a SIGINT would otherwise wait for the
    whole training. Outputs are written after the work,
    atomically, so nothing half-written is left; the process ends with status 130."""
    import threading

    box = {}

    def target():
        try:
            box["result"] = work()
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="work", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        print(f"[{label}] interrupted: nothing written", file=sys.stderr, flush=True)
        os._exit(130)  # the daemon worker is inside the numba kernel and cannot be joined
    if "error" in box:
        raise box["error"]
    return box["result"]
