"""Many network runs trained together on one GPU: the parameters of R runs stacked
as Θ (R, P), each layer's products one batched cuBLAS call over the runs, one host
read of the R losses per step. On a GPU a small net cannot fill the device, and the
per-step launch and host costs, paid once for all R runs, dominate a lone small run.

Runs batched together share the data, the architecture (widths, parametrization,
bias mode, activation, dtype), the optimizer and its hyper-parameters and the batch
schedule; σ, θ₀ and the learning rate may differ. Each run stops on its own rule
(its θ then frozen); the loop ends when all have stopped.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import network as nw
from .runtime import to_host
from .train import _ADAPTIVE, DeviceOptimizer, _Batches


def group_key(net, cfg, model, optimizer):
    """Runs with equal keys can be trained as one batch."""
    h = cfg.hyper
    return (tuple(net.widths), net.parametrization, net.bias, net.activation, np.dtype(net.dtype).name,
            model, optimizer, h.momentum, h.dampening, h.nesterov, h.eps, h.alpha, h.beta1, h.beta2,
            h.initial_accumulator_value, h.lr_decay, cfg.batch_size, cfg.shuffle, cfg.seed, cfg.tol,
            cfg.max_steps, cfg.record_every, cfg.record_D, cfg.divergence_factor)


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
        return theta[:, lay.woff[l]:lay.woff[l] + m * mp].reshape(self.R, m, mp)

    def b(self, theta, l):
        lay = self.lay
        return theta[:, lay.boff[l]:lay.boff[l] + lay.widths[l]]

    def forward(self, X):
        """acts[l] (R, n, m_l) (acts[0] = X, shared) and f (R, n)."""
        xp, lay, k = self.xp, self.lay, self.be.kernels(self.lay.dtype)
        acts = [X]
        for l in range(1, lay.L + 1):
            h = xp.matmul(acts[-1], self.W(self.theta, l).transpose(0, 2, 1))
            h *= self.c[l][:, None, None]
            if lay.has_bias:
                h += self.beta[l][:, None, None] * self.b(self.theta, l)[:, None, :]
            if l < lay.L:
                k.bias_activation(h.reshape(-1, lay.widths[l]), None, 0.0, lay.kind)
                acts.append(h)
        return acts, h[:, :, 0]

    def gradient(self, acts, r):
        """∇ of every run's batch loss, (R, P), for residuals r (R, n) already divided by n."""
        xp, lay, k = self.xp, self.lay, self.be.kernels(self.lay.dtype)
        g = xp.empty_like(self.theta)
        cur = r[:, :, None]
        for l in range(lay.L, 0, -1):
            a = acts[l - 1]
            a3 = a if a.ndim == 3 else xp.broadcast_to(a, (self.R,) + a.shape)
            gw = xp.matmul(cur.transpose(0, 2, 1), a3)
            gw *= self.c[l][:, None, None]
            self.W(g, l)[...] = gw
            if lay.has_bias:
                self.b(g, l)[...] = self.beta[l][:, None] * cur.sum(axis=1)
            if l > 1:
                nxt = xp.matmul(cur, self.W(self.theta, l))
                nxt *= self.c[l][:, None, None]
                k.activation_grad(lay.kind, acts[l - 1], nxt)
                cur = nxt
        return g


def train_group(be, lays, thetas, X, Y, Xt, cfgs, *, optimizer, progress=None) -> list[dict]:
    """R network runs of one group (see group_key); one dict per run as _core.train."""
    xp = be.xp
    cfg = cfgs[0]
    R, n = len(lays), X.shape[0]
    st = _Stacked(be, lays, thetas)
    lay = st.lay
    opt = DeviceOptimizer(be, optimizer, cfg.hyper, [c.lr for c in cfgs], lay.P, lay.dtype)
    active = np.ones(R, bool)
    hist = [dict(step=[], train_loss=[], param_distance=[], max_unit_movement=[], effective_lr=[])
            for _ in range(R)]
    preds = [[] for _ in range(R)]
    out = [None] * R

    def losses(f, y):
        e = f.astype(np.float64) - y.astype(np.float64)[None, :]
        return to_host((e * e).sum(axis=1)) / (2.0 * f.shape[1])

    def record(r, t, loss):
        h = hist[r]
        h["step"].append(t)
        h["train_loss"].append(float(loss))
        d = (st.theta[r] - st.theta0[r]).astype(np.float64)
        h["param_distance"].append(float(xp.linalg.norm(d)))
        dw = lay.W(st.theta[r], 1) - lay.W(st.theta0[r], 1)
        h["max_unit_movement"].append(float(xp.sqrt((dw.astype(np.float64) ** 2).sum(axis=1)).max()))
        h["effective_lr"].append(math.nan if t == 0 and optimizer in _ADAPTIVE else opt.effective_lr(r))
        if Xt is not None:
            preds[r].append(nw.forward(be, lays[r], st.theta[r], Xt).f)

    def finish(r, status, t):
        active[r] = False
        out[r] = dict(status=status, steps=t, theta=st.theta[r].copy())

    batches = _Batches(n, cfg.batch_size, cfg.shuffle, cfg.seed)
    bound = np.zeros(R)
    next_progress = time.monotonic() + cfg.progress_seconds
    t = 0
    while active.any():
        rows, start, count, epoch_start = batches.next()
        xb, yb = (X, Y) if rows is None else (X[xp.asarray(rows)], Y[xp.asarray(rows)])
        acts, f = st.forward(xb)
        loss = losses(f, yb) if rows is None else np.full(R, math.nan)
        known = rows is None
        if not known and (epoch_start or t % cfg.record_every == 0 or t == cfg.max_steps):
            loss, known = losses(st.forward(X)[1], Y), True
        for r in np.flatnonzero(active):
            if known:
                if t == 0:
                    bound[r] = cfg.divergence_factor * max(loss[r], 1.0)
                if not math.isfinite(loss[r]) or loss[r] > bound[r]:
                    record(r, t, loss[r])
                    finish(r, "diverged", t)
                    continue
                if loss[r] < cfg.tol:
                    record(r, t, loss[r])
                    finish(r, "converged", t)
                    continue
            if t == cfg.max_steps:
                record(r, t, loss[r])
                finish(r, "max_steps", t)
                continue
            if t % cfg.record_every == 0:
                record(r, t, loss[r])
        if not active.any():
            break
        res = (f - yb[None, :]) / lay.dtype.type(count)
        g = st.gradient(acts, res)
        opt.step(st.theta, g, active)
        t += 1
        if progress is not None and time.monotonic() >= next_progress:
            next_progress = time.monotonic() + cfg.progress_seconds
            if not progress(t, float(np.nanmin(loss)) if known else math.nan):
                final = losses(st.forward(X)[1], Y)
                for r in np.flatnonzero(active):
                    record(r, t, final[r])
                    finish(r, "interrupted", t)
    results = []
    for r in range(R):
        history = {k: np.asarray(v, np.int64 if k == "step" else np.float64) for k, v in hist[r].items()}
        if Xt is not None:
            history["test_pred"] = xp.stack(preds[r])
        results.append(dict(out[r], history=history, path="n/a"))
    return results
