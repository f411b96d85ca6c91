"""The lottery study's plan (docs/development.md, Layout): from a config dict and a results folder,
its experiments and their run names, the seed chunks of each training, the stage settings, the
config's limits checked, and the path of every output.

    plan = LotteryPlan(yaml.safe_load(open("config/test.yaml")), "results")
    plan.experiments["x2_silu"].run, plan.merged_file("x2_silu", 4)

Raises ConfigError (naming the key) for a config mistake. The workflow's rule files
(workflow/rules/lottery/) build one and call its methods; so does lottery_scaling.open_results.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ...errors import ConfigError, UserError
from ...plan import Limits, cli_options, optional_option, section, train_cli_args
from .tasks import input_dim

# the schema's bound on a seed count; the DAG lists every chunk
MAX_SEEDS = 10_000_000
# A formula is evaluated on an experiment's data when the config is read up to this many input
# numbers (train + test points x d, float64); a larger data set is checked by its training jobs.
MAX_CHECKED_INPUTS = 2_000_000
# Conservative per-thread speed of the trainer (neuron-sample-steps per second) for runtime requests.
SLOW_RATE = 2e8
# The analysis stages, each with its tables under RESULTS/EXPERIMENT/STAGE/KIND.csv.
STAGE_TABLES = {
    "histogram": ("summary", "modes"),
    "synergy": ("summary", "samples"),
    "fit": ("medians", "slopes", "exponents"),
}
PAIR_CLAIM_IDS = ("width2_tickets_symmetric", "wide_symmetric_neurons")


def stage_table(experiment_dir, stage: str, kind: str) -> str:
    """The table `kind` of one analysis stage in an experiment's folder (RESULTS/EXPERIMENT): the
    one place the commands and the plan name these files."""
    return f"{experiment_dir}/{stage}/{kind}.csv"


def training_keys() -> list[str]:
    from .trainer import TrainSettings

    return [f.name for f in fields(TrainSettings) if f.name not in ("task", "activation", "width")]


def training_defaults() -> dict:
    from .trainer import TrainSettings

    return {k: getattr(TrainSettings("x2", "silu", 1), k) for k in training_keys()}


def resolved_settings(task, activation, training: dict) -> dict:
    """TrainSettings (width 1) of task, activation and training keys, resolved, as attributes."""
    from .trainer import TrainSettings

    return TrainSettings(task=task, activation=activation, width=1, **{
        k: (tuple(v) if isinstance(v, list) else v) for k, v in training.items()
    }).resolved().as_attrs()


def check_formula_on_data(key: str, settings: dict) -> None:
    """A formula that is not finite somewhere on the data of `settings` (log(x) on [-2, 2], 1/x at 0)
    is refused before any job, naming the config key and the first bad point, rather than by every
    training job (the bridge study's plan uses it too)."""
    from .expressions import is_expression
    from .tasks import DataSpec, make_dataset

    task = settings["task"]
    if not is_expression(task) or (settings["n_train"] + settings["n_test"]) * input_dim(task) > MAX_CHECKED_INPUTS:
        return
    try:
        make_dataset(DataSpec(task, settings["n_train"], settings["n_test"], tuple(settings["x_range"]), settings["data_seed"]))
    except UserError as exc:
        raise ConfigError(key, str(exc)) from None


def aligned_edges(lo: int, hi: int, per_job: int) -> list[int]:
    """Edges of the half-open seed blocks of [lo, hi) aligned on multiples of per_job."""
    return sorted({lo, hi, *range((lo // per_job + 1) * per_job, hi, per_job)})


def chunk_count(lo: int, hi: int, per_job: int) -> int:
    return (hi - 1) // per_job - lo // per_job + 1


@dataclass(frozen=True)
class Experiment:
    """One configured experiment: its trained widths and seeds [lo, hi), resolved training
    settings (without width) and the run name that names its training folder."""

    name: str
    task: str
    activation: str
    widths: list
    seeds: tuple
    settings: dict
    run: str

    @property
    def n_seeds(self) -> int:
        return self.seeds[1] - self.seeds[0]


class LotteryPlan:
    """Everything the lottery study's rules need, from `config` (a dict as Snakemake reads it) and
    the results folder `results`."""

    def __init__(self, config: dict, results: str, limits: Limits | None = None):
        from ...provenance import core_hash
        from .expressions import task_slug

        self.config = config
        self.R = results
        self.limits = limits or Limits(config)
        self.seeds_per_job = int(config.get("seeds_per_job", 100))
        self.train_threads = int(config.get("train_threads", 2))
        self.core_hash = core_hash("lottery")
        self._training_defaults = training_defaults()
        self._check_global_training()
        self.experiments = {name: self._experiment(name, spec) for name, spec in config["experiments"].items()}
        self._check_all_chunks()
        self.runs = {e.run: e.settings for e in self.experiments.values()}
        # Experiments with one input (d = 1): the pair-and-disentangle stage applies to them only.
        self.pair_experiments = [n for n, e in self.experiments.items() if input_dim(e.task) == 1]
        self.pair_skipped = [n for n, e in self.experiments.items() if input_dim(e.task) != 1]
        # Tasks by their file-name slug (figures/scaling_{task}: a user-defined formula's slug, see expressions.task_slug).
        self.task_of_slug = {task_slug(e.task): e.task for e in self.experiments.values()}
        self.tasks_run = sorted(self.task_of_slug)
        self._read_fit()
        self._read_appendix()
        self._read_pairs()
        self._read_histogram()
        self._read_synergy()
        self._check_fit_limits()
        self._read_claims()
        self._read_figures()

    # ---- experiments ----

    def _check_global_training(self):
        """A bad value in the top-level training block is reported there, not per experiment."""
        try:
            resolved_settings("x2", "silu", self.config.get("training") or {})
        except UserError as exc:
            raise ConfigError("training", str(exc)) from None

    def _task_of(self, name, task):
        """The task text of an experiment: a built-in name, or a user-defined formula {expr, dim} in canonical form."""
        from .expressions import canonical

        if not isinstance(task, dict):
            return task
        try:
            return canonical(task["expr"], task.get("dim", 1))
        except UserError as exc:
            raise ConfigError(f"experiments.{name}.task", str(exc)) from None

    def _experiment(self, name, spec) -> Experiment:
        from .runs import run_name

        spec = {**spec, "task": self._task_of(name, spec["task"])}
        training = dict(self._training_defaults)
        training.update(self.config.get("training") or {})
        training.update(spec.get("training") or {})
        try:
            settings = resolved_settings(spec["task"], spec["activation"], training)
        except UserError as exc:
            raise ConfigError(f"experiments.{name} (training settings)", str(exc)) from None
        defaults = resolved_settings(spec["task"], spec["activation"], self._training_defaults)
        del settings["width"]
        seeds = spec["seeds"]
        lo, hi = (0, seeds) if isinstance(seeds, int) else seeds
        if hi <= lo:
            raise ConfigError(f"experiments.{name}.seeds", f"[START, STOP] needs STOP > START, got {seeds}")
        if hi - lo > MAX_SEEDS:
            raise ConfigError(f"experiments.{name}.seeds", f"at most {MAX_SEEDS} seeds per experiment, got {seeds}")
        if 2 in spec["widths"] and hi - lo < 2:
            raise ConfigError(f"experiments.{name}.seeds",
                              f"width 2 is trained, and its algorithms need at least 2 seeds; got {seeds}")
        self._check_experiment_limits(name, spec, settings, lo, hi)
        check_formula_on_data(f"experiments.{name}.task", settings)
        return Experiment(name=name, task=spec["task"], activation=spec["activation"], widths=sorted(spec["widths"]),
                          seeds=(lo, hi), settings=settings, run=run_name(settings, defaults))

    # ---- limit checks (config `limits`; docs/cli.md, Limits) ----

    def _check_experiment_limits(self, name, spec, settings, lo, hi):
        """Refuse an experiment whose chunks, work or per-job memory exceed config `limits`; from
        arithmetic alone, before any chunk list is built."""
        from .budget import format_bytes, train_memory_bytes

        bounds, per_job = self.limits.bounds, self.seeds_per_job
        widths = spec["widths"]
        chunks = len(widths) * chunk_count(lo, hi, per_job)
        if chunks > bounds["max_train_chunks"]:
            raise ConfigError(f"experiments.{name}", f"{chunks} training jobs ({hi - lo} seeds x {len(widths)} widths in chunks of "
                              f"seeds_per_job {per_job}), more than limits.max_train_chunks {bounds['max_train_chunks']}; "
                              "raise seeds_per_job, or limits.max_train_chunks if the DAG really should hold them")
        work = sum(widths) * (hi - lo) * settings["steps"] * settings["n_train"]
        if work > bounds["max_train_work"]:
            raise ConfigError(f"experiments.{name}", f"{work:.3g} neuron-sample-steps (widths x seeds x steps x n_train), more than "
                              f"limits.max_train_work {bounds['max_train_work']:.3g}; raise limits.max_train_work to run it anyway")
        n = min(per_job, hi - lo)
        need = train_memory_bytes(input_dim(spec["task"]), max(widths), n, settings["n_train"], settings["n_test"],
                                  settings["curve_points"], settings["dtype"], self.train_threads, settings["snapshots"],
                                  settings["steps"])
        bound, what = self.limits.job_memory_bound()
        if bound is not None and need > bound:
            raise ConfigError(f"experiments.{name}", f"a training job ({n} seeds of width {max(widths)}, n_train {settings['n_train']}, "
                              f"n_test {settings['n_test']}) needs about {format_bytes(need)} of memory, more than "
                              f"{format_bytes(bound)} ({what})")

    def _check_all_chunks(self):
        total = sum(len(e.widths) * chunk_count(*e.seeds, self.seeds_per_job) for e in self.experiments.values())
        if total > self.limits.bounds["max_train_chunks"]:
            raise ConfigError("experiments", f"{total} training jobs in all experiments together, more than "
                              f"limits.max_train_chunks {self.limits.bounds['max_train_chunks']}; raise seeds_per_job, "
                              "or limits.max_train_chunks")

    def _check_histogram_limits(self):
        from ... import limits

        for name, e in self.experiments.items():  # one job per width, each with every seed of the experiment
            self.limits.check_estimate(f"histogram (experiment {name}, per width)", "analysis", limits.histogram_estimate(
                e.n_seeds, self.histogram["bootstrap"], self.histogram["median_bootstrap"]))

    def _check_synergy_limits(self):
        from ... import limits
        from .synergy import comparable_widths

        for name, e in self.experiments.items():
            self.limits.check_estimate(f"synergy (experiment {name})", "analysis", limits.synergy_estimate(
                [(e.n_seeds, e.n_seeds)] * len(comparable_widths(e.widths)), self.synergy["pairs"], self.synergy["bootstrap"]))

    def _check_fit_limits(self):
        from ... import limits

        for name, e in self.experiments.items():
            self.limits.check_estimate(f"fit (experiment {name})", "analysis",
                                       limits.fit_estimate([e.n_seeds] * len(e.widths), self.fit["bootstrap"]))

    def _check_wide_claim_limits(self):
        from ... import limits

        for name, e in self.experiments.items():  # the wide claim resamples the networks of the widest width
            self.limits.check_estimate(f"claims.wide_symmetric_neurons.bootstrap (experiment {name})", "analysis",
                                       limits.bootstrap_estimate(self.claim_wide["bootstrap"], e.n_seeds))

    def _check_figure_limits(self):
        figs = self.figures
        grid_panels = max(len(e.widths) for e in self.experiments.values())  # the histogram grid: one panel per width
        grid_cols = min(figs["columns"], grid_panels)
        appendix_targets = len({e.task for e in self.experiments.values()}) if self.appendix_on else 0  # one row per target
        self.limits.check_figure(
            "figures.dpi", max(figs["panel_width"] * grid_cols, figs["panel_width"] * grid_panels + 0.8 if appendix_targets else 0),
            max(figs["panel_height"] * -(-grid_panels // grid_cols), figs["panel_height"] * appendix_targets + 0.8),
            figs["dpi"])

    # ---- training: chunks, options, resources ----

    def seed_chunks(self, lo, hi, run=None, width=None):
        """Half-open seed chunks aligned on multiples of seeds_per_job.

        With run and width: inside each aligned block, a chunk file already on disk that starts
        where the block (or its untrained rest) starts is reused, so growing `seeds` past a
        partial last chunk (20 -> 30 with 12 per job: 12-20 exists) trains only 20-24 and 24-30.
        """
        edges = aligned_edges(lo, hi, self.seeds_per_job)
        chunks = []
        for a, b in zip(edges[:-1], edges[1:]):
            while run is not None and a < b:
                ends = self._chunk_ends_on_disk(run, width, a, b)
                if not ends:
                    break
                chunks.append((a, max(ends)))
                a = max(ends)
            if a < b:
                chunks.append((a, b))
        return chunks

    def _chunk_ends_on_disk(self, run, width, start, limit):
        """Ends e (start < e <= limit) of existing chunk files seeds{start}-{e}.h5."""
        ends = []
        for path in Path(self.width_dir(run, width)).glob(f"seeds{start}-*.h5"):
            tail = path.name[len(f"seeds{start}-"):-len(".h5")]
            if tail.isdigit() and start < int(tail) <= limit:
                ends.append(int(tail))
        return ends

    def chunks_of_merged(self, run, width, lo, hi):
        """The chunk files a merged file of seeds [lo, hi) is made of."""
        return [self.chunk_file(run, width, a, b) for a, b in self.seed_chunks(int(lo), int(hi), run, width)]

    def train_args(self, run):
        """Command-line options of `lottery-scaling train` for a run (plus --max-memory when the
        config sets limits.max_job_memory: the train command's own default bound is its machine's memory)."""
        memory = [f"--max-memory {self.limits.job_memory_bound()[0]}"] if self.limits.bounds["max_job_memory"] is not None else []
        return " ".join(memory + ([train_cli_args(self.runs[run])] if self.runs[run] else []))

    def train_work(self, run, width, n_seeds):
        """Neuron-sample-steps of a training job (its cost)."""
        s = self.runs[run]
        return int(width) * int(n_seeds) * s["steps"] * s["n_train"]

    def train_runtime(self, run, width, n_seeds, threads, attempt=1):
        """Minutes to ask for; a retry (profile: retries) of a job that ran out of time asks for 2x, 3x as much."""
        work = self.train_work(run, width, n_seeds)
        return attempt * (10 + math.ceil(2 * work / (SLOW_RATE * threads) / 60))

    def train_mem(self, run, width, threads, attempt=1):
        per_thread = int(width) * self.runs[run]["n_train"] * 8 * 4
        return attempt * (1000 + math.ceil(threads * per_thread / 2**20))

    # ---- paths of every stage's outputs ----

    def width_dir(self, run, width):
        return f"{self.R}/train/{run}/N{width}"

    def chunk_file(self, run, width, lo, hi):
        return f"{self.width_dir(run, width)}/seeds{lo}-{hi}.h5"

    def merged_pattern(self, run, width, lo, hi):
        return f"{self.R}/train/{run}/N{width}_seeds{lo}-{hi}.h5"

    def merged_file(self, experiment, width):
        """All seeds of one experiment and width (input of every analysis stage)."""
        e = self.experiments[experiment]
        return self.merged_pattern(e.run, width, *e.seeds)

    def merged_files(self, experiment):
        return [self.merged_file(experiment, w) for w in self.experiments[experiment].widths]

    def experiment_dir(self, experiment):
        return f"{self.R}/{experiment}"

    def histogram_file(self, experiment, width, kind):
        """kind: summary, modes or kde (see `lottery-scaling histogram --help`)."""
        return f"{self.histogram_dir(experiment)}/N{width}_{kind}.csv"

    def histogram_dir(self, experiment):
        return f"{self.experiment_dir(experiment)}/histogram"

    def fit_dir(self, experiment):
        return f"{self.experiment_dir(experiment)}/fit"

    def histogram_table(self, experiment, kind="summary"):
        """One row per width (kind=summary) or per candidate mode (kind=modes) of an experiment."""
        return stage_table(self.experiment_dir(experiment), "histogram", kind)

    def synergy_table(self, experiment, kind="summary"):
        """kind: summary (one row per compared N) or samples (the two loss distributions per N)."""
        return stage_table(self.experiment_dir(experiment), "synergy", kind)

    def fit_table(self, experiment, kind):
        """kind: medians (one row per width), slopes (neighbouring widths) or exponents (one row per range)."""
        return stage_table(self.experiment_dir(experiment), "fit", kind)

    def pairs_dir(self, experiment):
        return f"{self.experiment_dir(experiment)}/pairs"

    def pairs_file(self, experiment, name):
        """A file of the pair-and-disentangle stage: N{w}_tickets.csv, N{w}_networks.csv,
        width2_networks.csv, width2_clusters.csv, width2_bic.csv, distilled.csv, claims.csv, SKIPPED.txt."""
        return f"{self.pairs_dir(experiment)}/{name}"

    @property
    def figure_dir(self):
        return f"{self.R}/figures"

    def figure(self, name, ext):
        return f"{self.figure_dir}/{name}.{ext}"

    def pair_fig(self, experiment, name):
        """Stem of a figure of the pair-and-disentangle stage (add .png / .pdf)."""
        return f"{self.figure_dir}/{experiment}_pairs_{name}"

    def log(self, name):
        """A rule's log file under RESULTS/logs (name: e.g. fit/{experiment}.log)."""
        return f"{self.R}/logs/{name}"

    @property
    def analysis_claims(self):
        return f"{self.R}/claims/analysis.csv"

    @property
    def appendix_claims(self):
        return f"{self.R}/claims/appendix.csv"

    @property
    def appendix_table(self):
        return f"{self.R}/claims/appendix_table.csv"

    # ---- settings of the analysis stages ----

    def _read_fit(self):
        """The fit's width ranges (the fit computes them; claims and figures name them)."""
        from .fit import DEFAULT_RANGES, FitSettings

        self.fit = section("fit", {**asdict(FitSettings()), "ranges": DEFAULT_RANGES}, self.config.get("fit"))
        self.fit_ranges = {name: (float(lo), float(hi)) for name, (lo, hi) in self.fit["ranges"].items()}
        for rname, (lo, hi) in self.fit_ranges.items():
            if not 0 < lo <= hi:
                raise ConfigError(f"fit.ranges.{rname}", f"needs 0 < LO <= HI, got [{lo:g}, {hi:g}]")

    def _read_histogram(self):
        from .histogram import ModeSettings

        self.histogram = section("histogram", {k: v for k, v in asdict(ModeSettings()).items() if k != "grid_points"},
                                 self.config.get("histogram"))
        self._check_histogram_limits()

    def _read_synergy(self):
        from .synergy import SynergySettings

        self.synergy = section("synergy", SynergySettings, self.config.get("synergy"))
        self._check_synergy_limits()

    def _read_claims(self):
        """Each claim's settings from the config override its defaults key by key (other keys of the
        `claims` section belong to the pair-and-disentangle stage)."""
        from .claims import DEFAULT_THRESHOLDS

        user = self.config.get("claims") or {}
        for claim in DEFAULT_THRESHOLDS:
            spec = user.get(claim) or {}
            if not isinstance(spec, dict):
                raise ConfigError(f"claims.{claim}", f"must be a mapping of settings, got {spec!r}")
            unknown = sorted(set(spec) - set(DEFAULT_THRESHOLDS[claim]))
            if unknown:
                raise ConfigError(f"claims.{claim}", f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(DEFAULT_THRESHOLDS[claim])}")
        self.claims = {name: {**spec, **(user.get(name) or {})} for name, spec in DEFAULT_THRESHOLDS.items()}
        for claim, spec in self.claims.items():
            for key in ("range", "early_range", "late_range"):
                if key in spec and spec[key] not in self.fit_ranges:
                    raise ConfigError(f"claims.{claim}.{key}", f"'{spec[key]}' is not a width range of fit.ranges "
                                      f"(allowed: {', '.join(self.fit_ranges)})")

    def _read_figures(self):
        from .figures import ACTIVATION_LABELS, FigureStyle

        given = self.config.get("figures") or {}
        self.figures = section("figures", {**asdict(FigureStyle()), "modes_width": 2}, given)
        try:
            FigureStyle.from_dict({k: v for k, v in given.items() if k != "modes_width"})
        except UserError as exc:
            raise ConfigError.of(f"figures.{exc}", "figures") from None
        unknown = sorted(set(self.figures["colors"]) - set(ACTIVATION_LABELS))
        if unknown:
            raise ConfigError("figures.colors", f"unknown activation(s) {', '.join(unknown)}; allowed: {', '.join(ACTIVATION_LABELS)}")
        if "modes_width" in given and not any(self.figures["modes_width"] in e.widths for e in self.experiments.values()):
            raise ConfigError("figures.modes_width", f"no experiment trains width {self.figures['modes_width']}")
        for act, ranges in (self.figures["fit_lines"] or {}).items():
            for r in ranges:
                if r not in self.fit_ranges:
                    raise ConfigError(f"figures.fit_lines.{act}", f"'{r}' is not a range of fit.ranges (allowed: {', '.join(self.fit_ranges)})")
        self._check_figure_limits()

    # ---- option strings of the analysis commands (params of the rules) ----

    def histogram_options(self):
        return cli_options(self.histogram)

    def synergy_options(self):
        return cli_options(self.synergy)

    def fit_options(self):
        return cli_options({k: v for k, v in self.fit.items() if k != "ranges"})

    def fit_range_options(self):
        # sorted: the order of keys in a config file must not make the fit rerun
        return " ".join(f"--range {name}:{lo:g}:{hi:g}" for name, (lo, hi) in sorted(self.fit_ranges.items()))

    def claims_experiment_options(self, names=None):
        """--experiment NAME TASK ACTIVATION DIR of the claims commands (all experiments, sorted, by default)."""
        names = sorted(self.experiments) if names is None else names
        return " ".join(f"--experiment {n} {shlex.quote(self.experiments[n].task)} {self.experiments[n].activation} "
                        f"{shlex.quote(self.experiment_dir(n))}" for n in names)

    def claims_thresholds_option(self):
        return shlex.quote(json.dumps(self.claims, sort_keys=True))

    def claims_inputs(self):
        return [path for name in self.experiments
                for path in (self.histogram_table(name), self.synergy_table(name), self.fit_table(name, "exponents"))]

    def figure_style_option(self):
        return shlex.quote(json.dumps({k: v for k, v in self.figures.items() if k != "modes_width"}, sort_keys=True))

    # shell-quoted text for a command's argument (a title, a formula)
    quoted = staticmethod(shlex.quote)

    def task_option(self, slug):
        return shlex.quote(self.task_of_slug[slug])

    def title(self, experiment):
        from .figures import ACTIVATION_LABELS, task_label

        e = self.experiments[experiment]
        return f"{ACTIVATION_LABELS.get(e.activation, e.activation)} on {task_label(e.task)} ({experiment})"

    def experiments_of_slug(self, slug):
        return [(n, e) for n, e in sorted(self.experiments.items()) if e.task == self.task_of_slug[slug]]

    def scaling_experiment_options(self, slug):
        return " ".join(f"--experiment {n} {e.activation} {shlex.quote(self.fit_dir(n))}" for n, e in self.experiments_of_slug(slug))

    def histogram_figure_inputs(self, experiment, widths):
        return {
            "h5": [self.merged_file(experiment, w) for w in widths],
            "modes": [self.histogram_file(experiment, w, "modes") for w in widths],
            "kde": [self.histogram_file(experiment, w, "kde") for w in widths],
        }

    # ---- Appendix A (docs/lottery.md): only when the config has more than one target ----

    def _read_appendix(self):
        from .appendix import AppendixSettings

        try:
            self.appendix = AppendixSettings.from_dict(self.config.get("appendix"))
        except UserError as exc:
            raise ConfigError.of(str(exc), "appendix") from None
        self.appendix_on = len({e.task for e in self.experiments.values()}) > 1
        for key in ("early_range", "late_range", "table_range"):
            if self.appendix_on and getattr(self.appendix, key) not in self.fit_ranges:
                raise ConfigError(f"appendix.{key}", f"'{getattr(self.appendix, key)}' is not a width range of fit.ranges "
                                  f"(allowed: {', '.join(self.fit_ranges)})")
        # Experiments judged by the appendix claims (activation in appendix.activations).
        self.appendix_experiments = [n for n, e in sorted(self.experiments.items()) if e.activation in self.appendix.activations]
        self.appendix_groups = [g for g in ("unary", "multi") if self.appendix_on and self.appendix_rows(g)]

    def appendix_rows(self, group):
        """The experiment drawn per target in the appendix figures: group 'unary' (d = 1) or 'multi' (d > 1);
        per target the judged experiment with the most widths (ties: the first name)."""
        best = {}
        for n in self.appendix_experiments:
            e = self.experiments[n]
            if (input_dim(e.task) == 1) != (group == "unary"):
                continue
            if e.task not in best or len(e.widths) > len(self.experiments[best[e.task]].widths):
                best[e.task] = n
        return [best[t] for t in sorted(best, key=_task_order)]

    def appendix_inputs(self):
        return [p for n in self.appendix_experiments
                for p in (self.histogram_table(n), self.fit_table(n, "exponents"), self.fit_table(n, "slopes"), self.fit_table(n, "medians"))]

    def appendix_settings_option(self):
        return shlex.quote(json.dumps(self.appendix.as_dict(), sort_keys=True))

    def appendix_histogram_inputs(self, group):
        rows = self.appendix_rows(group)
        return {
            "h5": [self.merged_file(n, w) for n in rows for w in self.experiments[n].widths],
            "modes": [self.histogram_file(n, w, "modes") for n in rows for w in self.experiments[n].widths],
            "kde": [self.histogram_file(n, w, "kde") for n in rows for w in self.experiments[n].widths],
        }

    def appendix_row_options(self, group):
        return " ".join(f"--row {shlex.quote(self.experiments[n].task)} {shlex.quote(self.histogram_dir(n))}"
                        for n in self.appendix_rows(group))

    def appendix_panel_options(self, group):
        return " ".join(f"--panel {shlex.quote(self.experiments[n].task)} {self.experiments[n].activation} "
                        f"{shlex.quote(self.fit_dir(n))}" for n in self.appendix_rows(group))

    def appendix_title(self, group, what):
        from .figures import ACTIVATION_LABELS

        acts = ", ".join(ACTIVATION_LABELS.get(a, a) for a in self.appendix.activations)
        kind = "unary targets (d = 1)" if group == "unary" else "multi-input targets (d > 1; the paper's products)"
        return f"{acts}, {kind}: {what}"

    # ---- the pair-and-disentangle stage ----

    def _read_pairs(self):
        from .pairs.settings import PairFigureSettings, PairSettings, TicketClaimSettings, WideClaimSettings

        pairs_config = dict(self.config.get("pairs") or {})
        own_figures = pairs_config.pop("figures", None)
        self.pair_figures = section("pairs.figures", PairFigureSettings, own_figures)
        if "dpi" not in (own_figures or {}) and "dpi" in (self.config.get("figures") or {}):
            self.pair_figures["dpi"] = self.config["figures"]["dpi"]  # the study's figure dpi, unless the stage sets its own
        self.pairs = section("pairs", PairSettings, pairs_config)
        claims_config = self.config.get("claims") or {}
        self.claim_tickets = section("claims.width2_tickets_symmetric", TicketClaimSettings,
                                     claims_config.get("width2_tickets_symmetric"))
        self.claim_wide = section("claims.wide_symmetric_neurons", WideClaimSettings, claims_config.get("wide_symmetric_neurons"))
        self._check_wide_claim_limits()
        chosen = self.pair_figures["ticket_widths"]
        if chosen and not any(w in self.experiments[n].widths for n in self.pair_experiments for w in chosen):
            raise ConfigError("pairs.figures.ticket_widths", f"no one-input experiment trains any of {chosen}")
        dpi_key = "pairs.figures.dpi" if "dpi" in (own_figures or {}) else "figures.dpi"
        self.limits.check_figure(dpi_key, 15, 3.3 * 4, self.pair_figures["dpi"])  # the ticket figure: 4 widths x 4 panels
        self.pair_dpi = int(self.pair_figures["dpi"])

    def _in_scope(self, experiment, claim):
        e = self.experiments[experiment]
        return e.task == claim["task"] and e.activation == claim["activation"]

    def pair_claim_rows(self, experiment):
        """Which rows `pair-claims` writes for an experiment: ticket (needs width 2), wide."""
        rows = []
        if self._in_scope(experiment, self.claim_tickets) and 2 in self.experiments[experiment].widths:
            rows.append("ticket")
        if self._in_scope(experiment, self.claim_wide):
            rows.append("wide")
        return rows

    def widest(self, experiment):
        return max(self.experiments[experiment].widths)

    def pair_widths(self, experiment):
        return [w for w in self.experiments[experiment].widths if w >= 2]

    def ticket_fig_widths(self, experiment):
        chosen = self.pair_figures["ticket_widths"]
        widths = self.pair_widths(experiment)
        if chosen:
            return [w for w in widths if w in chosen]
        return [w for w in widths if w >= 4][-4:]

    def pair_experiment_pattern(self):
        """Wildcard constraint of the stage's rules: the one-input experiments (none: a pattern matching nothing)."""
        return "|".join(self.pair_experiments) or "(?!x)x"

    def pair_skipped_pattern(self):
        return "|".join(self.pair_skipped) or "(?!x)x"

    def w_scale_option(self):
        return optional_option("--w-scale", self.pairs["w_scale"])

    def pairs_width_options(self):
        p = self.pairs
        return " ".join([self.w_scale_option(), optional_option("--dead-tol", p["dead_tol"]),
                         optional_option("--symmetric-threshold", p["symmetric_threshold"]),
                         optional_option("--variance", p["variance"])])

    def width2_options(self):
        p = self.pairs
        return " ".join([self.w_scale_option(), optional_option("--max-clusters", p["max_clusters"]),
                         optional_option("--symmetric-threshold", p["symmetric_threshold"]),
                         optional_option("--align-iterations", p["align_iterations"]),
                         optional_option("--random-state", p["random_state"])])

    def pair_claim_options(self):
        return " ".join([
            optional_option("--ticket-min-share", self.claim_tickets["min_share"]),
            optional_option("--wide-max-ratio", self.claim_wide["max_ratio"]),
            optional_option("--wide-min-width", self.claim_wide["min_width"]),
            optional_option("--n-boot", self.claim_wide["bootstrap"]),
            optional_option("--random-state", self.claim_wide["seed"]),
        ])

    def pair_claim_inputs(self, experiment):
        rows = self.pair_claim_rows(experiment)
        widest = self.widest(experiment)
        out = {"wide": self.pairs_file(experiment, f"N{widest}_networks.csv")} if "wide" in rows and widest >= 2 else {}
        if "ticket" in rows:
            out["clusters"] = self.pairs_file(experiment, "width2_clusters.csv")
            out["networks"] = self.pairs_file(experiment, "width2_networks.csv")
        return out

    @staticmethod
    def pair_claim_file_options(input):
        """Options naming the files of pair_claim_inputs (input: that mapping, or a rule's input)."""
        parts = []
        if "clusters" in input.keys():
            parts.append(f"--width2-clusters {shlex.quote(input.get('clusters'))} --width2-networks {shlex.quote(input.get('networks'))}")
        if "wide" in input.keys():
            parts.append(f"--wide-networks {shlex.quote(input.get('wide'))}")
        return " ".join(parts)

    def distill_fig_inputs(self, experiment):
        out = {"distilled": self.pairs_file(experiment, "distilled.csv")}
        if 2 in self.experiments[experiment].widths:
            out["width2"] = self.pairs_file(experiment, "width2_networks.csv")
        return out

    # ---- what the study adds to the pipeline's targets and claims table ----

    def claim_ids(self):
        from .appendix import CLAIM_IDS as APPENDIX_CLAIM_IDS
        from .claims import DEFAULT_THRESHOLDS

        return [*DEFAULT_THRESHOLDS, *(APPENDIX_CLAIM_IDS if self.appendix_on else ()), *PAIR_CLAIM_IDS]

    def claim_parts(self):
        """CSV files of claim rows (columns: lottery_scaling.claims.COLUMNS) of the claims table."""
        parts = [self.analysis_claims, *([self.appendix_claims] if self.appendix_on else [])]
        return parts + [self.pairs_file(e, "claims.csv") for e in self.pair_experiments if self.pair_claim_rows(e)]

    def final_outputs(self):
        """Every target of the study, in the order of its stages."""
        from .synergy import comparable_widths

        out = [self.merged_file(n, w) for n, e in self.experiments.items() for w in e.widths]
        for n in self.experiments:
            out += [self.histogram_table(n, "summary"), self.histogram_table(n, "modes")]
        out += [self.synergy_table(n, "summary") for n in self.experiments]
        for n in self.experiments:
            out += [self.fit_table(n, k) for k in STAGE_TABLES["fit"]]
        if self.appendix_on:
            out.append(self.appendix_table)  # a target of its own: results made before the table existed get it too
        for group in self.appendix_groups:
            out += [self.figure(f"appendix_{kind}_{group}", x) for kind in ("histograms", "scaling") for x in ("png", "pdf")]
        for task in self.tasks_run:
            out += [self.figure(f"{kind}_{task}", x) for kind in ("scaling", "slopes") for x in ("png", "pdf")]
        modes_width = self.figures["modes_width"]
        for n, e in self.experiments.items():
            out += [self.figure(f"{n}_histograms", x) for x in ("png", "pdf")]
            if modes_width in e.widths:
                out += [self.figure(f"{n}_N{modes_width}_modes", x) for x in ("png", "pdf")]
            if comparable_widths(e.widths):
                out += [self.figure(f"{n}_synergy", x) for x in ("png", "pdf")]
        for n in self.pair_experiments:
            out += [self.pairs_file(n, f"N{w}_networks.csv") for w in self.pair_widths(n)]
            if self.pair_widths(n):
                out.append(self.pair_fig(n, "fig2a_neurons") + ".png")
            if self.pair_claim_rows(n):
                out.append(self.pairs_file(n, "claims.csv"))
            if self.ticket_fig_widths(n):
                out.append(self.pair_fig(n, "fig12_tickets") + ".png")
            if 2 in self.experiments[n].widths:
                out.append(self.pair_fig(n, "fig9_pca") + ".png")
            if self.widest(n) >= 4:
                out += [self.pairs_file(n, "distilled.csv"), self.pair_fig(n, "fig13_distill") + ".png"]
        out += [self.pairs_file(n, "SKIPPED.txt") for n in self.pair_skipped]
        return out


def _task_order(task):
    from .tasks import TASKS

    return (0, TASKS.index(task), task) if task in TASKS else (1, 0, task)
