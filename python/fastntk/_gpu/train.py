"""Training runs on a GPU: the loop of cpp/src/dynamics.cpp (same batches, same
stopping rule, same records, same optimizer kernels' rules) with the network's
passes on the device. The step launches cuBLAS products and kernels; the host
reads one loss per step (the stopping rule needs it), nothing else.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import _core
from . import network as nw
from .runtime import to_host

_ADAPTIVE = ("adagrad", "rmsprop", "adam")


class _Batches:
    """The core's batch order (its seeded Fisher–Yates), taken from
    _core.batch_schedule in doubling stretches, with the epoch bookkeeping."""

    def __init__(self, n, batch_size, shuffle, seed):
        self.n, self.shuffle, self.seed = n, shuffle, seed
        self.b = n if batch_size <= 0 or batch_size >= n else batch_size
        self.full = self.b == n
        self.sched = None
        self.t = 0
        self.pos = 0

    def next(self):
        epoch_start = self.pos == 0
        if self.full:
            rows = None
            count = self.n
        else:
            if self.sched is None or self.t >= self.sched.shape[0]:
                steps = max(64, 2 * (0 if self.sched is None else self.sched.shape[0]))
                self.sched = _core.batch_schedule(self.n, self.b, self.shuffle, self.seed, steps)
            row = self.sched[self.t]
            rows = row[row >= 0]
            count = rows.shape[0]
        start = self.pos
        self.pos += count
        if self.pos >= self.n:
            self.pos = 0
        self.t += 1
        return rows, start, count, epoch_start


class DeviceOptimizer:
    """PyTorch's rules through the kernels of cuda/kernels.cu for R runs stacked as
    rows (θ and g of shape (R, P), run r's learning rate lrs[r]; R = 1 for a single
    run), one launch per step for all of them. D_t of the last update stays on the
    device for the effective learning rate."""

    def __init__(self, be, name, hyper, lrs, P, dtype):
        xp = be.xp
        self.xp, self.k = xp, be.kernels(dtype)
        self.name, self.h, self.t = name, hyper, 0
        self.lrs = np.asarray(lrs, np.float64)
        R = self.lrs.size
        self.lr = xp.asarray(self.lrs.astype(dtype))
        self.eps = hyper.eps if hyper.eps >= 0 else (1e-10 if name == "adagrad" else 1e-8)
        self.s1 = xp.full((R, P), hyper.initial_accumulator_value if name == "adagrad" else 0, dtype)
        self.s2 = xp.zeros((R, P), dtype) if name == "adam" else None
        self.diag = xp.empty((R, P), dtype) if name in _ADAPTIVE else None
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
        h, k, t = self.h, self.k, self.t
        self.lr_scale = 1 / (1 + (t - 1) * h.lr_decay) if self.name == "adagrad" else 1.0
        rows = self._active_rows(active)
        if rows.size:
            lr, sc = self.lr, self.lr_scale
            if self.name in ("gd", "sgd"):
                k.sgd(theta, g, lr, sc, rows)
            elif self.name == "momentum":
                k.momentum(theta, self.s1, g, lr, sc, h.momentum, 1 - (0.0 if t == 1 else h.dampening), t == 1,
                           h.nesterov, rows)
            elif self.name == "adagrad":
                k.adagrad(theta, self.s1, g, lr, sc, self.eps, self.diag, rows)
            elif self.name == "rmsprop":
                k.rmsprop(theta, self.s1, g, lr, sc, h.alpha, self.eps, self.diag, rows)
            else:
                k.adam(theta, self.s1, self.s2, g, lr, sc, h.beta1, h.beta2, 1 - h.beta1 ** t,
                       math.sqrt(1 - h.beta2 ** t), self.eps, self.diag, rows)
        if diag is not None:
            if self.diag is None:
                diag.fill(1)
            else:
                diag[...] = self.diag

    def effective_lr(self, r):
        """Mean of lr·D_t over run r's parameters after the last update (lr when D = 1);
        NaN before the first adaptive update. Reads the device: call it when recording."""
        if self.name not in _ADAPTIVE:
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


def _row_norm_max(xp, delta_w1):
    return float(xp.sqrt((delta_w1.astype(np.float64) ** 2).sum(axis=1)).max()) if delta_w1.size else 0.0


class _Network:
    def __init__(self, be, lay, opt_name, hyper, theta0, X, Y, Xt, lr):
        self.be, self.lay, self.xp = be, lay, be.xp
        self.X, self.Y, self.Xt = X, Y, Xt
        self.theta = theta0.copy()
        self.theta0 = theta0
        self.opt = DeviceOptimizer(be, opt_name, hyper, [lr], lay.P, lay.dtype)
        self.plain = opt_name in ("gd", "sgd")
        self.loss = SquaredError(be, lay.dtype)

    def prepare(self, rows, start, count, full):
        xb, yb = (self.X, self.Y) if rows is None else (self.X[rows], self.Y[rows])
        self.feat = nw.forward(self.be, self.lay, self.theta, xb)
        self.r = self.xp.empty_like(self.feat.f)
        return self.loss(self.feat.f, yb, self.r, count, read=full)[0]

    def full_loss(self):
        return self.loss(nw.forward(self.be, self.lay, self.theta, self.X).f, self.Y)[0]

    def update(self, lr, diag):
        if self.plain and diag is None:
            # The GD update folded into the weight-gradient GEMMs (β = 1, α = −η).
            nw.vjp(self.be, self.lay, self.theta, self.feat, self.r, alpha=-lr, beta=1.0, out=self.theta)
            self.opt.t += 1
        else:
            g = nw.vjp(self.be, self.lay, self.theta, self.feat, self.r)
            self.opt.step(self.theta[None], g[None], diag=None if diag is None else diag[None])

    def test_pred(self):
        return nw.forward(self.be, self.lay, self.theta, self.Xt).f

    def param_distance(self):
        return float(self.xp.linalg.norm((self.theta - self.theta0).astype(np.float64)))

    def max_unit_movement(self):
        return _row_norm_max(self.xp, self.lay.W(self.theta, 1) - self.lay.W(self.theta0, 1))

    def effective_lr(self):
        return self.opt.effective_lr(0)

    def final_theta(self):
        return self.theta


class _RowSpace:
    """The network with W¹(t) = W¹(0) + C(t)X (the core's RowSpaceRunner): layer 1's
    product is c₁(X_B W¹(0)ᵀ + (X_B Xᵀ)Cᵀ) and its gradient the cotangent itself;
    the optimizer runs on Cᵀ and on the parameters after W¹ (exact for gd, sgd and
    momentum, which are linear and coordinate-wise)."""

    def __init__(self, be, lay, opt_name, hyper, theta0, X, Y, Xt, lr):
        xp = self.xp = be.xp
        self.be, self.lay, self.X, self.Y = be, lay, X, Y
        n, m1, d = X.shape[0], lay.widths[1], lay.widths[0]
        self.rest = m1 * d  # θ's parameters after W¹ start here
        self.theta, self.theta0 = theta0.copy(), theta0
        w0 = lay.W(theta0, 1)
        self.z0 = xp.empty((n, m1), lay.dtype)
        be.gemm(X, w0, self.z0, alpha=lay.c[1], tb=True)
        self.G = xp.empty((n, n), lay.dtype)
        be.gemm(X, X, self.G, tb=True)
        self.ct = xp.zeros((n, m1), lay.dtype)
        if Xt is not None:
            self.z0t = xp.empty((Xt.shape[0], m1), lay.dtype)
            be.gemm(Xt, w0, self.z0t, alpha=lay.c[1], tb=True)
            self.Gt = xp.empty((Xt.shape[0], n), lay.dtype)
            be.gemm(Xt, X, self.Gt, tb=True)
        self.opt_c = DeviceOptimizer(be, opt_name, hyper, [lr], n * m1, lay.dtype)
        self.opt_rest = DeviceOptimizer(be, opt_name, hyper, [lr], lay.P - self.rest, lay.dtype)
        self.plain = opt_name in ("gd", "sgd")
        self.loss = SquaredError(be, lay.dtype)

    def _first(self, z0_rows, g_rows):
        """c₁ X_B W¹(t)ᵀ = z0_rows + c₁ g_rows Cᵀ (a fresh array)."""
        h = z0_rows.copy()
        self.be.gemm(g_rows, self.ct, h, alpha=self.lay.c[1], beta=1.0)
        return h

    def prepare(self, rows, start, count, full):
        if rows is None:
            first, yb = self._first(self.z0, self.G), self.Y
        else:
            first, yb = self._first(self.z0[rows], self.G[rows]), self.Y[rows]
        self.rows = rows
        self.feat = nw.forward(self.be, self.lay, self.theta, None, first=first)
        self.r = self.xp.empty_like(self.feat.f)
        return self.loss(self.feat.f, yb, self.r, count, read=full)[0]

    def full_loss(self):
        f = nw.forward(self.be, self.lay, self.theta, None, first=self._first(self.z0, self.G)).f
        return self.loss(f, self.Y)[0]

    def _scatter(self, cot, target):
        if self.rows is None:
            target += cot
        else:
            target[self.rows] += cot  # the rows of a batch are distinct

    def update(self, lr, diag):
        xp = self.xp
        cot = xp.empty((self.feat.n, self.lay.widths[1]), self.lay.dtype)
        if diag is not None:
            diag.fill(1)  # gd, sgd and momentum: D = 1
        if self.plain:
            nw.vjp(self.be, self.lay, self.theta, self.feat, self.r, alpha=-lr, beta=1.0, out=self.theta,
                   first_out=cot)
            self._scatter(cot, self.ct)
            self.opt_c.t += 1
            self.opt_rest.t += 1
            return
        g = xp.zeros(self.lay.P, self.lay.dtype)
        nw.vjp(self.be, self.lay, self.theta, self.feat, self.r, out=g, first_out=cot)
        gct = xp.zeros_like(self.ct)
        self._scatter(cot, gct)
        self.opt_c.step(self.ct.reshape(1, -1), gct.reshape(1, -1))
        self.opt_rest.step(self.theta[None, self.rest:], g[None, self.rest:])

    def test_pred(self):
        return nw.forward(self.be, self.lay, self.theta, None, first=self._first(self.z0t, self.Gt)).f

    def _unit_sq(self):
        """‖W¹_r(t) − W¹_r(0)‖² = c_rᵀ(XXᵀ)c_r for every unit r."""
        gc = self.xp.empty_like(self.ct)
        self.be.gemm(self.G, self.ct, gc)
        return (self.ct.astype(np.float64) * gc.astype(np.float64)).sum(axis=0)

    def param_distance(self):
        rest = ((self.theta[self.rest:] - self.theta0[self.rest:]).astype(np.float64) ** 2).sum()
        return math.sqrt(max(0.0, float(rest + self._unit_sq().sum())))

    def max_unit_movement(self):
        sq = self._unit_sq()
        return math.sqrt(max(0.0, float(sq.max()))) if sq.size else 0.0

    def effective_lr(self):
        return self.opt_rest.effective_lr(0)

    def final_theta(self):
        th = self.theta.copy()
        self.be.gemm(self.ct, self.X, self.lay.W(th, 1), beta=1.0, ta=True)
        return th


class _ParameterSpace:
    """Linearization, general D_t: δ = θ − θ₀; φ₀v, φ₀ᵀr from the cached θ₀ features
    (matrix-free) or from φ₀ itself (materialized)."""

    def __init__(self, be, lay, opt_name, hyper, theta0, X, Y, Xt, lr, materialized):
        self.be, self.lay, self.xp = be, lay, be.xp
        self.Y, self.theta0 = Y, theta0
        self.full = nw.features(be, lay, theta0, X)
        self.f0 = self.full.f
        self.phi = nw.jacobian(be, lay, self.full) if materialized else None
        self.test = nw.features(be, lay, theta0, Xt) if Xt is not None else None
        self.delta = be.xp.zeros(lay.P, lay.dtype)
        self.opt = DeviceOptimizer(be, opt_name, hyper, [lr], lay.P, lay.dtype)
        self.loss = SquaredError(be, lay.dtype)

    def _u(self, rows):
        if self.phi is not None:
            phi = self.phi if rows is None else self.phi[rows]
            return phi @ self.delta
        feat = self.full if rows is None else self.full.rows(self.xp, rows)
        return nw.jvp_features(self.be, self.lay, feat, self.delta)

    def prepare(self, rows, start, count, full):
        self.rows = rows
        yb = self.Y if rows is None else self.Y[rows]
        f0 = self.f0 if rows is None else self.f0[rows]
        u = self._u(rows)
        u += f0
        self.r = self.xp.empty_like(u)
        return self.loss(u, yb, self.r, count, read=full)[0]

    def full_loss(self):
        u = self._u(None)
        u += self.f0
        return self.loss(u, self.Y)[0]

    def update(self, lr, diag):
        if self.phi is not None:
            phi = self.phi if self.rows is None else self.phi[self.rows]
            g = phi.T @ self.r
        else:
            feat = self.full if self.rows is None else self.full.rows(self.xp, self.rows)
            g = nw.vjp_features(self.be, self.lay, feat, self.r)
        self.opt.step(self.delta[None], g[None], diag=None if diag is None else diag[None])

    def test_pred(self):
        return nw.jvp_features(self.be, self.lay, self.test, self.delta) + self.test.f

    def param_distance(self):
        return float(self.xp.linalg.norm(self.delta.astype(np.float64)))

    def max_unit_movement(self):
        return _row_norm_max(self.xp, self.lay.W(self.delta, 1))

    def effective_lr(self):
        return self.opt.effective_lr(0)

    def final_theta(self):
        return self.theta0 + self.delta


class _FunctionSpace:
    """Linearization with D = 1: θ − θ₀ = φ₀ᵀc, f_t(X) = f₀(X) + Kc, O(N·|B|) per step."""

    def __init__(self, be, lay, opt_name, hyper, theta0, X, Y, Xt, lr):
        xp = be.xp
        self.be, self.lay, self.xp = be, lay, xp
        self.Y, self.theta0, self.X = Y, theta0, X
        self.fx = nw.features(be, lay, theta0, X)
        self.K = nw.gram(be, lay, self.fx)
        self.f0 = self.fx.f
        self.u = self.f0.copy()
        self.coef = xp.zeros(X.shape[0], lay.dtype)
        self.Kt = self.f0t = None
        if Xt is not None:
            ft = nw.features(be, lay, theta0, Xt)
            self.Kt, self.f0t = nw.gram(be, lay, ft, self.fx), ft.f
        self.momentum = opt_name == "momentum"
        self.buf = xp.zeros(X.shape[0], lay.dtype) if self.momentum else None
        self.h, self.t, self.lr = hyper, 0, lr
        self.xxt = X @ X.T
        self.loss = SquaredError(be, lay.dtype)

    def prepare(self, rows, start, count, full):
        self.rows, self.start, self.count = rows, start, count
        idx = slice(start, start + count) if rows is None else rows
        self.idx = idx
        if rows is None:  # the full batch: residual and loss in one launch
            self.r = self.xp.empty_like(self.u)
            return self.loss(self.u, self.Y, self.r, count)[0]
        self.r = (self.u[idx] - self.Y[idx]) / self.lay.dtype.type(count)
        return self.full_loss()

    def full_loss(self):
        return self.loss(self.u, self.Y)[0]

    def update(self, lr, diag):
        xp, T = self.xp, self.lay.dtype.type
        if diag is not None:
            diag.fill(1)
        if self.momentum:
            h = self.h
            g = xp.zeros_like(self.u)
            g[self.idx] = self.r
            self.t += 1
            if self.t == 1:
                self.buf[...] = g
            else:
                self.buf *= T(h.momentum)
                self.buf += T(1 - h.dampening) * g
            step = g + T(h.momentum) * self.buf if h.nesterov else self.buf
            self.coef -= T(lr) * step
            self.u -= T(lr) * (self.K @ step)
            return
        dc = T(-lr) * self.r
        self.coef[self.idx] += dc
        self.u += self.K[:, self.idx] @ dc

    def test_pred(self):
        return self.f0t + self.Kt @ self.coef

    def param_distance(self):
        c, e = self.coef.astype(np.float64), (self.u - self.f0).astype(np.float64)
        return math.sqrt(max(0.0, float(c @ e)))

    def max_unit_movement(self):
        # ‖δW¹_r‖² = a_rᵀ(XXᵀ)a_r with a_r = c₁ c ⊙ Δ¹_{:,r}, as in the core.
        a = self.fx.deltas[0] * (self.lay.c[1] * self.coef)[:, None]
        sq = (a * (self.xxt @ a)).sum(axis=0)
        return math.sqrt(max(0.0, float(sq.max())))

    def effective_lr(self):
        return self.lr

    def final_theta(self):
        return nw.vjp(self.be, self.lay, self.theta0, self.fx, self.coef, alpha=1.0, beta=1.0,
                      out=self.theta0.copy())


def network_path(path, optimizer, n, d):
    """The network's path, by the core's rule: the row space for gd, sgd and momentum
    when N < d."""
    if path == "auto":
        return "row-space" if optimizer in ("gd", "sgd", "momentum") and n < d else "direct"
    return path


def parameter_space_path(path, n, P):
    """A linearization's parameter-space path (stacked runs always take one): φ₀
    materialized when it is small (N·P ≤ 2²⁰, the core's rule), else matrix-free."""
    if path in ("materialized", "matrix-free"):
        return path
    return "materialized" if n * P <= (1 << 20) else "matrix-free"


def choose_path(model_path, optimizer, n, P):
    """A single run's path: function space for D = 1 unless another is named."""
    if model_path == "auto" and optimizer in ("gd", "sgd", "momentum"):
        return "function"
    return model_path if model_path == "function" else parameter_space_path(model_path, n, P)


def memory_estimate(lay, n, n_test, cfg, model, optimizer, runs=1) -> int:
    """Bytes a run (or ``runs`` stacked runs) allocates on the device, roughly: θ,
    θ₀, g and optimizer state; activations and backward vectors (two sets for the
    linearization's cached θ₀ features, with the test inputs'); K for the function-space
    path, φ₀ for the materialized one; the D_t records."""
    P, width = lay.P, sum(lay.widths[1:])
    state = {"momentum": 1, "adagrad": 2, "rmsprop": 2, "adam": 3}.get(optimizer, 0)
    count = (3 + state) * P + 2 * n * width
    if model == "linearized":
        path = parameter_space_path(cfg.path, n, P) if runs > 1 else choose_path(cfg.path, optimizer, n, P)
        count += 2 * (n + n_test) * width
        if path == "function":
            count += n * (n + n_test)
        elif path == "materialized":
            count += n * P
    elif runs == 1 and network_path(cfg.path, optimizer, n, lay.widths[0]) == "row-space":
        m1 = lay.widths[1]
        count += (n + n_test) * (m1 + n) + n * m1 * (4 if optimizer == "momentum" else 3)
    if cfg.record_D:
        count += (cfg.max_steps + 1) * P
    return runs * count * lay.dtype.itemsize


def train(be, lay, theta0, X, Y, Xt, cfg, *, model, optimizer, progress=None) -> dict:
    """One run; the same dict as _core.train (θ and test predictions as device arrays)."""
    xp = be.xp
    n = X.shape[0]
    lr = cfg.lr
    path = "direct"
    if list(cfg.train_layers):
        raise ValueError("train_layers: the GPU backend trains every layer; train a subset on the CPU")
    if model == "network":
        path = network_path(cfg.path, optimizer, n, lay.widths[0])
        if path == "row-space":  # _make_config has refused it for adaptive optimizers
            runner = _RowSpace(be, lay, optimizer, cfg.hyper, theta0, X, Y, Xt, lr)
        else:
            runner = _Network(be, lay, optimizer, cfg.hyper, theta0, X, Y, Xt, lr)
    else:
        path = choose_path(cfg.path, optimizer, n, lay.P)
        if path == "function":
            if optimizer in _ADAPTIVE:
                raise ValueError("path: function space is exact only for D = 1 (gd, sgd, momentum), "
                                 "not adaptive optimizers")
            runner = _FunctionSpace(be, lay, optimizer, cfg.hyper, theta0, X, Y, Xt, lr)
        else:
            runner = _ParameterSpace(be, lay, optimizer, cfg.hyper, theta0, X, Y, Xt, lr,
                                     path == "materialized")
    hist = dict(step=[], train_loss=[], param_distance=[], max_unit_movement=[], effective_lr=[])
    preds, diags = [], []

    def record(t, loss):
        hist["step"].append(t)
        hist["train_loss"].append(loss)
        hist["param_distance"].append(runner.param_distance())
        hist["max_unit_movement"].append(runner.max_unit_movement())
        hist["effective_lr"].append(math.nan if t == 0 and optimizer in _ADAPTIVE else runner.effective_lr())
        if Xt is not None:
            preds.append(runner.test_pred())

    batches = _Batches(n, cfg.batch_size, cfg.shuffle, cfg.seed)
    bound, last_loss, status, steps = 0.0, math.nan, "max_steps", 0
    next_progress = time.monotonic() + cfg.progress_seconds
    t = 0
    try:
        while True:
            rows, start, count, epoch_start = batches.next()
            full = rows is None
            if rows is not None:
                rows = xp.asarray(rows)
            loss = runner.prepare(rows, start, count, full)
            known = full
            if not known and (epoch_start or t % cfg.record_every == 0 or t == cfg.max_steps):
                loss, known = runner.full_loss(), True
            if known:
                last_loss = loss
                if t == 0:
                    bound = cfg.divergence_factor * max(loss, 1.0)
                if not math.isfinite(loss) or loss > bound:
                    status, steps = "diverged", t
                    record(t, loss)
                    break
                if loss < cfg.tol:
                    status, steps = "converged", t
                    record(t, loss)
                    break
            if t == cfg.max_steps:
                status, steps = "max_steps", t
                record(t, loss)
                break
            if t % cfg.record_every == 0:
                record(t, loss)
            diag = None
            if cfg.record_D:
                diag = xp.empty(lay.P, lay.dtype)
                diags.append(diag)
            runner.update(lr, diag)
            t += 1
            if progress is not None and time.monotonic() >= next_progress:
                next_progress = time.monotonic() + cfg.progress_seconds
                if not progress(t, last_loss):
                    status, steps = "interrupted", t
                    record(t, runner.full_loss())
                    break
    except KeyboardInterrupt:
        status, steps = "interrupted", t
        record(t, runner.full_loss())
    if progress is not None:
        progress(steps, hist["train_loss"][-1])
    history = {k: np.asarray(v, np.int64 if k == "step" else np.float64) for k, v in hist.items()}
    if Xt is not None:
        history["test_pred"] = xp.stack(preds)
    if diags:
        history["D"] = xp.stack(diags)
    return dict(theta=runner.final_theta(), steps=steps, status=status, history=history, path=path)
