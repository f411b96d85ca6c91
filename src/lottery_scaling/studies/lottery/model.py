"""The two-layer network f(x) = sum_i v_i act(w_i . x + b_i) + c, evaluated in plain numpy.

This is the slow, obviously-correct version used by the analysis stages and as the
reference the numba trainer is tested against.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError

ACTIVATIONS = ("silu", "relu", "leaky_relu", "tanh")
LEAKY_SLOPE = 0.01


def check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise UserError(f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}")


def activation(name: str, z: np.ndarray) -> np.ndarray:
    check_activation(name)
    if name == "silu":
        return z / (1.0 + np.exp(-z))
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    return np.tanh(z)


def activation_derivative(name: str, z: np.ndarray) -> np.ndarray:
    check_activation(name)
    if name == "silu":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 + z * (1.0 - s))
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)
    return 1.0 - np.tanh(z) ** 2


def hidden(w: np.ndarray, b: np.ndarray, x: np.ndarray, act: str) -> np.ndarray:
    """Post-activations act(w_i . x_m + b_i) with shape (..., M, N) for w (..., N, d), b (..., N), x (M, d)."""
    z = np.einsum("md,...nd->...mn", x, w) + b[..., None, :]
    return activation(act, z)


def predict(w, b, v, c, x, act: str) -> np.ndarray:
    """Network outputs, shape (..., M), for parameters with leading batch shape (...)."""
    w, b, v, c = (np.asarray(a) for a in (w, b, v, c))
    return np.einsum("...mn,...n->...m", hidden(w, b, x, act), v) + np.asarray(c)[..., None]


def mse(w, b, v, c, x, y, act: str) -> np.ndarray:
    """Mean squared error over the samples, shape (...)."""
    return np.mean((predict(w, b, v, c, x, act) - y) ** 2, axis=-1)
