"""Regression targets and the data sets they are trained and tested on (SPEC section 1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UserError


def _prod(x: np.ndarray) -> np.ndarray:
    return np.prod(x, axis=1)


# name -> (input dimension, target as a function of x with shape (M, d))
_TARGETS = {
    "x2": (1, lambda x: x[:, 0] ** 2),
    "x3": (1, lambda x: x[:, 0] ** 3),
    "x4": (1, lambda x: x[:, 0] ** 4),
    "sin": (1, lambda x: np.sin(x[:, 0])),
    "cos": (1, lambda x: np.cos(x[:, 0])),
    "exp": (1, lambda x: np.exp(x[:, 0])),
    "sin2": (1, lambda x: np.sin(x[:, 0]) ** 2),
    "expx2": (1, lambda x: np.exp(x[:, 0] ** 2)),
    "relu": (1, lambda x: np.maximum(x[:, 0], 0.0)),
    "tanh": (1, lambda x: np.tanh(x[:, 0])),
    "prod2": (2, _prod),
    "prod3": (3, _prod),
    "prod4": (4, _prod),
    "prod5": (5, _prod),
}

TASKS = tuple(_TARGETS)


def input_dim(task: str) -> int:
    """Input dimension d of a task."""
    _check_task(task)
    return _TARGETS[task][0]


def target(task: str, x: np.ndarray) -> np.ndarray:
    """Target values y(x) for inputs x of shape (M, d), computed in float64."""
    _check_task(task)
    return _TARGETS[task][1](np.asarray(x, dtype=np.float64))


def _check_task(task: str) -> None:
    if task not in _TARGETS:
        raise UserError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")


@dataclass(frozen=True)
class DataSpec:
    """Everything that determines the training and test sets.

    Defaults (None) follow SPEC section 1: d = 1 uses evenly spaced points on [-2, 2]
    (1000 train, 10001 test); d > 1 uses uniform points in [-1, 1]^d from `data_seed`
    (1000 train, 10000 fresh test points).
    """

    task: str
    n_train: int = 1000
    n_test: int | None = None
    x_range: tuple[float, float] | None = None
    data_seed: int = 0

    def resolved(self) -> "DataSpec":
        d = input_dim(self.task)
        n_test = self.n_test if self.n_test is not None else (10001 if d == 1 else 10000)
        x_range = tuple(self.x_range) if self.x_range is not None else ((-2.0, 2.0) if d == 1 else (-1.0, 1.0))
        spec = DataSpec(self.task, int(self.n_train), int(n_test), (float(x_range[0]), float(x_range[1])), int(self.data_seed))
        spec.validate()
        return spec

    def validate(self) -> None:
        _check_task(self.task)
        if self.n_train < 1:
            raise UserError(f"n_train must be >= 1, got {self.n_train}")
        if self.n_test is not None and self.n_test < 1:
            raise UserError(f"n_test must be >= 1, got {self.n_test}")
        if self.x_range is not None:
            lo, hi = self.x_range
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise UserError(f"x_range must be two finite numbers LO < HI, got {lo} {hi}")
        if self.data_seed < 0:
            raise UserError(f"data_seed must be >= 0, got {self.data_seed}")


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    """n evenly spaced points; on a symmetric interval exactly symmetric (x[m] == -x[n-1-m]),
    which np.linspace alone is not to the last bit (the trainer uses the symmetry)."""
    x = np.linspace(lo, hi, n)
    if lo == -hi:
        x = 0.5 * (x - x[::-1])
    return x


def make_dataset(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (x_train (M, d), y_train (M,), x_test (T, d), y_test (T,)) in float64."""
    spec = spec.resolved()
    d = input_dim(spec.task)
    lo, hi = spec.x_range
    if d == 1:
        x_train = _grid(lo, hi, spec.n_train)[:, None]
        x_test = _grid(lo, hi, spec.n_test)[:, None]
    else:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([spec.data_seed, d, 0x6C6F7474])))
        x_train = rng.uniform(lo, hi, size=(spec.n_train, d))
        x_test = rng.uniform(lo, hi, size=(spec.n_test, d))
    return x_train, target(spec.task, x_train), x_test, target(spec.task, x_test)
