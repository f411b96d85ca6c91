"""Alignment at initialisation of the neurons of a regression network, and its final contribution.

Network f(x) = sum_i v_i act(w_i . x + b_i) + c on training inputs x_s (s = 1..M), targets y_s,
residual r_s = f(x_s) - y_s, loss L = (1/M) sum_s r_s^2 (MSE).

Steepest-descent direction of neuron i at init (minus the gradient of L in (w_i, b_i)):

    g_i = -(2/M) sum_s r_s v_i act'(w_i . x_s + b_i) (x_s, 1)

(the residual-weighted gradient; v_i sets its sign). The neuron's *init alignment* is the cosine
of the angle between its own parameters and that direction,

    a_i = <(w_i, b_i), g_i> / (|(w_i, b_i)| |g_i|)  in [-1, 1]   (angle_i = arccos a_i),

so a_i > 0 means gradient descent starts by growing the neuron along its own direction (the race
paper's "aligned" neurons); a_i = 0 when g_i = 0.

Final contribution of neuron i: RMS over the training inputs of v_i act(w_i . x_s + b_i) with the
trained parameters.

Per network: the Spearman rank correlation of (a_i) and the final contributions; the best ticket
(the mirror pair of highest R^2 of the pair stage, studies/lottery/pairs) and the init-alignment
percentile q_i = (rank_i - 1) / (N - 1) of its two neurons (rank 1 = least aligned, so q = 1 is the
most aligned neuron). Under the permutation null (alignment unrelated to which pair wins) the mean
q of the pair has expectation 1/2; its per-network p-value is the share of the N(N-1)/2 neuron
pairs whose mean q is at least as large (exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lottery.model import activation, activation_derivative


def descent_directions(w, b, v, c, x, y, act: str) -> tuple[np.ndarray, np.ndarray]:
    """(g_w (N, d), g_b (N,)): minus the gradient of the MSE in (w_i, b_i) of one network."""
    w = np.asarray(w, dtype=np.float64).reshape(len(b), -1)
    b, v = np.asarray(b, dtype=np.float64), np.asarray(v, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64)
    z = x @ w.T + b[None, :]  # (M, N)
    r = activation(act, z) @ v + float(c) - y  # (M,)
    M = y.size
    s = -(2.0 / M) * r[:, None] * v[None, :] * activation_derivative(act, z)  # (M, N)
    return s.T @ x, s.sum(axis=0)


def init_alignment(w, b, v, c, x, y, act: str) -> np.ndarray:
    """Cosine a_i between (w_i, b_i) and its steepest-descent direction g_i (module docstring), shape (N,)."""
    gw, gb = descent_directions(w, b, v, c, x, y, act)
    w = np.asarray(w, dtype=np.float64).reshape(len(b), -1)
    p = np.concatenate([w, np.asarray(b, dtype=np.float64)[:, None]], axis=1)
    g = np.concatenate([gw, gb[:, None]], axis=1)
    den = np.linalg.norm(p, axis=1) * np.linalg.norm(g, axis=1)
    num = np.einsum("nk,nk->n", p, g)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def contributions(w, b, v, x, act: str) -> np.ndarray:
    """RMS over the inputs of each neuron's output v_i act(w_i . x + b_i), shape (N,)."""
    w = np.asarray(w, dtype=np.float64).reshape(len(b), -1)
    x = np.asarray(x, dtype=np.float64).reshape(-1, w.shape[1])
    h = activation(act, x @ w.T + np.asarray(b, dtype=np.float64)[None, :]) * np.asarray(v, dtype=np.float64)[None, :]
    return np.sqrt(np.mean(h**2, axis=0))


def percentiles(values) -> np.ndarray:
    """q_i = (rank_i - 1) / (N - 1), rank 1 = smallest (ties by average rank); 0.5 for N = 1."""
    from scipy.stats import rankdata

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return np.full(values.size, 0.5)
    return (rankdata(values) - 1.0) / (values.size - 1.0)


def pair_p_value(q: np.ndarray, i: int, j: int) -> float:
    """Share of the neuron pairs (k < l) whose mean percentile is >= that of (i, j) (exact permutation null)."""
    q = np.asarray(q, dtype=np.float64)
    k, l = np.triu_indices(q.size, 1)
    means = (q[k] + q[l]) / 2
    return float(np.mean(means >= (q[i] + q[j]) / 2 - 1e-12))


def best_ticket(w, b, v, x, y, act: str, w_scale: float):
    """(i, j, R^2) of the highest-R^2 mirror pair of one trained d = 1 network; None without pairs."""
    from ..lottery.pairs.tickets import analyse_network

    nt = analyse_network(w, b, v, x, y, act, w_scale)
    if nt.pairing.n_pairs == 0:
        return None
    k = int(np.argmax(nt.fit.r2))
    return int(nt.pairing.pos[k]), int(nt.pairing.neg[k]), float(nt.fit.r2[k])


@dataclass
class NetworkAlignment:
    alignment: np.ndarray  # (N,) a_i at init
    contribution: np.ndarray  # (N,) final RMS contribution
    percentile: np.ndarray  # (N,) init-alignment percentile q_i
    spearman: float
    ticket: tuple | None  # (i, j, R^2) of the best ticket
    ticket_percentile: float  # mean q of the ticket's two neurons (NaN without a ticket)
    p_value: float  # exact permutation p-value of ticket_percentile


def analyse_network(init_params, final_params, x, y, act: str, w_scale: float) -> NetworkAlignment:
    """Alignment at init (init_params = (w, b, v, c)) against the trained network (final_params)."""
    from scipy.stats import spearmanr

    a = init_alignment(*init_params, x, y, act)
    w, b, v, _ = final_params
    contrib = contributions(w, b, v, x, act)
    q = percentiles(a)
    if np.ptp(a) > 0 and np.ptp(contrib) > 0:
        rho = float(spearmanr(a, contrib).statistic)
    else:
        rho = float("nan")
    ticket = best_ticket(w, b, v, x, y, act, w_scale)
    if ticket is None:
        return NetworkAlignment(a, contrib, q, rho, None, float("nan"), float("nan"))
    i, j, _ = ticket
    return NetworkAlignment(a, contrib, q, rho, ticket, float((q[i] + q[j]) / 2), pair_p_value(q, i, j))


def null_mean_percentiles(widths, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Mean over networks of a random pair's mean percentile, `draws` times (the permutation null
    of the across-network mean ticket percentile; widths: one entry per network)."""
    widths = np.asarray(widths, dtype=np.int64)
    out = np.zeros(draws)
    for N in np.unique(widths):
        n = int(np.sum(widths == N))
        i = rng.integers(0, N, size=(draws, n))
        j = (i + rng.integers(1, N, size=(draws, n))) % N  # a different neuron
        out += ((i + j) / (2.0 * (N - 1))).sum(axis=1)
    return out / max(1, widths.size)


def alignment_tables(results) -> tuple[list[dict], list[dict]]:
    """(neuron rows, network rows) of trained-networks results (networks.read_result) of d = 1 tasks."""
    from .data import initial_of, training_data
    from ..lottery.pairs.pairing import input_rms

    neurons, nets = [], []
    for result in results:
        s = result.settings
        x, y = training_data(s)
        w0, b0, v0, c0 = initial_of(result)
        scale = input_rms(x)
        for k, seed in enumerate(result.seed):
            if result.diverged[k]:
                continue
            na = analyse_network((w0[k], b0[k], v0[k], c0[k]), (result.w[k], result.b[k], result.v[k], result.c[k]),
                                 x, y, s.activation, scale)
            ti, tj, r2 = na.ticket if na.ticket else (-1, -1, float("nan"))
            for i in range(s.width):
                neurons.append({
                    "init_scale": s.init_scale, "width": s.width, "seed": int(seed), "neuron": i,
                    "alignment": na.alignment[i], "angle_deg": float(np.degrees(np.arccos(np.clip(na.alignment[i], -1, 1)))),
                    "percentile": na.percentile[i], "contribution": na.contribution[i],
                    "in_ticket": i in (ti, tj),
                })
            nets.append({
                "init_scale": s.init_scale, "width": s.width, "seed": int(seed), "spearman": na.spearman,
                "ticket_i": ti, "ticket_j": tj, "ticket_r2": r2, "ticket_percentile": na.ticket_percentile,
                "p_value": na.p_value, "test_loss": float(result.test_loss[k]),
            })
    return neurons, nets
