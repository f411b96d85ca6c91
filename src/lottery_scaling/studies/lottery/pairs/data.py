"""Inputs of the pair-and-disentangle stage: a trained-networks file of a d = 1 task with its data grid."""

from __future__ import annotations

import numpy as np

from ....errors import UserError


def load_d1(path):
    """Read a trained-networks file of a d = 1 task; returns (result, ok mask, x_train, y_train, x_test, y_test)."""
    from ..networks import read_result
    from ..tasks import input_dim, make_dataset

    result = read_result(path)
    d = input_dim(result.settings.task)
    if d != 1:
        raise UserError(
            f"{path}: task {result.settings.task} has d = {d}; the pair-and-disentangle stage is defined for d = 1 tasks only"
        )
    try:  # the target is rebuilt from the file's task text: a formula not finite on its data names the file
        x, y, xt, yt = make_dataset(result.settings.data_spec())
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    ok = ~np.asarray(result.diverged, dtype=bool)
    ok &= np.isfinite(result.test_loss) & np.isfinite(result.train_loss)
    return result, ok, x, y, xt, yt


def w_scale_for(x, value):
    """The weight scale s of the mirror distance: `value`, or the RMS of the training inputs when None."""
    from .pairing import input_rms

    return input_rms(x) if value is None else float(value)
