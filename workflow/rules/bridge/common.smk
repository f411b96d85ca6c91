# Helpers of the bridge study's rules (docs/bridge.md): its runs (the lottery
# trainer with init_scale and snapshots), the paths of its outputs and its settings. Every rule file
# of the study needs only this file and ../common.smk. Without a `bridge:` section nothing is added.
from lottery_scaling.provenance import core_hash as _bridge_core_hash
from lottery_scaling.studies.bridge.claims import CLAIM_IDS as BRIDGE_CLAIM_IDS, BridgeClaimSettings
from lottery_scaling.studies.lottery.runs import run_name as _bridge_run_name
from lottery_scaling.studies.lottery.tasks import input_dim as _bridge_input_dim
from lottery_scaling.studies.lottery.trainer import TrainSettings as _BridgeTrainSettings

_BRIDGE_DEFAULTS = {
    "task": "x2",
    "activation": "silu",
    "widths": [10, 20],
    "init_scales": [1.0, 0.1],
    "seeds": 40,
    "width2_seeds": 100,
    "rewind_widths": [10],
    "prune_k": [2, 4, "half"],
    "training": {},
    "emergence": {"threshold": 0.05, "r2_factor": 2.0, "early_fraction": 0.02},
    "mode_bootstrap": 200,
    "ticket_reference_scale": None,
    "claims": {},
    "figures": {"dpi": 150},
}
BRIDGE_ON = bool(config.get("bridge"))
BRIDGE = section("bridge", _BRIDGE_DEFAULTS) if BRIDGE_ON else dict(_BRIDGE_DEFAULTS)
BRIDGE_CORE_HASH = _bridge_core_hash("lottery")  # the bridge trains with the lottery trainer
BRIDGE_THREADS = int(config.get("train_threads", 2))
BRIDGE_DIR = f"{R}/bridge"
BRIDGE_FIG = f"{R}/figures"


def _bridge_settings(scale):
    """Resolved training settings (as_attrs, width 1) of the runs at init scale `scale`."""
    training = {**(config.get("training") or {}), **(BRIDGE["training"] or {}), "init_scale": float(scale), "snapshots": True}
    try:
        s = _BridgeTrainSettings(task=BRIDGE["task"], activation=BRIDGE["activation"], width=1, **{
            k: (tuple(v) if isinstance(v, list) else v) for k, v in training.items()
        }).resolved()
    except (UserError, TypeError) as exc:
        config_error(f"bridge (training settings): {exc}")
    return s.as_attrs()


def _bridge_check():
    if not BRIDGE_ON:
        return
    try:
        d = _bridge_input_dim(BRIDGE["task"])
    except UserError as exc:  # an unknown name, or a formula refused (expr:1/0 + x)
        config_error(f"bridge.task: {exc}")
    if d != 1:
        config_error(f"bridge.task: the bridge study needs a one-input task, got {BRIDGE['task']}")
    check_formula_on_data("bridge.task", _bridge_settings(BRIDGE["init_scales"][0]))  # the data do not depend on the scale
    missing = sorted(set(BRIDGE["rewind_widths"]) - set(BRIDGE["widths"]))
    if missing:
        config_error(f"bridge.rewind_widths: {missing} not in bridge.widths {BRIDGE['widths']}")
    ref = BRIDGE["ticket_reference_scale"]
    if ref is not None and float(ref) not in [float(x) for x in BRIDGE["init_scales"]]:
        config_error(f"bridge.ticket_reference_scale: {ref} is not one of bridge.init_scales {BRIDGE['init_scales']}")
    if BRIDGE["width2_seeds"] < 2:
        config_error("bridge.width2_seeds: the width-2 reference needs at least 2 networks")
    try:
        BridgeClaimSettings(**(BRIDGE["claims"] or {})).validate()
    except TypeError as exc:
        config_error(f"bridge.claims: {exc}")
    except UserError as exc:
        config_error(f"bridge.claims: {exc}")


_bridge_check()


def _bridge_check_sizes():
    """Every bridge job within config `limits` (README "Limits"): the trainings (with snapshots) and the
    rewound tickets against limits.max_train_work (the study as one experiment) and each job's memory;
    the ticket searches, the width-2 mode search and the claims' resamples against max_analysis_work."""
    from lottery_scaling.studies.bridge.rewind import prune_sizes
    from lottery_scaling.studies.lottery.budget import train_memory_bytes

    if not BRIDGE_ON:
        return
    for w in BRIDGE["rewind_widths"]:
        too_big = [k for k in BRIDGE["prune_k"] if k != "half" and k >= w]
        if too_big:
            config_error(f"bridge.prune_k: {too_big[0]} is not below rewind width {w} (pruning keeps fewer neurons "
                         f"than the network has; allowed there: 1..{w - 1}, or half)")
    seeds, seeds2, widths = BRIDGE["seeds"], BRIDGE["width2_seeds"], BRIDGE["widths"]
    total, parts = 0, []
    for scale in BRIDGE["init_scales"]:
        s = _bridge_settings(scale)
        unit = s["steps"] * s["n_train"]
        for w, n in [(w, seeds) for w in widths] + [(2, seeds2)]:
            check_memory(f"bridge (init scale {scale:g}, width {w})", train_memory_bytes(
                1, w, n, s["n_train"], s["n_test"], s["curve_points"], s["dtype"], BRIDGE_THREADS, True, s["steps"]),
                f"a training job with snapshots ({n} seeds of width {w}, n_train {s['n_train']}, "
                f"curve_points {s['curve_points']})")
            total += w * n * unit
        for w in BRIDGE["rewind_widths"]:
            ks = prune_sizes(w, BRIDGE["prune_k"])
            total += seeds * unit * (3 * 2 + sum(ks))
            check_memory(f"bridge.rewind_widths (init scale {scale:g}, width {w})", train_memory_bytes(
                1, max([2, *ks]), seeds, s["n_train"], s["n_test"], s["curve_points"], s["dtype"], BRIDGE_THREADS),
                f"retraining {seeds} tickets of width {max([2, *ks])}")
        parts.append(f"{s['steps']} steps x n_train {s['n_train']}")
    check_work("bridge", "train", total, f"(widths {widths} x {seeds} seeds + 2 x {seeds2} width-2 seeds + rewound "
                                         f"tickets) x {parts[0]} x {len(parts)} init scales")
    s = _bridge_settings(BRIDGE["init_scales"][0])
    search = sum(_limits.ticket_search_work(seeds, w, s["n_train"], s["curve_points"]) for w in widths)
    check_work("bridge (alignment and emergence)", "analysis", search * len(BRIDGE["init_scales"]),
               f"ticket searches of {seeds} seeds x widths {widths} (n_train {s['n_train']}, "
               f"{s['curve_points']} snapshots) x {len(BRIDGE['init_scales'])} init scales")
    check_estimate("bridge.mode_bootstrap", "analysis", _limits.histogram_estimate(seeds2, BRIDGE["mode_bootstrap"], 1000))
    claims = BridgeClaimSettings(**(BRIDGE["claims"] or {}))
    check_estimate("bridge.claims", "analysis", _limits.bridge_claims_estimate(
        seeds * len(widths) * len(BRIDGE["init_scales"]), claims.bootstrap, claims.null_draws))
    panels = len(widths) * len(BRIDGE["init_scales"])  # studies/bridge/figures.py: 3 columns of 3.2 x 2.6 inches
    check_figure("bridge.figures.dpi", 3.2 * min(3, panels), 2.6 * -(-panels // 3), int((BRIDGE["figures"] or {}).get("dpi", 150)))


_bridge_check_sizes()
_BRIDGE_DEFAULT_ATTRS = _BridgeTrainSettings(BRIDGE["task"], BRIDGE["activation"], 1).resolved().as_attrs()
# run name -> (init scale, settings); run names as the lottery study names its runs
BRIDGE_RUNS = {}
for _scale in BRIDGE["init_scales"] if BRIDGE_ON else []:
    _s = _bridge_settings(_scale)
    BRIDGE_RUNS[_bridge_run_name(_s, _BRIDGE_DEFAULT_ATTRS)] = (float(_scale), _s)
BRIDGE_RUN_OF_SCALE = {scale: run for run, (scale, _) in BRIDGE_RUNS.items()}
# the width-2 run whose lottery-ticket mode is the basin of every scale (why: studies/bridge/rewind.py)
BRIDGE_REFERENCE_RUN = (BRIDGE_RUN_OF_SCALE[float(BRIDGE["ticket_reference_scale"] if BRIDGE["ticket_reference_scale"]
                                                  is not None else max(BRIDGE_RUN_OF_SCALE))] if BRIDGE_ON else None)
BRIDGE_BASIN = f"{BRIDGE_DIR}/ticket_basin.csv"


def bridge_networks(run, width):
    """Trained networks of one bridge run and width (width 2: the reference population)."""
    n = BRIDGE["width2_seeds"] if int(width) == 2 else BRIDGE["seeds"]
    return f"{BRIDGE_DIR}/train/{run}/N{width}_seeds0-{n}.h5"


def bridge_all_networks():
    return [bridge_networks(run, w) for run in BRIDGE_RUNS for w in BRIDGE["widths"]]


def bridge_rewind_table(run, width):
    return f"{BRIDGE_DIR}/rewind/{run}/N{width}.csv"


def bridge_all_rewind_tables():
    return [bridge_rewind_table(run, w) for run in BRIDGE_RUNS for w in BRIDGE["rewind_widths"]]


def bridge_train_args(run):
    """Options of `lottery-scaling train` for a bridge run (every training setting, snapshots on)."""
    args = []
    for key, value in BRIDGE_RUNS[run][1].items():
        if key == "width":
            continue
        if key in ("task", "activation"):
            args.append(f"--{key} {shlex.quote(value)}")
        elif key == "x_range":
            args.append(f"--x-range {value[0]!r} {value[1]!r}")
        else:
            args.append(f"--{key.replace('_', '-')} {value!r}")
    return " ".join(args)


def bridge_seeds(wildcards):
    return f"{wildcards.lo}:{wildcards.hi}"


def bridge_figure(kind, ext):
    return f"{BRIDGE_FIG}/bridge_{kind}.{ext}"


BRIDGE_EMERGENCE = " ".join(
    f"--{k.replace('_', '-')} {v}" for k, v in sorted({**_BRIDGE_DEFAULTS["emergence"], **(BRIDGE["emergence"] or {})}.items())
)
BRIDGE_PRUNE = " ".join(str(k) for k in BRIDGE["prune_k"])
BRIDGE_CLAIMS_JSON = shlex.quote(json.dumps(BRIDGE["claims"] or {}, sort_keys=True))
BRIDGE_DPI = int((BRIDGE["figures"] or {}).get("dpi", 150))
