#!/usr/bin/env python
"""Trainer throughput: our numba trainer vs a PyTorch one-network loop vs JAX vmap, and the exp floor.

Workload (targets: docs/performance.md): SiLU, target x^2, M = 1000 evenly spaced training points on
[-2, 2], full-batch Adam (PyTorch semantics, lr 1e-2, StepLR x0.2 every 10000 steps),
widths 2, 10, 50 by default; in float64 and float32 (--dtypes), each
trainer in both, with ours' float32/float64 ratio taken from repeats interleaved in time.

Columns (all rates are medians over --repeats repeats; the machine is shared and noisy):
  ours   lottery_scaling.trainer.train(...) with --threads numba threads (default 2),
         --seeds networks in parallel; time = the kernel loop (TrainResult.seconds),
         after a warm-up call that compiles / loads the numba cache.
  torch  one network at a time, nn.Sequential(Linear, SiLU, Linear), nn.MSELoss,
         torch.optim.Adam + StepLR, float64 (what the paper's authors ran) and float32; tried with
         torch.set_num_threads(1) and (2); the better median is reported.
  jax    vmap over the same --seeds of value_and_grad of the same loss, a hand-written
         Adam with torch's semantics, jax.lax.fori_loop over steps, all inside one jit;
         timed after compilation, float64 (jax_enable_x64) and float32 (bias corrections
         cast to float32, so nothing is promoted). Layouts tried (the best is
         reported): all seeds in one vmap or lax.map over chunks of 16 / 4 seeds, on one
         XLA CPU device or sharded over --threads CPU devices.
  exp    exps/s on an in-cache float64 array (the floor of the float64 rows): numpy np.exp and a serial nogil numba loop
         over the trainer's own _exp (each: 1 thread, x2 as an estimate, and 2 Python
         threads measured), and the library's numba exp_throughput_kernel. The largest is
         the "exp floor": SiLU needs one exp per (sample, neuron, step).

Rates: network-steps/s = networks x Adam steps / s; neuron-sample-steps/s = that x N x M.

A correctness check runs first (and alone with --check): 20 steps from identical initial
parameters (lr decay every 7 steps, so the schedule is exercised) with ours, torch and jax;
final training losses must agree to --check-rtol (default 1e-10, relative).

    python benchmarks/trainer_throughput.py            # full run, < 5 minutes on 2 cores
    python benchmarks/trainer_throughput.py --quick    # about a minute
    python benchmarks/trainer_throughput.py --check    # correctness check only

Results go to benchmarks/results/ (git-ignored) as JSON and markdown; the markdown table
is also printed so it can be pasted into a README.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if (REPO / "src" / "lottery_scaling").is_dir():  # run from a checkout without installing
    sys.path.insert(0, str(REPO / "src"))

# lottery_scaling before numba: the package sets NUMBA_CPU_FEATURES (wide vectors) on import,
# which numba reads once, so importing numba first would benchmark a slower trainer.
import lottery_scaling  # noqa: E402,F401
from lottery_scaling.studies.lottery import init as ls_init  # noqa: E402
from lottery_scaling.studies.lottery import tasks as ls_tasks  # noqa: E402
from lottery_scaling.studies.lottery.trainer import TrainSettings, train  # noqa: E402

import numba  # noqa: E402

TASK = "x2"
ACTIVATION = "silu"
M_TRAIN = 1000
LR = 1e-2
LR_DECAY = 0.2
LR_DECAY_EVERY = 10000
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8

SKIPPED = "skipped (not installed)"


# --------------------------------------------------------------------------- helpers


def median(values):
    return float(statistics.median(values)) if values else float("nan")


def default_steps(width: int, quick: bool) -> int:
    """Steps per repeat for ours and jax: about the same work for every width."""
    steps = max(200, min(1000, 8000 // width))
    return max(50, steps // 4) if quick else steps


def problem(width: int, seeds: np.ndarray, dtype: str = "float64"):
    """Training data and the trainer's own initial parameters, in dtype."""
    x, y, _, _ = ls_tasks.make_dataset(ls_tasks.DataSpec(TASK, n_train=M_TRAIN))
    w, b, v, c = ls_init.initial_parameters(x.shape[1], width, seeds, 0)
    return tuple(np.asarray(a, dtype=dtype) for a in (x, y, w, b, v, c))


def settings(width: int, steps: int, lr_decay_every: int = LR_DECAY_EVERY, dtype: str = "float64") -> TrainSettings:
    return TrainSettings(
        task=TASK, activation=ACTIVATION, width=width, steps=steps, lr=LR, lr_decay=LR_DECAY,
        lr_decay_every=lr_decay_every, beta1=BETA1, beta2=BETA2, eps=EPS, n_train=M_TRAIN,
        dtype=dtype, curve_points=2,
    )


def git_info() -> dict:
    def run(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return ""

    import hashlib

    commit = run("rev-parse", "HEAD")
    dirty = run("status", "--porcelain", "--untracked-files=no", "--", "src")
    kernels = Path(lottery_scaling.__file__).parent / "studies" / "lottery" / "_kernels.py"
    try:
        kernels_sha1 = hashlib.sha1(kernels.read_bytes()).hexdigest()
    except OSError:
        kernels_sha1 = None
    return {"commit": commit or "unknown", "src_dirty": bool(dirty), "kernels_sha1": kernels_sha1}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_snapshot():
    """(wall s, busy CPU s of the whole machine from /proc/stat, CPU s of this process) or None."""
    try:
        fields_ = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields_[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system


def other_load(start, end):
    """Average number of cores that other processes kept busy between two cpu_snapshot()s."""
    if start is None or end is None or end[0] <= start[0]:
        return None
    return max(0.0, ((end[1] - start[1]) - (end[2] - start[2])) / (end[0] - start[0]))


def loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


# --------------------------------------------------------------------------- ours


def ours_warmup(widths, threads, dtypes=("float64",)):
    for n in widths:
        for dtype in dtypes:
            train(settings(n, 3, dtype=dtype), np.arange(2), threads=threads)


def prepare_ours(width, n_seeds, steps, threads, dtype="float64"):
    """One repeat of ours: train n_seeds networks for `steps` steps; rate from the kernel loop time."""
    seeds = np.arange(n_seeds)
    cfg = settings(width, steps, dtype=dtype)

    def run():
        res = train(cfg, seeds, threads=threads)
        return n_seeds * steps / res.seconds

    return {"variants": {f"{threads} numba threads": run}, "info": {"seeds": n_seeds, "steps": steps, "threads": threads}}


def ours_final_loss(width, seeds, steps, lr_decay_every):
    res = train(settings(width, steps, lr_decay_every), np.asarray(seeds), threads=2)
    return np.asarray(res.train_loss, dtype=np.float64)


# --------------------------------------------------------------------------- torch


def torch_available():
    try:
        import torch  # noqa: F401

        return True
    except Exception:
        return False


def _torch_net(torch, w, b, v, c):
    """The authors' model: Linear(d, N) -> SiLU -> Linear(N, 1), in the parameters' dtype."""
    N, d = w.shape
    net = torch.nn.Sequential(torch.nn.Linear(d, N), torch.nn.SiLU(), torch.nn.Linear(N, 1))
    net = net.double() if w.dtype == np.float64 else net.float()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
        net[0].bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        net[2].weight.copy_(torch.from_numpy(np.ascontiguousarray(v))[None, :])
        net[2].bias.fill_(float(c))
    return net


def _torch_train(torch, net, xt, yt, steps, lr_decay_every):
    """Plain PyTorch full-batch loop; returns nothing (timed by the caller)."""
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.Adam(net.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPS)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=lr_decay_every, gamma=LR_DECAY)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(net(xt), yt)
        loss.backward()
        opt.step()
        sched.step()


def torch_final_loss(width, seeds, steps, lr_decay_every):
    import torch

    x, y, w, b, v, c = problem(width, np.asarray(seeds))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)[:, None]
    out = []
    for k in range(len(seeds)):
        net = _torch_net(torch, w[k], b[k], v[k], c[k])
        _torch_train(torch, net, xt, yt, steps, lr_decay_every)
        with torch.no_grad():
            out.append(float(torch.nn.functional.mse_loss(net(xt), yt)))
    return np.array(out)


def prepare_torch(width, n_nets, steps, thread_options, dtype="float64"):
    """One repeat per torch.set_num_threads value: train n_nets fresh networks for `steps` steps.

    A thread count whose warm-up rate is below a third of the best is not repeated (on a
    loaded 2-core machine, 2 intra-op threads can be 20x slower and would take minutes);
    its warm-up rate is reported instead."""
    import torch

    x, y, w, b, v, c = problem(width, np.arange(n_nets), dtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)[:, None]

    def one_repeat(th, n_steps, nets):
        torch.set_num_threads(th)
        elapsed = 0.0
        for k in range(nets):
            net = _torch_net(torch, w[k], b[k], v[k], c[k])
            t0 = time.perf_counter()
            _torch_train(torch, net, xt, yt, n_steps, LR_DECAY_EVERY)
            elapsed += time.perf_counter() - t0
        return nets * n_steps / elapsed

    warm = {}
    for th in thread_options:
        one_repeat(th, 10, 1)  # first calls: allocator, dispatch caches
        warm[th] = max(one_repeat(th, 40, 1) for _ in range(2))
    keep = [th for th in thread_options if warm[th] >= max(warm.values()) / 3]
    variants = {f"{th} thread{'s' if th > 1 else ''}": (lambda th=th: one_repeat(th, steps, n_nets)) for th in keep}
    info = {
        "networks": n_nets, "steps": steps, "version": torch.__version__,
        "warmup_by_variant": {f"{th} thread{'s' if th > 1 else ''}": warm[th] for th in thread_options},
        "dropped": [f"{th} thread{'s' if th > 1 else ''}" for th in thread_options if th not in keep],
    }
    return {"variants": variants, "info": info}


# --------------------------------------------------------------------------- jax


def jax_available():
    try:
        import jax  # noqa: F401

        return True
    except Exception:
        return False


_JAX_CACHE = {}


def _jax_trainer(width, d, dtype="float64"):
    """jit(theta (S, P), steps, lr_decay_every) -> (theta, loss (S,)) : Adam with torch semantics.
    float32: the per-step bias corrections (float64, as torch's Python floats) are cast to
    float32 before they touch the parameters, so nothing is promoted to float64."""
    key = (width, d, dtype)
    if key in _JAX_CACHE:
        return _JAX_CACHE[key]
    import jax
    import jax.numpy as jnp

    N = width

    def unpack(theta):
        w = theta[: N * d].reshape(N, d)
        b = theta[N * d : N * d + N]
        v = theta[N * d + N : N * d + 2 * N]
        return w, b, v, theta[-1]

    def loss_one(theta, x, y):
        w, b, v, c = unpack(theta)
        z = x @ w.T + b  # (M, N)
        f = jax.nn.silu(z) @ v + c
        r = f - y
        return jnp.mean(r * r)

    grad_all = jax.vmap(jax.value_and_grad(loss_one), in_axes=(0, None, None))
    loss_all = jax.vmap(loss_one, in_axes=(0, None, None))

    def run(theta, x, y, steps, lr_decay_every):
        def body(t, state):
            theta, m1, m2, lr = state
            lr = jnp.where((t > 0) & (t % lr_decay_every == 0), lr * LR_DECAY, lr)
            _, g = grad_all(theta, x, y)
            step = (t + 1).astype(jnp.float64)
            step_size = (lr / (1.0 - BETA1**step)).astype(theta.dtype)
            bias2_sqrt = jnp.sqrt(1.0 - BETA2**step).astype(theta.dtype)
            m1 = m1 + (1.0 - BETA1) * (g - m1)
            m2 = BETA2 * m2 + (1.0 - BETA2) * g * g
            theta = theta - step_size * m1 / (jnp.sqrt(m2) / bias2_sqrt + EPS)
            return theta, m1, m2, lr

        zeros = jnp.zeros_like(theta)
        theta, _, _, _ = jax.lax.fori_loop(0, steps, body, (theta, zeros, zeros, jnp.float64(LR)))
        return theta, loss_all(theta, x, y)

    def run_chunked(theta3, x, y, steps, lr_decay_every):
        # theta3 (S/C, C, P): lax.map over chunks of C seeds, each trained by the vmapped loop;
        # a smaller working set than all S seeds at once (stays in cache at larger widths)
        return jax.lax.map(lambda th: run(th, x, y, steps, lr_decay_every)[0], theta3)

    fns = (jax.jit(run), jax.jit(run_chunked))
    _JAX_CACHE[key] = fns
    return fns


def _jax_setup():
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


def _jax_inputs(width, seeds, dtype="float64"):
    import jax.numpy as jnp

    x, y, w, b, v, c = problem(width, np.asarray(seeds), dtype)
    S, N, d = w.shape
    theta = np.concatenate([w.reshape(S, N * d), b, v, c[:, None]], axis=1)
    return jnp.asarray(theta), jnp.asarray(x), jnp.asarray(y), d


def jax_final_loss(width, seeds, steps, lr_decay_every):
    _jax_setup()
    theta, x, y, d = _jax_inputs(width, seeds)
    _, loss = _jax_trainer(width, d)[0](theta, x, y, steps, lr_decay_every)
    return np.asarray(loss)


def jax_host_devices(n: int) -> None:
    """Ask XLA for n CPU devices (must run before jax is imported; a user's XLA_FLAGS setting wins)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags and "jax" not in sys.modules:
        os.environ["XLA_FLAGS"] = (flags + f" --xla_force_host_platform_device_count={n}").strip()


def prepare_jax(width, n_seeds, steps, chunk_options=(16, 4), dtype="float64"):
    """JAX laid out several ways; the two fastest in a short tuning run become the repeated variants.

    Layouts: all seeds in one vmap, or lax.map over chunks of C seeds (each chunk vmapped:
    a smaller working set, which helps at larger widths); each on one XLA CPU device
    (XLA's own intra-op threads) or with the seeds sharded over all CPU devices."""
    jax = _jax_setup()
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    theta, x, y, d = _jax_inputs(width, np.arange(n_seeds), dtype)
    fn_all, fn_chunked = _jax_trainer(width, d, dtype)
    devices = jax.devices()
    D = len(devices)
    mesh = Mesh(np.array(devices), ("seeds",)) if D > 1 else None

    def put(a, spec):
        return jax.device_put(a, NamedSharding(mesh, spec))

    def plain(*a):
        return fn_all(*a)[0]

    variants_all = {}  # name -> (callable(theta, x, y, steps, every), (theta, x, y))
    for C in [n_seeds] + [c for c in chunk_options if c < n_seeds and n_seeds % c == 0]:
        if C == n_seeds:
            name, call, th, spec = f"all {n_seeds} seeds in one vmap", plain, theta, PartitionSpec("seeds")
        else:
            name, call, th, spec = f"chunks of {C} seeds", fn_chunked, theta.reshape(n_seeds // C, C, -1), PartitionSpec(None, "seeds")
        variants_all[f"{name}, 1 device"] = (call, (th, x, y))
        if D > 1 and C % D == 0:
            sharded = (put(th, spec), put(x, PartitionSpec()), put(y, PartitionSpec()))
            variants_all[f"{name}, sharded over {D} devices"] = (call, sharded)

    def timed(call, args, n_steps):
        t0 = time.perf_counter()
        jax.block_until_ready(call(*args, n_steps, LR_DECAY_EVERY))
        return n_seeds * n_steps / (time.perf_counter() - t0)

    tuning = {}
    compile_s = {}
    for name, (call, args) in variants_all.items():
        t0 = time.perf_counter()
        jax.block_until_ready(call(*args, 2, LR_DECAY_EVERY))  # compile (steps is traced: compiled once)
        compile_s[name] = time.perf_counter() - t0
        tuning[name] = max(timed(call, args, max(5, steps // 4)) for _ in range(2))
    finalists = sorted(tuning, key=tuning.get, reverse=True)[:2]
    variants = {name: (lambda name=name: timed(*variants_all[name], steps)) for name in finalists}
    info = {
        "seeds": n_seeds, "steps": steps, "tuning_rates": tuning, "compile_s": compile_s,
        "version": jax.__version__, "backend": jax.default_backend(),
    }
    return {"variants": variants, "info": info}


# --------------------------------------------------------------------------- exp floor


def _timed_rate(fn, n, seconds):
    """exps/s of calling fn() (n exps per call) repeatedly for about `seconds`."""
    fn()
    calls = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        fn()
        calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return calls * n / (now - t0)


def _numpy_exp_call(n):
    x = np.linspace(-5.0, 5.0, n)
    out = np.empty_like(x)
    reps = max(1, 65536 // n)

    def call():
        for _ in range(reps):
            np.exp(x, out=out)

    return call, n * reps


_SERIAL_EXP = None


def _numba_exp_call(n):
    """Serial nogil numba loop over the trainer's own _exp (None if _kernels has no _exp)."""
    global _SERIAL_EXP
    if _SERIAL_EXP is None:
        from lottery_scaling.studies.lottery import _kernels

        exp_fn = getattr(_kernels, "_exp", None)
        if exp_fn is None:
            return None
        fastmath = getattr(_kernels, "FASTMATH", {"reassoc", "contract", "arcp", "nsz", "afn"})

        @numba.njit(nogil=True, fastmath=fastmath, error_model="numpy")
        def kernel(x, out, repeats):
            for r in range(repeats):
                for j in range(x.shape[0]):
                    out[j] += exp_fn(x[j])

        _SERIAL_EXP = kernel
    x = np.linspace(-5.0, 5.0, n)
    out = np.zeros_like(x)
    reps = max(1, 2**20 // n)
    _SERIAL_EXP(x, out, 1)  # compile

    def call():
        _SERIAL_EXP(x, out, reps)

    return call, n * reps


def _library_exp_call(n):
    from lottery_scaling.studies.lottery import _kernels

    kernel = getattr(_kernels, "exp_throughput_kernel", None)
    if kernel is None:
        return None
    x = np.linspace(-5.0, 5.0, n)
    out = np.zeros_like(x)
    reps = max(1, 2**20 // n)
    kernel(x, out, 1)  # compile

    def call():
        kernel(x, out, reps)

    return call, n * reps


def _threaded_rate(make_call, n, seconds, threads):
    """Total exps/s of `threads` Python threads, each with its own arrays (GIL released in the kernel)."""
    calls = [make_call(n) for _ in range(threads)]
    results = [0.0] * threads
    barrier = threading.Barrier(threads)

    def work(i):
        barrier.wait()
        results[i] = _timed_rate(calls[i][0], calls[i][1], seconds)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(results)


def bench_exp(threads, repeats, quick):
    """Median over repeats of exps/s per (method, array size); the best size is reported."""
    seconds = 0.05 if quick else 0.1
    sizes = [2048, 8192, 32768]
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    rows = []

    def best_over_sizes(measure):
        best = (float("-inf"), None)
        for n in sizes:
            best = max(best, (median([measure(n) for _ in range(repeats)]), n))
        return best

    for label, make_call in (("numpy np.exp", _numpy_exp_call), ("numba _exp (trainer's exp), serial nogil", _numba_exp_call)):
        if make_call(sizes[0]) is None:
            rows.append({"name": label, "rate": None, "size": None})
            continue
        one, n1 = best_over_sizes(lambda n: _timed_rate(*make_call(n), seconds))
        many, nm = best_over_sizes(lambda n: _threaded_rate(make_call, n, seconds, threads))
        rows.append({"name": f"{label}, 1 thread", "rate": one, "size": n1})
        rows.append({"name": f"{label}, 1 thread x {threads} (estimate)", "rate": one * threads, "size": n1})
        rows.append({"name": f"{label}, {threads} threads (measured)", "rate": many, "size": nm})
    if _library_exp_call(sizes[0]) is None:
        rows.append({"name": "numba exp_throughput_kernel", "rate": None, "size": None})
    else:
        lib, nl = best_over_sizes(lambda n: _timed_rate(*_library_exp_call(n * threads), seconds))
        rows.append({"name": f"numba exp_throughput_kernel (lottery_scaling.studies.lottery._kernels), {threads} threads", "rate": lib,
                     "size": nl * threads})
    floor = max(r["rate"] for r in rows if r["rate"] is not None)
    return {"rows": rows, "floor": floor}


# --------------------------------------------------------------------------- check


def run_check(widths, rtol, have_torch, have_jax, steps=20, lr_decay_every=7, why_not=None):
    seeds = [0, 1, 2]
    print(f"check: {steps} steps (lr decay every {lr_decay_every}) from identical parameters, seeds {seeds}, rtol {rtol:g}")
    ok = True
    rows = []
    for n in widths:
        ref = ours_final_loss(n, seeds, steps, lr_decay_every)
        row = {"width": n, "ours": ref.tolist()}
        for name, have, fn in (("torch", have_torch, torch_final_loss), ("jax", have_jax, jax_final_loss)):
            if not have:
                row[name] = None
                print(f"  N={n:<3d} {name:5s} {(why_not or {}).get(name, SKIPPED)}")
                continue
            other = fn(n, seeds, steps, lr_decay_every)
            rel = float(np.max(np.abs(other - ref) / np.abs(ref)))
            good = bool(np.all(np.isfinite(other))) and rel <= rtol
            ok &= good
            row[name] = other.tolist()
            row[f"{name}_max_rel_diff"] = rel
            print(f"  N={n:<3d} {name:5s} max rel diff of final loss vs ours {rel:.2e}  {'ok' if good else 'FAIL'}"
                  f"   (ours {ref[0]:.15e}, {name} {other[0]:.15e})")
        rows.append(row)
    print(f"check: {'passed' if ok else 'FAILED'}" + ("" if (have_torch or have_jax) else " (nothing to compare with)"))
    return ok, rows


# --------------------------------------------------------------------------- report


def fmt_rate(r):
    if r is None or (isinstance(r, float) and not math.isfinite(r)):
        return "n/a"
    return f"{r:.3g}"


def fmt_ratio(a, b):
    if a is None or b is None or not b:
        return "n/a"
    return f"{a / b:.1f}x"


def markdown(res) -> str:
    meta = res["meta"]
    lines = []
    lines.append(
        f"Measured {meta['date']} at commit `{meta['git']['commit'][:12]}`"
        + (f" (src/ had uncommitted changes; _kernels.py sha1 {str(meta['git']['kernels_sha1'])[:12]})"
           if meta["git"]["src_dirty"] else "")
        + f" on {meta['cpu']} ({meta['cores']} cores); other processes kept {meta['other_processes_cores']} cores busy"
        + f" on average (load average before/after {meta['load_before']} / {meta['load_after']});"
        + f" medians of {meta['repeats']} repeats. SiLU, x^2, M = {M_TRAIN}."
    )
    busy = meta.get("other_processes_cores")
    if busy is not None and busy > 0.2:
        lines.append("")
        lines.append(
            f"**Warning:** other processes kept {busy:.2f} of the {meta['cores']} cores busy on average during the "
            "measurements, so the rates are lower and noisier than on a quiet machine (the ratios, from repeats "
            "interleaved in time, are more robust than the rates)."
        )
    lines.append("")
    lines.append(
        "| N | dtype | ours net-steps/s | torch net-steps/s | jax net-steps/s | ours/torch | ours/jax "
        "| ours neuron-sample-steps/s | % of exp floor |"
    )
    lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    floor = res["exp"]["floor"]
    dtypes = meta.get("dtypes", ["float64"])
    for row in res["widths"]:
        n = row["width"]
        for dt in dtypes:
            k = "" if dt == "float64" else "_" + dt
            o = row["ours" + k]["median"]
            cells = []
            ratios = []
            for fw in ("torch", "jax"):
                r = row[fw + k]
                if isinstance(r, dict):
                    label = f" ({r['variant']})" if fw == "torch" else ""
                    cells.append(f"{fmt_rate(r['median'])}{label}")
                    ratios.append(fmt_ratio(o, r["median"]))
                else:
                    cells.append(r)
                    ratios.append("n/a")
            nss = o * n * M_TRAIN
            pct = f"{100 * nss / floor:.0f}%" if dt == "float64" else "-"
            lines.append(
                f"| {n} | {dt} | {fmt_rate(o)} | {cells[0]} | {cells[1]} | {ratios[0]} | {ratios[1]} "
                f"| {fmt_rate(nss)} | {pct} |"
            )
    if any("ours_f32_over_f64" in row for row in res["widths"]):
        lines.append("")
        lines.append("| N | ours float32 / float64 (ratio of medians) | paired by repeat (median) |")
        lines.append("|---:|---:|---:|")
        for row in res["widths"]:
            if "ours_f32_over_f64" in row:
                lines.append(f"| {row['width']} | {row['ours_float32']['median'] / row['ours']['median']:.2f}x "
                             f"| {row['ours_f32_over_f64']:.2f}x |")
    lines.append("")
    lines.append("| exp throughput (float64, in-cache array) | exps/s |")
    lines.append("|---|---:|")
    for r in res["exp"]["rows"]:
        lines.append(f"| {r['name']} | {fmt_rate(r['rate']) if r['rate'] is not None else 'not available'} |")
    lines.append(f"| **exp floor** (largest of the above) | **{fmt_rate(floor)}** |")
    lines.append("")
    ow = res["widths"]
    paired = "; ".join(
        f"N={r['width']}: " + ", ".join(f"ours/{fw} {r[fw]['paired_ratio']:.1f}x" for fw in ("torch", "jax")
                                        if isinstance(r.get(fw), dict))
        for r in ow if any(isinstance(r.get(fw), dict) for fw in ("torch", "jax"))
    )
    notes = [
        "Ratios are of the medians; repeats of ours, torch and jax (both dtypes) are interleaved in time."
        + (f" Paired ratios (median over repeats of ours/other in the same repeat): {paired}." if paired else ""),
        "exp rows: median of repeats at the best array size (2048 to 32768 elements), the larger of a measurement "
        "before and one after the trainers; float64 only, so % of exp floor is given for the float64 rows.",
        f"ours: {(ow[0].get('ours') or ow[0]['ours_float32'])['seeds']} seeds, {meta['threads']} numba threads, "
        + ", ".join(f"N={r['width']}: {(r.get('ours') or r['ours_float32'])['steps']} steps" for r in ow) + ".",
    ]
    t0 = next((r["torch"] for r in ow if isinstance(r.get("torch"), dict)), None)
    if t0:
        bt = "; ".join(
            f"N={r['width']}: " + ", ".join(
                f"{k} {fmt_rate(r['torch']['median_by_variant'][k])}" if k in r["torch"]["median_by_variant"]
                else f"{k} {fmt_rate(v)} (warm-up only; below 1/3 of the best, not repeated)"
                for k, v in r["torch"]["warmup_by_variant"].items()
            )
            for r in ow if isinstance(r.get("torch"), dict)
        )
        notes.append(f"torch {t0['version']}: {t0['networks']} networks x {t0['steps']} steps per repeat, "
                     f"one network at a time; by torch.set_num_threads: {bt}.")
    j0 = next((r["jax"] for r in ow if isinstance(r.get("jax"), dict)), None)
    if j0:
        bj = "; ".join(f"N={r['width']}: " + ", ".join(f"{dt} {r[k]['steps']} steps, {r[k]['variant']}"
                                                       for k, dt in (("jax", "float64"), ("jax_float32", "float32"))
                                                       if isinstance(r.get(k), dict))
                       for r in ow)
        notes.append(f"jax {j0['version']} ({j0['backend']}): {j0['seeds']} seeds; best layout: {bj}.")
    chk = res.get("check")
    if chk is not None:
        notes.append(f"check (20 steps from identical parameters): {'passed' if chk['ok'] else 'FAILED'}; "
                     f"largest relative difference of the final loss from ours: torch {chk['max_rel']['torch']}, "
                     f"jax {chk['max_rel']['jax']}.")
    lines.extend(f"- {x}" for x in notes)
    return "\n".join(lines) + "\n"


def summarise(prepared, rates):
    """Medians per variant; the best variant's repeats, median and name, plus the info."""
    medians = {name: median(r) for name, r in rates.items()}
    best = max(medians, key=medians.get)
    return {"variant": best, "median": medians[best], "rates": rates[best], "median_by_variant": medians,
            "rates_by_variant": rates, **prepared["info"]}


def print_exp(exp):
    for r in exp["rows"]:
        print(f"  {r['name']:<70s} {fmt_rate(r['rate']) if r['rate'] is not None else 'not available'}")
    print(f"  exp floor {fmt_rate(exp['floor'])} exps/s", flush=True)


def combine_exp(before, after):
    """Row by row the larger of the two measurements (each a median of repeats): the load
    from other processes changes during a run, and the floor should not be underestimated."""
    rows = []
    for a, b in zip(before["rows"], after["rows"]):
        rates = [r["rate"] for r in (a, b) if r["rate"] is not None]
        rows.append({"name": a["name"], "rate": max(rates) if rates else None, "size": a["size"]})
    return {"rows": rows, "floor": max(before["floor"], after["floor"])}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats (about a minute)")
    p.add_argument("--widths", type=int, nargs="+", default=[2, 10, 50])
    p.add_argument("--repeats", type=int, default=None, help="repeats per measurement (default 5, --quick 3)")
    p.add_argument("--seeds", type=int, default=64, help="networks trained in parallel by ours and jax (default 64)")
    p.add_argument("--steps", type=int, default=None, help="steps for ours and jax (default: per width, ~8000/N in [200, 1000])")
    p.add_argument("--jax-steps", type=int, default=None, help="steps for jax (default: a quarter of ours' steps)")
    p.add_argument("--threads", type=int, default=2, help="numba threads for ours, threads for the exp floor (default 2)")
    p.add_argument("--torch-networks", type=int, default=2, help="networks per torch repeat (default 2)")
    p.add_argument("--torch-steps", type=int, default=None, help="steps per torch network (default 250, --quick 100)")
    p.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2], help="torch.set_num_threads values tried (default 1 2)")
    p.add_argument("--dtypes", nargs="+", choices=["float64", "float32"], default=["float64", "float32"],
                   help="network dtypes measured, each by every trainer (default: float64 float32)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-jax", action="store_true")
    p.add_argument("--check", action="store_true", help="only run the correctness check and exit (status 1 on failure)")
    p.add_argument("--no-check", action="store_true", help="skip the correctness check")
    p.add_argument("--check-rtol", type=float, default=1e-10)
    p.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON and markdown results")
    args = p.parse_args(argv)

    repeats = args.repeats or (3 if args.quick else 5)
    torch_steps = args.torch_steps or (100 if args.quick else 250)
    if not args.no_jax:
        jax_host_devices(args.threads)  # before jax is first imported
    have_torch = not args.no_torch and torch_available()
    have_jax = not args.no_jax and jax_available()
    t_start = time.perf_counter()

    if have_jax:
        _jax_setup()

    check = None
    if not args.no_check or args.check:
        why_not = {"torch": "skipped (--no-torch)" if args.no_torch else SKIPPED,
                   "jax": "skipped (--no-jax)" if args.no_jax else SKIPPED}
        ok, rows = run_check(args.widths, args.check_rtol, have_torch, have_jax, why_not=why_not)
        max_rel = {
            k: (max(r[f"{k}_max_rel_diff"] for r in rows) if rows and f"{k}_max_rel_diff" in rows[0] else None)
            for k in ("torch", "jax")
        }
        check = {"ok": ok, "rows": rows, "max_rel": {k: (f"{v:.1e}" if v is not None else "skipped") for k, v in max_rel.items()}}
        if args.check:
            return 0 if ok else 1

    load_before = loadavg()
    snap_start = cpu_snapshot()
    print(f"\nload average {load_before}; warming up numba ...", flush=True)
    ours_warmup(args.widths, args.threads, args.dtypes)

    print("exp throughput (before the trainers) ...", flush=True)
    exp_before = bench_exp(args.threads, repeats, args.quick)
    print_exp(exp_before)

    rows = []
    for n in args.widths:
        steps = args.steps or default_steps(n, args.quick)
        jax_steps = args.jax_steps or max(25, steps // 4)
        row = {"width": n}
        prepared = {}
        # keys: "ours", "torch", "jax" (float64, the columns before float32) and "ours_float32", ...
        keys = {dt: ("" if dt == "float64" else "_" + dt) for dt in args.dtypes}
        print(f"N={n}: ours {args.seeds} seeds x {steps} steps", end="", flush=True)
        for dt, k in keys.items():
            prepared["ours" + k] = prepare_ours(n, args.seeds, steps, args.threads, dt)
        if have_torch:
            print(f"; torch {args.torch_networks} networks x {torch_steps} steps, threads {args.torch_threads}", end="", flush=True)
            for dt, k in keys.items():
                prepared["torch" + k] = prepare_torch(n, args.torch_networks, torch_steps, args.torch_threads, dt)
        else:
            for k in keys.values():
                row["torch" + k] = "skipped (--no-torch)" if args.no_torch else SKIPPED
        if have_jax:
            print(f"; jax {args.seeds} seeds x {jax_steps} steps (compiling, tuning layouts)", end="", flush=True)
            for dt, k in keys.items():
                prepared["jax" + k] = prepare_jax(n, args.seeds, jax_steps, dtype=dt)
        else:
            for k in keys.values():
                row["jax" + k] = "skipped (--no-jax)" if args.no_jax else SKIPPED
        print(f"; {args.dtypes}; {repeats} repeats ...", flush=True)
        rates = {fw: {name: [] for name in prep["variants"]} for fw, prep in prepared.items()}
        for _ in range(repeats):  # interleaved, so that changes of the load hit all alike
            for fw, prep in prepared.items():
                for name, run in prep["variants"].items():
                    rates[fw][name].append(run())
        for fw, prep in prepared.items():
            row[fw] = summarise(prep, rates[fw])
        for k in keys.values():
            ours_rates = row["ours" + k]["rates"]
            for fw in ("torch", "jax"):
                if isinstance(row[fw + k], dict):
                    row[fw + k]["paired_ratio"] = median([o / t for o, t in zip(ours_rates, row[fw + k]["rates"])])
        if "float64" in keys and "float32" in keys:  # ours float32 / float64, paired by repeat
            row["ours_f32_over_f64"] = median([a / b for a, b in zip(row["ours_float32"]["rates"], row["ours"]["rates"])])
        for fw in [f + k for k in keys.values() for f in ("ours", "torch", "jax")]:
            r = row[fw]
            if isinstance(r, dict):
                by = ", ".join(f"{k}: {fmt_rate(v)}" for k, v in r["median_by_variant"].items())
                print(f"  {fw:13s} {fmt_rate(r['median'])} net-steps/s   (median by variant: {by}; "
                      f"best's repeats {[float(f'{v:.3g}') for v in r['rates']]})")
            else:
                print(f"  {fw:13s} {r}")
        if "ours_f32_over_f64" in row:
            print(f"  ours float32/float64 (paired by repeat) {row['ours_f32_over_f64']:.2f}")
        if isinstance(row.get("jax"), dict):
            print("  jax tuning runs: " + ", ".join(f"{k}: {fmt_rate(v)}" for k, v in row["jax"]["tuning_rates"].items()))
        rows.append(row)

    print("exp throughput (after the trainers) ...", flush=True)
    exp_after = bench_exp(args.threads, repeats, args.quick)
    print_exp(exp_after)
    exp = combine_exp(exp_before, exp_after)

    others = other_load(snap_start, cpu_snapshot())
    now = _dt.datetime.now(_dt.timezone.utc)
    res = {
        "meta": {
            "date": now.strftime("%Y-%m-%d %H:%M UTC"), "git": git_info(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "load_before": load_before, "load_after": loadavg(),
            "other_processes_cores": None if others is None else round(others, 2), "repeats": repeats, "threads": args.threads,
            "quick": args.quick, "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "task": TASK, "activation": ACTIVATION, "n_train": M_TRAIN, "dtypes": args.dtypes,
            "total_seconds": None,
        },
        "check": check,
        "exp": exp,
        "exp_before": exp_before,
        "exp_after": exp_after,
        "widths": rows,
    }
    res["meta"]["total_seconds"] = round(time.perf_counter() - t_start, 1)
    md = markdown(res)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for name in (f"trainer_throughput-{stamp}", "trainer_throughput-latest"):
        (args.out / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
        (args.out / f"{name}.md").write_text(md)
    print("\n" + md)
    print(f"written: {args.out}/trainer_throughput-{stamp}.{{json,md}} (and -latest); total {res['meta']['total_seconds']} s")
    return 0 if (check is None or check["ok"]) else 1


if __name__ == "__main__":
    sys.exit(main())
