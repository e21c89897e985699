"""The network's passes and kernels on a device: the algorithms of the CPU core
(cpp/src/network.cpp, gram.cpp, jacobian.cpp) written against a runtime.Device — cuBLAS
through CuPy for the products, the kernels of cuda/kernels.cu for the element-wise
work. Arrays stay where they are; nothing is copied to the host.

The passes (:class:`Stack`) run R networks at once, one run being R = 1; the Gram
and the Jacobian read one run's features (:meth:`Features.run`).

A network of k > 1 outputs carries, per layer, the backward vectors of its k outputs side
by side, Δ^l (R, n, k·m_l) with sample i's output a in columns a·m_l … (a+1)·m_l − 1 (as
(n·k, m_l) rows, row i·k + a: the core's order, docs/design.md §2), and Δ^L = I_k.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _core

_KIND = _core.ACTIVATION_KIND  # the core's numbering, which the kernels take


@dataclass
class Features:
    """R runs' primal pass on one batch: acts[0] = X (n, d), shared by the runs,
    acts[l] = A_l (R, n, m_l) for the hidden layers, f (R, n) — (R, n, k) for k outputs —
    and Δ^l (R, n, k·m_l) in deltas[l-1] when the backward vectors were formed."""
    acts: list
    f: object
    deltas: list = field(default_factory=list)

    @property
    def n(self):
        return self.acts[0].shape[0]

    def rows(self, idx):
        """The same features for the batch rows ``idx``."""
        return Features([self.acts[0][idx]] + [a[:, idx] for a in self.acts[1:]], self.f[:, idx],
                        [d[:, idx] for d in self.deltas])

    def run(self, r):
        """Run r's features as 2-D arrays (what gram, jacobian and adaptive_gram read)."""
        return Features([self.acts[0]] + [a[r] for a in self.acts[1:]], self.f[r], [d[r] for d in self.deltas])


class Stack:
    """R networks of one architecture (their σ may differ) on a device: θ of all of
    them as rows of one (R, P) array, each layer's products one batched call, the
    per-run multipliers c_l and β_l as device vectors the kernels scale by. One run
    is R = 1: every pass of the GPU backend is written once, here."""

    def __init__(self, be, lays):
        xp = be.xp
        self.be, self.xp, self.lay, self.R = be, xp, lays[0], len(lays)
        self.outputs = self.lay.widths[-1]
        self.lays = list(lays)  # each run's own multipliers, for the Gram and the Jacobian
        self.k = be.cuda_kernels(self.lay.dtype)
        self.kind = _KIND[self.lay.activation]
        per_run = lambda name, l: xp.asarray(np.array([getattr(x, name)[l] for x in lays], self.lay.dtype))  # noqa: E731
        self.c = [None] + [per_run("c", l) for l in range(1, self.lay.L + 1)]
        self.beta = [None] + [per_run("beta", l) for l in range(1, self.lay.L + 1)]

    def Wrows(self, theta, l):
        """Layer l's weights of every run as rows (R, m_l·m_{l−1}) of Θ."""
        lay = self.lay
        return theta[:, lay.weight_offset[l]:lay.weight_offset[l] + lay.widths[l] * lay.widths[l - 1]]

    def W(self, theta, l):
        return self.Wrows(theta, l).reshape(self.R, self.lay.widths[l], self.lay.widths[l - 1])

    def b(self, theta, l):
        lay = self.lay
        return theta[:, lay.bias_offset[l]:lay.bias_offset[l] + lay.widths[l]] if lay.has_bias else None

    def forward(self, theta, X, first=None) -> Features:
        """The primal pass of every run; ``first`` (R, n, m₁), when given, is layer 1's
        product X W¹ᵀ before c₁ (the row-space path forms it without W¹) and becomes A₁."""
        xp, lay = self.xp, self.lay
        acts = [X]
        for l in range(1, lay.L + 1):
            h = first if l == 1 and first is not None else \
                xp.matmul(acts[-1], self.W(theta, l).transpose(0, 2, 1))
            self.k.stacked_bias_activation(h, self.c[l], self.beta[l], self.b(theta, l),
                                           self.kind if l < lay.L else _KIND["identity"])
            if l < lay.L:
                acts.append(h)
        return Features(acts, h[:, :, 0] if self.outputs == 1 else h)

    def _backward_step(self, theta, cur, feat, l):
        """Δ^{l−1} from Δ^l: a'(A_{l−1})·(c_l Δ^l W^l)."""
        nxt = self.xp.matmul(cur, self.W(theta, l))
        self.k.stacked_activation_grad(self.kind, feat.acts[l - 1], nxt, self.c[l])
        return nxt

    def features(self, theta, X) -> Features:
        """The primal pass and Δ^1 … Δ^L of f itself (cotangent 1; for k outputs the k
        cotangents e_a, one backward pass over the samples repeated k times)."""
        feat = self.forward(theta, X)
        xp, k, n = self.xp, self.outputs, feat.n
        walk = feat if k == 1 else repeated(feat, k)
        cur = xp.ones((self.R, n, 1), self.lay.dtype) if k == 1 else \
            xp.ascontiguousarray(xp.broadcast_to(identity_rows(xp, n, k, self.lay.dtype), (self.R, n * k, k)))
        deltas = [None] * self.lay.L
        deltas[-1] = cur
        for l in range(self.lay.L, 1, -1):
            deltas[l - 2] = cur = self._backward_step(theta, cur, walk, l)
        feat.deltas = deltas if k == 1 else [d.reshape(self.R, n, -1) for d in deltas]
        return feat

    def _scaled_product(self, rows, cur, a, scale, host_scale, alpha=1.0, beta=0.0):
        """rows (R, m·k), rows of a larger array, ← scale_r·cur_rᵀa_r for every run r
        (cur (R, n, m); a (n, k) shared, or (R, n, k)). One run is one GEMM with the
        scale as its α — and then rows ← β·rows + α·scale·curᵀa, the fused GD step —;
        several runs, a batched product and a scaling kernel (cuBLAS batches take one
        α for all)."""
        if self.R == 1:
            out = rows[0].reshape(cur.shape[2], a.shape[-1])
            self.be.gemm(cur[0], a if a.ndim == 2 else a[0], out, alpha=alpha * host_scale, beta=beta, ta=True)
        else:
            self.k.stacked_scale_copy(rows, self.xp.matmul(cur.transpose(0, 2, 1), a), scale)

    def _bias_grad(self, g, l, cur, alpha=1.0, beta=0.0):
        if self.lay.has_bias:  # column sums as a product with ones: one call, no temporaries
            self._scaled_product(self.b(g, l), cur, self.be.ones(cur.shape[1], self.lay.dtype),
                                 self.beta[l], self.lays[0].beta[l], alpha, beta)

    def vjp(self, theta, feat: Features, r, first_out=None, out=None, alpha=1.0):
        """φ(X)ᵀr of every run (R, P) for cotangents r (R, n): one backward pass. With
        ``first_out`` (R, n, m₁) layer 1's weight block is left unset and its cotangent
        c₁·(Δ¹ ⊙ r) written there instead (the W¹ gradient is its transpose times X).
        One run only: ``out`` (1, P) receives out + α·φᵀr instead — with out = θ and
        α = −η, the GD step fused into the gradient's GEMMs."""
        accumulate = out is not None
        if accumulate and self.R != 1:
            raise ValueError("vjp: out= accumulates for one run only")
        g = out if accumulate else self.xp.empty((self.R, self.lay.P), self.lay.dtype)
        beta = 1.0 if accumulate else 0.0
        cur = r if r.ndim == 3 else r[:, :, None]  # (R, n, k) cotangents of k outputs
        for l in range(self.lay.L, 0, -1):
            # Δ^{l−1} first: when out is θ, the step below overwrites W^l.
            nxt = self._backward_step(theta, cur, feat, l) if l > 1 else None
            if l == 1 and first_out is not None:
                self.k.stacked_scale_copy(first_out.reshape(self.R, -1), self.xp.ascontiguousarray(cur), self.c[1])
            else:
                self._scaled_product(self.Wrows(g, l), cur, feat.acts[l - 1], self.c[l], self.lays[0].c[l],
                                     alpha, beta)
            self._bias_grad(g, l, cur, alpha, beta)
            cur = nxt
        return g

    def jvp_features(self, feat: Features, v):
        """φv of every run (R, n) — (R, n, k) for k outputs — from its features:
        Σ_l rowsum((c_l A_{l−1}V_lᵀ + β_l v_b) ⊙ Δ^l)."""
        xp, lay, k = self.xp, self.lay, self.outputs
        out = xp.zeros((self.R, feat.n) if k == 1 else (self.R, feat.n, k), lay.dtype)
        for l in range(1, lay.L + 1):
            t = xp.matmul(feat.acts[l - 1], self.W(v, l).transpose(0, 2, 1))
            self.k.stacked_bias_activation(t, self.c[l], self.beta[l], self.b(v, l), _KIND["identity"])
            if k == 1:
                t *= feat.deltas[l - 1]
                out += t.sum(axis=2)
            elif l == lay.L:
                out += t  # Δ^L = I_k: the output layer's tangent itself
            else:
                out += (feat.deltas[l - 1].reshape(self.R, feat.n, k, -1) * t[:, :, None, :]).sum(axis=3)
        return out

    def vjp_features(self, feat: Features, r):
        """φᵀr of every run (R, P) from its features: c_l (Δ^l ⊙ r)ᵀA_{l−1} per layer — for k
        outputs (r (R, n, k)) with Σ_a r_a Δ^l_a in place of Δ^l ⊙ r (Δ^L = I_k: r itself)."""
        k, n = self.outputs, feat.n
        g = self.xp.empty((self.R, self.lay.P), self.lay.dtype)
        for l in range(1, self.lay.L + 1):
            if k == 1:
                cur = feat.deltas[l - 1] * r[:, :, None]
            elif l == self.lay.L:
                cur = self.xp.ascontiguousarray(r)
            else:
                cur = (feat.deltas[l - 1].reshape(self.R, n, k, -1) * r[:, :, :, None]).sum(axis=2)
            self._scaled_product(self.Wrows(g, l), cur, feat.acts[l - 1], self.c[l], self.lays[0].c[l])
            self._bias_grad(g, l, cur)
        return g


def _rows2d(feat: Features, idx) -> Features:
    return Features([a[idx] for a in feat.acts], feat.f[idx], [d[idx] for d in feat.deltas])


def identity_rows(xp, n, k, dtype):
    """Δ^L = I_k for n samples as (n·k, k) rows: row i·k + a is e_a."""
    return xp.tile(xp.eye(k, dtype=dtype), (n, 1))


def repeated(feat: Features, k: int) -> Features:
    """The activations with every sample repeated k times (rows i·k + a), the rows the k
    outputs' backward vectors pair with."""
    return Features([a.repeat(k, axis=a.ndim - 2) for a in feat.acts], None)  # X (n, d) or A (…, n, m): the n axis


def _flat(feat: Features, k: int) -> Features:
    """One run's 2-D features of a k-output network as n·k rows: activations repeated,
    Δ^l (n·k, m_l) — the layout in which every layer, the output layer too, is a Hadamard term."""
    n = feat.n
    return Features(repeated(feat, k).acts, None, [d.reshape(n * k, -1) for d in feat.deltas])


def gram(be, lay, fa: Features, fb: Features | None = None, tile: int = 2048, full: bool = False,
         rows: bool = False):
    """K(Xa, Xb) by the structured formula (docs/design.md §2) in tiles of at most tile × tile:
    the last layer's c_L²A Aᵀ + β_L² straight into K, then per hidden layer the two tile
    products and the Hadamard-accumulate kernel. Symmetric: lower tiles, then mirrored.
    k outputs: traced (the mean over the outputs, (na, nb)) with each hidden layer's
    Δ Δ′ᵀ summed over the outputs in one product of the (n, k·m_l) backward vectors;
    ``full``, the (na, nb, k, k) block from the (n·k)-row layout, where Δ^L = I_k makes the
    output layer one more Hadamard term — with ``rows``, that layout itself, (na·k, nb·k),
    row i·k + a (the matrix GD iterates with)."""
    outputs = lay.widths[-1]
    if outputs > 1 and full:
        return _gram_full(be, lay, fa, fb, tile, outputs, rows)
    xp, k = be.xp, be.cuda_kernels(lay.dtype)
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
                be.gemm(fa.deltas[l - 1][i0:i0 + ti], fb.deltas[l - 1][j0:j0 + tj], gd, alpha=1.0 / outputs, tb=True)
                k.gram_accumulate(kt, gd, ga, lay.beta[l] ** 2 if lay.has_bias else 0.0, False)
            if symmetric and j0 < i0:
                K[j0:j0 + tj, i0:i0 + ti] = kt.T
    return K


def _gram_full(be, lay, fa: Features, fb: Features | None, tile: int, k: int, rows: bool = False):
    """The (na, nb, k, k) block of a k-output network: the Gram of the (n·k)-row layout,
    Σ_l (Δ^l Δ′^lᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²) over every layer, reshaped."""
    xp, kern = be.xp, be.cuda_kernels(lay.dtype)
    symmetric = fb is None
    a = _flat(fa, k)
    b = a if symmetric else _flat(fb, k)
    na, nb = a.acts[0].shape[0], b.acts[0].shape[0]
    K = xp.empty((na, nb), lay.dtype)
    tile = max(1, int(tile))
    buf_a = xp.empty(min(na, tile) * min(nb, tile), lay.dtype)
    buf_d = xp.empty_like(buf_a)
    for i0 in range(0, na, tile):
        ti = min(tile, na - i0)
        for j0 in range(0, i0 + 1 if symmetric else nb, tile):
            tj = min(tile, nb - j0)
            kt = K[i0:i0 + ti, j0:j0 + tj]
            kt[...] = 0
            ga = buf_a[:ti * tj].reshape(ti, tj)
            gd = buf_d[:ti * tj].reshape(ti, tj)
            for l in range(1, lay.L + 1):
                be.gemm(a.acts[l - 1][i0:i0 + ti], b.acts[l - 1][j0:j0 + tj], ga, alpha=lay.c[l] ** 2, tb=True)
                be.gemm(a.deltas[l - 1][i0:i0 + ti], b.deltas[l - 1][j0:j0 + tj], gd, tb=True)
                kern.gram_accumulate(kt, gd, ga, lay.beta[l] ** 2 if lay.has_bias else 0.0, False)
            if symmetric and j0 < i0:
                K[j0:j0 + tj, i0:i0 + ti] = kt.T
    return K if rows else xp.ascontiguousarray(K.reshape(na // k, k, nb // k, k).transpose(0, 2, 1, 3))


def jacobian(be, lay, feat: Features):
    """φ(X) (N, P) from the features — (N·k, P) for k outputs, row i·k + a the gradient of
    output a at sample i: one kernel per layer writes its weight and bias columns."""
    xp, k = be.xp, be.cuda_kernels(lay.dtype)
    outputs = lay.widths[-1]
    rows = feat if outputs == 1 else _flat(feat, outputs)
    out = xp.empty((feat.n * outputs, lay.P), lay.dtype)
    for l in range(1, lay.L + 1):
        k.jacobian_block(out, lay.weight_offset[l], lay.bias_offset[l], rows.deltas[l - 1], rows.acts[l - 1], lay.c[l],
                         lay.beta[l])
    return out


def adaptive_gram(be, lay, fa: Features, fb: Features | None, d, rows: int):
    """φ(Xa) diag(d) φ(Xb)ᵀ from row chunks of ``rows`` samples of φ (no Hadamard shortcut for a
    general d); (na·k, nb·k) for k outputs, rows and columns in φ's order (i·k + a)."""
    xp, k = be.xp, lay.widths[-1]
    fb = fa if fb is None else fb
    K = xp.empty((fa.n * k, fb.n * k), lay.dtype)
    rows = max(1, int(rows))
    for i0 in range(0, fa.n, rows):
        pa = jacobian(be, lay, _rows2d(fa, slice(i0, i0 + rows)))
        pa *= d
        for j0 in range(0, fb.n, rows):
            pb = jacobian(be, lay, _rows2d(fb, slice(j0, j0 + rows)))
            be.gemm(pa, pb, K[i0 * k:i0 * k + pa.shape[0], j0 * k:j0 * k + pb.shape[0]], tb=True)
    return K
