"""Slow, obviously-correct numpy versions of the trainer, for tests only."""

from __future__ import annotations

import numpy as np

from lottery_scaling.studies.lottery import model


def gradients(w, b, v, c, x, y, act):
    """Analytic gradients of the MSE, written directly from the chain rule (numpy, float64)."""
    z = x @ w.T + b  # (M, N)
    a = model.activation(act, z)
    f = a @ v + c
    g = 2.0 * (f - y) / x.shape[0]  # dL/df
    dz = g[:, None] * v[None, :] * model.activation_derivative(act, z)
    return dz.T @ x, dz.sum(axis=0), a.T @ g, g.sum(), np.mean((f - y) ** 2)


def adam_train(w, b, v, c, x, y, act, steps, lr=1e-2, lr_decay=0.2, lr_decay_every=10000,
               beta1=0.9, beta2=0.999, eps=1e-8):
    """torch.optim.Adam + StepLR, full batch, one network; returns final params and per-step losses."""
    params = [np.array(w, dtype=float), np.array(b, dtype=float), np.array(v, dtype=float), np.array(float(c))]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    losses = []
    current_lr = lr
    for t in range(1, steps + 1):
        if t > 1 and (t - 1) % lr_decay_every == 0:
            current_lr *= lr_decay
        *grads, loss = gradients(*params, x, y, act)
        losses.append(loss)
        for p, g, a, s in zip(params, grads, m1, m2):
            a += (1 - beta1) * (g - a)
            s *= beta2
            s += (1 - beta2) * g * g
            denom = np.sqrt(s) / np.sqrt(1 - beta2**t) + eps
            p -= (current_lr / (1 - beta1**t)) * a / denom
    return params, np.array(losses)
