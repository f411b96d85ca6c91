# What every study's rules share: the Snakemake-only config checks (duplicate keys, the split
# schema, the same-package check), the results folder, the lists of final targets and claim parts,
# and `build`, which makes a study's plan (src/lottery_scaling/studies/STUDY/plan.py) from the config.
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from snakemake.utils import validate

SRC = Path(workflow.basedir) / "src"
sys.path.insert(0, str(SRC))  # the workflow reads this checkout's package
from lottery_scaling.errors import ConfigError, UserError
from lottery_scaling.plan import Limits, check_path_setting, check_results_folder, results_folder

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

R = results_folder(config)


def build(plan_class, *args):
    """A study's plan from this config (src/lottery_scaling/studies/STUDY/plan.py); a config mistake
    it finds stops the run before any job with its one line."""
    try:
        return plan_class(config, R, *args)
    except ConfigError as exc:
        config_error(str(exc))


def _check_results():
    try:
        check_path_setting("results", R)
        check_results_folder(R)
    except ConfigError as exc:
        config_error(str(exc))


_check_results()

# Every study's common.smk appends its final targets here; `rule all` asks for all of them.
FINAL_OUTPUTS = []
# CSV files of claim rows (columns: lottery_scaling.claims.COLUMNS); the claims_table rule concatenates them.
CLAIM_PARTS = []
# Every claim id the table must list (a claim no configured experiment can judge gets a
# "not tested" row instead of silently missing).
CLAIM_IDS = []


def all_outputs():
    return FINAL_OUTPUTS


def upgrade_job_records():
    """Before the DAG is built (by the main Snakemake process only, file backend only): records of
    jobs whose rule's shell text has only gained `:q` quoting since they ran keep counting as current."""
    from lottery_scaling.snakemake_records import upgrade_quoted_records

    backend = getattr(getattr(workflow, "workflow_settings", None), "persistence_backend", None)
    if workflow.remote_exec or (backend is not None and str(getattr(backend, "name", backend)).lower() != "file"):
        return
    upgrade_quoted_records(Path(".snakemake") / "metadata", {r.name: r.shellcmd for r in workflow.rules if r.shellcmd})


# ---- limits (docs/cli.md, Limits; estimates and default bounds in lottery_scaling/limits.py) ----
from lottery_scaling import limits as _limits

LIMITS = build(lambda config, results: Limits(config))
# The commands of every job check the same estimates against the same bounds: hand them the ones
# this config set (a job re-reads this file, so the bounds also reach jobs on other machines).
os.environ[_limits.ENV] = json.dumps(LIMITS.environment())

