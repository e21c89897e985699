"""Many runs trained together on one GPU: the parameters of R runs stacked as
Θ (R, P), each layer's products one batched cuBLAS call over the runs, one
optimizer launch and one host read of the R losses per step. On a GPU a small net
cannot fill the device, and the per-step launch and host costs, paid once for all
R runs, dominate a lone small run.

Networks and linearizations both: a linearized run keeps its θ₀ activations and
backward vectors (R stacked) and trains δ = θ − θ₀ in parameter space, φ₀δ and
φ₀ᵀr from those features (matrix-free) or from the stacked φ₀ (materialized, the
choice for small N·P as for a single run).

Runs batched together share the data, the model, the architecture (widths,
parametrization, bias mode, activation, dtype), the optimizer and its
hyper-parameters and the batch schedule; σ, θ₀ and the learning rate may differ.
Each run stops on its own rule (its parameters then frozen); the loop ends when
all have stopped.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import network as nw
from .network import _KIND
from .train import _ADAPTIVE, DeviceOptimizer, SquaredError, _Batches, parameter_space_path


_IDENTITY = _KIND["identity"]


def group_key(net, cfg, model, optimizer):
    """Runs with equal keys can be trained as one batch."""
    h = cfg.hyper
    return (tuple(net.widths), net.parametrization, net.bias, net.activation, np.dtype(net.dtype).name,
            model, optimizer, h.momentum, h.dampening, h.nesterov, h.eps, h.alpha, h.beta1, h.beta2,
            h.initial_accumulator_value, h.lr_decay, cfg.batch_size, cfg.shuffle, cfg.seed, cfg.tol,
            cfg.max_steps, cfg.record_every, cfg.record_D, cfg.divergence_factor, cfg.path)


class _Stacked:
    def __init__(self, be, lays, thetas):
        xp = be.xp
        self.be, self.xp, self.lay = be, xp, lays[0]
        self.R = len(lays)
        self.theta = xp.stack(thetas)
        self.theta0 = self.theta.copy()
        L = self.lay.L
        self.c = [None] + [xp.asarray([lay.c[l] for lay in lays], self.lay.dtype) for l in range(1, L + 1)]
        self.beta = [None] + [xp.asarray([lay.beta[l] for lay in lays], self.lay.dtype) for l in range(1, L + 1)]

    def W(self, theta, l):
        lay = self.lay
        m, mp = lay.widths[l], lay.widths[l - 1]
        return self.Wrows(theta, l).reshape(self.R, m, mp)

    def Wrows(self, theta, l):
        """Layer l's weights of every run as rows (R, m_l·m_{l−1}) of Θ."""
        lay = self.lay
        return theta[:, lay.woff[l]:lay.woff[l] + lay.widths[l] * lay.widths[l - 1]]

    def b(self, theta, l):
        lay = self.lay
        return theta[:, lay.boff[l]:lay.boff[l] + lay.widths[l]] if lay.has_bias else None

    def forward(self, X):
        """acts[l] (R, n, m_l) (acts[0] = X, shared) and f (R, n)."""
        xp, lay, k = self.xp, self.lay, self.be.kernels(self.lay.dtype)
        acts = [X]
        for l in range(1, lay.L + 1):
            h = xp.matmul(acts[-1], self.W(self.theta, l).transpose(0, 2, 1))
            k.stacked_bias_activation(h, self.c[l], self.beta[l], self.b(self.theta, l),
                                      lay.kind if l < lay.L else _IDENTITY)
            if l < lay.L:
                acts.append(h)
        return acts, h[:, :, 0]

    def _weight_and_bias_grads(self, g, l, cur, a):
        """Rows of g for layer l: c_l·curᵀa and β_l·column sums of cur (cur (R, n, m_l))."""
        xp, lay, k = self.xp, self.lay, self.be.kernels(self.lay.dtype)
        k.stacked_scale_copy(self.Wrows(g, l), xp.matmul(cur.transpose(0, 2, 1), a), self.c[l])
        if lay.has_bias:
            ones = self.be.ones(cur.shape[1], lay.dtype)
            k.stacked_scale_copy(self.b(g, l), xp.matmul(cur.transpose(0, 2, 1), ones), self.beta[l])

    def _backward_step(self, cur, acts, l):
        """Δ^{l−1} from Δ^l: a'(A_{l−1})·(c_l Δ^l W^l)."""
        nxt = self.xp.matmul(cur, self.W(self.theta, l))
        self.be.kernels(self.lay.dtype).stacked_activation_grad(self.lay.kind, acts[l - 1], nxt, self.c[l])
        return nxt

    def gradient(self, acts, r):
        """∇ of every run's batch loss, (R, P), for residuals r (R, n) already divided by n."""
        g = self.xp.empty_like(self.theta)
        cur = r[:, :, None]
        for l in range(self.lay.L, 0, -1):
            self._weight_and_bias_grads(g, l, cur, acts[l - 1])
            if l > 1:
                cur = self._backward_step(cur, acts, l)
        return g

    def backward_ones(self, acts):
        """Δ^1 … Δ^L (R, n, m_l) of f itself (cotangent 1) at the stacked θ."""
        lay = self.lay
        cur = self.xp.ones((self.R, acts[0].shape[0], 1), lay.dtype)
        deltas = [None] * lay.L
        deltas[-1] = cur
        for l in range(lay.L, 1, -1):
            deltas[l - 2] = cur = self._backward_step(cur, acts, l)
        return deltas

    def jvp_features(self, acts, deltas, v):
        """φ₀v for every run (R, n) from cached features: Σ_l rowsum((c_l A_{l−1}V_lᵀ + β_l v_b) ⊙ Δ^l)."""
        xp, lay, k = self.xp, self.lay, self.be.kernels(self.lay.dtype)
        out = xp.zeros((self.R, acts[0].shape[0]), lay.dtype)
        for l in range(1, lay.L + 1):
            t = xp.matmul(acts[l - 1], self.W(v, l).transpose(0, 2, 1))
            k.stacked_bias_activation(t, self.c[l], self.beta[l], self.b(v, l), _IDENTITY)
            t *= deltas[l - 1]
            out += t.sum(axis=2)
        return out

    def vjp_features(self, acts, deltas, r):
        """φ₀ᵀr for every run (R, P) from cached features: c_l (Δ^l ⊙ r)ᵀA_{l−1} per layer."""
        g = self.xp.empty_like(self.theta)
        for l in range(1, self.lay.L + 1):
            self._weight_and_bias_grads(g, l, deltas[l - 1] * r[:, :, None], acts[l - 1])
        return g


class _Runs:
    """What train_group asks of stacked runs; test predictions of all runs are computed
    once per recorded step and shared by the runs recorded at that step."""

    _test_cache = (None, None)

    def test_pred(self, r, t):
        if self._test_cache[0] != t:
            self._test_cache = (t, self._test_outputs())
        return self._test_cache[1][r].copy()


class _NetworkRuns(_Runs):
    """R networks: the optimizer updates Θ."""

    def __init__(self, be, lays, thetas, X, Xt):
        self.st = _Stacked(be, lays, thetas)
        self.X, self.Xt = X, Xt
        self.params = self.st.theta

    def outputs(self, xb, rows):
        self.acts, f = self.st.forward(xb)
        return f

    def full_outputs(self):
        return self.st.forward(self.X)[1]

    def gradient(self, res):
        return self.st.gradient(self.acts, res)

    def moved(self, r):
        return self.st.theta[r] - self.st.theta0[r]

    def _test_outputs(self):
        return self.st.forward(self.Xt)[1]

    def final_theta(self, r):
        return self.st.theta[r].copy()


class _LinearizedRuns(_Runs):
    """R linearizations around their θ₀: the optimizer updates δ = θ − θ₀ (R, P);
    f_lin = f₀ + φ₀δ, with φ₀δ and φ₀ᵀr from the θ₀ features of X (matrix-free) or
    from the stacked φ₀ itself (materialized)."""

    def __init__(self, be, lays, thetas, X, Xt, path):
        st = self.st = _Stacked(be, lays, thetas)
        self.xp = be.xp
        self.acts, self.f0 = st.forward(X)
        self.deltas = st.backward_ones(self.acts)
        self.phi = None
        if path == "materialized":
            self.phi = be.xp.stack([nw.jacobian(be, lay, self._features(r)) for r, lay in enumerate(lays)])
        self.test = None
        if Xt is not None:
            acts_t, f0_t = st.forward(Xt)
            self.test = (acts_t, st.backward_ones(acts_t), f0_t)
        self.params = be.xp.zeros_like(st.theta)

    def _features(self, r):
        """Run r's θ₀ features of X, as a single run's."""
        acts = [self.acts[0]] + [a[r] for a in self.acts[1:]]
        return nw.Features(acts, self.f0[r], [d[r] for d in self.deltas])

    def _rows(self, rows):
        if rows is None:
            return self.acts, self.deltas
        return [self.acts[0][rows]] + [a[:, rows] for a in self.acts[1:]], [d[:, rows] for d in self.deltas]

    def _phi_v(self, phi):
        return self.xp.matmul(phi, self.params[:, :, None])[:, :, 0]

    def outputs(self, xb, rows):
        f0 = self.f0 if rows is None else self.f0[:, rows]
        if self.phi is not None:
            self.batch_phi = self.phi if rows is None else self.phi[:, rows]
            out = self._phi_v(self.batch_phi)
        else:
            self.batch = self._rows(rows)
            out = self.st.jvp_features(*self.batch, self.params)
        out += f0
        return out

    def full_outputs(self):
        out = self._phi_v(self.phi) if self.phi is not None else \
            self.st.jvp_features(self.acts, self.deltas, self.params)
        out += self.f0
        return out

    def gradient(self, res):
        if self.phi is not None:
            return self.xp.matmul(self.batch_phi.transpose(0, 2, 1), res[:, :, None])[:, :, 0]
        return self.st.vjp_features(*self.batch, res)

    def moved(self, r):
        return self.params[r]

    def _test_outputs(self):
        acts_t, deltas_t, f0_t = self.test
        return f0_t + self.st.jvp_features(acts_t, deltas_t, self.params)

    def final_theta(self, r):
        return self.st.theta0[r] + self.params[r]


def train_group(be, lays, thetas, X, Y, Xt, cfgs, *, optimizer, model="network", progress=None) -> list[dict]:
    """R runs of one group (see group_key); one dict per run as _core.train."""
    xp = be.xp
    cfg = cfgs[0]
    R, n = len(lays), X.shape[0]
    if model == "network":
        runs, path = _NetworkRuns(be, lays, thetas, X, Xt), "direct"
    else:
        path = parameter_space_path(cfg.path, n, lays[0].P)
        runs = _LinearizedRuns(be, lays, thetas, X, Xt, path)
    lay = runs.st.lay
    opt = DeviceOptimizer(be, optimizer, cfg.hyper, [c.lr for c in cfgs], lay.P, lay.dtype)
    active = np.ones(R, bool)
    hist = [dict(step=[], train_loss=[], param_distance=[], max_unit_movement=[], effective_lr=[])
            for _ in range(R)]
    preds = [[] for _ in range(R)]
    out = [None] * R

    losses = SquaredError(be, lay.dtype, R)

    def record(r, t, loss):
        h = hist[r]
        h["step"].append(t)
        h["train_loss"].append(float(loss))
        d = runs.moved(r)
        h["param_distance"].append(float(xp.linalg.norm(d.astype(np.float64))))
        dw = lay.W(d, 1).astype(np.float64)
        h["max_unit_movement"].append(float(xp.sqrt((dw ** 2).sum(axis=1)).max()))
        h["effective_lr"].append(math.nan if t == 0 and optimizer in _ADAPTIVE else opt.effective_lr(r))
        if Xt is not None:
            preds[r].append(runs.test_pred(r, t))

    def finish(r, status, t):
        active[r] = False
        out[r] = dict(status=status, steps=t, theta=runs.final_theta(r))

    batches = _Batches(n, cfg.batch_size, cfg.shuffle, cfg.seed)
    bound = np.zeros(R)
    next_progress = time.monotonic() + cfg.progress_seconds
    t = 0
    while active.any():
        rows, start, count, epoch_start = batches.next()
        if rows is not None:
            rows = xp.asarray(rows)
        xb, yb = (X, Y) if rows is None else (X[rows], Y[rows])
        f = runs.outputs(xb, rows)
        res = xp.empty_like(f)
        known = rows is None
        loss = losses(f, yb, res, count, read=known)
        if not known and (epoch_start or t % cfg.record_every == 0 or t == cfg.max_steps):
            loss, known = losses(runs.full_outputs(), Y), True
        # The stopping rule of every running run at once; Python per run only for the
        # runs that record or stop at this step.
        running = np.flatnonzero(active)
        status = np.full(running.size, "", dtype=object)
        if known:
            lo = loss[running]
            if t == 0:
                bound[running] = cfg.divergence_factor * np.maximum(lo, 1.0)
            with np.errstate(invalid="ignore"):
                diverged = ~np.isfinite(lo) | (lo > bound[running])
                status[diverged] = "diverged"
                status[~diverged & (lo < cfg.tol)] = "converged"
        if t == cfg.max_steps:
            status[status == ""] = "max_steps"
        due = np.arange(running.size) if t % cfg.record_every == 0 else np.flatnonzero(status != "")
        for i in due:
            record(running[i], t, loss[running[i]])
            if status[i]:
                finish(running[i], status[i], t)
        if not active.any():
            break
        opt.step(runs.params, runs.gradient(res), active)
        t += 1
        if progress is not None and time.monotonic() >= next_progress:
            next_progress = time.monotonic() + cfg.progress_seconds
            if not progress(t, float(np.nanmin(loss)) if known else math.nan):
                final = losses(runs.full_outputs(), Y)
                for r in np.flatnonzero(active):
                    record(r, t, final[r])
                    finish(r, "interrupted", t)
    results = []
    for r in range(R):
        history = {k: np.asarray(v, np.int64 if k == "step" else np.float64) for k, v in hist[r].items()}
        if Xt is not None:
            history["test_pred"] = xp.stack(preds[r])
        results.append(dict(out[r], history=history, path=path))
    return results
