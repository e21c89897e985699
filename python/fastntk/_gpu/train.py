"""Training on a GPU: the loop of cpp/src/dynamics.cpp (same batches, same
stopping rule, same records, same optimizer rules) for R runs at once, one run
being R = 1. Each step launches batched cuBLAS products and kernels for all runs
and reads their R losses to the host once (the stopping rule needs them).

Runs trained together share the data, the architecture (widths, parametrization,
bias mode, activation, dtype) and every setting but the learning rate
(:func:`group_key`); σ, θ₀ and η may differ. Each run stops on its own rule (its
parameters then frozen); the loop ends when all have stopped.

A runner per path holds the iterate of all R runs:
  _Direct        the network, θ (R, P)
  _RowSpace      the network with W¹(t) = W¹(0) + C(t)X (gd, sgd, momentum; N < d)
  _ParameterSpace the linearization, δ = θ − θ₀ (R, P), φ₀δ and φ₀ᵀr from the θ₀
                 features (matrix-free) or from φ₀ itself (materialized)
  _FunctionSpace the linearization with D = 1, θ − θ₀ = φ₀ᵀc, c (R, N)
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .. import _core
from ..config import ADAPTIVE
from . import network as nw
from .runtime import to_host


def group_key(net, cfg, n):
    """Runs with equal keys are trained as one stacked batch. Row-space runs train
    alone: their optimizer state is split at W¹, which the stacked kernels (rows of
    one contiguous block) cannot address for R > 1."""
    arch = (tuple(net.widths), net.parametrization, net.bias, net.layout.activation, np.dtype(net.dtype).name)
    alone = object() if run_path(cfg, n, net.layout) == "row-space" else None
    return arch, dataclasses.replace(cfg, lr=1.0), alone


def network_path(path, optimizer, n, d):
    """The network's path, by the core's rule: the row space for gd, sgd and momentum
    when N < d."""
    if path == "auto":
        return "row-space" if optimizer in ("gd", "sgd", "momentum") and n < d else "direct"
    return path


def linearized_path(path, optimizer, n, P):
    """The linearization's path, by the core's rule: function space for D = 1, else φ₀
    materialized when it is small (N·P ≤ 2²⁰), matrix-free otherwise."""
    if path != "auto":
        return path
    if optimizer not in ADAPTIVE:
        return "function"
    return "materialized" if n * P <= (1 << 20) else "matrix-free"


def run_path(cfg, n, lay) -> str:
    if cfg.model == "network":
        return network_path(cfg.path, cfg.optimizer, n, lay.widths[0])
    return linearized_path(cfg.path, cfg.optimizer, n, lay.P)


def memory_estimate(lay, n, n_test, cfg, runs=1) -> int:
    """Bytes ``runs`` stacked runs allocate on the device, roughly: θ, θ₀, g and
    optimizer state; activations and backward vectors (two sets for the
    linearization's cached θ₀ features, with the test inputs'); K for the
    function-space path, φ₀ for the materialized one; the D_t records."""
    P, width = lay.P, sum(lay.widths[1:])
    state = {"momentum": 1, "adagrad": 2, "rmsprop": 2, "adam": 3}.get(cfg.optimizer, 0)
    count = (3 + state) * P + 2 * n * width
    path = run_path(cfg, n, lay)
    if cfg.model == "linearized":
        count += 2 * (n + n_test) * width
        if path == "function":
            count += n * (n + n_test)
        elif path == "materialized":
            count += n * P
    elif path == "row-space":
        m1 = lay.widths[1]
        count += (n + n_test) * (m1 + n) + n * m1 * (4 if cfg.optimizer == "momentum" else 3)
    if cfg.record_D:
        count += (cfg.max_steps + 1) * P
    return runs * count * lay.dtype.itemsize


class _Batches:
    """The core's batch order (its seeded Fisher–Yates, from _core.batch_schedule in
    doubling stretches, so that both backends visit the rows in one order), with the
    epoch bookkeeping."""

    def __init__(self, n, batch_size, shuffle, seed):
        self.n, self.shuffle, self.seed = n, shuffle, seed
        self.b = n if batch_size is None or batch_size >= n else batch_size
        self.full = self.b == n
        self.sched = None
        self.t = 0
        self.pos = 0

    def next(self):
        """(rows or None for all, count, whether an epoch starts here)."""
        epoch_start = self.pos == 0
        if self.full:
            rows, count = None, self.n
        else:
            if self.sched is None or self.t >= self.sched.shape[0]:
                steps = max(64, 2 * (0 if self.sched is None else self.sched.shape[0]))
                self.sched = _core.batch_schedule(self.n, self.b, self.shuffle, self.seed, steps)
            row = self.sched[self.t]
            rows = row[row >= 0]
            count = rows.shape[0]
        self.pos += count
        if self.pos >= self.n:
            self.pos = 0
        self.t += 1
        return rows, count, epoch_start


class DeviceOptimizer:
    """PyTorch's rules through the kernels of cuda/kernels.cu for R runs stacked as
    rows (θ and g of shape (R, P), run r's learning rate lrs[r]), one launch per step
    for all of them. D_t of the last update stays on the device for the effective
    learning rate."""

    def __init__(self, be, cfg, lrs, P, dtype):
        xp = be.xp
        self.xp, self.k = xp, be.kernels(dtype)
        self.name, self.cfg, self.t = cfg.optimizer, cfg, 0
        self.lrs = np.asarray(lrs, np.float64)
        R = self.lrs.size
        self.lr = xp.asarray(self.lrs.astype(dtype))
        self.s1 = xp.full((R, P), cfg.initial_accumulator_value if self.name == "adagrad" else 0, dtype)
        self.s2 = xp.zeros((R, P), dtype) if self.name == "adam" else None
        self.diag = xp.empty((R, P), dtype) if self.name in ADAPTIVE else None
        self.lr_scale = 1.0
        self._rows = self._rows_of = None

    def _active_rows(self, active):
        key = tuple(range(self.lrs.size)) if active is None else tuple(np.flatnonzero(active).tolist())
        if key != self._rows_of:  # uploaded only when a run stops
            self._rows, self._rows_of = self.xp.asarray(np.asarray(key, np.int64)), key
        return self._rows

    def step(self, theta, g, active=None, diag=None):
        """One update of the rows in ``active`` (all by default); ``diag`` (R, P), when
        given, receives D_t."""
        self.t += 1
        c, k, t = self.cfg, self.k, self.t
        self.lr_scale = 1 / (1 + (t - 1) * c.lr_decay) if self.name == "adagrad" else 1.0
        rows = self._active_rows(active)
        if rows.size:
            lr, sc = self.lr, self.lr_scale
            if self.name in ("gd", "sgd"):
                k.sgd(theta, g, lr, sc, rows)
            elif self.name == "momentum":
                k.momentum(theta, self.s1, g, lr, sc, c.momentum, 1 - (0.0 if t == 1 else c.dampening), t == 1,
                           c.nesterov, rows)
            elif self.name == "adagrad":
                k.adagrad(theta, self.s1, g, lr, sc, c.eps, self.diag, rows)
            elif self.name == "rmsprop":
                k.rmsprop(theta, self.s1, g, lr, sc, c.alpha, c.eps, self.diag, rows)
            else:
                b1, b2 = c.betas
                k.adam(theta, self.s1, self.s2, g, lr, sc, b1, b2, 1 - b1 ** t, math.sqrt(1 - b2 ** t), c.eps,
                       self.diag, rows)
        if diag is not None:
            if self.diag is None:
                diag.fill(1)
            else:
                diag[...] = self.diag

    def effective_lr(self, r):
        """Mean of lr·D_t over run r's parameters after the last update (lr when D = 1);
        NaN before the first adaptive update. Reads the device: call it when recording."""
        if self.name not in ADAPTIVE:
            return float(self.lrs[r])
        if not self.t:
            return math.nan
        return float(self.lrs[r] * self.lr_scale) * float(self.diag[r].astype(np.float64).mean())


class SquaredError:
    """½‖f − y‖²/n of R runs' outputs in one kernel launch (accumulated in double, as
    the core does), with the residual (f − y)/count written on the way."""

    def __init__(self, be, dtype, R=1):
        self.k = be.kernels(dtype)
        self.sq = be.xp.zeros(R, np.float64)

    def __call__(self, f, y, r=None, count=1, read=True) -> np.ndarray:
        """The R losses on the host (the step's one read); read=False: r only, NaN losses."""
        self.sq.fill(0)
        self.k.residual_loss(f, y, count, r, self.sq)
        if not read:
            return np.full(self.sq.size, math.nan)
        return to_host(self.sq) / (2.0 * y.shape[0])


class LogisticLoss:
    """The two-class cross-entropy (1/n)Σ log(1 + e^{−ỹf}), ỹ = ±1, of R runs' outputs
    (accumulated in double), with the residual −ỹ/(1 + e^{ỹf})/count written on the way:
    SquaredError's contract, in CuPy operations (no kernel of its own)."""

    def __init__(self, be, dtype, R=1):
        self.xp = be.xp
        self.R = R

    def __call__(self, f, y, r=None, count=1, read=True) -> np.ndarray:
        xp = self.xp
        sign = xp.where(y > 0, 1.0, -1.0).astype(f.dtype)
        m = f * sign
        if r is not None:  # −ỹ·σ(−m), with the exponential of a non-positive number only (as the core)
            e = xp.exp(-xp.abs(m))
            r[...] = -sign * xp.where(m > 0, e / (1 + e), 1 / (1 + e)) / f.dtype.type(count)
        if not read:
            return np.full(self.R, math.nan)
        return to_host(xp.logaddexp(0.0, -m.astype(np.float64)).reshape(self.R, -1).mean(axis=1))


def _row_norms_sq(xp, w):
    """‖w_r‖² of every unit of every run, (R, m), in double, for w (R, m, ·)."""
    return (w.astype(np.float64) ** 2).sum(axis=2)


class _Direct:
    """The network: the optimizer updates θ (R, P)."""

    def __init__(self, be, st, thetas, X, Xt, opt):
        self.st, self.xp, self.X, self.Xt, self.opt = st, be.xp, X, Xt, opt
        self.theta = be.xp.stack(thetas)
        self.theta0 = self.theta.copy()

    def outputs(self, rows):
        self.feat = self.st.forward(self.theta, self.X if rows is None else self.X[rows])
        return self.feat.f

    def full_outputs(self):
        return self.st.forward(self.theta, self.X).f

    def update(self, res, rows, active, diag):
        if self.st.R == 1 and self.opt.name in ("gd", "sgd") and diag is None:
            # One run's GD step folded into the weight-gradient GEMMs (β = 1, α = −η).
            self.st.vjp(self.theta, self.feat, res, out=self.theta, alpha=-float(self.opt.lrs[0]))
            self.opt.t += 1
            return
        self.opt.step(self.theta, self.st.vjp(self.theta, self.feat, res), active, diag)

    def test_outputs(self):
        return self.st.forward(self.theta, self.Xt).f

    def movement(self):
        """(‖θ − θ₀‖², max_r ‖W¹_r − W¹_r(0)‖²) of every run, on the host."""
        d = self.theta - self.theta0
        return (to_host((d.astype(np.float64) ** 2).sum(axis=1)),
                to_host(_row_norms_sq(self.xp, self.st.W(d, 1)).max(axis=1)))

    def final_theta(self, r):
        return self.theta[r].copy()


class _RowSpace:
    """The network with W¹(t) = W¹(0) + C(t)X (the core's RowSpaceRunner): layer 1's
    product is X_B W¹(0)ᵀ + (X_B Xᵀ)C and its gradient the cotangent itself; the
    optimizer runs on C (R, N·m₁) and on the parameters after W¹ (exact for gd, sgd
    and momentum, which are linear and coordinate-wise)."""

    def __init__(self, be, st, thetas, X, Xt, cfg, lrs):
        xp = self.xp = be.xp
        self.be, self.st, self.X = be, st, X
        lay = st.lay
        n, m1 = X.shape[0], lay.widths[1]
        self.rest = m1 * lay.widths[0]  # θ's parameters after W¹ start here
        self.theta = xp.stack(thetas)
        self.theta0 = self.theta.copy()
        w0t = st.W(self.theta0, 1).transpose(0, 2, 1)
        self.z0 = xp.matmul(X, w0t)
        self.G = xp.matmul(X, X.T)
        self.C = xp.zeros((st.R, n, m1), lay.dtype)
        if Xt is not None:
            self.z0t, self.Gt = xp.matmul(Xt, w0t), xp.matmul(Xt, X.T)
        self.opt_c = DeviceOptimizer(be, cfg, lrs, n * m1, lay.dtype)
        self.opt_rest = DeviceOptimizer(be, cfg, lrs, lay.P - self.rest, lay.dtype)
        self.opt = self.opt_rest  # D = 1: its effective learning rate is every parameter's

    def _first(self, z0, G):
        """X_B W¹(t)ᵀ = z0 + G C of every run (a fresh array; c₁ is applied in the pass)."""
        h = self.xp.matmul(G, self.C)
        h += z0
        return h

    def outputs(self, rows):
        if rows is None:
            first = self._first(self.z0, self.G)
        else:
            first = self._first(self.z0[:, rows], self.G[rows])
        self.feat = self.st.forward(self.theta, None, first=first)
        return self.feat.f

    def full_outputs(self):
        return self.st.forward(self.theta, None, first=self._first(self.z0, self.G)).f

    def update(self, res, rows, active, diag):
        xp = self.xp
        cot = xp.empty((self.st.R, res.shape[1], self.st.lay.widths[1]), self.st.lay.dtype)
        g = self.st.vjp(self.theta, self.feat, res, first_out=cot)
        if rows is None:
            gc = cot
        else:
            gc = xp.zeros_like(self.C)
            gc[:, rows] = cot  # the rows of a batch are distinct
        self.opt_c.step(self.C.reshape(self.st.R, -1), gc.reshape(self.st.R, -1), active)
        self.opt_rest.step(self.theta[:, self.rest:], xp.ascontiguousarray(g[:, self.rest:]), active)
        if diag is not None:
            diag.fill(1)  # gd, sgd and momentum: D = 1

    def test_outputs(self):
        return self.st.forward(self.theta, None, first=self._first(self.z0t, self.Gt)).f

    def movement(self):
        """‖W¹_r(t) − W¹_r(0)‖² = c_rᵀ(XXᵀ)c_r for every unit r, plus the rest of θ."""
        C = self.C.astype(np.float64)
        unit = (C * self.xp.matmul(self.G.astype(np.float64), C)).sum(axis=1)
        rest = ((self.theta[:, self.rest:] - self.theta0[:, self.rest:]).astype(np.float64) ** 2).sum(axis=1)
        return to_host(self.xp.maximum(rest + unit.sum(axis=1), 0)), to_host(self.xp.maximum(unit.max(axis=1), 0))

    def final_theta(self, r):
        th = self.theta[r].copy()
        th[:self.rest] += self.xp.matmul(self.C[r].T, self.X).ravel()
        return th


class _ParameterSpace:
    """The linearizations around their θ₀: the optimizer updates δ = θ − θ₀ (R, P);
    f_lin = f₀ + φ₀δ, with φ₀δ and φ₀ᵀr from the θ₀ features of X (matrix-free) or
    from the stacked φ₀ itself (materialized)."""

    def __init__(self, be, st, thetas, X, Xt, opt, materialized):
        xp = self.xp = be.xp
        self.st, self.opt = st, opt
        self.theta0 = xp.stack(thetas)
        self.fx = st.features(self.theta0, X)
        self.phi = None
        if materialized:
            self.phi = xp.stack([nw.jacobian(be, st.lays[r], self.fx.run(r)) for r in range(st.R)])
        self.test = None if Xt is None else st.features(self.theta0, Xt)
        self.delta = xp.zeros_like(self.theta0)

    def _phi_v(self, phi):
        return self.xp.matmul(phi, self.delta[:, :, None])[:, :, 0]

    def outputs(self, rows):
        f0 = self.fx.f if rows is None else self.fx.f[:, rows]
        if self.phi is not None:
            self.batch_phi = self.phi if rows is None else self.phi[:, rows]
            out = self._phi_v(self.batch_phi)
        else:
            self.batch = self.fx if rows is None else self.fx.rows(rows)
            out = self.st.jvp_features(self.batch, self.delta)
        out += f0
        return out

    def full_outputs(self):
        out = self._phi_v(self.phi) if self.phi is not None else self.st.jvp_features(self.fx, self.delta)
        out += self.fx.f
        return out

    def update(self, res, rows, active, diag):
        if self.phi is not None:
            g = self.xp.matmul(self.batch_phi.transpose(0, 2, 1), res[:, :, None])[:, :, 0]
        else:
            g = self.st.vjp_features(self.batch, res)
        self.opt.step(self.delta, g, active, diag)

    def test_outputs(self):
        return self.test.f + self.st.jvp_features(self.test, self.delta)

    def movement(self):
        return (to_host((self.delta.astype(np.float64) ** 2).sum(axis=1)),
                to_host(_row_norms_sq(self.xp, self.st.W(self.delta, 1)).max(axis=1)))

    def final_theta(self, r):
        return self.theta0[r] + self.delta[r]


class _FunctionSpace:
    """The linearizations with D = 1: θ − θ₀ = φ₀ᵀc, f_t(X) = f₀(X) + Kc with c (R, N).
    The optimizer (gd, sgd, momentum) runs on c with the residual as its gradient;
    u = f(X) follows the change of c, over the batch's columns of K when only those moved."""

    def __init__(self, be, st, thetas, X, Xt, opt):
        xp = self.xp = be.xp
        self.st, self.opt, self.X = st, opt, X
        self.theta0 = xp.stack(thetas)
        self.fx = st.features(self.theta0, X)
        self.K = xp.stack([nw.gram(be, st.lays[r], self.fx.run(r)) for r in range(st.R)])
        self.u = self.fx.f.copy()
        self.coef = xp.zeros_like(self.u)
        self.Kt = self.f0t = None
        if Xt is not None:
            ft = st.features(self.theta0, Xt)
            self.Kt = xp.stack([nw.gram(be, st.lays[r], ft.run(r), self.fx.run(r)) for r in range(st.R)])
            self.f0t = ft.f
        self.sparse = opt.name in ("gd", "sgd")  # a step moves the batch's coefficients only
        self.xxt = xp.matmul(X, X.T)

    def outputs(self, rows):
        return self.u if rows is None else self.u[:, rows]

    def full_outputs(self):
        return self.u

    def update(self, res, rows, active, diag):
        xp = self.xp
        if rows is None:
            g = res
        else:
            g = xp.zeros_like(self.coef)
            g[:, rows] = res
        before = self.coef.copy()
        self.opt.step(self.coef, g, active, diag)
        change = self.coef - before
        if self.sparse and rows is not None:
            self.u += xp.matmul(self.K[:, :, rows], change[:, rows, None])[:, :, 0]
        else:
            self.u += xp.matmul(self.K, change[:, :, None])[:, :, 0]

    def test_outputs(self):
        return self.f0t + self.xp.matmul(self.Kt, self.coef[:, :, None])[:, :, 0]

    def movement(self):
        xp = self.xp
        c, e = self.coef.astype(np.float64), (self.u - self.fx.f).astype(np.float64)
        # ‖δW¹_r‖² = a_rᵀ(XXᵀ)a_r with a_r = c₁ c ⊙ Δ¹_{:,r}, as in the core.
        a = self.fx.deltas[0] * (self.st.c[1][:, None] * self.coef)[:, :, None]
        unit = (a * xp.matmul(self.xxt, a)).sum(axis=1)
        return to_host(xp.maximum((c * e).sum(axis=1), 0)), to_host(xp.maximum(unit.max(axis=1), 0))

    def final_theta(self, r):
        return self.theta0[r] + self.st.vjp(self.theta0, self.fx, self.coef)[r]


def _runner(be, st, thetas, X, Xt, cfg, lrs, path):
    if path == "row-space":
        return _RowSpace(be, st, thetas, X, Xt, cfg, lrs)
    opt = DeviceOptimizer(be, cfg, lrs, X.shape[0] if path == "function" else st.lay.P, st.lay.dtype)
    if path == "direct":
        return _Direct(be, st, thetas, X, Xt, opt)
    if path == "function":
        return _FunctionSpace(be, st, thetas, X, Xt, opt)
    return _ParameterSpace(be, st, thetas, X, Xt, opt, path == "materialized")


def train(be, lays, thetas, X, Y, Xt, cfgs, *, progress=None) -> list[dict]:
    """R runs of one group (see group_key); one dict per run, as _core.train returns
    (θ and test predictions as device arrays, the other records on the host)."""
    xp = be.xp
    cfg = cfgs[0]
    R, n = len(lays), X.shape[0]
    st = nw.Stack(be, lays)
    path = run_path(cfg, n, st.lay)
    runner = _runner(be, st, thetas, X, Xt, cfg, [c.lr for c in cfgs], path)
    adaptive = cfg.optimizer in ADAPTIVE
    active = np.ones(R, bool)
    hist = [dict(step=[], train_loss=[], param_distance=[], max_unit_movement=[], effective_lr=[])
            for _ in range(R)]
    preds = [[] for _ in range(R)]
    diags = []
    out = [None] * R
    losses = (SquaredError if cfg.loss == "squared" else LogisticLoss)(be, st.lay.dtype, R)
    cache = {}

    def shared(t):
        """What every run recorded at step t reads: movements and test outputs, once."""
        if cache.get("t") != t:
            cache.clear()
            cache.update(t=t, movement=runner.movement(), test=None if Xt is None else runner.test_outputs())
        return cache

    def record(r, t, loss):
        s = shared(t)
        h = hist[r]
        h["step"].append(t)
        h["train_loss"].append(float(loss))
        h["param_distance"].append(math.sqrt(float(s["movement"][0][r])))
        h["max_unit_movement"].append(math.sqrt(float(s["movement"][1][r])))
        h["effective_lr"].append(math.nan if t == 0 and adaptive else runner.opt.effective_lr(r))
        if Xt is not None:
            preds[r].append(s["test"][r].copy())

    def finish(r, status, t):
        active[r] = False
        out[r] = dict(status=status, steps=t, theta=runner.final_theta(r))

    def stop_all(status, t):
        final = losses(runner.full_outputs(), Y)
        for r in np.flatnonzero(active):
            record(r, t, final[r])
            finish(r, status, t)

    batches = _Batches(n, cfg.batch_size, cfg.shuffle, cfg.seed)
    signal_error = None
    bound = np.zeros(R)
    next_progress = time.monotonic() + cfg.progress_seconds
    last = math.nan
    t = 0
    try:
        while active.any():
            rows, count, epoch_start = batches.next()
            if rows is not None:
                rows = xp.asarray(rows)
            f = runner.outputs(rows)
            res = xp.empty_like(f)
            known = rows is None
            loss = losses(f, Y if rows is None else Y[rows], res, count, read=known)
            if not known and (epoch_start or t % cfg.record_every == 0 or t == cfg.max_steps):
                loss, known = losses(runner.full_outputs(), Y), True
            # The stopping rule of every running run at once; Python per run only for
            # the runs that record or stop at this step.
            running = np.flatnonzero(active)
            status = np.full(running.size, "", dtype=object)
            if known:
                lo = loss[running]
                last = float(np.nanmin(lo)) if np.isfinite(lo).any() else float(lo[0])
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
            diag = None
            if cfg.record_D:
                diag = xp.empty((R, st.lay.P), st.lay.dtype)
                diags.append(diag)
            runner.update(res, rows, active, diag)
            t += 1
            if progress is not None and time.monotonic() >= next_progress:
                next_progress = time.monotonic() + cfg.progress_seconds
                if not progress(t, last):
                    stop_all("interrupted", t)
    except KeyboardInterrupt as e:  # the records are kept; dynamics raises it again
        stop_all("interrupted", t)
        signal_error = e
    if progress is not None:
        progress(max(o["steps"] for o in out), last)
    results = []
    for r in range(R):
        history = {k: np.asarray(v, np.int64 if k == "step" else np.float64) for k, v in hist[r].items()}
        if Xt is not None:
            history["test_pred"] = xp.stack(preds[r])
        if cfg.record_D and out[r]["steps"]:
            history["D"] = xp.stack([d[r] for d in diags[:out[r]["steps"]]])
        results.append(dict(out[r], history=history, path=path, signal_error=signal_error))
    return results
