"""Helpers of the race commands (not a command: the name starts with '_')."""

from __future__ import annotations

from ....commands._interrupt import interruptible  # noqa: F401  (the race commands import it from here)
from ....commands._threads import set_threads  # noqa: F401
