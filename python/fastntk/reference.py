"""A plain NumPy implementation of every kernel: the test oracle, never fast.

Written from the model equations (DESIGN.md §1) independently of the core:
explicit per-layer loops, per-sample Jacobian by backpropagation, K = φφᵀ.
"""
from __future__ import annotations

import numpy as np


def _multipliers(widths, sigma, parametrization, l):
    if parametrization == "standard":
        return 1.0, 1.0
    return sigma / np.sqrt(widths[l - 1]), sigma


def _act(name, h):
    if name == "relu":
        return np.maximum(h, 0.0)
    if name == "tanh":
        return np.tanh(h)
    return h


def _dact(name, h):
    if name == "relu":
        return (h > 0).astype(h.dtype)
    if name == "tanh":
        return 1.0 - np.tanh(h) ** 2
    return np.ones_like(h)


def unflatten(widths, theta, has_bias=True):
    Ws, bs, off = [], [], 0
    for l in range(1, len(widths)):
        m, mp = widths[l], widths[l - 1]
        Ws.append(theta[off:off + m * mp].reshape(m, mp))
        off += m * mp
        if has_bias:
            bs.append(theta[off:off + m])
            off += m
        else:
            bs.append(np.zeros(m, theta.dtype))
    return Ws, bs


def forward(net, theta, X):
    """f(X) and the per-layer (pre-activation h, input a) lists, float64."""
    theta = np.asarray(theta, np.float64)
    X = np.asarray(X, np.float64)
    Ws, bs = unflatten(net.widths, theta, net.has_bias)
    a, hs, ins = X, [], []
    for l in range(1, net.depth + 1):
        c, beta = _multipliers(net.widths, net.sigma, net.parametrization, l)
        if not net.has_bias:
            beta = 0.0
        ins.append(a)
        h = c * a @ Ws[l - 1].T + beta * bs[l - 1]
        hs.append(h)
        a = _act(net.activation, h) if l < net.depth else h
    return hs[-1][:, 0], hs, ins


def jacobian(net, theta, X):
    """φ(X) (N, P) by explicit per-sample backpropagation."""
    theta = np.asarray(theta, np.float64)
    _, hs, ins = forward(net, theta, X)
    Ws, _ = unflatten(net.widths, theta, net.has_bias)
    N = np.shape(X)[0]
    rows = []
    for i in range(N):
        delta = np.ones(1)
        blocks = [None] * net.depth
        for l in range(net.depth, 0, -1):
            c, beta = _multipliers(net.widths, net.sigma, net.parametrization, l)
            gW = c * np.outer(delta, ins[l - 1][i])
            parts = [gW.ravel()]
            if net.has_bias:
                parts.append(beta * delta)
            blocks[l - 1] = np.concatenate(parts)
            if l > 1:
                delta = (c * delta @ Ws[l - 1]) * _dact(net.activation, hs[l - 2][i])
        rows.append(np.concatenate(blocks))
    return np.array(rows)


def ntk(net, theta, X1, X2=None):
    p1 = jacobian(net, theta, X1)
    p2 = p1 if X2 is None else jacobian(net, theta, X2)
    return p1 @ p2.T


def jvp(net, theta, X, v):
    return jacobian(net, theta, X) @ np.asarray(v, np.float64)


def vjp(net, theta, X, r):
    return jacobian(net, theta, X).T @ np.asarray(r, np.float64)


def adaptive_ntk(net, theta, X1, X2=None, d=None):
    p1 = jacobian(net, theta, X1)
    p2 = p1 if X2 is None else jacobian(net, theta, X2)
    return (p1 * np.asarray(d, np.float64)) @ p2.T


def structured_ntk(net, theta, X1, X2=None):
    """The structured Gram formula in plain NumPy (the benchmarks' baseline)."""
    _, hs1, in1 = forward(net, theta, X1)
    if X2 is None:
        hs2, in2 = hs1, in1
    else:
        _, hs2, in2 = forward(net, theta, X2)
    Ws, _ = unflatten(net.widths, np.asarray(theta, np.float64), net.has_bias)

    def deltas(hs):
        out = [None] * net.depth
        d = np.ones((hs[0].shape[0], 1))
        for l in range(net.depth, 0, -1):
            out[l - 1] = d
            if l > 1:
                c, _ = _multipliers(net.widths, net.sigma, net.parametrization, l)
                d = (c * d @ Ws[l - 1]) * _dact(net.activation, hs[l - 2])
        return out

    d1 = deltas(hs1)
    d2 = d1 if X2 is None else deltas(hs2)
    K = 0.0
    for l in range(1, net.depth + 1):
        c, beta = _multipliers(net.widths, net.sigma, net.parametrization, l)
        if not net.has_bias:
            beta = 0.0
        K = K + (d1[l - 1] @ d2[l - 1].T) * (c * c * in1[l - 1] @ in2[l - 1].T + beta * beta)
    return K
