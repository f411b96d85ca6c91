"""The pipeline's results as pandas tables and arrays, for notebooks (docs/results-api.md).

    from lottery_scaling import open_results
    res = open_results("results-test", configfile="config/test.yaml")
    res.experiments                     # ['x2_silu', 'x2_leaky_relu']
    res.fit("x2_silu", "exponents")     # a DataFrame
    res.networks("x2_silu", 4).w        # (seeds, 4, 1) first-layer weights

Every path comes from the studies' plans (studies/STUDY/plan.py), the same objects the workflow's
rules use, so no path is written twice. A table the pipeline has not made yet is a UserError that
names the file and the rule that makes it.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UserError
from .plan import Limits, results_folder


def _load_config(configfile) -> dict:
    import yaml

    if isinstance(configfile, dict):
        return configfile
    path = Path("config.yaml" if configfile is None else configfile)
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise UserError(f"{path}: cannot read the config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not a YAML file: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise UserError(f"{path}: not a lottery-scaling config (not a mapping)")
    return config


def open_results(results_dir=None, configfile=None) -> "Results":
    """The results of the pipeline run with `configfile` (a path, a config dict, or None for
    ./config.yaml, as Snakemake reads it) in the folder `results_dir` (None: the config's `results`)."""
    return Results(_load_config(configfile), results_dir)


class Results:
    """Tables per stage and experiment, claims, and trained networks of one results folder."""

    def __init__(self, config: dict, results_dir=None):
        from .studies.bridge.plan import BridgePlan
        from .studies.lottery.plan import LotteryPlan
        from .studies.race.plan import RacePlan

        if not isinstance(config.get("experiments"), dict):
            raise UserError("not a lottery-scaling config: no `experiments` section")
        self.config = config
        self.dir = str(results_dir).rstrip("/") if results_dir is not None else results_folder(config)
        limits = Limits(config)
        self.lottery = LotteryPlan(config, self.dir, limits)
        self.bridge = BridgePlan(config, self.dir, limits)
        self.race = RacePlan(config, self.dir, limits)

    def __repr__(self):
        return f"Results({self.dir!r}: experiments {self.experiments}, race {self.race_experiments}, bridge {'on' if self.bridge.on else 'off'})"

    # ---- what the config planned ----

    @property
    def experiments(self) -> list[str]:
        """Names of the lottery study's experiments."""
        return list(self.lottery.experiments)

    @property
    def race_experiments(self) -> list[str]:
        return list(self.race.experiments)

    def experiment(self, name):
        """The lottery experiment `name` (task, activation, widths, seeds, settings, run)."""
        return self.lottery.experiments[self._known(name)]

    def _known(self, name):
        if name not in self.lottery.experiments:
            raise UserError(f"no experiment {name!r} in the config; experiments: {', '.join(self.lottery.experiments)}")
        return name

    def _known_race(self, name):
        if name not in self.race.experiments:
            raise UserError(f"no race experiment {name!r} in the config; race experiments: "
                            f"{', '.join(self.race.experiments) or 'none'}")
        return name

    @staticmethod
    def _kind(kind, allowed):
        if kind not in allowed:
            raise UserError(f"unknown table {kind!r}; allowed: {', '.join(allowed)}")
        return kind

    # ---- reading ----

    @staticmethod
    def _file(path, rule):
        if not Path(path).is_file():
            raise UserError(f"{path}: no such file yet; the pipeline's rule {rule} makes it "
                            f"(snakemake --cores all {path!r})")
        return path

    def _table(self, path, rule):
        import pandas as pd

        return pd.read_csv(self._file(path, rule))

    # ---- lottery study ----

    def histogram(self, experiment, kind="summary"):
        """One row per width (summary: modes, lottery-ticket share, median with interval) or per mode (modes)."""
        from .studies.lottery.plan import STAGE_TABLES

        return self._table(self.lottery.histogram_table(self._known(experiment), self._kind(kind, STAGE_TABLES["histogram"])),
                           "histogram_table")

    def synergy(self, experiment, kind="summary"):
        """summary: one row per compared width N; samples: the two loss distributions per N."""
        from .studies.lottery.plan import STAGE_TABLES

        return self._table(self.lottery.synergy_table(self._known(experiment), self._kind(kind, STAGE_TABLES["synergy"])),
                           "synergy")

    def fit(self, experiment, kind="exponents"):
        """medians (one row per width), slopes (neighbouring widths) or exponents (one row per width range)."""
        from .studies.lottery.plan import STAGE_TABLES

        return self._table(self.lottery.fit_table(self._known(experiment), self._kind(kind, STAGE_TABLES["fit"])), "fit")

    def medians(self, experiment):
        """Median test MSE per width with its bootstrap interval (the fit's medians table)."""
        return self.fit(experiment, "medians")

    def pairs(self, experiment, name):
        """A table of the pair-and-disentangle stage, e.g. "N4_networks", "width2_clusters", "distilled"."""
        rule = ("pairs_width" if name.startswith("N") else "width2_algorithms" if name.startswith("width2")
                else "distill" if name == "distilled" else "pair_claims")
        return self._table(self.lottery.pairs_file(self._known(experiment), f"{name}.csv"), rule)

    def networks(self, experiment, width):
        """The trained networks of one experiment and width: a TrainResult with arrays per seed
        (seed, w (S, N, d), b, v (S, N), c (S,), train_loss, test_loss, diverged, loss_curve) and settings."""
        from .studies.lottery.networks import read_result

        e = self.experiment(experiment)
        if int(width) not in e.widths:
            raise UserError(f"experiment {experiment} trains widths {e.widths}, not {width}")
        return read_result(self._file(self.lottery.merged_file(experiment, int(width)), "merge_width"))

    def claims(self):
        """The claims table of every study (one row per claim and experiment; verdict, value, interval)."""
        return self._table(f"{self.dir}/claims.csv", "claims_table")

    def appendix_table(self):
        return self._table(self.lottery.appendix_table, "appendix_claims")

    # ---- race study ----

    def race_table(self, experiment, name):
        """alignment, angle_curve, clusters, merge, imp, imp_neurons, cells or claims of a race experiment."""
        from .studies.race.plan import TABLES

        rule = {"angle_curve": "race_alignment", "merge": "race_clusters", "imp_neurons": "race_imp"}.get(name, f"race_{name}")
        return self._table(self.race.table(self._known_race(experiment), self._kind(name, TABLES)), rule)

    def race_runs(self, experiment, setting=None):
        """The trained runs (trajectories and snapshots) of a race experiment's main setting, or of
        `setting` = (n, width, sigma)."""
        from .studies.race.trajectories import read_runs

        e = self.race.experiments[self._known_race(experiment)]
        key = e.main if setting is None else (int(setting[0]), int(setting[1]), float(setting[2]))
        if key not in e.settings:
            raise UserError(f"race experiment {experiment} trains no setting {key}; settings: {sorted(e.settings)}")
        return read_runs(self._file(self.race.setting_file(experiment, key), "race_train"))

    # ---- bridge study ----

    def bridge_table(self, name):
        """alignment/neurons, alignment/networks, emergence, ticket_basin or claims of the bridge study."""
        if not self.bridge.on:
            raise UserError("the config has no `bridge` section")
        rule = {"alignment/neurons": "bridge_alignment", "alignment/networks": "bridge_alignment",
                "emergence": "bridge_emergence", "ticket_basin": "bridge_ticket_basin", "claims": "bridge_claims"}
        return self._table(self.bridge.table(self._kind(name, tuple(rule))), rule[name])

    def bridge_networks(self, init_scale, width):
        """The bridge study's trained networks (with snapshots) at one init scale and width."""
        from .studies.lottery.networks import read_result

        if not self.bridge.on:
            raise UserError("the config has no `bridge` section")
        run = self.bridge.run_of_scale.get(float(init_scale))
        if run is None:
            raise UserError(f"bridge.init_scales are {sorted(self.bridge.run_of_scale)}, not {init_scale}")
        return read_result(self._file(self.bridge.networks(run, width), "train_bridge"))
