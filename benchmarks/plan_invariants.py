"""What the workflow plans, as a text to compare between two checkouts (docs/development.md, Layout).

For config.yaml and every config/*.yaml, a copy of CHECKOUT dry-runs `snakemake -n -p` with no
results on disk; the job blocks (rule, inputs, outputs, wildcards, resources, and the shell command, which
embeds every param) are written sorted, job ids, timestamps and reasons (which Snakemake words
in set order) left out, to
OUT/<config>.txt. Two snapshots compare with `diff -r`:

    python benchmarks/plan_invariants.py /work/main /tmp/plan-main
    python benchmarks/plan_invariants.py . /tmp/plan-mine
    diff -r /tmp/plan-main /tmp/plan-mine && echo same

With --finished RESULTS_COPY (a folder holding results-test/ and .snakemake/ of a finished
config/test.yaml run) it also checks that the checkout has nothing to do there: `-n` says
"Nothing to be done" (also under --rerun-triggers params) and --list-changes code/input print
nothing. Exit status 1 when that check fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COPIED = ("Snakefile", "workflow", "src", "envs", "config", "config.yaml")
CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def copy_checkout(src: Path, dest: Path) -> Path:
    for name in COPIED:
        (shutil.copytree if (src / name).is_dir() else shutil.copy)(src / name, dest / name,
                                                                  **({"ignore": shutil.ignore_patterns("__pycache__")}
                                                                     if (src / name).is_dir() else {}))
    cifar = dest / "cifar-10-batches-py"  # config/race-cifar.yaml's folder: its check only needs the files
    cifar.mkdir()
    for name in CIFAR_FILES:
        (cifar / name).write_bytes(b"")
    return dest


def snakemake(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(work / "src"))
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args],
                          cwd=work, capture_output=True, text=True, env=env)


_DROP = re.compile(r"^\s*(jobid:|reason:|\[\w{3} \w{3} +\d+ [\d:]+ \d{4}\]|Building DAG|host:|Job stats|Provided cores|"
                   r"Rules claiming|Select jobs|Execute|This was a dry-run|Assuming unrestricted)")


def _normal(line: str) -> str:
    return line.rstrip()


def job_blocks(text: str) -> list[str]:
    """The job blocks of a dry run's output, each normalised, sorted."""
    blocks, current = [], None
    for line in text.splitlines():
        if re.match(r"^(localrule|rule|checkpoint) \w+:$", line):
            current = [line]
            blocks.append(current)
        elif current is not None:
            if not line.strip() or _DROP.match(line):
                if line.strip().startswith("Job stats"):
                    current = None
                continue
            current.append(_normal(line))
    return sorted("\n".join(b) for b in blocks)


def snapshot(checkout: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    configs = ["config.yaml", *sorted(f"config/{p.name}" for p in (checkout / "config").glob("*.yaml"))]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = copy_checkout(checkout.resolve(), Path(tmp))
        for config in configs:
            proc = snakemake(work, "-n", "-p", "--configfile", config)
            name = config.replace("/", "_")
            if proc.returncode != 0:
                failed += 1
                (out / f"{name}.txt").write_text(f"FAILED {proc.returncode}\n{proc.stderr[-3000:]}")
                print(f"{config}: FAILED\n{proc.stderr[-2000:]}")
                continue
            blocks = job_blocks(proc.stdout + proc.stderr)
            (out / f"{name}.txt").write_text("\n\n".join(blocks) + "\n")
            print(f"{config}: {len(blocks)} jobs")
    return failed


def check_finished(checkout: Path, finished: Path) -> int:
    """Nothing to do for `checkout` on a finished test-config run (finished/results-test, .snakemake)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = copy_checkout(checkout.resolve(), Path(tmp))
        for name in ("results-test", ".snakemake"):
            shutil.copytree(finished / name, work / name, symlinks=True)
        common = ("--configfile", "config/test.yaml", "--config", "results=results-test")
        bad = 0
        for args in (("-n",), ("-n", "--rerun-triggers", "params")):
            proc = snakemake(work, *args, *common)
            text = proc.stdout + proc.stderr
            ok = "Nothing to be done" in text
            print(f"snakemake {' '.join(args)}: {'nothing to be done' if ok else 'JOBS PLANNED'}")
            if not ok:
                print(text[-3000:])
                bad += 1
        for what in ("code", "input"):
            proc = snakemake(work, "--list-changes", what, *common)
            listed = [line for line in proc.stdout.splitlines() if line.strip()]
            print(f"--list-changes {what}: {len(listed)} files (rc {proc.returncode})")
            if listed or proc.returncode != 0:
                print("\n".join(listed[:20]), proc.stderr[-2000:])
                bad += 1
    return bad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkout", type=Path)
    p.add_argument("out", type=Path, nargs="?", help="folder for the snapshot (left out: no snapshot)")
    p.add_argument("--finished", type=Path, help="folder with results-test/ and .snakemake/ of a finished test run")
    args = p.parse_args()
    status = 0
    if args.out is not None:
        status |= snapshot(args.checkout, args.out) > 0
    if args.finished is not None:
        status |= check_finished(args.checkout, args.finished) > 0
    return status


if __name__ == "__main__":
    sys.exit(main())
