"""Content hash of each study's trainer core, so a change of its numerics marks trained files for rerun.

The hash covers, per study, the modules whose code decides a trained network's numbers. Each
module enters by its logical name (its file name, not its place in the package) and its text
with the package depth of relative imports normalised (`from ...errors import` reads as
`from .errors import`), so moving files between packages keeps the hash, and with it every
finished result, while any change of the code itself changes it. The lottery study's hash is
the same digest the single-package layout computed (tests/test_provenance.py checks both
properties).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_PACKAGE = Path(__file__).parent

# Logical name -> file (relative to the package), in hashing order. A study's modules only;
# editing another study's trainer never retrains this one's networks.
CORE_MODULES = {
    "lottery": {
        "_kernels.py": "studies/lottery/_kernels.py",
        "_simd.py": "_simd.py",
        "trainer.py": "studies/lottery/trainer.py",
        "init.py": "studies/lottery/init.py",
        "tasks.py": "studies/lottery/tasks.py",
        "model.py": "studies/lottery/model.py",
    },
    "race": {
        "_kernels.py": "studies/race/_kernels.py",
        "trainer.py": "studies/race/trainer.py",
        "data.py": "studies/race/data.py",
    },
}

_RELATIVE_IMPORT = re.compile(rb"^(\s*from )\.+", re.MULTILINE)


def normalised_source(text: bytes) -> bytes:
    """Module text with every relative import written at depth one (`from .x import ...`)."""
    return _RELATIVE_IMPORT.sub(rb"\1.", text)


def core_hash(study: str = "lottery", root: Path | None = None) -> str:
    """16 hex digits of SHA-256 over (logical name, normalised text) of the study's core modules."""
    if study not in CORE_MODULES:
        raise KeyError(f"no trainer core listed for study {study!r} (known: {', '.join(CORE_MODULES)})")
    root = _PACKAGE if root is None else Path(root)
    digest = hashlib.sha256()
    for name, relpath in CORE_MODULES[study].items():
        digest.update(name.encode())
        digest.update(normalised_source((root / relpath).read_bytes()))
    return digest.hexdigest()[:16]


def package_digest(package_dir: str | Path) -> str:
    """SHA-256 over every module of a lottery_scaling package folder (relative path and bytes):
    two installs run the same code exactly when their digests agree."""
    root = Path(package_dir)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
