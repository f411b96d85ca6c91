# Helpers shared by every study's rules: config validation against the split schema, the results
# folder, the lists of final targets and claim parts, and the CLI option helpers. Study helpers
# live in workflow/rules/STUDY/common.smk; no rule file relies on another rule file.
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict, fields
from pathlib import Path

from snakemake.utils import validate

SRC = Path(workflow.basedir) / "src"
sys.path.insert(0, str(SRC))  # the workflow reads this checkout's package
from lottery_scaling.errors import UserError

_SCHEMAS = Path(workflow.basedir) / "workflow" / "schemas"
# The environment every rule runs in under `snakemake --sdm conda` (envs/; kept in step with pyproject.toml).
CONDA_ENV = str(Path(workflow.basedir) / "envs" / "lottery-scaling.yaml")
_SCHEMA = _SCHEMAS / "config.schema.yaml"


def config_error(message):
    """Stop before any job with one line naming the config key (no traceback)."""
    sys.stderr.write(f"Config error: {message}\n")
    sys.exit(1)


def _schema_validator():
    """jsonschema validator of config.schema.yaml with its study parts ($ref to sibling files).

    Stricter than JSON Schema in two ways that used to let a mistake through to Snakemake: an
    "integer" is an int, not a float with no fraction (`widths: [2.0]` made paths N2.0), and a
    pattern's final `$` means the end of the text (Python's `$` also matches before a final
    newline, so an experiment named "ab\\n" passed `^[A-Za-z][A-Za-z0-9_]*$`)."""
    import re

    import jsonschema
    import yaml
    from referencing import Registry, Resource

    def load(path):
        return Resource.from_contents(yaml.safe_load(path.read_text()))

    def is_integer(checker, instance):
        return isinstance(instance, int) and not isinstance(instance, bool)

    def pattern(validator, regex, instance, schema):
        if not validator.is_type(instance, "string"):
            return
        whole = regex[:-1] + r"\Z" if regex.endswith("$") and not regex.endswith(r"\$") else regex
        if not re.search(whole, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {regex!r}")

    base = jsonschema.Draft202012Validator
    strict = jsonschema.validators.extend(base, validators={"pattern": pattern},
                                          type_checker=base.TYPE_CHECKER.redefine("integer", is_integer))
    registry = Registry().with_resources((p.name, load(p)) for p in _SCHEMAS.glob("*.schema.yaml"))
    return strict(yaml.safe_load(_SCHEMA.read_text()), registry=registry)


def _check_schema():
    """One line per bad value: jsonschema's most relevant error with its key path.

    snakemake.utils.validate (run next, as the catalog workflows do) reports the same
    error as a multi-line dump of the schema; this check comes first so a user sees
    `Config error: experiments.x2_silu.seeds: 0 is less than the minimum of 1`.
    """
    import jsonschema

    error = jsonschema.exceptions.best_match(_schema_validator().iter_errors(config))
    if error is None:
        return
    while error.parent is not None and error.parent.validator in ("oneOf", "anyOf"):
        error = error.parent  # name every alternative, not the one jsonschema found closest
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    if error.validator == "maxLength" and isinstance(error.instance, str):  # the value may be very long
        message = f"{error.instance[:40]!r}... has {len(error.instance)} characters, more than {error.validator_value}"
    if error.validator in ("oneOf", "anyOf") and error.context:
        message = "; or ".join(sorted({e.message for e in error.context}))
    config_error(f"{key}: {message}")


def _check_same_package():
    """The rules run `lottery-scaling` from PATH; it must run this checkout's code (the same
    folder, or a copy with identical modules), or results would come from other code than the
    one whose hash and settings the workflow recorded."""
    exe = shutil.which("lottery-scaling")
    if exe is None:
        config_error(f"the command lottery-scaling is not on PATH; install this checkout: pip install -e {workflow.basedir}")
    try:
        with open(exe, "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
    except OSError as exc:
        config_error(f"cannot read {exe}: {exc.strerror}")
    python = first[2:].strip() if first.startswith("#!") else sys.executable
    probe = "import importlib.util as u; print(u.find_spec('lottery_scaling').submodule_search_locations[0])"
    try:
        found = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    from lottery_scaling.provenance import package_digest

    mine = str((SRC / "lottery_scaling").resolve())
    if found and str(Path(found).resolve()) != mine and package_digest(found) != package_digest(mine):
        config_error(
            f"the lottery-scaling on PATH ({exe}) runs the package in {found}, not this checkout's {mine}; "
            f"run `pip install -e {workflow.basedir}` in the environment you use, or activate the one that has it"
        )


def _check_duplicate_keys():
    """YAML keeps the last of two equal keys in a mapping without a word, so two experiments with
    one name, or a repeated top-level key, would be merged silently: refuse them with the line.
    Snakemake has already loaded the files; this reads each again with a loader that notices."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # yaml reports an unhashable key itself
            if key in seen:
                raise ValueError(f"key {key!r} appears twice in one mapping (lines {seen[key]} and "
                                 f"{key_node.start_mark.line + 1}); the second would silently replace the first")
            seen[key] = key_node.start_mark.line + 1
        return loader.construct_mapping(node, deep=deep)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    for path in workflow.configfiles:
        try:
            text = Path(path).read_text()
        except OSError:
            continue  # snakemake itself reports a config file it cannot read
        try:
            yaml.load(text, Loader=_Loader)
        except ValueError as exc:
            config_error(f"{path}: {exc}")
        except yaml.YAMLError:
            pass  # snakemake itself reports a file that is not YAML


_check_duplicate_keys()
_check_schema()
validate(config, str(_SCHEMA))
_check_same_package()

R = config.get("results", "results").rstrip("/")


# Longest file name (bytes) most file systems allow; a longer folder name fails in the first job.
_NAME_MAX = 255
# Room left under the results folder for the pipeline's own paths (run folders, figure names).
_RESULTS_PATH_MAX = 4096 - 512


def _check_results_folder(path):
    """The results folder (or its nearest existing parent) must be writable before any job, and its
    path short enough that every output path under it stays within the system's limits."""
    for part in Path(path).parts:
        if len(part.encode()) > _NAME_MAX:
            config_error(f"results: the folder name {part[:40]!r}... has {len(part.encode())} bytes, "
                         f"more than the {_NAME_MAX} a file name may have")
    if len(str(Path(path).resolve()).encode()) > _RESULTS_PATH_MAX:
        config_error(f"results: the path {str(path)[:40]!r}... is longer than {_RESULTS_PATH_MAX} bytes, "
                     "too long for the paths the pipeline writes under it")
    p = Path(path).resolve()
    while not p.exists():
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        config_error(f"results: cannot write under {path!r} ({p} is not a writable folder)")


_check_results_folder(R)

# Every rule file appends its final targets here; `rule all` asks for all of them.
FINAL_OUTPUTS = []
# CSV files of claim rows (columns: lottery_scaling.claims.COLUMNS); the claims_table rule concatenates them.
CLAIM_PARTS = []
# Every claim id the table must list (a claim no configured experiment can judge gets a
# "not tested" row instead of silently missing).
CLAIM_IDS = []


def cli_options(settings):
    """`--key value` options for the analysis commands (None values left out)."""
    return " ".join(
        f"--{k.replace('_', '-')} {shlex.quote(str(v))}" for k, v in settings.items() if v is not None
    )


def section(name, defaults, values=None):
    """Config section `name` (or the mapping `values`) over its defaults; an unknown key stops the run."""
    values = dict((config.get(name) if values is None else values) or {})
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        config_error(f"{name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(defaults)}")
    return {**defaults, **values}


def all_outputs():
    return FINAL_OUTPUTS


# ---- limits (README "Limits"; estimates and default bounds in lottery_scaling/limits.py) ----
from lottery_scaling import limits as _limits

LIMITS = section("limits", _limits.DEFAULTS)
# The commands of every job check the same estimates against the same bounds: hand them the ones
# this config set (a job re-reads this file, so the bounds also reach jobs on other machines).
os.environ[_limits.ENV] = json.dumps({k: v for k, v in (config.get("limits") or {}).items() if v is not None})


def job_memory_bound():
    """(bytes, how to name it) of limits.max_job_memory, or of this machine's memory when null."""
    from lottery_scaling.studies.lottery.budget import machine_memory_bytes

    value = LIMITS["max_job_memory"]
    if value is None:
        return machine_memory_bytes(), "the memory of this machine; raise it with limits.max_job_memory"
    try:
        return _limits.memory_bytes(value), "limits.max_job_memory"
    except ValueError as exc:
        config_error(f"limits.max_job_memory: {exc}")


def check_work(key, kind, amount, detail):
    """Stop before any job when `amount` (counted as `detail`, naming the values) exceeds its bound."""
    bound_key, _, unit = _limits.WORK[kind]
    if amount > LIMITS[bound_key]:
        config_error(f"{key}: {detail} = {amount:.3g} {unit}, more than limits.{bound_key} {LIMITS[bound_key]:.3g}; "
                     f"raise limits.{bound_key} to run it anyway")


def check_memory(key, need, detail):
    from lottery_scaling.studies.lottery.budget import format_bytes

    bound, what = job_memory_bound()
    if bound is not None and need > bound:
        config_error(f"{key}: {detail} needs about {format_bytes(need)} of memory, more than {format_bytes(bound)} ({what})")


def check_estimate(key, kind, estimate):
    """estimate: (work, memory, how counted) of one job, from lottery_scaling.limits."""
    work, memory, detail = estimate
    check_work(key, kind, work, detail)
    check_memory(key, memory, detail)


def check_figure(key, width_in, height_in, dpi):
    try:
        _limits.check_figure(width_in, height_in, dpi, "the largest figure")
    except UserError as exc:
        config_error(f"{key}: {exc}")
