"""The survey study's plan (docs/survey.md; docs/development.md, Plans): from a config dict and a
results folder, the study's settings (config section `survey`), the lottery networks it reads (one
lottery experiment's trained widths), the option strings of its commands and the path of every
output. Without a `survey:` section the plan is off and adds nothing.

Raises ConfigError (naming the key) for a config mistake.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field

from ...errors import ConfigError, UserError
from ...plan import Limits, section
from .settings import (EdgePopupSweepSettings, ImpSettings, ManifoldSettings, OverlapSettings, SupermaskSettings,
                       SurveyClaimSettings, from_dict)

# config key -> settings dataclass of a sub-section (validated by the dataclass, studies/survey/settings.py)
SUBSECTIONS = {
    "supermask": SupermaskSettings,
    "edgepopup": EdgePopupSweepSettings,
    "imp": ImpSettings,
    "overlap": OverlapSettings,
    "manifold": ManifoldSettings,
    "claims": SurveyClaimSettings,
}


@dataclass
class SurveySettings:
    """Config section `survey` and its defaults (docs/survey.md)."""

    experiment: str = "x2_silu"  # the lottery experiment whose trained networks are surveyed (a d = 1 task)
    widths: list = field(default_factory=lambda: [10, 40])  # edge-popup and linearised networks
    supermask_widths: list = field(default_factory=lambda: [40])
    overlap_width: int | None = 40  # IMP against edge-popup (and Zhou) masks; null: no IMP, no overlap
    manifold_widths: list = field(default_factory=list)  # wide networks (>= manifold.min_neurons active neurons)
    max_seeds: int | None = None  # only the first this many seeds of each file (null: all)
    threads: int = 2  # numba threads of a training job (edge-popup, IMP, linearised)
    supermask: dict = field(default_factory=dict)
    edgepopup: dict = field(default_factory=dict)
    imp: dict = field(default_factory=dict)
    overlap: dict = field(default_factory=dict)
    manifold: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    figures: dict = field(default_factory=lambda: {"dpi": 150})


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class SurveyPlan:
    """Everything the survey study's rules need, from `config` and the results folder `results`."""

    # A params entry of plot_survey: changing it redraws the survey figures of existing results
    # folders (a figure's code is not something Snakemake watches).
    figure_version = "2: figures for a reader of the survey (issue 22)"

    def __init__(self, config: dict, results: str, limits: Limits | None = None, lottery=None):
        self.config = config
        self.R = results
        self.limits = limits or Limits(config)
        self._lottery = lottery  # the lottery plan of the same config (built when needed)
        raw = config.get("survey")
        self.on = raw is not None and raw is not False
        if self.on and not isinstance(raw, dict):
            raise ConfigError("survey", f"must be a mapping of settings, got {raw!r}")
        self.settings = section("survey", SurveySettings, raw if self.on else None)
        self.dir = f"{results}/survey"
        self.figure_dir = f"{results}/figures"
        # the sub-sections' settings (their defaults while the study is off, so the rules still parse)
        self.sub = {key: cls() for key, cls in SUBSECTIONS.items()}
        if self.on:
            self._check()
            self._check_limits()

    # ---- checks ----

    def _check(self):
        from ..lottery.tasks import input_dim

        from ..lottery.plan import LotteryPlan

        s = self.settings
        if self._lottery is None:  # the experiments as the lottery study resolves them (task forms, seeds)
            self._lottery = LotteryPlan(self.config, self.R, self.limits)
        experiments = self._lottery.experiments
        name = s["experiment"]
        if not isinstance(name, str) or name not in experiments:
            raise ConfigError("survey.experiment", f"{name!r} is not one of the experiments {sorted(experiments)}")
        e = experiments[name]
        if input_dim(e.task) != 1:
            raise ConfigError("survey.experiment", f"the survey needs a one-input task, experiment {name} has {e.task!r}")
        trained = list(e.widths)
        for key in ("widths", "supermask_widths", "manifold_widths"):
            ws = s[key]
            if not isinstance(ws, list) or not all(_positive_int(w) for w in ws) or len(set(ws)) != len(ws):
                raise ConfigError(f"survey.{key}", f"must be a list of distinct widths, got {ws!r}")
            missing = [w for w in ws if w not in trained]
            if missing:
                raise ConfigError(f"survey.{key}", f"{missing} not trained by experiment {name} (widths {trained})")
        if not s["widths"]:
            raise ConfigError("survey.widths", "needs at least one width (edge-popup and linearised networks)")
        ow = s["overlap_width"]
        if ow is not None and (not _positive_int(ow) or ow not in s["widths"]):
            raise ConfigError("survey.overlap_width", f"{ow!r} is not one of survey.widths {s['widths']} "
                                                      "(its edge-popup masks are compared with IMP's)")
        if s["max_seeds"] is not None and not _positive_int(s["max_seeds"]):
            raise ConfigError("survey.max_seeds", f"must be an integer >= 1 or null, got {s['max_seeds']!r}")
        if not _positive_int(s["threads"]):
            raise ConfigError("survey.threads", f"must be an integer >= 1, got {s['threads']!r}")
        for key, cls in SUBSECTIONS.items():
            try:
                self.sub[key] = from_dict(cls, s[key] if s[key] is not None else {}, f"survey.{key}")
            except (UserError, TypeError) as exc:
                text = str(exc)
                raise ConfigError(f"survey.{key}", text.removeprefix(f"survey.{key}: ")) from None
        keep = self.sub["claims"].supermask_keep
        if s["supermask_widths"] and not any(abs(keep - k) < 1e-12 for k in self.sub["supermask"].keeps):
            raise ConfigError("survey.claims.supermask_keep", f"{keep} is not one of survey.supermask.keeps "
                                                               f"{list(self.sub['supermask'].keeps)} (the claim is judged there)")
        figures = s["figures"] or {}
        unknown = sorted(set(figures) - {"dpi"})
        if unknown:
            raise ConfigError("survey.figures", f"unknown key(s) {', '.join(map(str, unknown))}; allowed: dpi")
        if not (_positive_int(figures.get("dpi", 150)) and figures.get("dpi", 150) >= 20):
            raise ConfigError("survey.figures.dpi", f"must be an integer >= 20, got {figures.get('dpi')!r}")

    def _check_limits(self):
        """The survey's trainings (edge-popup at each keep, IMP rounds at each sparsity, the linearised
        network) against limits.max_train_work, counted like the lottery trainings they repeat."""
        s = self.settings
        e = self._lottery.experiments[s["experiment"]]
        seeds = self._trained_seeds()
        unit = seeds * e.settings["steps"] * e.settings["n_train"]
        keeps, imp = len(self.sub["edgepopup"].keeps), self.sub["imp"]
        total = sum(s["widths"]) * unit * (keeps + 1)
        if s["overlap_width"] is not None:
            total += s["overlap_width"] * unit * imp.rounds * len(imp.sparsities)
        self.limits.check_work("survey", "train", total, (
            f"(widths {s['widths']} x ({keeps} edge-popup keeps + 1 linearised)"
            + (f" + width {s['overlap_width']} x {imp.rounds} IMP rounds x {len(imp.sparsities)} sparsities"
               if s["overlap_width"] is not None else "")
            + f") x {seeds} seeds x {e.settings['steps']} steps x n_train {e.settings['n_train']}"))
        self._check_job_memory(e, seeds)

    def _check_job_memory(self, e, seeds):
        """Each survey job's estimated peak memory (lottery_scaling/limits.py, survey_*_estimate) against
        limits.max_job_memory (default: this machine's memory), and the analysis work of the supermask
        and overlap jobs against limits.max_analysis_work; ConfigError naming the key that sets the job."""
        from ... import limits

        s, L = self.settings, self.limits
        n_train, n_test = e.settings["n_train"], e.settings["n_test"]
        all_seeds = e.n_seeds  # the supermask job reads every seed of its file (max_seeds does not apply)
        ep = self.sub["edgepopup"]
        for w in s["widths"]:
            for method, key in (("edgepopup", "survey.edgepopup"), ("linearised", "survey.widths")):
                L.check_memory(key, *self._train_memory(method, w))
        if s["overlap_width"] is not None:
            w = s["overlap_width"]
            L.check_memory("survey.imp", *self._train_memory("imp", w))
            L.check_estimate("survey.overlap", "analysis", limits.survey_overlap_estimate(
                seeds, w, n_train, len(ep.keeps), 3, self.sub["overlap"].null_draws))
        m = self.sub["supermask"]
        for w in s["supermask_widths"]:
            L.check_estimate("survey.supermask", "analysis", limits.survey_supermask_estimate(
                all_seeds, w, n_test, len(m.keeps), m.random_draws))

    def _trained_seeds(self) -> int:
        """Seeds each training job trains: the experiment's, or the first survey.max_seeds."""
        e = self._lottery.experiments[self.settings["experiment"]]
        return e.n_seeds if self.settings["max_seeds"] is None else min(e.n_seeds, self.settings["max_seeds"])

    def _train_memory(self, method, width):
        """(bytes, detail) of limits.survey_train_estimate for one training job (edgepopup, linearised, imp)."""
        from ... import limits

        e = self._lottery.experiments[self.settings["experiment"]]
        imp = self.sub["imp"]
        extra = {"edgepopup": {"keeps": len(self.sub["edgepopup"].keeps)}, "linearised": {},
                 "imp": {"keeps": len(imp.sparsities), "rounds": imp.rounds}}[method]
        _, memory, detail = limits.survey_train_estimate(method, self._trained_seeds(), int(width), e.settings["n_train"],
                                                         e.settings["n_test"], e.settings["steps"], self.threads, **extra)
        return memory, detail

    def train_mem(self, method, width, attempt=1):
        """MB a training job (edgepopup, linearised, imp) asks for: its estimated peak arrays
        (limits.survey_train_estimate, 1.5-1.8x the measured peak) above 1000 MB for the interpreter,
        at least 2000; a retry (profile: retries) asks for 2x, 3x as much."""
        import math

        memory, _ = self._train_memory(method, width)
        return attempt * max(2000, 1000 + math.ceil(memory / 2**20))

    # ---- inputs (the lottery study's merged networks) ----

    def networks(self, lottery, width):
        return lottery.merged_file(self.settings["experiment"], int(width))

    # ---- paths ----

    def table(self, name):
        """supermask/N{w}, edgepopup/N{w}, linearised/N{w}, imp/N{w}, overlap/N{w}, pairs/N{w}, manifold, claims."""
        return f"{self.dir}/{name}.csv"

    def masks(self, method, width):
        return f"{self.dir}/{method}/N{width}_masks.h5"

    def tables(self, name, widths):
        return [self.table(f"{name}/N{w}") for w in widths]

    def figure(self, kind, ext):
        return f"{self.figure_dir}/survey_{kind}.{ext}"

    def figure_kinds(self):
        kinds = ["scaling", "movement", "supermask"] if self.settings["supermask_widths"] else ["scaling", "movement"]
        if self.settings["overlap_width"] is not None:
            kinds.append("overlap")
        if self.settings["manifold_widths"]:
            kinds.append("manifold")
        return kinds

    def log(self, name):
        return f"{self.R}/logs/survey/{name}.log"

    # ---- inputs and options of the commands (every value shell-quoted) ----

    def claim_inputs(self):
        s = self.settings
        inputs = {
            "edgepopup": self.tables("edgepopup", s["widths"]),
            "linearised": self.tables("linearised", s["widths"]),
        }
        if s["supermask_widths"]:
            inputs["supermask"] = self.tables("supermask", s["supermask_widths"])
        if s["overlap_width"] is not None:
            inputs["overlap"] = self.tables("overlap", [s["overlap_width"]])
            inputs["pairs"] = self.tables("pairs", [s["overlap_width"]])
        if s["manifold_widths"]:
            inputs["manifold"] = [self.table("manifold")]
        return inputs

    @staticmethod
    def table_options(inputs):
        """`--NAME FILE...` of survey-claims and plot-survey for a dict of named input lists."""
        return " ".join(f"--{name} " + " ".join(shlex.quote(str(p)) for p in paths) for name, paths in inputs.items())

    def figure_inputs(self, lottery, kind):
        s = self.settings
        claims = self.claim_inputs()
        if kind == "scaling":
            return {"edgepopup": claims["edgepopup"], "linearised": claims["linearised"]}
        if kind == "movement":
            return {"linearised": claims["linearised"]}
        if kind == "supermask":
            return {"supermask": claims["supermask"]}
        if kind == "overlap":
            return {"overlap": claims["overlap"], "pairs": claims["pairs"]}
        if kind == "manifold":
            return {"networks": [self.networks(lottery, w) for w in s["manifold_widths"]]}
        raise ValueError(kind)

    def _max_seeds(self):
        m = self.settings["max_seeds"]
        return "" if m is None else f" --max-seeds {int(m)}"

    @staticmethod
    def _keeps(values):
        return " ".join(shlex.quote(repr(float(v))) for v in values)

    def supermask_options(self):
        m = self.sub["supermask"]
        return (f"--keeps {self._keeps(m.keeps)} --scope {shlex.quote(m.scope)} --random-draws {int(m.random_draws)} "
                f"--mask-seed {int(m.mask_seed)}" + (" --include-biases" if m.include_biases else ""))

    def edgepopup_options(self):
        e = self.sub["edgepopup"]
        return (f"--keeps {self._keeps(e.keeps)} --scope {shlex.quote(e.scope)} --optimizer {shlex.quote(e.optimizer)} "
                f"--score-seed {int(e.score_seed)}" + self._max_seeds())

    def imp_options(self):
        i = self.sub["imp"]
        return f"--sparsities {self._keeps(i.sparsities)} --rounds {int(i.rounds)}" + self._max_seeds()

    def linearised_options(self):
        return self._max_seeds().strip()

    def overlap_options(self):
        o = self.sub["overlap"]
        return f"--zhou --null-draws {int(o.null_draws)} --mask-seed {int(o.mask_seed)}" + self._max_seeds()

    def manifold_options(self):
        m = self.sub["manifold"]
        return f"--origin-tol {shlex.quote(repr(float(m.origin_tol)))} --shuffles {int(m.shuffles)} --min-neurons {int(m.min_neurons)}"

    def claims_option(self):
        return shlex.quote(json.dumps(asdict(self.sub["claims"]), sort_keys=True))

    @property
    def threads(self):
        return int(self.settings["threads"])

    @property
    def dpi(self):
        return int((self.settings["figures"] or {}).get("dpi", 150))

    # ---- what the study adds to the pipeline's targets and claims table ----

    def claim_ids(self):
        from .settings import CLAIM_IDS

        return list(CLAIM_IDS) if self.on else []

    def claim_parts(self):
        return [self.table("claims")] if self.on else []

    def final_outputs(self):
        if not self.on:
            return []
        return [self.figure(k, "png") for k in self.figure_kinds()] + [self.table("claims")]
