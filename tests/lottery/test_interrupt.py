"""A training job killed mid-way leaves nothing that looks complete; the next run redoes it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from lottery_scaling.studies.lottery import networks as h5io

from ..conftest import copy_workflow

ROOT = Path(__file__).resolve().parents[2]

CONFIG = {
    "results": "results",
    "training": {"steps": 40000, "n_train": 200, "n_test": 101, "lr_decay_every": 8000},
    "seeds_per_job": 8,
    "train_threads": 1,
    "experiments": {"x2_silu": {"task": "x2", "activation": "silu", "widths": [20], "seeds": 8}},
}


def test_killed_training_job_is_redone(tmp_path):
    copy_workflow(tmp_path, ("Snakefile", "workflow", "src", "envs"))
    config = tmp_path / "interrupt.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    # only the training stage: the kill is what is being tested
    target = "results/train/{run}/N20_seeds0-8.h5"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", f"--configfile={config}"]
    dry = subprocess.run(cmd + ["-n"], cwd=tmp_path, capture_output=True, text=True)
    run = next(part for part in dry.stdout.split() if part.startswith("results/train/x2-silu-")).split("/")[2]
    target = target.format(run=run)
    chunk = tmp_path / f"results/train/{run}/N20/seeds0-8.h5"
    log = tmp_path / f"results/logs/train/{run}/N20/seeds0-8.log"

    proc = subprocess.Popen(cmd + [target], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 240
    killed = None
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and "% of steps" in log.read_text():  # training is under way
            trainers = [p for p in parent.children(recursive=True) if "train" in p.cmdline()]
            if trainers:
                killed = trainers[0].pid
                trainers[0].kill()
                break
        time.sleep(0.2)
    out, _ = proc.communicate(timeout=120)
    assert killed is not None, f"never saw training progress:\n{out[-3000:]}"
    assert proc.returncode != 0, out[-3000:]
    assert not chunk.exists()
    assert not (tmp_path / target).exists()

    # the next invocation trains the chunk again and completes
    again = subprocess.run(cmd + [target], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    result = h5io.read_result(tmp_path / target)
    assert result.seed.tolist() == list(range(8))


def test_ctrl_c_stops_training_at_once_and_writes_nothing(tmp_path):
    # the numba kernel never returns to Python while it trains; SIGINT must still end the
    # command promptly (not after every network is trained) and leave no file
    import signal

    out = tmp_path / "n50.h5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lottery_scaling", "train", "--task", "x2", "--activation", "silu", "--width", "50",
         "--seeds", "0:4", "--steps", "1000000", "--threads", "1", "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT then dumps every thread's stack
        # a shell without job control starts background commands with SIGINT ignored, and Python
        # then installs no handler: a suite run with `cmd &` failed here so (the command rightly
        # keeps an ignored SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        for line in proc.stderr:  # the kernel is running once the first progress line appears
            if "networks, " in line:
                break
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # keep the evidence
            proc.send_signal(signal.SIGABRT)
            pytest.fail("SIGINT did not end the command within 30 s; its threads:\n" + proc.stderr.read()[-6000:])
        assert proc.returncode == 130
        assert time.monotonic() - start < 10
        assert "interrupted: nothing written" in proc.stderr.read()
        assert not out.exists() and not list(tmp_path.iterdir())
    finally:
        proc.kill()
