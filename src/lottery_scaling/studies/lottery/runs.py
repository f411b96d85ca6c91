"""Run names of the lottery study: a training folder is named by the settings that made it (open_lth).

`{task}-{activation}-{digest}`, the digest a SHA-256 of the run's training settings (JSON, keys
sorted; width excluded: one run holds every width). The settings that existed when the naming was
introduced are always in the digest; a setting added later enters it only when it differs from its
default, so adding an option never renames (and so never retrains) finished runs.
"""

from __future__ import annotations

import hashlib
import json

# Always part of the digest (the training settings of the first release of the naming).
NAMED_ALWAYS = (
    "task", "activation", "steps", "lr", "lr_decay", "lr_decay_every", "beta1", "beta2", "eps",
    "n_train", "n_test", "x_range", "data_seed", "init_seed", "dtype", "curve_points",
)
# A run folder name, for Snakemake's wildcard constraint.
RUN_NAME_PATTERN = r"[A-Za-z0-9_]+-[A-Za-z0-9_]+-[0-9a-f]{10}"


def named_settings(settings: dict, defaults: dict) -> dict:
    """The settings that enter the digest: NAMED_ALWAYS, and any other one not at its default."""
    return {
        k: v for k, v in settings.items()
        if k != "width" and (k in NAMED_ALWAYS or k not in defaults or v != defaults[k])
    }


def run_name(settings: dict, defaults: dict) -> str:
    """Folder name of a run: settings as in TrainSettings.as_attrs() (resolved), defaults likewise."""
    named = named_settings(settings, defaults)
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:10]
    return f"{settings['task']}-{settings['activation']}-{digest}"
