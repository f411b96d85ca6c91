"""Plain numpy reference of the race training (float64, loops kept obvious)."""

import numpy as np

from lottery_scaling.studies.race import _kernels, trainer


def loss_acc(W, b, V, c, X, Y):
    H = np.maximum(X @ W.T + b, 0.0)
    Z = H @ V.T + c
    m = Z.max(1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(Z - m).sum(1))
    loss = np.mean(lse - Z[np.arange(len(Y)), Y])
    pred = np.where(Z[:, 0] >= Z[:, 1], 0, 1)
    return loss, np.mean(pred == Y)


def grads(W, b, V, c, Xb, Yb):
    P = Xb @ W.T + b
    H = np.maximum(P, 0.0)
    Z = H @ V.T + c
    Z = Z - Z.max(1, keepdims=True)
    p = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    onehot = np.eye(2)[Yb]
    gz = (p - onehot) / len(Yb)
    gV = gz.T @ H
    gc = gz.sum(0)
    gh = (gz @ V) * (P > 0)
    gW = gh.T @ Xb
    gb = gh.sum(0)
    return gW, gb, gV, gc


def train(task, seed, settings, steps=None, mask_w=None, mask_v=None):
    s = settings
    X, Y = task.x_train, task.y_train.astype(int)
    n, D = X.shape
    W, V = trainer.initial_parameters(seed, s.width, D, s.sigma, s.init_seed)
    if mask_w is not None:
        W = W * mask_w
        V = V * mask_v
    b = np.zeros(s.width)
    c = np.zeros(2)
    bufs = [np.zeros_like(p) for p in (W, b, V, c)]
    step = 0
    for epoch in range(s.max_epochs):
        perm = _kernels.epoch_permutation(seed, epoch, n)
        for pos in range(0, n, s.batch):
            idx = perm[pos:pos + s.batch]
            g = list(grads(W, b, V, c, X[idx], Y[idx]))
            if mask_w is not None:
                g[0] = g[0] * mask_w
                g[2] = g[2] * mask_v
            params = [W, b, V, c]
            for q in range(4):
                bufs[q] = s.momentum * bufs[q] + g[q]
                params[q] = params[q] - s.lr * bufs[q]
            W, b, V, c = params
            step += 1
        loss, _ = loss_acc(W, b, V, c, X, Y)
        if not np.isfinite(loss) or loss < s.loss_threshold:
            break
    return W, b, V, c, step


def neuron_quantities(W, b, V, X, Y):
    """|w|, |v|, b, n_eff, cos_v, angle (degrees) as defined in _kernels."""
    gate = (X @ W.T + b) > 0  # (n, d)
    ysg = np.where(Y == 0, 1.0, -1.0)
    T = (gate * ysg[:, None]).T @ X  # (d, D)
    vd = V[0] - V[1]
    T = np.sign(np.where(vd >= 0, 1.0, -1.0))[:, None] * T
    wn = np.linalg.norm(W, axis=1)
    tn = np.linalg.norm(T, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ang = np.degrees(np.arccos(np.clip((W * T).sum(1) / (wn * tn), -1, 1)))
    vn = np.linalg.norm(V, axis=0)
    return wn, vn, b, gate.sum(0), vd / (np.sqrt(2) * vn), ang
