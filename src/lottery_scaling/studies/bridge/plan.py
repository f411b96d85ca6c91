"""The bridge study's plan (docs/bridge.md; docs/development.md, Layout): from a config dict and a
results folder, the study's settings (config section `bridge` over BridgeSettings), its runs (the
lottery trainer at each init scale, with snapshots), the config's limits checked, and the path of
every output. Without a `bridge:` section the plan is off and adds nothing.

Raises ConfigError (naming the key) for a config mistake.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from ...errors import ConfigError, UserError
from ...plan import Limits, section, train_cli_args

FIGURE_KINDS = ("alignment", "rewind", "emergence")


@dataclass
class BridgeSettings:
    """Config section `bridge` and its defaults (docs/bridge.md)."""

    task: str = "x2"
    activation: str = "silu"
    widths: list = field(default_factory=lambda: [10, 20])
    init_scales: list = field(default_factory=lambda: [1.0, 0.1])
    seeds: int = 40
    width2_seeds: int = 100
    rewind_widths: list = field(default_factory=lambda: [10])
    prune_k: list = field(default_factory=lambda: [2, 4, "half"])
    training: dict = field(default_factory=dict)
    emergence: dict = field(default_factory=lambda: {"threshold": 0.05, "r2_factor": 2.0, "early_fraction": 0.02})
    mode_bootstrap: int = 200
    ticket_reference_scale: float | None = None
    claims: dict = field(default_factory=dict)
    figures: dict = field(default_factory=lambda: {"dpi": 150})


class BridgePlan:
    """Everything the bridge study's rules need, from `config` and the results folder `results`."""

    def __init__(self, config: dict, results: str, limits: Limits | None = None):
        from ...provenance import core_hash

        self.config = config
        self.R = results
        self.limits = limits or Limits(config)
        self.on = bool(config.get("bridge"))
        self.settings = section("bridge", BridgeSettings, config.get("bridge") if self.on else None)
        self.core_hash = core_hash("lottery")  # the bridge trains with the lottery trainer
        self.threads = int(config.get("train_threads", 2))
        self.dir = f"{results}/bridge"
        self.figure_dir = f"{results}/figures"
        if self.on:
            self._check()
            self._check_limits()
        self.runs = self._runs()
        self.run_of_scale = {scale: run for run, (scale, _) in self.runs.items()}
        # the width-2 run whose lottery-ticket mode is the basin of every scale (why: studies/bridge/rewind.py)
        ref = self.settings["ticket_reference_scale"]
        self.reference_run = (self.run_of_scale[float(ref if ref is not None else max(self.run_of_scale))]
                              if self.on else None)

    # ---- settings and checks ----

    def training_settings(self, scale):
        """Resolved training settings (as_attrs, width 1) of the runs at init scale `scale`."""
        from ..lottery.trainer import TrainSettings

        b = self.settings
        training = {**(self.config.get("training") or {}), **(b["training"] or {}), "init_scale": float(scale), "snapshots": True}
        try:
            s = TrainSettings(task=b["task"], activation=b["activation"], width=1, **{
                k: (tuple(v) if isinstance(v, list) else v) for k, v in training.items()
            }).resolved()
        except (UserError, TypeError) as exc:
            raise ConfigError("bridge (training settings)", str(exc)) from None
        return s.as_attrs()

    def claim_settings(self):
        from .claims import BridgeClaimSettings

        return BridgeClaimSettings(**(self.settings["claims"] or {}))

    def _check(self):
        from ..lottery.plan import check_formula_on_data
        from ..lottery.tasks import input_dim

        b = self.settings
        try:
            d = input_dim(b["task"])
        except UserError as exc:  # an unknown name, or a formula refused (expr:1/0 + x)
            raise ConfigError("bridge.task", str(exc)) from None
        if d != 1:
            raise ConfigError("bridge.task", f"the bridge study needs a one-input task, got {b['task']}")
        check_formula_on_data("bridge.task", self.training_settings(b["init_scales"][0]))  # the data do not depend on the scale
        missing = sorted(set(b["rewind_widths"]) - set(b["widths"]))
        if missing:
            raise ConfigError("bridge.rewind_widths", f"{missing} not in bridge.widths {b['widths']}")
        ref = b["ticket_reference_scale"]
        if ref is not None and float(ref) not in [float(x) for x in b["init_scales"]]:
            raise ConfigError("bridge.ticket_reference_scale", f"{ref} is not one of bridge.init_scales {b['init_scales']}")
        if b["width2_seeds"] < 2:
            raise ConfigError("bridge.width2_seeds", "the width-2 reference needs at least 2 networks")
        try:
            self.claim_settings().validate()
        except (TypeError, UserError) as exc:
            raise ConfigError("bridge.claims", str(exc)) from None

    def _check_limits(self):
        """Every bridge job within config `limits` (docs/cli.md, Limits): the trainings (with snapshots) and
        the rewound tickets against limits.max_train_work (the study as one experiment) and each job's memory;
        the ticket searches, the width-2 mode search and the claims' resamples against max_analysis_work."""
        from ... import limits
        from ..lottery.budget import train_memory_bytes
        from .rewind import prune_sizes

        b, L = self.settings, self.limits
        for w in b["rewind_widths"]:
            too_big = [k for k in b["prune_k"] if k != "half" and k >= w]
            if too_big:
                raise ConfigError("bridge.prune_k", f"{too_big[0]} is not below rewind width {w} (pruning keeps fewer neurons "
                                                    f"than the network has; allowed there: 1..{w - 1}, or half)")
        seeds, seeds2, widths = b["seeds"], b["width2_seeds"], b["widths"]
        total, parts = 0, []
        for scale in b["init_scales"]:
            s = self.training_settings(scale)
            unit = s["steps"] * s["n_train"]
            for w, n in [(w, seeds) for w in widths] + [(2, seeds2)]:
                L.check_memory(f"bridge (init scale {scale:g}, width {w})", train_memory_bytes(
                    1, w, n, s["n_train"], s["n_test"], s["curve_points"], s["dtype"], self.threads, True, s["steps"]),
                    f"a training job with snapshots ({n} seeds of width {w}, n_train {s['n_train']}, "
                    f"curve_points {s['curve_points']})")
                total += w * n * unit
            for w in b["rewind_widths"]:
                ks = prune_sizes(w, b["prune_k"])
                total += seeds * unit * (3 * 2 + sum(ks))
                L.check_memory(f"bridge.rewind_widths (init scale {scale:g}, width {w})", train_memory_bytes(
                    1, max([2, *ks]), seeds, s["n_train"], s["n_test"], s["curve_points"], s["dtype"], self.threads),
                    f"retraining {seeds} tickets of width {max([2, *ks])}")
            parts.append(f"{s['steps']} steps x n_train {s['n_train']}")
        L.check_work("bridge", "train", total, f"(widths {widths} x {seeds} seeds + 2 x {seeds2} width-2 seeds + rewound "
                                               f"tickets) x {parts[0]} x {len(parts)} init scales")
        s = self.training_settings(b["init_scales"][0])
        search = sum(limits.ticket_search_work(seeds, w, s["n_train"], s["curve_points"]) for w in widths)
        L.check_work("bridge (alignment and emergence)", "analysis", search * len(b["init_scales"]),
                     f"ticket searches of {seeds} seeds x widths {widths} (n_train {s['n_train']}, "
                     f"{s['curve_points']} snapshots) x {len(b['init_scales'])} init scales")
        L.check_estimate("bridge.mode_bootstrap", "analysis", limits.histogram_estimate(seeds2, b["mode_bootstrap"], 1000))
        claims = self.claim_settings()
        L.check_estimate("bridge.claims", "analysis", limits.bridge_claims_estimate(
            seeds * len(widths) * len(b["init_scales"]), claims.bootstrap, claims.null_draws))
        panels = len(widths) * len(b["init_scales"])  # studies/bridge/figures.py: 3 columns of 3.2 x 2.6 inches
        L.check_figure("bridge.figures.dpi", 3.2 * min(3, panels), 2.6 * -(-panels // 3), self.dpi)

    def _runs(self):
        """run name -> (init scale, settings); run names as the lottery study names its runs."""
        from ..lottery.runs import run_name
        from ..lottery.trainer import TrainSettings

        if not self.on:
            return {}
        defaults = TrainSettings(self.settings["task"], self.settings["activation"], 1).resolved().as_attrs()
        runs = {}
        for scale in self.settings["init_scales"]:
            s = self.training_settings(scale)
            runs[run_name(s, defaults)] = (float(scale), s)
        return runs

    # ---- paths ----

    def networks(self, run, width):
        """Trained networks of one bridge run and width (width 2: the reference population)."""
        n = self.settings["width2_seeds"] if int(width) == 2 else self.settings["seeds"]
        return self.train_pattern(run, width, 0, n)

    def train_pattern(self, run, width, lo, hi):
        return f"{self.dir}/train/{run}/N{width}_seeds{lo}-{hi}.h5"

    def all_networks(self):
        return [self.networks(run, w) for run in self.runs for w in self.settings["widths"]]

    def rewind_table(self, run, width):
        return f"{self.dir}/rewind/{run}/N{width}.csv"

    def all_rewind_tables(self):
        return [self.rewind_table(run, w) for run in self.runs for w in self.settings["rewind_widths"]]

    def table(self, name):
        """alignment/neurons, alignment/networks, emergence, ticket_basin or claims (.csv under RESULTS/bridge)."""
        return f"{self.dir}/{name}.csv"

    @property
    def basin(self):
        return self.table("ticket_basin")

    def figure(self, kind, ext):
        return f"{self.figure_dir}/bridge_{kind}.{ext}"

    # ---- option strings of the commands ----

    def train_args(self, run):
        """Options of `lottery-scaling train` for a bridge run (every training setting, snapshots on)."""
        return train_cli_args(self.runs[run][1], skip=("width",))

    @staticmethod
    def seeds_option(lo, hi):
        return f"{lo}:{hi}"

    def emergence_options(self):
        defaults = BridgeSettings().emergence
        return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted({**defaults, **(self.settings["emergence"] or {})}.items()))

    def prune_option(self):
        return " ".join(str(k) for k in self.settings["prune_k"])

    def claims_option(self):
        return shlex.quote(json.dumps(self.settings["claims"] or {}, sort_keys=True))

    @property
    def dpi(self):
        return int((self.settings["figures"] or {}).get("dpi", 150))

    # ---- what the study adds to the pipeline's targets and claims table ----

    def claim_ids(self):
        from .claims import CLAIM_IDS

        return list(CLAIM_IDS) if self.on else []

    def claim_parts(self):
        return [self.table("claims")] if self.on else []

    def final_outputs(self):
        if not self.on:
            return []
        return [self.figure(k, "png") for k in FIGURE_KINDS] + [self.table("claims")]
