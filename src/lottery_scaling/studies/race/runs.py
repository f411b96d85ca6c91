"""Run names of the race study: a trained setting's file is named by the settings that made it.

`{dataset}_n{n}_d{width}_{digest}`, the digest the first 10 hex digits of a SHA-256 of the
named settings (JSON, keys sorted). Named: the data set, n, data_seed, width and sigma always;
every other training setting (`trainer.RaceSettings`) only when it differs from its default,
so a setting added later never renames (and so never retrains) finished runs, and a name
says which settings were changed. The CIFAR-10 folder is where the data is, not what it is,
so it is not named (the file records the data's provenance).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from .trainer import RaceSettings

NAMED_ALWAYS = ("dataset", "n", "data_seed", "width", "sigma")
RUN_NAME_PATTERN = r"[a-z0-9]+_n[0-9]+_d[0-9]+_[0-9a-f]{10}"


def named_settings(settings: dict) -> dict:
    defaults = asdict(RaceSettings())
    return {k: v for k, v in settings.items()
            if k in NAMED_ALWAYS or (k in defaults and v != defaults[k]) or (k not in defaults and k != "cifar_dir")}


def run_name(settings: dict) -> str:
    """settings: dataset, n, data_seed and the RaceSettings fields (defaults may be left out)."""
    named = named_settings(settings)
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:10]
    return f"{settings['dataset']}_n{int(settings['n'])}_d{int(settings['width'])}_{digest}"
