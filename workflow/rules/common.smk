# Helpers shared by all rules: config validation, experiments, result paths.
import hashlib
import json
import math
import os
import sys
from dataclasses import fields
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "src"))  # use this checkout's package
from lottery_scaling.errors import UserError
from lottery_scaling.provenance import core_hash
from lottery_scaling.trainer import TrainSettings

_SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"


def config_error(message):
    """Stop before any job with one line naming the config key (no traceback)."""
    sys.stderr.write(f"Config error: {message}\n")
    sys.exit(1)


def _check_schema():
    """One line per bad value: jsonschema's most relevant error with its key path.

    snakemake.utils.validate (run next, as the catalog workflows do) reports the same
    error as a multi-line dump of the schema; this check comes first so a user sees
    `Config error: experiments.x2_silu.seeds: 0 is less than the minimum of 1`.
    """
    import jsonschema
    import yaml

    schema = yaml.safe_load(_SCHEMA.read_text())
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is None:
        return
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    if error.validator in ("oneOf", "anyOf") and error.context:
        message = "; or ".join(sorted({e.message for e in error.context}))
    config_error(f"{key}: {message}")


_check_schema()
validate(config, str(_SCHEMA))

R = config.get("results", "results").rstrip("/")
SEEDS_PER_JOB = int(config.get("seeds_per_job", 100))
TRAIN_THREADS = int(config.get("train_threads", 2))
CORE_HASH = core_hash()

# Every rule file appends its final targets here; `rule all` asks for all of them.
FINAL_OUTPUTS = []
# CSV files of claim rows (columns: lottery_scaling.claims.COLUMNS); the claims_table rule concatenates them.
CLAIM_PARTS = []
# Every claim id the table must list (a claim no configured experiment can judge gets a
# "not tested" row instead of silently missing).
CLAIM_IDS = []

_TRAINING_KEYS = [f.name for f in fields(TrainSettings) if f.name not in ("task", "activation", "width")]
_TRAINING_DEFAULTS = {k: getattr(TrainSettings("x2", "silu", 1), k) for k in _TRAINING_KEYS}


def _check_results_folder(path):
    """The results folder (or its nearest existing parent) must be writable before any job."""
    p = Path(path).resolve()
    while not p.exists():
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        config_error(f"results: cannot write under {path!r} ({p} is not a writable folder)")


_check_results_folder(R)


_MAX_SEEDS = 10_000_000  # the schema's bound on a seed count; the DAG lists every chunk


def _check_global_training():
    """A bad value in the top-level training block is reported there, not per experiment."""
    given = config.get("training") or {}
    try:
        TrainSettings(task="x2", activation="silu", width=1, **{
            k: (tuple(v) if isinstance(v, list) else v) for k, v in given.items()
        }).resolved()
    except UserError as exc:
        config_error(f"training: {exc}")


_check_global_training()


def _experiment(name, spec):
    training = dict(_TRAINING_DEFAULTS)
    training.update(config.get("training") or {})
    training.update(spec.get("training") or {})
    try:
        settings = TrainSettings(task=spec["task"], activation=spec["activation"], width=1, **{
            k: (tuple(v) if isinstance(v, list) else v) for k, v in training.items()
        }).resolved().as_attrs()
    except UserError as exc:
        config_error(f"experiments.{name} (training settings): {exc}")
    del settings["width"]
    seeds = spec["seeds"]
    lo, hi = (0, seeds) if isinstance(seeds, int) else seeds
    if hi <= lo:
        config_error(f"experiments.{name}.seeds: [START, STOP] needs STOP > START, got {seeds}")
    if hi - lo > _MAX_SEEDS:
        config_error(f"experiments.{name}.seeds: at most {_MAX_SEEDS} seeds per experiment, got {seeds}")
    if 2 in spec["widths"] and hi - lo < 2:
        config_error(f"experiments.{name}.seeds: width 2 is trained, and its algorithms need at least 2 seeds; got {seeds}")
    # A run is named by what made it (open_lth style): same settings, same folder.
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return {
        "name": name,
        "task": spec["task"],
        "activation": spec["activation"],
        "widths": sorted(spec["widths"]),
        "seeds": (lo, hi),
        "settings": settings,
        "run": f"{spec['task']}-{spec['activation']}-{digest}",
    }


EXPERIMENTS = {name: _experiment(name, spec) for name, spec in config["experiments"].items()}
RUNS = {e["run"]: e["settings"] for e in EXPERIMENTS.values()}


def seed_chunks(lo, hi, run=None, width=None):
    """Half-open seed chunks aligned on multiples of seeds_per_job.

    With run and width: inside each aligned block, a chunk file already on disk that starts
    where the block (or its untrained rest) starts is reused, so growing `seeds` past a
    partial last chunk (20 -> 30 with 12 per job: 12-20 exists) trains only 20-24 and 24-30.
    """
    edges = sorted({lo, hi, *range((lo // SEEDS_PER_JOB + 1) * SEEDS_PER_JOB, hi, SEEDS_PER_JOB)})
    chunks = []
    for a, b in zip(edges[:-1], edges[1:]):
        while run is not None and a < b:
            ends = _chunk_ends_on_disk(run, width, a, b)
            if not ends:
                break
            chunks.append((a, max(ends)))
            a = max(ends)
        if a < b:
            chunks.append((a, b))
    return chunks


def _chunk_ends_on_disk(run, width, start, limit):
    """Ends e (start < e <= limit) of existing chunk files seeds{start}-{e}.h5."""
    ends = []
    for path in Path(f"{R}/train/{run}/N{width}").glob(f"seeds{start}-*.h5"):
        tail = path.name[len(f"seeds{start}-"):-len(".h5")]
        if tail.isdigit() and start < int(tail) <= limit:
            ends.append(int(tail))
    return ends


def chunk_file(run, width, lo, hi):
    return f"{R}/train/{run}/N{width}/seeds{lo}-{hi}.h5"


def merged_file(experiment, width):
    """All seeds of one experiment and width (input of every analysis stage)."""
    e = EXPERIMENTS[experiment]
    lo, hi = e["seeds"]
    return f"{R}/train/{e['run']}/N{width}_seeds{lo}-{hi}.h5"


def train_cli_args(settings):
    """Command-line options of `lottery-scaling train` for a settings dict."""
    args = []
    for key, value in settings.items():
        if key in ("task", "activation"):
            args.append(f"--{key} {value}")
        elif key == "x_range":
            args.append(f"--x-range {value[0]!r} {value[1]!r}")
        else:
            args.append(f"--{key.replace('_', '-')} {value!r}")
    return " ".join(args)


def train_work(settings, width, n_seeds):
    """Neuron-sample-steps of a training job (its cost)."""
    return width * n_seeds * settings["steps"] * settings["n_train"]


for _name, _e in EXPERIMENTS.items():
    for _width in _e["widths"]:
        FINAL_OUTPUTS.append(merged_file(_name, _width))


def all_outputs():
    return FINAL_OUTPUTS
