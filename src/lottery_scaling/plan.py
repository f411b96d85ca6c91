"""What every study's plan shares (docs/development.md, Layout): config sections over their
defaults, the results-folder checks, the config's `limits` and the option strings of commands.

A plan is plain Python built from a config dict and a results folder; it raises ConfigError
(naming the key) for a mistake. The workflow's rule files build one plan per study
(studies/STUDY/plan.py) and ask it for every run, chunk and path; notebooks and tests can do the
same without Snakemake (lottery_scaling.results.open_results).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import asdict, is_dataclass
from pathlib import Path

from .errors import ConfigError, UserError

# Longest file name (bytes) most file systems allow; a longer folder name fails in the first job.
NAME_MAX = 255
# Room left under the results folder for the pipeline's own paths (run folders, figure names).
RESULTS_PATH_MAX = 4096 - 512


def defaults_of(defaults) -> dict:
    """A settings dataclass (type or instance) or a dict of defaults, as a dict in field order."""
    if is_dataclass(defaults):
        return asdict(defaults() if isinstance(defaults, type) else defaults)
    return dict(defaults)


def section(key: str, defaults, values=None) -> dict:
    """Config section `key` (the mapping `values`) over its defaults; an unknown key is a ConfigError."""
    defaults = defaults_of(defaults)
    values = dict(values or {})
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ConfigError(key, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(defaults)}")
    return {**defaults, **values}


def results_folder(config: dict) -> str:
    """The results folder the config names (default results), without a trailing slash."""
    return str(config.get("results", "results")).rstrip("/")


def check_path_setting(key: str, path) -> None:
    """A folder named in the config reaches Snakemake's path patterns and (quoted) shell commands:
    refuse what neither can carry (control characters, and braces, which Snakemake reads as wildcards)."""
    bad = sorted({c for c in str(path) if ord(c) < 32 or ord(c) == 127 or c in "{}"})
    if bad:
        raise ConfigError(key, f"{str(path)!r} contains {', '.join(repr(c) for c in bad)}; "
                               "control characters and braces are not allowed in folder names here")


def check_results_folder(path: str) -> None:
    """The results folder (or its nearest existing parent) must be writable before any job, and its
    path short enough that every output path under it stays within the system's limits."""
    for part in Path(path).parts:
        if len(part.encode()) > NAME_MAX:
            raise ConfigError("results", f"the folder name {part[:40]!r}... has {len(part.encode())} bytes, "
                                         f"more than the {NAME_MAX} a file name may have")
    if len(str(Path(path).resolve()).encode()) > RESULTS_PATH_MAX:
        raise ConfigError("results", f"the path {str(path)[:40]!r}... is longer than {RESULTS_PATH_MAX} bytes, "
                                     "too long for the paths the pipeline writes under it")
    p = Path(path).resolve()
    while not p.exists():
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError("results", f"cannot write under {path!r} ({p} is not a writable folder)")


def cli_options(settings: dict) -> str:
    """`--key value` options for the analysis commands (None values left out; values shell-quoted)."""
    return " ".join(
        f"--{k.replace('_', '-')} {shlex.quote(str(v))}" for k, v in settings.items() if v is not None
    )


def optional_option(flag: str, value) -> str:
    """`flag value` (value as Python writes it), or nothing for None."""
    return "" if value is None else f"{flag} {value!r}"


def train_cli_args(settings: dict, skip=()) -> str:
    """Options of `lottery-scaling train` for a resolved settings dict (keys in `skip` left out)."""
    args = []
    for key, value in settings.items():
        if key in skip:
            continue
        if key in ("task", "activation"):
            args.append(f"--{key} {shlex.quote(value)}")  # a user-defined formula has spaces and brackets
        elif key == "x_range":
            args.append(f"--x-range {value[0]!r} {value[1]!r}")
        else:
            args.append(f"--{key.replace('_', '-')} {value!r}")
    return " ".join(args)


class Limits:
    """The config's `limits` over their defaults (lottery_scaling/limits.py) and the checks of a
    planned job against them: each raises ConfigError naming the config key of what is too big."""

    def __init__(self, config: dict):
        from . import limits

        self.given = dict(config.get("limits") or {})
        self.bounds = section("limits", limits.DEFAULTS, self.given)

    def environment(self) -> dict:
        """The bounds this config set, for the commands of its jobs (limits.ENV)."""
        return {k: v for k, v in self.given.items() if v is not None}

    def job_memory_bound(self):
        """(bytes, how to name it) of limits.max_job_memory, or of this machine's memory when null."""
        from . import limits
        from .studies.lottery.budget import machine_memory_bytes

        value = self.bounds["max_job_memory"]
        if value is None:
            return machine_memory_bytes(), "the memory of this machine; raise it with limits.max_job_memory"
        try:
            return limits.memory_bytes(value), "limits.max_job_memory"
        except ValueError as exc:
            raise ConfigError("limits.max_job_memory", str(exc)) from None

    def check_work(self, key: str, kind: str, amount: float, detail: str) -> None:
        """Refuse when `amount` (counted as `detail`, naming the values) exceeds its bound."""
        from . import limits

        bound_key, _, unit = limits.WORK[kind]
        bound = self.bounds[bound_key]
        if amount > bound:
            raise ConfigError(key, f"{detail} = {amount:.3g} {unit}, more than limits.{bound_key} {bound:.3g}; "
                                   f"raise limits.{bound_key} to run it anyway")

    def check_memory(self, key: str, need: int, detail: str) -> None:
        from .studies.lottery.budget import format_bytes

        bound, what = self.job_memory_bound()
        if bound is not None and need > bound:
            raise ConfigError(key, f"{detail} needs about {format_bytes(need)} of memory, more than "
                                   f"{format_bytes(bound)} ({what})")

    def check_estimate(self, key: str, kind: str, estimate) -> None:
        """estimate: (work, memory, how counted) of one job, from lottery_scaling.limits."""
        work, memory, detail = estimate
        self.check_work(key, kind, work, detail)
        self.check_memory(key, memory, detail)

    def check_figure(self, key: str, width_in: float, height_in: float, dpi: float) -> None:
        from . import limits

        try:
            limits.check_figure(width_in, height_in, dpi, "the largest figure")
        except ConfigError:
            raise
        except UserError as exc:
            raise ConfigError(key, str(exc)) from None
