"""The real pipeline submitted through profiles/slurm to a real single-node SLURM cluster.

Needs the test cluster of ci/slurm-cluster.sh (CI starts it: `bash ci/slurm-cluster.sh up`,
as root on Debian). Without it these tests are skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _cluster_reason() -> str | None:
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return "no SLURM client tools (sbatch, sacct); start the test cluster with `sudo bash ci/slurm-cluster.sh up`"
    status = subprocess.run(["bash", str(ROOT / "ci" / "slurm-cluster.sh"), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        return "the SLURM test cluster is not running; start it with `sudo bash ci/slurm-cluster.sh up` (CI does)"
    return None


_REASON = _cluster_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

CONFIG = {
    "results": "results",
    "training": {"steps": 200, "n_train": 50, "n_test": 101, "lr_decay_every": 50, "curve_points": 5},
    "seeds_per_job": 5,
    "train_threads": 1,
    "experiments": {"x2_silu": {"task": "x2", "activation": "silu", "widths": [1, 2, 4], "seeds": 10}},
}

# Fast polling for a tiny local cluster; the node has 2 CPUs.
TEST_OPTIONS = [
    "--latency-wait", "5",
    "--seconds-between-status-checks", "2",
    "--slurm-init-seconds-before-status-checks", "2",
    "--cores", "2",
    "--retries", "0",
]


def _snakemake(work: Path, *extra: str, timeout: int = 900) -> subprocess.CompletedProcess:
    cmd = [
        "timeout", "-s", "INT", str(timeout), sys.executable, "-m", "snakemake",
        "--profile", str(ROOT / "profiles" / "slurm"), f"--configfile={work / 'slurm-test.yaml'}",
        *TEST_OPTIONS, *extra,
    ]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True)


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm")
    for name in ("Snakefile", "workflow", "src", "envs"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    (work / "slurm-test.yaml").write_text(yaml.safe_dump(CONFIG))
    start = time.monotonic()
    proc = _snakemake(work)
    seconds = time.monotonic() - start
    print(f"SLURM pipeline run took {seconds:.0f} s")
    return work, proc, seconds


def test_pipeline_runs_under_slurm(slurm_run):
    work, proc, _ = slurm_run
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    # every output of `rule all` exists: a dry run has nothing left to do
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", f"--configfile={work / 'slurm-test.yaml'}"],
        cwd=work, capture_output=True, text=True,
    )
    assert "Nothing to be done" in dry.stdout + dry.stderr, (dry.stdout + dry.stderr)[-3000:]
    # training ran inside SLURM jobs: job ids in the logs, and sacct knows them as completed
    train_logs = list((work / "results" / "logs" / "train").rglob("*.log"))
    assert train_logs
    job_ids = set()
    for log in train_logs:
        found = re.findall(r"SLURM job (\d+)", log.read_text())
        assert found, f"{log} does not name its SLURM job"
        job_ids.update(found)
    states = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(sorted(job_ids))],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert states and all(s.endswith("|COMPLETED") for s in states), states
    # the 6 training chunks were bundled into fewer cluster jobs by the profile's grouping
    assert len(job_ids) < 6


def test_a_failing_job_is_reported_not_hung_on(slurm_run):
    work, proc, seconds = slurm_run
    assert proc.returncode == 0
    # corrupt the merged width-2 file, then ask for its histogram again: that job fails on SLURM
    merged = next((work / "results" / "train").glob("*/N2_seeds0-10.h5"))
    merged.write_bytes(b"this is not an HDF5 file")
    start = time.monotonic()
    failed = _snakemake(work, "--forcerun", "histogram_width", "--until", "histogram_width", timeout=600)
    elapsed = time.monotonic() - start
    text = failed.stdout + failed.stderr
    assert failed.returncode not in (0, 124, 130), text[-4000:]  # failed, not timed out
    assert "Error in rule histogram_width" in text, text[-4000:]
    assert elapsed < 300
