"""Initial parameters, a pure function of (d, width, seed, init_seed).

PyTorch's nn.Linear default: w, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), so the first
layer uses fan_in = d and the output layer fan_in = N. Each network draws from its own
counter-based stream keyed by (init_seed, d, width, seed), so a seed's start does not
depend on which other seeds share its job or on the thread count. Experiments that share
d and init_seed (e.g. SiLU and LeakyReLU on x^2) start each seed from the same point,
which makes their comparison paired.
"""

from __future__ import annotations

import numpy as np

_STREAM_TAG = 0x6C747331  # fixed tag separating init streams from data streams


def initial_parameters(d: int, width: int, seeds, init_seed: int = 0):
    """Return float64 arrays w (S, N, d), b (S, N), v (S, N), c (S,) for the given seeds."""
    seeds = np.asarray(seeds, dtype=np.int64)
    S = seeds.shape[0]
    w = np.empty((S, width, d))
    b = np.empty((S, width))
    v = np.empty((S, width))
    c = np.empty(S)
    bound_in = 1.0 / np.sqrt(d)
    bound_out = 1.0 / np.sqrt(width)
    for k, seed in enumerate(seeds):
        rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([_STREAM_TAG, init_seed, d, width, int(seed)])))
        w[k] = rng.uniform(-bound_in, bound_in, size=(width, d))
        b[k] = rng.uniform(-bound_in, bound_in, size=width)
        v[k] = rng.uniform(-bound_out, bound_out, size=width)
        c[k] = rng.uniform(-bound_out, bound_out)
    return w, b, v, c
