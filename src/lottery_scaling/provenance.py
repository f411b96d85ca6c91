"""Content hash of the trainer core, so a change of the numerics marks trained files for rerun."""

from __future__ import annotations

import hashlib
from pathlib import Path

# The modules whose code decides a trained network's numbers. Editing any of them changes
# core_hash(), which the pipeline passes to every training job as a param.
CORE_MODULES = ("_kernels.py", "_simd.py", "trainer.py", "init.py", "tasks.py", "model.py")


def core_hash() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in CORE_MODULES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]
