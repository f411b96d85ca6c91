"""The options --max-work and --max-memory of every command whose cost grows with its options or
inputs, and the checks against them (estimates and default bounds: lottery_scaling/limits.py)."""

from __future__ import annotations

from ._argtypes import positive_float, size_bytes


def add_options(p, kind: str, memory: bool = True) -> None:
    from ..limits import WORK

    key, default, unit = WORK[kind]
    p.add_argument("--max-work", type=positive_float, default=None, metavar="N",
                   help=f"refuse a run estimated at more than N {unit} (default {default:.3g}, or the pipeline's "
                        f"limits.{key}; docs/cli.md, 'Limits')")
    if memory:
        p.add_argument("--max-memory", type=size_bytes, default=None, metavar="SIZE",
                       help="refuse a run whose arrays are estimated to need more than SIZE (e.g. 200G; "
                            "default: this machine's physical memory, or the pipeline's limits.max_job_memory)")


def check(args, kind: str, work: int, work_detail: str, memory: int | None = None, memory_detail: str = "") -> None:
    """UserError (one line naming the values and the bound) before any work when an estimate is too big."""
    from ..limits import check_memory, check_work

    check_work(kind, work, work_detail, getattr(args, "max_work", None))
    if memory is not None:
        check_memory(memory, memory_detail, getattr(args, "max_memory", None))
