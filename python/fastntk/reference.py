"""A plain NumPy implementation of every kernel: the test oracle, never fast.

Written from the model equations (docs/design.md §1) independently of the core:
explicit per-layer loops, per-sample Jacobian by backpropagation, K = φφᵀ.
"""
from __future__ import annotations

import math

import numpy as np


def _multipliers(net, l):
    """(c_l, β_l) of §1, restated here rather than read from net.layout, which they test."""
    if net.parametrization == "standard":
        return 1.0, 1.0
    return net.sigma / np.sqrt(net.widths[l - 1]), net.sigma_b


_erf_scalar = np.vectorize(math.erf, otypes=[np.float64])


def erf(h):
    """erf element-wise (math.erf; NumPy has none)."""
    return _erf_scalar(h).astype(np.result_type(h, np.float32))


def erfinv(a):
    """erf⁻¹ element-wise by bisection to the last bit of float64: slow, and independent of
    the core's approximation (±1 map to ±∞)."""
    a = np.asarray(a, np.float64)
    lo, hi = np.full(a.shape, -6.0), np.full(a.shape, 6.0)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        below = _erf_scalar(mid) < a
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    out = 0.5 * (lo + hi)
    return np.where(a >= 1.0, np.inf, np.where(a <= -1.0, -np.inf, out))


def _act(name, h):
    if name == "relu":
        return np.maximum(h, 0.0)
    if name == "tanh":
        return np.tanh(h)
    if name == "erf":
        return erf(h)
    if name == "identity":
        return h
    raise ValueError(f"activation: no reference rule for {name!r}")


def _dact(name, h):
    if name == "relu":
        return (h > 0).astype(h.dtype)
    if name == "tanh":
        return 1.0 - np.tanh(h) ** 2
    if name == "erf":
        return (2.0 / math.sqrt(math.pi) * np.exp(-np.asarray(h, np.float64) ** 2)).astype(h.dtype)
    if name == "identity":
        return np.ones_like(h)
    raise ValueError(f"activation: no reference rule for {name!r}")


# The input h of an activation's output a, for a′ read off a as the core and the kernels take it
# (elementwise.hpp): ReLU's and the identity's a has h's sign, which is all their a′ reads.
_INPUT = {"relu": lambda a: a, "identity": lambda a: a, "tanh": np.arctanh, "erf": erfinv}


def _dact_at_output(name, a):
    """a′(h) where a(h) = a, by _dact's rule at h = a⁻¹(a)."""
    if name not in _INPUT:
        raise ValueError(f"activation: no reference rule for {name!r}")
    return _dact(name, _INPUT[name](np.asarray(a, np.float64)))


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
    """f(X) ((N,) for one output, (N, k) for k) and the per-layer (pre-activation h, input a)
    lists, float64."""
    theta = np.asarray(theta, np.float64)
    X = np.asarray(X, np.float64)
    Ws, bs = unflatten(net.widths, theta, net.has_bias)
    a, hs, ins = X, [], []
    for l in range(1, net.depth + 1):
        c, beta = _multipliers(net, l)
        if not net.has_bias:
            beta = 0.0
        ins.append(a)
        h = c * a @ Ws[l - 1].T + beta * bs[l - 1]
        hs.append(h)
        a = _act(net.layout.activation, h) if l < net.depth else h
    f = hs[-1]
    return (f[:, 0] if f.shape[1] == 1 else f), hs, ins


def _jacobian3(net, theta, X):
    """φ(X) as (N, k, P): per sample and output, backpropagation from the unit vector e_a."""
    theta = np.asarray(theta, np.float64)
    _, hs, ins = forward(net, theta, X)
    Ws, _ = unflatten(net.widths, theta, net.has_bias)
    N, k = np.shape(X)[0], net.widths[-1]
    out = []
    for i in range(N):
        rows = []
        for a in range(k):
            delta = np.eye(k)[a]
            blocks = [None] * net.depth
            for l in range(net.depth, 0, -1):
                c, beta = _multipliers(net, l)
                gW = c * np.outer(delta, ins[l - 1][i])
                parts = [gW.ravel()]
                if net.has_bias:
                    parts.append(beta * delta)
                blocks[l - 1] = np.concatenate(parts)
                if l > 1:
                    delta = (c * delta @ Ws[l - 1]) * _dact(net.layout.activation, hs[l - 2][i])
            rows.append(np.concatenate(blocks))
        out.append(rows)
    return np.array(out).reshape(N, k, -1)


def jacobian(net, theta, X):
    """φ(X) by explicit per-sample backpropagation: (N, P) for one output, (N, k, P) for k."""
    J = _jacobian3(net, theta, X)
    return J[:, 0] if J.shape[1] == 1 else J


def _kernel(J1, J2, trace_axes):
    """φ₁ φ₂ᵀ from (N, k, P) Jacobians: the mean over the outputs (trace_axes (-1,), neural-tangents'
    convention) or the full (N1, N2, k, k) block (trace_axes ())."""
    if tuple(trace_axes) == ():
        return np.einsum("iap,jbp->ijab", J1, J2)
    return np.einsum("iap,jap->ij", J1, J2) / J1.shape[1]


def ntk(net, theta, X1, X2=None, trace_axes=(-1,)):
    p1 = _jacobian3(net, theta, X1)
    p2 = p1 if X2 is None else _jacobian3(net, theta, X2)
    return _kernel(p1, p2, trace_axes)


def jvp(net, theta, X, v):
    out = _jacobian3(net, theta, X) @ np.asarray(v, np.float64)
    return out[:, 0] if out.shape[1] == 1 else out


def vjp(net, theta, X, r):
    J = _jacobian3(net, theta, X)
    return np.einsum("iap,ia->p", J, np.asarray(r, np.float64).reshape(J.shape[:2]))


def adaptive_ntk(net, theta, X1, X2=None, d=None, trace_axes=(-1,)):
    p1 = _jacobian3(net, theta, X1)
    p2 = p1 if X2 is None else _jacobian3(net, theta, X2)
    return _kernel(p1 * np.asarray(d, np.float64), p2, trace_axes)


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
                c, _ = _multipliers(net, l)
                d = (c * d @ Ws[l - 1]) * _dact(net.layout.activation, hs[l - 2])
        return out

    d1 = deltas(hs1)
    d2 = d1 if X2 is None else deltas(hs2)
    K = 0.0
    for l in range(1, net.depth + 1):
        c, beta = _multipliers(net, l)
        if not net.has_bias:
            beta = 0.0
        K = K + (d1[l - 1] @ d2[l - 1].T) * (c * c * in1[l - 1] @ in2[l - 1].T + beta * beta)
    return K


def optimizer_step(name, state, theta, g, lr, t, hyper):
    """One update of PyTorch's documented rule (t = 1, 2, …), in float64."""
    h = dict(momentum=0.9, dampening=0.0, nesterov=False, alpha=0.99, betas=(0.9, 0.999),
             initial_accumulator_value=0.0, lr_decay=0.0)
    h.update(hyper)
    if name in ("gd", "sgd"):
        return theta - lr * g
    if name == "momentum":
        b = g.copy() if t == 1 else h["momentum"] * state["b"] + (1 - h["dampening"]) * g
        state["b"] = b
        return theta - lr * (g + h["momentum"] * b if h["nesterov"] else b)
    if name == "adagrad":
        eps = h.get("eps", 1e-10)
        s = state.get("s", np.full_like(theta, h["initial_accumulator_value"])) + g * g
        state["s"] = s
        clr = lr / (1 + (t - 1) * h["lr_decay"])
        return theta - clr * g / (np.sqrt(s) + eps)
    if name == "rmsprop":
        eps = h.get("eps", 1e-8)
        v = h["alpha"] * state.get("v", np.zeros_like(theta)) + (1 - h["alpha"]) * g * g
        state["v"] = v
        return theta - lr * g / (np.sqrt(v) + eps)
    if name == "adam":
        eps = h.get("eps", 1e-8)
        b1, b2 = h["betas"]
        m = b1 * state.get("m", np.zeros_like(theta)) + (1 - b1) * g
        v = b2 * state.get("v", np.zeros_like(theta)) + (1 - b2) * g * g
        state["m"], state["v"] = m, v
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        return theta - lr * mhat / (np.sqrt(vhat) + eps)
    raise ValueError(name)


def _softmax(f):
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss_value(loss, f, Y):
    """The mean training loss over the samples, summed over a sample's outputs (f, Y of (N,)
    or (N, k)): ½(f − y)², log(1 + e^{−ỹf}) with ỹ = ±1 (y > 0 → +1), or the softmax
    cross-entropy −Σ_a y_a log softmax(f)_a (one-hot Y)."""
    n = np.shape(f)[0]
    if loss == "squared":
        return 0.5 * np.sum((f - Y) ** 2) / n
    if loss == "cross_entropy":
        return -np.sum(Y * np.log(_softmax(f))) / n
    m = np.where(Y > 0, 1.0, -1.0) * f
    return np.sum(np.logaddexp(0.0, -m)) / n


def loss_grad(loss, f, Y):
    """∂ℓ/∂f per sample: f − y, −ỹ/(1 + e^{ỹf}), or softmax(f) − y."""
    if loss == "squared":
        return f - Y
    if loss == "cross_entropy":
        return _softmax(f) - Y
    s = np.where(Y > 0, 1.0, -1.0)
    return -s / (1.0 + np.exp(s * f))


def train(net, theta0, X, Y, *, model, optimizer, lr, schedule, mask=None, loss="squared", **hyper):
    """Iterate explicitly over the rows of ``schedule`` (steps × batch, −1 padding);
    returns θ after each step (steps + 1 arrays) and the full loss at each. ``mask``
    (P bools): only those parameters train, the others' gradients are zero (with
    g = 0 every optimizer here leaves a parameter where it is). Y is (N,) for one output,
    (N, k) for k (one-hot for the cross-entropy)."""
    theta0 = np.asarray(theta0, np.float64)
    X = np.asarray(X, np.float64)
    k = net.widths[-1]
    Y = np.asarray(Y, np.float64).reshape(len(X), k)
    phi0 = _jacobian3(net, theta0, X) if model == "linearized" else None
    f0 = forward(net, theta0, X)[0].reshape(len(X), k) if model == "linearized" else None

    def predict(theta):
        if model == "linearized":
            return f0 + phi0 @ (theta - theta0)
        return forward(net, theta, X)[0].reshape(len(X), k)

    thetas, losses, state = [theta0], [], {}
    theta = theta0
    for t, rows in enumerate(schedule, start=1):
        rows = rows[rows >= 0]
        f = predict(theta)
        losses.append(loss_value(loss, f, Y))
        phi = phi0[rows] if model == "linearized" else _jacobian3(net, theta, X[rows])
        g = np.einsum("iap,ia->p", phi, loss_grad(loss, f[rows], Y[rows])) / len(rows)
        if mask is not None:
            g = np.where(mask, g, 0.0)
        theta = optimizer_step(optimizer, state, theta, g, lr, t, hyper)
        thetas.append(theta)
    losses.append(loss_value(loss, predict(theta), Y))
    return thetas, np.array(losses)


def _relu_dual(a, b, ab):
    """T = E[relu(u)relu(v)] and Ṫ = E[1(u>0)1(v>0)] for variances a, b and covariance ab."""
    norm = np.sqrt(a * b)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(np.where(norm > 0, ab / np.where(norm > 0, norm, 1.0), 0.0), -1.0, 1.0)
    theta = np.arccos(rho)
    t = norm * (np.sqrt(np.maximum(0.0, 1.0 - rho**2)) + (np.pi - theta) * rho) / (2 * np.pi)
    tdot = (np.pi - theta) / (2 * np.pi)
    dead = ~(norm > 0)
    return np.where(dead, 0.0, t), np.where(dead, 0.0, tdot)


def _erf_dual(a, b, ab):
    """T = E[erf(u)erf(v)] and Ṫ = E[erf'(u)erf'(v)] for variances a, b and covariance ab
    (Williams 1997)."""
    q = (1 + 2 * a) * (1 + 2 * b)
    return 2 / np.pi * np.arcsin(2 * ab / np.sqrt(q)), 4 / np.pi / np.sqrt(q - 4 * ab**2)


def infinite_kernels(net, X1, X2=None):
    """(NNGP, NTK) of the infinite-width net, the layer recursion written out on whole
    matrices in float64 (docs/design.md §3; cpp/src/infinite.cpp computes the same)."""
    X1 = np.asarray(X1, np.float64)
    X2 = X1 if X2 is None else np.asarray(X2, np.float64)
    d = X1.shape[1]
    same = X2 is X1
    standard = net.parametrization == "standard"
    w2 = net.sigma**2
    b2_init = net.sigma_b**2 if net.bias == "normal" else 0.0  # β_l bˡ ~ N(0, σ_b²) in both
    b2_grad = 0.0 if net.bias == "none" else _multipliers(net, 1)[1] ** 2
    act = net.layout.activation
    if act not in ("relu", "erf", "identity"):
        raise ValueError(f"activation: no closed-form dual for {act!r} (relu, erf and identity have one)")
    relu, erf_act = act == "relu", act == "erf"
    t, t1, t2 = X1 @ X2.T / d, (X1**2).sum(1) / d, (X2**2).sum(1) / d
    if same:  # ρ = 1 exactly on the diagonal (the core's rule)
        np.fill_diagonal(t, t1)
    sigma = theta = s1 = s2 = None
    for l in range(1, net.depth + 1):
        tdot = 1.0
        if l > 1:
            if relu:
                t, tdot = _relu_dual(s1[:, None], s2[None, :], sigma)
                t1 = _relu_dual(s1, s1, s1)[0]
                t2 = _relu_dual(s2, s2, s2)[0]
            elif erf_act:
                t, tdot = _erf_dual(s1[:, None], s2[None, :], sigma)
                t1 = _erf_dual(s1, s1, s1)[0]
                t2 = _erf_dual(s2, s2, s2)[0]
            else:
                t, t1, t2 = sigma, s1, s2
        fan_in = net.widths[l - 1]
        if standard:
            theta = fan_in * t + (w2 * tdot * theta if l > 1 else 0.0) + b2_grad
        else:
            theta = (w2 * tdot * theta if l > 1 else 0.0) + w2 * t + b2_grad
        sigma, s1, s2 = w2 * t + b2_init, w2 * t1 + b2_init, w2 * t2 + b2_init
    return sigma, theta
