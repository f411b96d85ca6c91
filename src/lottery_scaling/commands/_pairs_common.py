"""Shared helpers of the pair-and-disentangle subcommands (pairs, width2, distill, pair-claims, pair-figure)."""

from __future__ import annotations

import numpy as np

from ..errors import UserError


def load_d1(path):
    """Read a trained-networks file of a d = 1 task; returns (result, ok mask, x_train, y_train, x_test, y_test)."""
    from ..h5io import read_result
    from ..tasks import input_dim, make_dataset

    result = read_result(path)
    d = input_dim(result.settings.task)
    if d != 1:
        raise UserError(
            f"{path}: task {result.settings.task} has d = {d}; the pair-and-disentangle stage is defined for d = 1 tasks only"
        )
    x, y, xt, yt = make_dataset(result.settings.data_spec())
    ok = ~np.asarray(result.diverged, dtype=bool)
    ok &= np.isfinite(result.test_loss) & np.isfinite(result.train_loss)
    return result, ok, x, y, xt, yt


def w_scale_for(x, value):
    """The weight scale s of the mirror distance: `value`, or the RMS of the training inputs when None."""
    from ..pairing import input_rms

    return input_rms(x) if value is None else float(value)


def write_csv(df, path) -> None:
    from ..h5io import atomic_path

    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def read_csv(path, required=()):
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except Exception as exc:  # pandas raises many types for unreadable files
        raise UserError(f"{path}: cannot read as CSV: {exc}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    return df
