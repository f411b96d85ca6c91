"""Slow, obviously-correct numpy versions of the survey kernels, for tests only."""

from __future__ import annotations

import numpy as np

from lottery_scaling.studies.lottery import model

from ..lottery.reference import gradients


def split(theta, N, d):
    """(w, b, v, c) views of a flat parameter vector [w (N x d), b, v, c]."""
    return theta[: N * d].reshape(N, d), theta[N * d : N * d + N], theta[N * d + N : N * d + 2 * N], theta[-1]


def flat(w, b, v, c):
    return np.concatenate([np.ravel(w), b, v, [c]])


def top_k_reference(scores, bounds, kept):
    """0/1 mask: per group, the kept[g] largest |score| (ties to the lower index) by a full sort."""
    mask = np.zeros(scores.size)
    for g in range(len(kept)):
        lo, hi = bounds[g], bounds[g + 1]
        keys = np.abs(scores[lo:hi])
        order = sorted(range(hi - lo), key=lambda j: (-keys[j], j))
        mask[lo + np.array(order[: kept[g]], dtype=int)] = 1.0
    return mask


def adam_step(p, g, m1, m2, lr, t, beta1=0.9, beta2=0.999, eps=1e-8):
    m1 += (1 - beta1) * (g - m1)
    m2 *= beta2
    m2 += (1 - beta2) * g * g
    p -= (lr / (1 - beta1**t)) * m1 / (np.sqrt(m2) / np.sqrt(1 - beta2**t) + eps)


def edgepopup_train(theta0, scores0, N, d, x, y, act, bounds, kept, steps, lr=1e-2, lr_decay=0.2, lr_decay_every=10000,
                    optimizer="adam", momentum=0.9, weight_decay=0.0):
    """Edge-popup of one network: returns (final scores, final mask, losses before each update + final)."""
    s = scores0.astype(float).copy()
    m1 = np.zeros_like(s)
    m2 = np.zeros_like(s)
    losses = []
    current = lr
    mask = top_k_reference(s, bounds, kept)
    for t in range(1, steps + 1):
        if t > 1 and (t - 1) % lr_decay_every == 0:
            current *= lr_decay
        eff = theta0 * np.append(mask, 1.0)
        *grads, loss = gradients(*split(eff, N, d), x, y, act)
        losses.append(loss)
        gs = flat(*grads)[:-1] * theta0[:-1] * np.sign(s) + weight_decay * s
        if optimizer == "adam":
            adam_step(s, gs, m1, m2, current, t)
        else:
            m1[:] = gs if t == 1 else momentum * m1 + gs
            s -= current * m1
        mask = top_k_reference(s, bounds, kept)
    eff = theta0 * np.append(mask, 1.0)
    losses.append(model.mse(*split(eff, N, d), x, y, act))
    return s, mask, np.array(losses)


def jacobian(theta0, N, d, x, act):
    """J[m, p] = df(x_m)/dtheta_p at theta0, written out from the chain rule."""
    w, b, v, c = split(theta0, N, d)
    z = x @ w.T + b  # (M, N)
    slope = model.activation_derivative(act, z) * v
    M = x.shape[0]
    dw = (slope[:, :, None] * x[:, None, :]).reshape(M, N * d)
    return np.concatenate([dw, slope, model.activation(act, z), np.ones((M, 1))], axis=1)


def linearised_train(theta0, N, d, x, y, act, steps, lr=1e-2, lr_decay=0.2, lr_decay_every=10000):
    """Adam on dtheta of f0 + J dtheta with an explicit Jacobian: (final dtheta, losses before each update + final)."""
    J = jacobian(theta0, N, d, x, act)
    f0 = model.predict(*split(theta0, N, d), x, act)
    dtheta = np.zeros_like(theta0)
    m1 = np.zeros_like(theta0)
    m2 = np.zeros_like(theta0)
    losses = []
    current = lr
    for t in range(1, steps + 1):
        if t > 1 and (t - 1) % lr_decay_every == 0:
            current *= lr_decay
        r = f0 + J @ dtheta - y
        losses.append(np.mean(r**2))
        adam_step(dtheta, J.T @ (2 * r / x.shape[0]), m1, m2, current, t)
    losses.append(np.mean((f0 + J @ dtheta - y) ** 2))
    return dtheta, np.array(losses)


def masked_adam_train(theta0, mask, N, d, x, y, act, steps, lr=1e-2, lr_decay=0.2, lr_decay_every=10000):
    """Adam on theta0 * mask with the gradient of pruned entries zeroed: (final theta, losses before each update)."""
    theta = theta0 * mask
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    losses = []
    current = lr
    for t in range(1, steps + 1):
        if t > 1 and (t - 1) % lr_decay_every == 0:
            current *= lr_decay
        *grads, loss = gradients(*split(theta, N, d), x, y, act)
        losses.append(loss)
        adam_step(theta, flat(*grads) * mask, m1, m2, current, t)
    return theta, np.array(losses)
