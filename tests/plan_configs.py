"""Configs of the repository for the plan tests, read as Snakemake reads them."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load(name: str = "config/test.yaml") -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def changed(change, name: str = "config/test.yaml") -> dict:
    config = copy.deepcopy(load(name))
    change(config)
    return config
