"""The losses every analysis stage works on: test-set MSE of the non-diverged seeds of one width.

The primary loss is `test_loss` (mean squared error on the dense test grid, evaluated in
float64). A seed is excluded, and counted as diverged, when its `diverged` flag is set or its
test loss is not a finite number; a loss of exactly 0 (possible only for an exact fit) is
clamped to the smallest positive float64 so that log10 stays finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class WidthLosses:
    """Test-set MSE of the usable seeds of one (experiment, width)."""

    width: int
    loss: np.ndarray  # (n_used,) float64, finite and > 0
    seed: np.ndarray  # (n_used,) seeds of `loss`
    n_total: int  # seeds in the file
    n_diverged: int  # seeds excluded (diverged flag or non-finite loss)
    task: str = ""
    activation: str = ""
    settings: object = None  # TrainSettings of the file, when loaded from one

    @property
    def n_used(self) -> int:
        return int(self.loss.size)

    @property
    def log10(self) -> np.ndarray:
        return np.log10(self.loss)


def usable_losses(test_loss, diverged) -> tuple[np.ndarray, np.ndarray]:
    """(mask of usable seeds, their losses clamped to >= TINY)."""
    test_loss = np.asarray(test_loss, dtype=np.float64)
    ok = ~np.asarray(diverged, dtype=bool) & np.isfinite(test_loss) & (test_loss >= 0)
    return ok, np.maximum(test_loss[ok], TINY)


def from_arrays(width: int, test_loss, diverged=None, seed=None, task: str = "", activation: str = "") -> WidthLosses:
    test_loss = np.asarray(test_loss, dtype=np.float64)
    if diverged is None:
        diverged = np.zeros(test_loss.shape, dtype=bool)
    if seed is None:
        seed = np.arange(test_loss.size)
    ok, loss = usable_losses(test_loss, diverged)
    return WidthLosses(
        width=int(width), loss=loss, seed=np.asarray(seed)[ok], n_total=int(test_loss.size),
        n_diverged=int(test_loss.size - ok.sum()), task=task, activation=activation,
    )


def load(path) -> WidthLosses:
    """Usable test losses of a merged trained-networks file (read with h5io.read_result)."""
    from .networks import read_result

    result = read_result(path)
    s = result.settings
    wl = from_arrays(s.width, result.test_loss, result.diverged, result.seed, s.task, s.activation)
    return WidthLosses(**{**wl.__dict__, "settings": s})


def load_many(paths) -> dict[int, WidthLosses]:
    """Files of one experiment, keyed by width: every training setting but the width must agree
    (comparing widths trained with different steps or data would mislead); two files of the
    same width are an error."""
    from ...errors import UserError
    from .networks import settings_differences

    out: dict[int, WidthLosses] = {}
    first = None
    for path in paths:
        wl = load(path)
        if wl.width in out:
            raise UserError(f"{path}: a second file for width {wl.width}")
        if first is None:
            first = (wl, path)
        else:
            differ = settings_differences(wl.settings, first[0].settings, ignore=("width",))
            if differ:
                raise UserError(f"{path}: trained with other settings than {first[1]} ({differ}); "
                                "the files of one analysis must come from one experiment")
        out[wl.width] = wl
    return dict(sorted(out.items()))
