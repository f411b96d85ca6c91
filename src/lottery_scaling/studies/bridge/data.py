"""What every bridge stage reads: trained networks, their training data and their initial parameters."""

from __future__ import annotations

import numpy as np

from ...errors import UserError


def load(path, need_snapshots: bool = False):
    """A trained-networks file of a d = 1 task (studies/lottery/networks.py), its contents checked
    for what the bridge stages compute with (`check_contents`)."""
    from ...h5checks import H5Reader
    from ..lottery.expressions import is_expression
    from ..lottery.networks import DATASETS, SNAPSHOTS, read_result
    from ..lottery.tasks import input_dim, make_dataset

    # links, storage and declared sizes first: read_result loads every dataset whole
    with H5Reader(path) as f:
        for name in (*DATASETS, SNAPSHOTS):
            if f.has(name):
                f.declare(name)
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
    check_contents(path, result, need_snapshots)
    return result


def check_contents(path, result, need_snapshots: bool = False) -> None:
    """Values read_result leaves unchecked: seeds (they pick the initial parameters), the diverged
    flags, finite parameters and losses of the networks that did not diverge, curve steps within
    the schedule (the snapshots are taken there: the first at 0, the last the trained network)."""
    from ...h5checks import require

    seed = result.seed
    require(path, "seed", seed, seed >= 0, "a seed >= 0")
    ordered = np.sort(seed)
    if np.any(ordered[1:] == ordered[:-1]):
        raise UserError(f"{path}: dataset seed holds {int(ordered[1:][ordered[1:] == ordered[:-1]][0])} twice, "
                        "expected one network per seed")
    require(path, "diverged", result.diverged, np.isin(result.diverged, (0, 1)), "true or false (0 or 1)")
    result.diverged = result.diverged.astype(bool)  # `~` of 0/1 integers would be -1/-2, both true
    alive = ~result.diverged
    for name in ("w", "b", "v", "c"):
        values = getattr(result, name)
        require(path, name, values, ~alive.reshape((-1,) + (1,) * (values.ndim - 1)) | np.isfinite(values),
                "a finite parameter (a network that did not diverge)")
    for name in ("train_loss", "test_loss"):
        values = getattr(result, name)
        require(path, name, values, ~alive | (np.isfinite(values) & (values >= 0)),
                "a finite loss >= 0 (a network that did not diverge)")
    steps = result.curve_step
    total = result.settings.steps
    require(path, "curve_step", steps, (steps >= 0) & (steps <= total), f"a step from 0 to the {total} training steps")
    increasing = np.ones(steps.shape, bool)
    increasing[1:] = steps[1:] > steps[:-1]
    require(path, "curve_step", steps, increasing, "steps increasing from entry to entry")
    if need_snapshots:
        if steps.size < 2 or steps[0] != 0 or steps[-1] != total:
            held = f"from {int(steps[0])} to {int(steps[-1])}" if steps.size else "no step"
            raise UserError(f"{path}: dataset curve_step holds {held}, expected the snapshot steps from 0 to the "
                            f"final step {total}")
        snaps = result.snapshots
        require(path, "snapshots", snaps, ~alive[:, None, None] | np.isfinite(snaps),
                "a finite parameter (a network that did not diverge)")


def training_data(settings) -> tuple[np.ndarray, np.ndarray]:
    """(x (M, 1), y (M,)): the training set the networks were trained on."""
    from ..lottery.tasks import make_dataset

    x, y, _, _ = make_dataset(settings.data_spec())
    return x, y


def initial_of(result):
    """(w0, b0, v0, c0) the trainer started each seed of `result` from (init_scale applied)."""
    from ..lottery.init import scaled_initial_parameters

    s = result.settings
    return scaled_initial_parameters(1, s.width, result.seed, s.init_seed, s.init_scale)
