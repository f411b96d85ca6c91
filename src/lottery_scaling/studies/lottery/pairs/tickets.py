"""Lottery tickets of a wide network: their functions, quality, error functions and independence.

Paper: Liu & Tegmark (2023), appendix C and Figure 12.

Ticket function
    For a mirror pair (i, j) of a network (lottery_scaling.pairing), the ticket's function is
    its contribution to the output, g(x) = v_i act(w_i x + b_i) + v_j act(w_j x + b_j).
Quality R^2
    R^2 of the best linear predictor a g(x) + c0 of the target y(x) on the training inputs
    (ordinary least squares with intercept), i.e. the squared Pearson correlation of g and
    y; 0 when g is constant.
Error function
    e(x) = a g(x) + c0 - y(x) on the training inputs (predictor minus target). With the
    intercept it has zero mean, so inner products of error functions are covariances.
Correlation matrix
    C_kl = <e_k, e_l> / (|e_k| |e_l|) (the paper's "inner products of error functions",
    normalised); a ticket whose error is exactly 0 gets a zero row.
Number of independent tickets
    From the eigenvalues lambda_1 >= lambda_2 >= ... of C (the Gram matrix of the
    *normalised* error functions, so every ticket counts once whatever its accuracy):
    - participation ratio PR = (sum lambda)^2 / sum lambda^2: k mutually orthogonal error
      functions give k, k identical ones give 1;
    - n99 = the smallest n with lambda_1 + ... + lambda_n >= 0.99 sum lambda (the number of
      principal components that carry 99 % of the error variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import activation
from .pairing import Pairing


def active_neurons(w, b, v, x: np.ndarray, act: str, scale: float, tol: float = 1e-6) -> np.ndarray:
    """Boolean mask of neurons whose output contribution v_i act(w_i x + b_i) has RMS over the
    inputs >= tol * scale (scale: e.g. the standard deviation of the target). Wide networks
    park many neurons at (w, b, v) ~ (0, 0, 0) (the paper's "useless" tickets); they carry
    no function and are left out of the symmetric-neuron statistic."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    b, v = np.asarray(b, dtype=np.float64), np.asarray(v, dtype=np.float64)
    h = v[:, None] * activation(act, w[:, None] * x[None, :] + b[:, None])
    return np.sqrt(np.mean(h**2, axis=1)) >= tol * scale


def ticket_functions(w, b, v, pairing: Pairing, x: np.ndarray, act: str) -> np.ndarray:
    """g_k(x) for every pair k: shape (P, M) for inputs x (M, 1) or (M,)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    b, v = np.asarray(b, dtype=np.float64), np.asarray(v, dtype=np.float64)

    def neuron(idx):
        return v[idx, None] * activation(act, w[idx, None] * x[None, :] + b[idx, None])

    return neuron(pairing.pos) + neuron(pairing.neg)


@dataclass
class TicketFit:
    r2: np.ndarray  # (P,)
    slope: np.ndarray  # (P,) a
    intercept: np.ndarray  # (P,) c0
    errors: np.ndarray  # (P, M) e_k(x) = a g_k + c0 - y


def fit_tickets(g: np.ndarray, y: np.ndarray) -> TicketFit:
    """Best linear predictor a g + c0 of y for each row of g (P, M); R^2 and error functions."""
    g = np.asarray(g, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    gc = g - g.mean(axis=1, keepdims=True)
    yc = y - y.mean()
    var_g = np.einsum("pm,pm->p", gc, gc)
    cov = gc @ yc
    var_y = float(yc @ yc)
    # a constant ticket (var_g ~ 0 relative to its size) explains nothing
    flat = var_g <= 1e-24 * np.maximum(1.0, np.einsum("pm,pm->p", g, g))
    slope = np.divide(cov, var_g, out=np.zeros_like(cov), where=~flat)
    intercept = y.mean() - slope * g.mean(axis=1)
    pred = slope[:, None] * g + intercept[:, None]
    errors = pred - y[None, :]
    r2 = np.divide(cov**2, var_g * var_y, out=np.zeros_like(cov), where=~flat & (var_y > 0))
    return TicketFit(np.clip(r2, 0.0, 1.0), slope, intercept, errors)


def error_correlation(errors: np.ndarray) -> np.ndarray:
    """C_kl = <e_k, e_l> / (|e_k| |e_l|); rows of exactly-zero errors are zero."""
    e = np.asarray(errors, dtype=np.float64)
    norm = np.linalg.norm(e, axis=1)
    unit = np.divide(e, norm[:, None], out=np.zeros_like(e), where=norm[:, None] > 0)
    return unit @ unit.T


def independent_tickets(corr: np.ndarray, variance: float = 0.99) -> tuple[float, int]:
    """(participation ratio, components for `variance` of the total) of a correlation/Gram matrix."""
    corr = np.asarray(corr, dtype=np.float64)
    if corr.size == 0:
        return 0.0, 0
    lam = np.clip(np.linalg.eigvalsh(corr), 0.0, None)[::-1]
    total = lam.sum()
    if total <= 0:
        return 0.0, 0
    pr = float(total**2 / np.sum(lam**2))
    n_var = int(np.searchsorted(np.cumsum(lam) / total, variance - 1e-12) + 1)
    return pr, min(n_var, lam.size)


@dataclass
class NetworkTickets:
    pairing: Pairing
    fit: TicketFit
    corr: np.ndarray
    participation_ratio: float
    n_components_99: int


def analyse_network(w, b, v, x, y, act: str, w_scale: float, variance: float = 0.99) -> NetworkTickets:
    """Pair, fit and count the tickets of one d = 1 network on inputs x with targets y."""
    from .pairing import pair_neurons

    pairing = pair_neurons(w, b, w_scale)
    g = ticket_functions(w, b, v, pairing, x, act)
    fit = fit_tickets(g, y)
    corr = error_correlation(fit.errors)
    pr, n99 = independent_tickets(corr, variance)
    return NetworkTickets(pairing, fit, corr, pr, n99)
