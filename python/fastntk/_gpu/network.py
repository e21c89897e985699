"""The network's passes and kernels on a device: the algorithms of the CPU core
(cpp/src/network.cpp, gram.cpp, jacobian.cpp) written against a Backend — cuBLAS
through CuPy for the products, the kernels of cuda/kernels.cu for the element-wise
work. Arrays stay where they are; nothing is copied to the host.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_KIND = {"relu": 0, "identity": 1, "tanh": 2}


class Layout:
    """Shapes, multipliers and offsets into θ of an MLP (read once from its Spec)."""

    def __init__(self, net):
        s = net._spec
        self.L = net.depth
        self.widths = list(net.widths)
        self.dtype = np.dtype(net.dtype)
        self.P = net.num_params
        self.has_bias = net.has_bias
        self.kind = _KIND[net.activation]
        self.c = [None] + [s.weight_multiplier(l) for l in range(1, self.L + 1)]
        self.beta = [None] + [s.bias_multiplier(l) for l in range(1, self.L + 1)]
        self.woff = [None] + [s.weight_offset(l) for l in range(1, self.L + 1)]
        self.boff = [None] + [s.bias_offset(l) if self.has_bias else -1 for l in range(1, self.L + 1)]

    def W(self, theta, l):
        m, mp = self.widths[l], self.widths[l - 1]
        return theta[self.woff[l]:self.woff[l] + m * mp].reshape(m, mp)

    def b(self, theta, l):
        return theta[self.boff[l]:self.boff[l] + self.widths[l]] if self.has_bias else None


@dataclass
class Features:
    """A batch's primal pass (acts[l] = A_l, acts[0] = X), f, and Δ^l (deltas[l-1])."""
    acts: list
    f: object
    deltas: list = field(default_factory=list)

    @property
    def n(self):
        return self.f.shape[0]

    def rows(self, xp, idx):
        return Features([a[idx] for a in self.acts], self.f[idx], [d[idx] for d in self.deltas])


def forward(be, lay, theta, X, first=None) -> Features:
    """The primal pass; ``first`` (N × m₁), when given, is layer 1's product c₁XW¹ᵀ
    (the row-space path forms it without W¹) and is overwritten with the activation."""
    xp, k = be.xp, be.kernels(lay.dtype)
    acts = [X]
    n = X.shape[0] if first is None else first.shape[0]
    for l in range(1, lay.L + 1):
        if l == 1 and first is not None:
            h = first
        else:
            h = xp.empty((n, lay.widths[l]), lay.dtype)
            be.gemm(acts[-1], lay.W(theta, l), h, alpha=lay.c[l], tb=True)
        if l < lay.L:
            k.bias_activation(h, lay.b(theta, l), lay.beta[l], lay.kind)
            acts.append(h)
        else:
            if lay.has_bias:
                k.bias_activation(h, lay.b(theta, l), lay.beta[l], _KIND["identity"])
            f = h[:, 0]
    return Features(acts, f)


def backward(be, lay, theta, feat: Features, r=None) -> list:
    """Δ^1 … Δ^L for the cotangent r at the output (None: r = 1)."""
    xp, k = be.xp, be.kernels(lay.dtype)
    n = feat.n
    cur = xp.ones((n, 1), lay.dtype) if r is None else r.reshape(n, 1).astype(lay.dtype, copy=True)
    deltas = [None] * lay.L
    deltas[-1] = cur
    for l in range(lay.L, 1, -1):
        nxt = xp.empty((n, lay.widths[l - 1]), lay.dtype)
        be.gemm(cur, lay.W(theta, l), nxt, alpha=lay.c[l])
        k.activation_grad(lay.kind, feat.acts[l - 1], nxt)
        deltas[l - 2] = cur = nxt
    return deltas


def features(be, lay, theta, X) -> Features:
    feat = forward(be, lay, theta, X)
    feat.deltas = backward(be, lay, theta, feat)
    return feat


def vjp(be, lay, theta, feat: Features, r, alpha=1.0, beta=0.0, out=None, first_out=None):
    """out = β·out + α·φ(X)ᵀr (P,); with out = θ, β = 1, α = −η a fused GD step. With
    ``first_out`` (N × m₁) layer 1's weight block of out is left alone and its cotangent
    α·c₁·(Δ¹ ⊙ r) written there instead (the W¹ gradient is its transpose times X)."""
    xp, k = be.xp, be.kernels(lay.dtype)
    if out is None:
        out = xp.empty(lay.P, lay.dtype)
        beta = 0.0
    n = feat.n
    cur = r.reshape(n, 1)
    for l in range(lay.L, 0, -1):
        nxt = None
        if l > 1:
            # Computed before W^l is overwritten when out is θ itself.
            nxt = xp.empty((n, lay.widths[l - 1]), lay.dtype)
            be.gemm(cur, lay.W(theta, l), nxt, alpha=lay.c[l])
            k.activation_grad(lay.kind, feat.acts[l - 1], nxt)
        if l == 1 and first_out is not None:
            xp.multiply(cur, alpha * lay.c[1], out=first_out)
        else:
            be.gemm(cur, feat.acts[l - 1], lay.W(out, l), alpha=alpha * lay.c[l], beta=beta, ta=True)
        if lay.has_bias:  # column sums of cur as a product with ones: one call, no temporaries
            be.gemm(cur, be.ones(n, lay.dtype), lay.b(out, l).reshape(-1, 1), alpha=alpha * lay.beta[l], beta=beta,
                    ta=True)
        cur = nxt
    return out


def jvp(be, lay, theta, feat: Features, v):
    """φ(X)v (N,): one tangent pass through the primal."""
    xp, k = be.xp, be.kernels(lay.dtype)
    n = feat.n
    prev = None
    for l in range(1, lay.L + 1):
        cur = xp.empty((n, lay.widths[l]), lay.dtype)
        be.gemm(feat.acts[l - 1], lay.W(v, l), cur, alpha=lay.c[l], tb=True)
        if l > 1:
            be.gemm(prev, lay.W(theta, l), cur, alpha=lay.c[l], beta=1.0, tb=True)
        if lay.has_bias:
            k.bias_activation(cur, lay.b(v, l), lay.beta[l], _KIND["identity"])
        if l < lay.L:
            k.activation_grad(lay.kind, feat.acts[l], cur)
        prev = cur
    return prev[:, 0].copy()


def jvp_features(be, lay, feat: Features, v):
    """φ(X)v from cached features: Σ_l c_l rowsum((A_{l−1}V_lᵀ + β_l v_b) ⊙ Δ^l)."""
    xp, k = be.xp, be.kernels(lay.dtype)
    out = xp.zeros(feat.n, lay.dtype)
    for l in range(1, lay.L + 1):
        t = xp.empty((feat.n, lay.widths[l]), lay.dtype)
        be.gemm(feat.acts[l - 1], lay.W(v, l), t, alpha=lay.c[l], tb=True)
        if lay.has_bias:
            k.bias_activation(t, lay.b(v, l), lay.beta[l], _KIND["identity"])
        t *= feat.deltas[l - 1]
        out += t.sum(axis=1)
    return out


def vjp_features(be, lay, feat: Features, r, alpha=1.0, beta=0.0, out=None):
    """out = β·out + α·φ(X)ᵀr from cached features: c_l (Δ^l)ᵀ(r ⊙ A_{l−1}) per layer."""
    xp = be.xp
    if out is None:
        out = xp.empty(lay.P, lay.dtype)
        beta = 0.0
    rc = r.reshape(-1, 1)
    for l in range(1, lay.L + 1):
        delta, a = feat.deltas[l - 1], feat.acts[l - 1]
        if lay.widths[l] <= lay.widths[l - 1]:
            be.gemm(delta * rc, a, lay.W(out, l), alpha=alpha * lay.c[l], beta=beta, ta=True)
        else:
            be.gemm(delta, a * rc, lay.W(out, l), alpha=alpha * lay.c[l], beta=beta, ta=True)
        if lay.has_bias:
            be.gemm(delta, rc, lay.b(out, l).reshape(-1, 1), alpha=alpha * lay.beta[l], beta=beta, ta=True)
    return out


def gram(be, lay, fa: Features, fb: Features | None = None, tile: int = 2048):
    """K(Xa, Xb) by the structured formula (docs/design.md §2) in tiles of at most tile × tile:
    the last layer's c_L²A Aᵀ + β_L² straight into K, then per hidden layer the two tile
    products and the Hadamard-accumulate kernel. Symmetric: lower tiles, then mirrored."""
    xp, k = be.xp, be.kernels(lay.dtype)
    symmetric = fb is None
    fb = fa if symmetric else fb
    na, nb = fa.n, fb.n
    K = xp.empty((na, nb), lay.dtype)
    tile = max(1, int(tile))
    buf_a = xp.empty(min(na, tile) * min(nb, tile), lay.dtype)
    buf_d = xp.empty_like(buf_a)
    L = lay.L
    for i0 in range(0, na, tile):
        ti = min(tile, na - i0)
        for j0 in range(0, i0 + 1 if symmetric else nb, tile):
            tj = min(tile, nb - j0)
            kt = K[i0:i0 + ti, j0:j0 + tj]
            ga = buf_a[:ti * tj].reshape(ti, tj)
            gd = buf_d[:ti * tj].reshape(ti, tj)
            be.gemm(fa.acts[L - 1][i0:i0 + ti], fb.acts[L - 1][j0:j0 + tj], ga, alpha=lay.c[L] ** 2, tb=True)
            if lay.has_bias:
                ga += lay.beta[L] ** 2
            kt[...] = ga
            for l in range(1, L):
                be.gemm(fa.acts[l - 1][i0:i0 + ti], fb.acts[l - 1][j0:j0 + tj], ga, alpha=lay.c[l] ** 2, tb=True)
                be.gemm(fa.deltas[l - 1][i0:i0 + ti], fb.deltas[l - 1][j0:j0 + tj], gd, tb=True)
                k.gram_accumulate(kt, gd, ga, lay.beta[l] ** 2 if lay.has_bias else 0.0, False)
            if symmetric and j0 < i0:
                K[j0:j0 + tj, i0:i0 + ti] = kt.T
    return K


def jacobian(be, lay, feat: Features):
    """φ(X) (N, P) from the features: one kernel per layer writes its weight and bias columns."""
    xp, k = be.xp, be.kernels(lay.dtype)
    out = xp.empty((feat.n, lay.P), lay.dtype)
    for l in range(1, lay.L + 1):
        k.jacobian_block(out, lay.woff[l], lay.boff[l], feat.deltas[l - 1], feat.acts[l - 1], lay.c[l],
                         lay.beta[l])
    return out


def adaptive_gram(be, lay, fa: Features, fb: Features | None, d, rows: int):
    """φ(Xa) diag(d) φ(Xb)ᵀ from row chunks of φ (no Hadamard shortcut for a general d)."""
    xp = be.xp
    fb = fa if fb is None else fb
    K = xp.empty((fa.n, fb.n), lay.dtype)
    rows = max(1, int(rows))
    for i0 in range(0, fa.n, rows):
        pa = jacobian(be, lay, fa.rows(xp, slice(i0, i0 + rows)))
        pa *= d
        for j0 in range(0, fb.n, rows):
            pb = jacobian(be, lay, fb.rows(xp, slice(j0, j0 + rows)))
            be.gemm(pa, pb, K[i0:i0 + pa.shape[0], j0:j0 + pb.shape[0]], tb=True)
    return K
