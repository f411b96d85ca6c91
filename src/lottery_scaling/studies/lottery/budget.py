"""Bounds on what one training may ask of a machine, checked before anything is allocated.

`train_memory_bytes` estimates the arrays of one `lottery-scaling train` run (the command
refuses a run whose estimate exceeds `--max-memory`, by default this machine's memory; the
pipeline checks the same estimate for its largest training job at parse time, see docs/cli.md,
Limits). The estimate follows trainer.train: initial parameters (float64) and their copies,
the loss curves, the data, each thread's kernel workspace and the blocked loss evaluation.
"""

from __future__ import annotations

import os
import re

SEED_LIMIT = 2**63  # seeds, init_seed and data_seed are stored as int64: each must be < 2**63
_EVAL_BLOCK = 2**22  # elements per block of trainer.evaluate_losses
_STORE_LIMIT = 2 * 2**20  # trainer.STORE_LIMIT_BYTES (not imported: the trainer pulls in numba)


def train_memory_bytes(d: int, width: int, n_seeds: int, n_train: int, n_test: int, curve_points: int,
                       dtype: str = "float64", threads: int = 1, snapshots: bool = False,
                       steps: int | None = None) -> int:
    """Estimated peak bytes of the arrays of one training of n_seeds networks (Python ints: no overflow);
    snapshots: every network's parameters kept at each loss-curve step (TrainSettings.snapshots), of
    which there are at most steps + 1."""
    item = 4 if dtype == "float32" else 8
    per_net = width * (d + 2) + 1
    params = n_seeds * per_net
    parameters = params * (8 * 4 + item)  # w0..c0, their concatenation, theta, the final w, b, v, c
    curves = n_seeds * min(curve_points, 10**12) * (item + 8)
    data = (n_train + n_test) * (d + 1) * 8 * 2 + n_train * (d + 1) * item
    store = width * n_train * item <= _STORE_LIMIT
    workspace = threads * item * (3 * per_net + 4 * n_train + (width * n_train if store else 0) + 3 * width)
    evaluation = 4 * 8 * max(_EVAL_BLOCK, width * max(n_train, n_test))
    kept = n_seeds * min(curve_points, 10**12 if steps is None else steps + 1) * per_net * item if snapshots else 0
    return parameters + curves + data + workspace + evaluation + kept


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kKmMgGtT]?)[bB]?\s*$")


def parse_size(text: str) -> int:
    """'64G', '500M', '2.5T' or a number of bytes -> bytes (decimal units); ValueError otherwise."""
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"expected a size like 64G, 500M or a number of bytes, got {text!r}")
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)
