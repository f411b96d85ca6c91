"""The real pipeline submitted through profiles/slurm to a real single-node SLURM cluster.

Needs the test cluster of ci/slurm-cluster.sh (CI starts it: `bash ci/slurm-cluster.sh up`,
as root on Debian). Without it these tests are skipped, saying so. Every Snakemake run has a
deadline (`timeout -s INT`), so a run that hangs fails its test instead of hanging CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from lottery_scaling.slurm import normalise_state

from ..conftest import copy_workflow

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "slurm"


def _cluster_reason() -> str | None:
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return "no SLURM client tools (sbatch, sacct); start the test cluster with `sudo bash ci/slurm-cluster.sh up`"
    status = subprocess.run(["bash", str(ROOT / "ci" / "slurm-cluster.sh"), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        return "the SLURM test cluster is not running; start it with `sudo bash ci/slurm-cluster.sh up` (CI does)"
    return None


_REASON = _cluster_reason()
needs_cluster = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

CONFIG = {
    "results": "results",
    "training": {"steps": 200, "n_train": 50, "n_test": 101, "lr_decay_every": 50, "curve_points": 5},
    "seeds_per_job": 10,
    "train_threads": 1,
    "experiments": {"x2_silu": {"task": "x2", "activation": "silu", "widths": [1, 2, 4], "seeds": 10}},
}

# Faster polling than the plugin's defaults, for a tiny local cluster (docs/slurm.md,
# The SLURM test). No resource options: the documented command otherwise runs as written.
POLL_OPTIONS = [
    "--latency-wait", "5",
    "--seconds-between-status-checks", "2",
    "--slurm-init-seconds-before-status-checks", "2",
]


def _env() -> dict:
    env = dict(os.environ)
    # jobs run `lottery-scaling`: the interpreter's scripts must be on PATH
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _command(work: Path, *extra: str, timeout: int, configfile: str = "slurm-test.yaml") -> list[str]:
    return [
        "timeout", "-s", "INT", str(timeout), sys.executable, "-m", "snakemake",
        "--profile", str(PROFILE), f"--configfile={work / configfile}",
        *POLL_OPTIONS, *extra,
    ]


def _snakemake(work: Path, *extra: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(_command(work, *extra, timeout=timeout), cwd=work, capture_output=True, text=True, env=_env())


def _copy_pipeline(work: Path) -> None:
    copy_workflow(work, ("Snakefile", "workflow", "src", "envs"))
    (work / "slurm-test.yaml").write_text(yaml.safe_dump(CONFIG))


def _node_cpus() -> int:
    out = subprocess.run(["sinfo", "-h", "-N", "-o", "%c"], capture_output=True, text=True, check=True).stdout
    return max(int(x.rstrip("+")) for x in out.split())


def test_states_that_end_a_job_are_normalised():
    # what sacct prints (--parsable2 State) -> the word the plugin acts on
    assert normalise_state("CANCELLED by 0") == "CANCELLED"
    assert normalise_state("CANCELLED by 1234") == "CANCELLED"
    assert normalise_state("CANCELLED") == "CANCELLED"
    assert normalise_state("PREEMPTED") == "FAILED"
    for same in ("COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "RUNNING", "PENDING", "REQUEUED"):
        assert normalise_state(same) == same
    assert normalise_state("RUNNING+") == "RUNNING"


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm")
    _copy_pipeline(work)
    start = time.monotonic()
    proc = _snakemake(work)
    seconds = time.monotonic() - start
    print(f"SLURM pipeline run took {seconds:.0f} s")
    return work, proc, seconds


@needs_cluster
def test_pipeline_runs_under_slurm(slurm_run):
    # docs/slurm.md: `snakemake --profile profiles/slurm --configfile ...` as written (no --cores):
    # the profile's bundles must fit the test cluster's 2-CPU node.
    work, proc, _ = slurm_run
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    assert "lottery-scaling: SLURM job states normalised" in text  # the Snakefile's onstart hook ran
    # every output of `rule all` exists: a dry run has nothing left to do
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", f"--configfile={work / 'slurm-test.yaml'}"],
        cwd=work, capture_output=True, text=True, env=_env(),
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
    rows = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,State,AllocCPUS", "-j", ",".join(sorted(job_ids))],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert rows and all(r.split("|")[1] == "COMPLETED" for r in rows), rows
    assert all(int(r.split("|")[2]) <= _node_cpus() for r in rows), rows
    # the 3 training chunks were bundled into fewer cluster jobs by the profile's grouping
    assert len(job_ids) < 3


@needs_cluster
def test_a_failing_job_is_reported_not_hung_on(slurm_run):
    work, proc, seconds = slurm_run
    assert proc.returncode == 0
    # corrupt the merged width-2 file, then ask for its histogram again: that job fails on SLURM
    merged = next((work / "results" / "train").glob("*/N2_seeds0-10.h5"))
    merged.write_bytes(b"this is not an HDF5 file")
    start = time.monotonic()
    failed = _snakemake(work, "--forcerun", "histogram_width", "--until", "histogram_width", "--retries", "0", timeout=300)
    elapsed = time.monotonic() - start
    text = failed.stdout + failed.stderr
    assert failed.returncode not in (0, 124, 130), text[-4000:]  # failed, not timed out
    assert "Error in rule histogram_width" in text, text[-4000:]
    # Snakemake prints a group job's error as "message: None"; the project logs the plugin's
    assert re.search(r"Group job '\S+' \(SLURM job \d+\) failed: .*FAILED", text), text[-4000:]
    assert elapsed < 120


@needs_cluster
def test_a_bundle_larger_than_a_node_is_refused_saying_why(tmp_path):
    # More bundle CPUs than the node has: refused before submission, with the reason and the fix.
    _copy_pipeline(tmp_path)
    cpus = _node_cpus()
    start = time.monotonic()
    proc = _snakemake(tmp_path, "--cores", str(cpus + 1), "--until", "train_chunk", "--retries", "0", timeout=120)
    elapsed = time.monotonic() - start
    text = proc.stdout + proc.stderr
    assert proc.returncode not in (0, 124, 130), text[-4000:]
    assert f"asks for {cpus + 1} CPUs but the largest node of partition 'debug' has {cpus}" in text, text[-4000:]
    assert f"--cores {cpus}" in text
    assert "has been submitted with SLURM jobid" not in text  # refused before sbatch
    assert elapsed < 60


# Two jobs that would sleep for 10 minutes: one is cancelled with scancel once running, the
# other has a 1-minute time limit. Sleeping, not training: it keeps the shared CPUs free.
SLEEPERS = """
onstart:
    from lottery_scaling.slurm import on_start

    on_start(workflow)


rule all:
    input:
        "cancelled.txt",
        "timed_out.txt",


rule cancel_me:
    output:
        "cancelled.txt",
    resources:
        runtime=10,
        mem_mb=100,
    shell:
        "sleep 600 && touch {output}"


rule time_out:
    output:
        "timed_out.txt",
    resources:
        runtime=1,
        mem_mb=100,
    shell:
        "sleep 600 && touch {output}"
"""


def _jobs_of_rule(rule: str) -> list[tuple[str, str]]:
    """(job id, state) of the SLURM jobs whose comment names `rule` (the plugin sets it)."""
    out = subprocess.run(["squeue", "-h", "-o", "%i|%k|%T"], capture_output=True, text=True).stdout
    return [(i, s) for i, k, s in (line.split("|") for line in out.splitlines() if line.count("|") == 2) if k == f"rule_{rule}"]


@needs_cluster
def test_cancelled_and_timed_out_jobs_are_reported_as_failures(tmp_path):
    (tmp_path / "Snakefile").write_text(SLEEPERS)
    (tmp_path / "slurm-test.yaml").write_text("{}\n")
    deadline = 200  # the time-limited job ends after 60-100 s; a hang runs into this
    lines: list[tuple[float, str]] = []
    start = time.monotonic()
    proc = subprocess.Popen(
        _command(tmp_path, "--retries", "0", timeout=deadline), cwd=tmp_path, env=_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    reader = threading.Thread(target=lambda: [lines.append((time.monotonic(), ln)) for ln in proc.stdout], daemon=True)
    reader.start()
    try:
        # cancel `cancel_me` once it runs
        cancelled_at = job = None
        while time.monotonic() - start < 90 and proc.poll() is None:
            running = [i for i, s in _jobs_of_rule("cancel_me") if s == "RUNNING"]
            if running:
                job = running[0]
                subprocess.run(["scancel", job], check=True)
                cancelled_at = time.monotonic()
                break
            time.sleep(0.5)
        assert job is not None, "cancel_me never ran: " + "".join(ln for _, ln in lines)[-3000:]
        rc = proc.wait(timeout=deadline + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    text = "".join(ln for _, ln in lines)
    assert rc not in (0, 124, 130), f"Snakemake did not report the failures (status {rc}):\n" + text[-5000:]
    assert "Error in rule cancel_me" in text and "Error in rule time_out" in text, text[-5000:]
    state = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "State", "-j", job], capture_output=True, text=True).stdout
    assert state.startswith("CANCELLED by"), state
    reported = next(t for t, ln in lines if "Error in rule cancel_me" in ln)
    timed_out = next(t for t, ln in lines if "Error in rule time_out" in ln)
    assert f"SLURM job {job} ended 'CANCELLED by" in text
    assert "SLURM status is: 'TIMEOUT'" in text
    print(f"cancel reported {reported - cancelled_at:.0f} s after scancel; timeout reported {timed_out - start:.0f} s after start")
    assert reported - cancelled_at < 60
