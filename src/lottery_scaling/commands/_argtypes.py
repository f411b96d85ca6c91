"""argparse value parsers whose errors name what is allowed."""

from __future__ import annotations

import argparse
import math


def int_at_least(lo: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def number_in(lo: float, hi: float, lo_closed: bool = True, hi_closed: bool = True, what: str = "a number"):
    """argparse type: a float in the interval from lo to hi (closed or open at each end; NaN never)."""
    shown = f"{'[' if lo_closed else '('}{lo:g}, {hi:g}{']' if hi_closed else ')'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} in {shown}, got {text!r}") from None
        above = value >= lo if lo_closed else value > lo
        below = value <= hi if hi_closed else value < hi
        if not (above and below):
            raise argparse.ArgumentTypeError(f"must be {what} in {shown}, got {text!r}")
        return value

    return parse


fraction = number_in(0, 1)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def h5_output(text: str) -> str:
    if not text.endswith((".h5", ".hdf5")):
        raise argparse.ArgumentTypeError(f"must be a file name ending in .h5 or .hdf5, got {text!r}")
    return text


def int_in_range(lo: int, hi: int, hi_text: str | None = None):
    """An integer lo <= value < hi (hi_text: how to write hi in the message, e.g. '2**63')."""
    def parse(text: str) -> int:
        allowed = f"an integer >= {lo} and < {hi_text or hi}"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if not lo <= value < hi:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    return parse

def multiple_of_4(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive multiple of 4, got {text!r}") from None
    if value < 4 or value % 4:
        raise argparse.ArgumentTypeError(f"must be a positive multiple of 4, got {value}")
    return value


def nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def momentum(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text!r}")
    return value


def size_bytes(text: str) -> int:
    """A memory size: '64G', '500M', '2.5T' or a number of bytes (> 0)."""
    from ..studies.lottery.budget import parse_size

    try:
        value = parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a size > 0, got {text!r}")
    return value


def _system_thread_limit() -> int | None:
    """Most threads one process may start here (Linux: the process and thread limits, and the memory
    maps, one stack and its guard page per thread); None where the system does not say."""
    import resource

    limits = []
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    except (ValueError, OSError, AttributeError):
        pass
    for path, per_thread in (("/proc/sys/kernel/threads-max", 1), ("/proc/sys/vm/max_map_count", 2)):
        try:
            with open(path) as fh:
                limits.append(int(fh.read()) // per_thread)
        except (OSError, ValueError):
            pass
    return min(limits) if limits else None


def thread_count(text: str) -> int:
    """--threads: an integer >= 1 that this system can start (past its limit numba crashes)."""
    value = int_at_least(1)(text)
    limit = _system_thread_limit()
    if limit is not None and value > limit:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {limit} (this system's limit on the threads "
                                         f"of one process), got {value}")
    return value
