"""What every bridge stage reads: trained networks, their training data and their initial parameters."""

from __future__ import annotations

import numpy as np

from ...errors import UserError


def load(path, need_snapshots: bool = False):
    """A trained-networks file of a d = 1 task (studies/lottery/networks.py)."""
    from ..lottery.expressions import is_expression
    from ..lottery.networks import read_result
    from ..lottery.tasks import input_dim, make_dataset

    result = read_result(path)
    if input_dim(result.settings.task) != 1:
        raise UserError(f"{path}: the bridge study needs a one-input task, got {result.settings.task}")
    if is_expression(result.settings.task):  # every stage rebuilds the target from the file's formula: check it now
        try:
            make_dataset(result.settings.data_spec())
        except UserError as exc:
            raise UserError(f"{path}: {exc}") from None
    if need_snapshots and result.snapshots is None:
        raise UserError(f"{path}: no parameter snapshots; train with the setting snapshots: true")
    return result


def training_data(settings) -> tuple[np.ndarray, np.ndarray]:
    """(x (M, 1), y (M,)): the training set the networks were trained on."""
    from ..lottery.tasks import make_dataset

    x, y, _, _ = make_dataset(settings.data_spec())
    return x, y


def test_data(settings) -> tuple[np.ndarray, np.ndarray]:
    from ..lottery.tasks import make_dataset

    _, _, x, y = make_dataset(settings.data_spec())
    return x, y


def initial_of(result):
    """(w0, b0, v0, c0) the trainer started each seed of `result` from (init_scale applied)."""
    from ..lottery.init import scaled_initial_parameters

    s = result.settings
    return scaled_initial_parameters(1, s.width, result.seed, s.init_seed, s.init_scale)
