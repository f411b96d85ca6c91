"""Project-side fixes for runs through snakemake-executor-plugin-slurm (docs/slurm.md).

The Snakefile's ``onstart`` handler calls :func:`on_start`; it does nothing unless the run's
executor is ``slurm``. It then makes two changes to how the plugin (2.8.0, the newest release
when this was written) treats jobs, both by wrapping, never by copying, the plugin's code:

1. **Job states.** The plugin compares the state string that ``sacct`` prints with its list of
   failure states exactly (``status in fail_stati``), and anything it does not recognise reads
   as "still running". ``sacct`` prints a cancelled job as ``CANCELLED by <uid>``, so a job
   cancelled by a user or an admin was polled for ever. A job left ``PREEMPTED`` (not
   requeued) was polled for ever too: the plugin only warns about it once. We wrap the
   plugin's one status query function (``query_job_status``, which returns
   ``{job_id: state}``) and normalise each state to the word the plugin knows
   (:func:`normalise_state`): ``CANCELLED by 0`` -> ``CANCELLED``, ``PREEMPTED`` and
   ``REVOKED`` -> ``FAILED``. The original state is logged once per job (Snakemake drops the
   plugin's message for group jobs, see 2).
2. **Jobs that cannot fit.** Before each submission the job's CPU and memory request is
   checked against the largest node of its partition (``sinfo``). A job that asks for more
   is not submitted; it is reported failed with a message that names the request, the node
   and the setting to change. (``sbatch`` would refuse it anyway, but Snakemake 9 prints the
   plugin's message for a group job as ``message: None``.) For the same reason the plugin's
   failure message of a group job is logged before it is reported.

``LOTTERY_SCALING_SLURM_FIXES=0`` turns both off (to see the plugin's own behaviour).
If the plugin's internals move (a future release), :func:`on_start` logs a warning and
leaves the plugin as it is; ``tests/workflow/test_slurm.py`` then fails on the CI cluster.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

# SLURM job states (sacct/squeue) that end a job without success and that the plugin
# 2.8.0 does not report as a failure when printed like this: mapped to one it does report.
_FAILURE_ALIASES = {
    "CANCELLED": "CANCELLED",  # sacct prints "CANCELLED by <uid>"
    "PREEMPTED": "FAILED",  # preempted and not requeued (profile: slurm-no-requeue)
    "REVOKED": "FAILED",  # federation: the job ran on another cluster
}

_MARK = "_lottery_scaling_wrapped"


def normalise_state(raw: str) -> str:
    """The plugin's word for a SLURM job state as sacct or squeue prints it.

    ``"CANCELLED by 0"`` -> ``"CANCELLED"``, ``"PREEMPTED"`` -> ``"FAILED"``; states the
    plugin already handles (``COMPLETED``, ``TIMEOUT``, ``OUT_OF_MEMORY``, ``NODE_FAIL``,
    ``RUNNING``, ``PENDING``, ...) come back as they are, without any ``+`` suffix.
    """
    words = raw.strip().split()
    if not words:
        return raw
    state = words[0].rstrip("+")
    return _FAILURE_ALIASES.get(state, state)


def _logger() -> logging.Logger:
    try:
        from snakemake.logging import logger

        return logger
    except Exception:  # pragma: no cover - snakemake always has it
        return logging.getLogger("lottery_scaling.slurm")


def _wrap_status_query(plugin, log) -> None:
    original = plugin.query_job_status
    if getattr(original, _MARK, False):
        return
    announced: set[str] = set()

    @functools.wraps(original)
    async def query_job_status(command, logger):
        states, seconds = await original(command, logger)
        if states:
            for job_id, raw in list(states.items()):
                state = normalise_state(raw)
                if state != raw.strip():
                    states[job_id] = state
                    if job_id not in announced and state != raw.strip().rstrip("+"):
                        announced.add(job_id)
                        log.warning(f"SLURM job {job_id} ended '{raw.strip()}': reported to Snakemake as failed ({state}).")
        return states, seconds

    setattr(query_job_status, _MARK, True)
    plugin.query_job_status = query_job_status


@dataclass(frozen=True)
class NodeLimits:
    partition: str
    cpus: int  # most CPUs of one node
    mem_mb: int  # most memory (MB) of one node


def node_limits(partition: str | None) -> NodeLimits | None:
    """Largest CPU count and memory of one node in `partition` (None: the default one)."""
    if shutil.which("sinfo") is None:
        return None
    cmd = ["sinfo", "--noheader", "--Node", "--format=%c|%m|%P"]
    if partition:
        cmd.insert(1, f"--partition={partition}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    cpus, mem, name = 0, 0, partition
    for line in out.splitlines():
        fields = line.strip().split("|")
        if len(fields) < 3:
            continue
        if not partition and not fields[2].endswith("*"):
            continue  # without a partition sbatch uses the default one (marked *)
        try:
            cpus = max(cpus, int(fields[0].rstrip("+")))
            mem = max(mem, int(fields[1].rstrip("+")))
        except ValueError:
            continue
        name = fields[2].rstrip("*")
    if cpus <= 0:
        return None
    return NodeLimits(name or "default", cpus, mem)


def _job_cpus(job) -> int:
    res = job.resources
    cpus = res.get("cpus_per_task") or job.threads or res.get("_cores") or 1
    try:
        return int(cpus)
    except (TypeError, ValueError):
        return 1


def refusal(job, limits: NodeLimits) -> str | None:
    """Why `job` cannot run on any node of `limits`, or None when it fits."""
    what = f"group job '{job.name}'" if job.is_group() else f"rule {job.name}"
    cpus = _job_cpus(job)
    problems = []
    if cpus > limits.cpus:
        if job.is_group():
            fix = (
                f"a bundle asks for up to `cores` CPUs: run with --cores {limits.cpus} (or set "
                f"`cores: {limits.cpus}` in profiles/slurm/config.yaml)"
            )
        else:
            fix = f"lower its threads (e.g. config train_threads) to at most {limits.cpus}"
        problems.append(f"it asks for {cpus} CPUs but the largest node of partition '{limits.partition}' has {limits.cpus}; {fix}")
    mem = job.resources.get("mem_mb")
    try:
        mem = int(mem) if mem is not None else None
    except (TypeError, ValueError):
        mem = None
    if mem is not None and limits.mem_mb and mem > limits.mem_mb:
        problems.append(
            f"it asks for {mem} MB of memory but the largest node of partition '{limits.partition}' has "
            f"{limits.mem_mb} MB; lower mem_mb, or --cores for a bundle (its jobs' memory adds up)"
        )
    if not problems:
        return None
    return f"Not submitted to SLURM: {what} cannot run on this cluster: " + "; ".join(problems) + "."


def _wrap_executor(plugin, log) -> None:
    executor = plugin.Executor
    run_job = executor.run_job
    if getattr(run_job, _MARK, False):
        return
    report_job_error = executor.report_job_error
    limits_of: dict[str | None, NodeLimits | None] = {}

    @functools.wraps(run_job)
    def guarded_run_job(self, job):
        partition = job.resources.get("slurm_partition")
        if partition not in limits_of:
            limits_of[partition] = node_limits(partition)
        limits = limits_of[partition]
        why = refusal(job, limits) if limits is not None else None
        if why is not None:
            log.error(why)
            from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo

            self._report_job_error_threadsafe(SubmittedJobInfo(job), why)
            return
        return run_job(self, job)

    @functools.wraps(report_job_error)
    def report_job_error_logged(self, job_info, msg=None, **kwargs):
        # Snakemake prints a group job's error as "message: None": say it here.
        if msg and job_info.job.is_group() and not str(msg).startswith("Not submitted to SLURM"):
            ext = f" (SLURM job {job_info.external_jobid})" if job_info.external_jobid else ""
            log.error(f"Group job '{job_info.job.name}'{ext} failed: {msg}")
        return report_job_error(self, job_info, msg=msg, **kwargs)

    for f in (guarded_run_job, report_job_error_logged):
        setattr(f, _MARK, True)
    executor.run_job = guarded_run_job
    executor.report_job_error = report_job_error_logged


def install(log=None) -> bool:
    """Wrap the plugin's status query and submission; True if both are in place."""
    log = log or _logger()
    try:
        import snakemake_executor_plugin_slurm as plugin
    except ImportError:
        return False
    missing = [
        name
        for name, ok in (
            ("query_job_status", callable(getattr(plugin, "query_job_status", None))),
            ("Executor.run_job", callable(getattr(getattr(plugin, "Executor", None), "run_job", None))),
            ("Executor._report_job_error_threadsafe", callable(getattr(getattr(plugin, "Executor", None), "_report_job_error_threadsafe", None))),
        )
        if not ok
    ]
    if missing:
        log.warning(
            "lottery-scaling: this snakemake-executor-plugin-slurm has no "
            + ", ".join(missing)
            + "; cancelled jobs may be polled for ever and oversized jobs are left to sbatch (see src/lottery_scaling/slurm.py)."
        )
        return False
    _wrap_status_query(plugin, log)
    _wrap_executor(plugin, log)
    return True


def on_start(workflow, log=None) -> None:
    """Called from the Snakefile's onstart: install the fixes when the executor is slurm."""
    plugin = getattr(workflow, "executor_plugin", None)
    name = getattr(plugin, "name", "") or ""
    if not name.endswith("slurm"):
        return
    if os.environ.get("LOTTERY_SCALING_SLURM_FIXES") == "0":  # to reproduce the plugin's own behaviour
        return
    log = log or _logger()
    if install(log):
        log.info(
            "lottery-scaling: SLURM job states normalised (cancelled/preempted jobs fail), "
            "jobs checked against the partition's largest node before submission."
        )
