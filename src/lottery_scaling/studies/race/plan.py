"""The race study's plan (docs/race.md; docs/development.md, Layout): from a config dict and a
results folder, the experiments of config section `race`, the settings each one trains and their
run names, the stage settings, the config's limits checked, the path of every output and the
option strings of the commands.

Raises ConfigError (naming the key) for a config mistake.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass, fields
from pathlib import Path

from ...errors import ConfigError, UserError
from ...plan import Limits, check_path_setting, cli_options, section

CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
FIGURE_KINDS = ("fig1", "fig3a", "fig3b", "fig4", "fig5", "fig6", "fig8", "unlock", "inhibition", "imp_clusters")
# Figures drawn from the runs of the main setting alone
ONE_RUNS_FIGURES = ("fig1", "fig4", "fig8", "unlock", "inhibition")
# A params entry of every analysis rule, bumped when an analysis table or figure changes its content
# (a params change reruns the rule, so a results folder is brought up to date without retraining).
ANALYSIS_VERSION = "2: nulls (issue 21)"
INPUTS = {"digits": 64, "cifar10": 1024, "photos": 1024}
# The tables of an experiment under RESULTS/race/EXPERIMENT/NAME.csv.
TABLES = ("alignment", "angle_curve", "clusters", "merge", "imp", "imp_neurons", "cells", "claims")
# Conservative speed for runtime requests: multiply-adds per second per thread of the direct form.
SLOW_RATE = 5e8
# Keys of a run's settings that are not options of `race-train` (the data file holds them; runs: --runs)
_CLI_SKIP = ("dataset", "n", "data_seed", "runs")


@dataclass(frozen=True)
class RaceExperiment:
    """One configured race experiment: its main setting (n, width, sigma), every n it uses and
    every trained setting {(n, width, sigma): {"run": name, "settings": dict}}."""

    name: str
    dataset: str
    data_seed: int
    runs: int
    main: tuple
    ns: list
    settings: dict


class RacePlan:
    """Everything the race study's rules need, from `config` and the results folder `results`."""

    def __init__(self, config: dict, results: str, limits: Limits | None = None):
        from ...provenance import core_hash
        from .settings import CellSettings, ClaimSettings, ClusterSettings, FigureSettings, ImpSettings
        from .trainer import RaceSettings

        self.config = config
        self.R = results
        self.limits = limits or Limits(config)
        race = dict(config.get("race") or {})
        self.core_hash = core_hash("race")
        self.threads = int(race.get("train_threads", 2))
        self._training_defaults = {f.name: getattr(RaceSettings(), f.name) for f in fields(RaceSettings)
                                   if f.name not in ("width", "sigma")}
        self.clusters = section("race.clusters", ClusterSettings, race.get("clusters"))
        self.imp = section("race.imp", ImpSettings, race.get("imp"))
        self.cells = section("race.cells", CellSettings, race.get("cells"))
        self.figures = section("race.figures", FigureSettings, race.get("figures"))
        self.claims = section("race.claims", ClaimSettings, race.get("claims"))
        self._race = race
        self.cifar_dir = race.get("cifar_dir")
        if self.cifar_dir is not None:
            check_path_setting("race.cifar_dir", self.cifar_dir)
        self._check_figure_limits()
        self.experiments = {name: self._experiment(name, spec) for name, spec in (race.get("experiments") or {}).items()}
        # run name -> settings with runs; a run name shared by two experiments must ask for the same runs
        self.runs = {}
        for e in self.experiments.values():
            for s in e.settings.values():
                prev = self.runs.get(s["run"])
                self.runs[s["run"]] = {**s["settings"], "runs": max(e.runs, prev["runs"] if prev else 0)}

    # ---- experiments ----

    def _training(self, name, spec):
        from .trainer import RaceSettings

        training = {**self._training_defaults, **(self._race.get("training") or {}), **(spec.get("training") or {})}
        try:
            RaceSettings(width=spec["width"], sigma=spec["sigma"], **training).check()
        except (UserError, TypeError) as exc:
            raise ConfigError(f"race.experiments.{name} (training settings)", str(exc)) from None
        return training

    def _experiment(self, name, spec) -> RaceExperiment:
        from .runs import run_name

        training = self._training(name, spec)
        data_seed = int(spec.get("data_seed", 0))
        main = (int(spec["n"]), int(spec["width"]), float(spec["sigma"]))
        ns = sorted({main[0], *spec.get("vary_n", [])})
        widths = sorted({main[1], *spec.get("vary_width", [])})
        sigmas = sorted({main[2], *map(float, spec.get("vary_sigma", []))})
        # Fig 3a grid (n x width at the main sigma) and Fig 3b line (sigmas at the main n, width)
        grid = sorted({(n, w, main[2]) for n in ns for w in widths} | {(main[0], main[1], s) for s in sigmas})
        self._check_experiment_limits(name, spec, ns, grid, training)
        settings = {}
        for n, w, s in grid:
            full = {"dataset": spec["dataset"], "n": n, "data_seed": data_seed, "width": w, "sigma": s, **training}
            settings[(n, w, s)] = {"run": run_name(full), "settings": full}
        if spec["dataset"] == "cifar10":
            self._check_cifar(name)
        return RaceExperiment(name=name, dataset=spec["dataset"], data_seed=data_seed, runs=int(spec.get("runs", 1)),
                              main=main, ns=ns, settings=settings)

    def _check_cifar(self, name):
        if not self.cifar_dir:
            raise ConfigError(f"race.experiments.{name}",
                              "dataset cifar10 needs race.cifar_dir (the folder with CIFAR-10's python batches)")
        missing = [f for f in CIFAR_FILES if not (Path(self.cifar_dir) / f).is_file()]
        if missing:
            raise ConfigError("race.cifar_dir", f"{self.cifar_dir} lacks {', '.join(missing)} (CIFAR-10's python batches)")

    # ---- limit checks (config `limits`; docs/cli.md, Limits) ----

    def _check_experiment_limits(self, name, spec, ns, grid, training):
        """Every training job, the IMP and the stable cells of one experiment within config `limits`,
        and every n within what the data set holds."""
        from ... import limits

        L = self.limits
        dataset, runs = spec["dataset"], int(spec.get("runs", 1))
        inputs = limits.RACE_INPUTS[dataset]
        for n in ns:
            if n > limits.RACE_MAX_N[dataset]:
                raise ConfigError(f"race.experiments.{name}", f"n {n} is more than the {limits.RACE_MAX_N[dataset]} balanced "
                                  f"training samples {dataset} holds ({limits.RACE_MAX_N[dataset] // 4} per label)")
        for n, w, s in grid:
            L.check_estimate(f"race.experiments.{name} (setting n {n}, width {w}, sigma {s:g})", "race",
                             limits.race_train_estimate(runs, w, inputs, n, limits.race_test_samples(dataset, n),
                                                        training, self.threads))
        n, w = int(spec["n"]), int(spec["width"])
        L.check_estimate(f"race.imp (experiment {name})", "race", limits.race_imp_estimate(
            min(int(self.imp["runs"]), runs), len(self.imp["sparsities"]), int(self.imp["rounds"]), w, inputs, n,
            limits.race_test_samples(dataset, n), training, self.threads))
        L.check_estimate(f"race.cells (experiment {name})", "race", limits.race_cells_estimate(
            [(m, inputs) for m in ns], int(self.cells["probes"]), int(self.cells["max_iter"]),
            int(self.cells["null_shuffles"])))

    def _check_figure_limits(self):
        # the widest race figures: one panel per snapshot (4) or per IMP sparsity, 3.6 x 3.2 inches each
        self.limits.check_figure("race.figures.dpi", max(11, 3.6 * max(4, len(self.imp["sparsities"]))), 3.4,
                                 int(self.figures["dpi"]))

    # ---- paths ----

    def data_file(self, dataset, n, data_seed):
        return f"{self.R}/race/data/{dataset}_n{n}_seed{data_seed}.h5"

    def runs_file(self, run):
        return f"{self.R}/race/train/{run}.h5"

    def setting_file(self, experiment, key):
        return self.runs_file(self.experiments[experiment].settings[key]["run"])

    def main_file(self, experiment):
        return self.setting_file(experiment, self.experiments[experiment].main)

    def all_files(self, experiment):
        """The trained runs of every setting of an experiment."""
        return sorted({self.runs_file(s["run"]) for s in self.experiments[experiment].settings.values()})

    def table(self, experiment, name):
        """name: alignment, angle_curve, clusters, merge, imp, imp_neurons, cells, claims."""
        return f"{self.R}/race/{experiment}/{name}.csv"

    def figure(self, experiment, kind, ext):
        return f"{self.R}/figures/race_{experiment}_{kind}.{ext}"

    def cifar_files(self):
        return [str(Path(self.cifar_dir) / f) for f in CIFAR_FILES]

    # ---- inputs, option strings and resources of the rules ----

    def main_option(self, experiment):
        n, w, s = self.experiments[experiment].main
        return f"{n} {w} {s!r}"

    def data_input(self, dataset):
        return self.cifar_files() if dataset == "cifar10" else []

    def data_options(self, dataset):
        return f"--cifar-dir {shlex.quote(str(self.cifar_dir))}" if dataset == "cifar10" else ""

    def train_input(self, run):
        s = self.runs[run]
        return self.data_file(s["dataset"], s["n"], s["data_seed"])

    def train_options(self, run):
        s = self.runs[run]
        return cli_options({k: v for k, v in s.items() if k not in _CLI_SKIP}) + f" --runs 0:{s['runs']}"

    def train_runtime(self, run, threads):
        s = self.runs[run]
        work = s["runs"] * s["max_epochs"] * s["n"] * s["width"] * INPUTS[s["dataset"]] * 6
        return 10 + math.ceil(work / (SLOW_RATE * threads) / 60)

    def train_mem(self, run, threads):
        s = self.runs[run]
        snapshots = s["runs"] * 6 * s["width"] * INPUTS[s["dataset"]] * 8
        return 1000 + math.ceil(2 * snapshots / 2**20)

    def cells_input(self, experiment):
        e = self.experiments[experiment]
        return [self.data_file(e.dataset, n, e.data_seed) for n in e.ns]

    def imp_runtime(self, experiment, threads):
        e = self.experiments[experiment]
        n, w, _ = e.main
        s = self.runs[e.settings[e.main]["run"]]
        trainings = self.imp["runs"] * (1 + self.imp["rounds"] * len(self.imp["sparsities"]))
        work = trainings * s["max_epochs"] * n * w * INPUTS[e.dataset] * 6
        return 10 + math.ceil(work / (SLOW_RATE * threads) / 60)

    def thresholds_option(self):
        return " ".join(repr(float(t)) for t in self.clusters["thresholds"])

    def sparsities_option(self):
        return " ".join(repr(float(p)) for p in self.imp["sparsities"])

    def claims_option(self):
        return shlex.quote(json.dumps(self.claims, sort_keys=True))

    def cells_options(self):
        return cli_options(self.cells)

    def experiment_pattern(self):
        """Wildcard constraint of the study's per-experiment rules (no experiment: a pattern matching nothing)."""
        return "|".join(self.experiments) or "(?!x)x"

    analysis_version = ANALYSIS_VERSION

    def sigma_files(self, experiment):
        """Runs files of every sigma at the main n and width (Fig 6: one line per init scale)."""
        e = self.experiments[experiment]
        n, w, _ = e.main
        return [self.runs_file(s["run"]) for (n_, w_, _), s in sorted(e.settings.items()) if (n_, w_) == (n, w)]

    def figure_inputs(self, experiment, kind):
        if kind in ONE_RUNS_FIGURES:
            return {"runs": self.main_file(experiment)}
        if kind == "fig6":
            return {"runs": self.sigma_files(experiment)}
        if kind in ("fig3a", "fig3b"):
            return {"counts": self.table(experiment, "clusters")}
        return {"imp_neurons": self.table(experiment, "imp_neurons")}

    def figure_options(self, experiment, kind, input):
        """Options naming the files of figure_inputs (input: that mapping, or a rule's input)."""
        if kind in ONE_RUNS_FIGURES:
            return f"--runs {shlex.quote(input.get('runs'))}"
        if kind == "fig6":
            return "--runs " + " ".join(shlex.quote(f) for f in input.get("runs"))
        if kind in ("fig3a", "fig3b"):
            carry = f" --carry-share {self.claims['carry_share']!r}" if kind == "fig3a" else ""
            return f"--counts {shlex.quote(input.get('counts'))} --main {self.main_option(experiment)}{carry}"
        return f"--imp-neurons {shlex.quote(input.get('imp_neurons'))}"

    # ---- what the study adds to the pipeline's targets and claims table ----

    def claim_ids(self):
        from .settings import CLAIM_IDS

        return list(CLAIM_IDS) if self.experiments else []

    def claim_parts(self):
        return [self.table(name, "claims") for name in self.experiments]

    def final_outputs(self):
        out = [self.runs_file(s["run"]) for e in self.experiments.values() for s in e.settings.values()]
        for name in self.experiments:
            out += [self.table(name, t) for t in TABLES if t != "claims"]
        for name in self.experiments:
            out += [self.figure(name, k, x) for k in FIGURE_KINDS for x in ("png", "pdf")]
        return out
