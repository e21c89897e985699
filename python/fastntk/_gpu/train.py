"""Training on a GPU: R runs at once (one run being R = 1), controlled by the core's
StepController (cpp/include/fastntk/step_control.hpp) — the object the CPU loop of
cpp/src/dynamics.cpp runs over too — so the batches, the stopping rule, the statuses
and the records are the core's by construction; the optimizer and loss rules are the
kernels' (cuda/kernels.cu), which run elementwise.hpp's. Each step launches batched
cuBLAS products and kernels for all runs and reads their R losses to the host once
(the stopping rule needs them).

Runs trained together share the data, the architecture (widths, parametrization,
bias mode, activation, dtype) and every setting but the learning rate
(:func:`group_key`); σ, θ₀ and η may differ. Each run stops on its own rule (its
parameters then frozen); the loop ends when all have stopped.

A runner per path holds the iterate of all R runs:
  _Direct        the network, θ (R, P)
  _RowSpace      the network with W¹(t) = W¹(0) + C(t)X (gd, sgd, momentum; N < d)
  _ParameterSpace the linearization, δ = θ − θ₀ (R, P), φ₀δ and φ₀ᵀr from the θ₀
                 features (matrix-free) or from φ₀ itself (materialized)
  _FunctionSpace the linearization with D = 1, θ − θ₀ = φ₀ᵀc, c (R, N) — (R, N·k) with
                 the block kernel for k outputs
A network of k outputs trains on the element-wise losses with outputs and residuals
(R, n, k), each output's term summed and divided by n, as the core does.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _core
from .._footprint import run_path
from ..config import ADAPTIVE
from . import network as nw
from .runtime import to_host


def group_key(net, cfg, n):
    """Runs with equal keys are trained as one stacked batch. Row-space runs train
    alone: their optimizer state is split at W¹, which the stacked kernels (rows of
    one contiguous block) cannot address for R > 1."""
    arch = (tuple(net.widths), net.parametrization, net.bias, net.layout.activation, np.dtype(net.dtype).name)
    alone = object() if run_path(cfg, net.widths, net.num_params, n) == "row-space" else None
    return arch, dataclasses.replace(cfg, lr=1.0), alone


class _DeviceRows:
    """The indices of the active runs (all R where ``active`` is None) as a device array,
    uploaded only when that set changes (a run stops), not every step."""

    def __init__(self, xp, R):
        self.xp, self.R, self._key, self._rows = xp, R, None, None

    def __call__(self, active):
        key = tuple(range(self.R)) if active is None else tuple(np.flatnonzero(active).tolist())
        if key != self._key:
            self._rows, self._key = self.xp.asarray(np.asarray(key, np.int64)), key
        return self._rows


class DeviceOptimizer:
    """PyTorch's rules through the kernels of cuda/kernels.cu for R runs stacked as
    rows (θ and g of shape (R, P), run r's learning rate lrs[r]), one launch per step
    for all of them. D_t of the last update stays on the device for the effective
    learning rate."""

    def __init__(self, be, cfg, lrs, P, dtype):
        xp = be.xp
        self.xp, self.k = xp, be.cuda_kernels(dtype)
        self.name, self.cfg, self.t = cfg.optimizer, cfg, 0
        self.lrs = np.asarray(lrs, np.float64)
        R = self.lrs.size
        self.lr = xp.asarray(self.lrs.astype(dtype))
        self.s1 = xp.full((R, P), cfg.initial_accumulator_value if self.name == "adagrad" else 0, dtype)
        self.s2 = xp.zeros((R, P), dtype) if self.name == "adam" else None
        self.diag = xp.empty((R, P), dtype) if self.name in ADAPTIVE else None
        self.lr_scale = 1.0
        self._rule = _core.OptimizerRule(cfg)
        self._active_rows = _DeviceRows(xp, R)

    def step(self, theta, g, active=None, diag=None):
        """One update of the rows in ``active`` (all by default); ``diag`` (R, P), when
        given, receives D_t."""
        self.t += 1
        c, k = self.cfg, self.k
        divisor, first, damp, bc1, sqrt_bc2 = self._rule.scalars(self.t)
        self.lr_scale = 1 / divisor  # the kernels take lr·lr_scale
        rows = self._active_rows(active)
        if rows.size:
            lr, sc = self.lr, self.lr_scale
            if self.name in ("gd", "sgd"):
                k.sgd(theta, g, lr, sc, rows)
            elif self.name == "momentum":
                k.momentum(theta, self.s1, g, lr, sc, c.momentum, damp, first, c.nesterov, rows)
            elif self.name == "adagrad":
                k.adagrad(theta, self.s1, g, lr, sc, c.eps, self.diag, rows)
            elif self.name == "rmsprop":
                k.rmsprop(theta, self.s1, g, lr, sc, c.alpha, c.eps, self.diag, rows)
            else:
                b1, b2 = c.betas
                k.adam(theta, self.s1, self.s2, g, lr, sc, b1, b2, bc1, sqrt_bc2, c.eps, self.diag, rows)
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


class Losses:
    """The training loss of R runs' outputs (accumulated in double, as the core does),
    with the residual ∂ℓ/∂f / count written on the way, in one kernel launch: the
    per-sample rules of elementwise.hpp (``loss`` "squared" or "logistic")."""

    def __init__(self, be, dtype, R, loss):
        self.k = be.cuda_kernels(dtype)
        self.kind = _core.LOSS_KIND[loss]
        self.sum = be.xp.zeros(R, np.float64)

    def __call__(self, f, y, r=None, count=1, read=True) -> np.ndarray:
        """The R losses on the host (the step's one read); read=False: r only, NaN losses.
        k outputs: f and r (R, n, k), y (n, k), each output's term summed, divided by n."""
        self.sum.fill(0)
        self.k.residual_loss(self.kind, f, y.reshape(-1), count, r, self.sum)
        if not read:
            return np.full(self.sum.size, math.nan)
        return to_host(self.sum) / y.shape[0]


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
        if materialized:  # (R, N, k, P): φ₀'s rows i·k + a (one output: (R, N, P))
            k, n = st.outputs, X.shape[0]
            self.phi = xp.stack([nw.jacobian(be, st.lays[r], self.fx.run(r)) for r in range(st.R)])
            if k > 1:
                self.phi = self.phi.reshape(st.R, n, k, -1)
        self.test = None if Xt is None else st.features(self.theta0, Xt)
        self.delta = xp.zeros_like(self.theta0)

    def _phi_v(self, phi):
        """φδ of every run: (R, n), or (R, n, k) from φ's (R, n, k, P) rows."""
        if phi.ndim == 4:
            R, n, k, P = phi.shape
            return self.xp.matmul(phi.reshape(R, n * k, P), self.delta[:, :, None]).reshape(R, n, k)
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
            phi = self.batch_phi
            if phi.ndim == 4:  # k outputs: the (n·k) rows against the flattened residuals
                phi, res = phi.reshape(phi.shape[0], -1, phi.shape[3]), res.reshape(res.shape[0], -1)
            g = self.xp.matmul(phi.transpose(0, 2, 1), res[:, :, None])[:, :, 0]
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
    """The linearizations with D = 1: θ − θ₀ = φ₀ᵀc, f_t(X) = f₀(X) + Kc with c (R, N) — (R, N·k)
    and K the block kernel for k outputs.
    The optimizer (gd, sgd, momentum) runs on c with the residual as its gradient;
    u = f(X) follows the change of c, over the batch's columns of K when only those moved."""

    def __init__(self, be, st, thetas, X, Xt, opt):
        xp = self.xp = be.xp
        self.st, self.opt, self.X = st, opt, X
        self.k, self.n = st.outputs, X.shape[0]
        self.theta0 = xp.stack(thetas)
        self.fx = st.features(self.theta0, X)
        self.K = xp.stack([self._block(be, st.lays[r], self.fx.run(r)) for r in range(st.R)])
        self.u = self.fx.f.reshape(st.R, -1).copy()  # f(X) of every run, flat: (R, N·k), entry i·k + a
        self.coef = xp.zeros_like(self.u)
        self.Kt = self.f0t = None
        if Xt is not None:
            ft = st.features(self.theta0, Xt)
            self.Kt = xp.stack([self._block(be, st.lays[r], ft.run(r), self.fx.run(r)) for r in range(st.R)])
            self.f0t = ft.f
        self.sparse = opt.name in ("gd", "sgd")  # a step moves the batch's coefficients only
        self.xxt = xp.matmul(X, X.T)

    def _block(self, be, lay, fa, fb=None):
        """K (N1, N2) — for k outputs the block kernel (N1·k, N2·k), row i·k + a, the matrix
        GD iterates with (as the core's function-space path)."""
        return nw.gram(be, lay, fa, fb, full=self.k > 1, rows=True)

    def _shaped(self, flat):
        """(R, N·k) → the outputs' shape, (R, N) or (R, N, k)."""
        return flat if self.k == 1 else flat.reshape(flat.shape[0], -1, self.k)

    def _columns(self, rows):
        """The flat entries of the batch rows: rows·k + a."""
        if self.k == 1:
            return rows
        return (rows[:, None] * self.k + self.xp.arange(self.k)[None, :]).reshape(-1)

    def outputs(self, rows):
        u = self._shaped(self.u)
        return u if rows is None else self.xp.ascontiguousarray(u[:, rows])  # the loss kernel reads it flat

    def full_outputs(self):
        return self._shaped(self.u)

    def update(self, res, rows, active, diag):
        xp = self.xp
        res = res.reshape(res.shape[0], -1)
        cols = None if rows is None else self._columns(rows)
        if rows is None:
            g = res
        else:
            g = xp.zeros_like(self.coef)
            g[:, cols] = res
        before = self.coef.copy()
        self.opt.step(self.coef, g, active, diag)
        change = self.coef - before
        if self.sparse and rows is not None:
            self.u += xp.matmul(self.K[:, :, cols], change[:, cols, None])[:, :, 0]
        else:
            self.u += xp.matmul(self.K, change[:, :, None])[:, :, 0]

    def test_outputs(self):
        return self.f0t + self._shaped(self.xp.matmul(self.Kt, self.coef[:, :, None])[:, :, 0])

    def movement(self):
        xp = self.xp
        c, e = self.coef.astype(np.float64), (self.u - self.fx.f.reshape(self.st.R, -1)).astype(np.float64)
        # ‖δW¹_r‖² = a_rᵀ(XXᵀ)a_r with a_r = c₁ Σ_a c_a ⊙ Δ¹_{a,:,r}, as in the core.
        coef = self._shaped(self.coef)
        if self.k == 1:
            a = self.fx.deltas[0] * coef[:, :, None]
        else:
            a = (self.fx.deltas[0].reshape(self.st.R, self.n, self.k, -1) * coef[:, :, :, None]).sum(axis=2)
        a *= self.st.c[1][:, None, None]
        unit = (a * xp.matmul(self.xxt, a)).sum(axis=1)
        return to_host(xp.maximum((c * e).sum(axis=1), 0)), to_host(xp.maximum(unit.max(axis=1), 0))

    def final_theta(self, r):
        return self.theta0[r] + self.st.vjp(self.theta0, self.fx, self._shaped(self.coef))[r]


def _runner(be, st, thetas, X, Xt, cfg, lrs, path):
    if path == "row-space":
        return _RowSpace(be, st, thetas, X, Xt, cfg, lrs)
    opt = DeviceOptimizer(be, cfg, lrs, X.shape[0] * st.outputs if path == "function" else st.lay.P, st.lay.dtype)
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
    path = run_path(cfg, st.lay.widths, st.lay.P, n)
    runner = _runner(be, st, thetas, X, Xt, cfg, [c.lr for c in cfgs], path)
    control = _core.StepController(cfg, R, n)
    hist = [dict(step=[], train_loss=[], param_distance=[], max_unit_movement=[], effective_lr=[])
            for _ in range(R)]
    preds = [[] for _ in range(R)]
    diags, scratch, ends_rows = [], None, _DeviceRows(xp, R)
    losses = Losses(be, st.lay.dtype, R, cfg.loss)

    def record(runs, loss):
        """Runs ``runs`` record the current step: movements and test outputs read once."""
        if not runs.size:
            return
        t = control.step
        movement = runner.movement()
        test = None if Xt is None else runner.test_outputs()
        for r in runs:
            h = hist[r]
            h["step"].append(t)
            h["train_loss"].append(float(loss[r]))
            h["param_distance"].append(math.sqrt(float(movement[0][r])))
            h["max_unit_movement"].append(math.sqrt(float(movement[1][r])))
            h["effective_lr"].append(runner.opt.effective_lr(r))  # NaN before an adaptive run's first update
            if Xt is not None:
                preds[r].append(test[r].copy())

    def interrupt():
        record(control.interrupt(), losses(runner.full_outputs(), Y))

    signal_error = None
    try:
        while True:
            rows, needs_full_loss = control.next_batch()
            count = n if rows is None else rows.shape[0]
            if rows is not None:
                rows = xp.asarray(rows)
            f = runner.outputs(rows)
            res = xp.empty_like(f)
            known = rows is None
            loss = losses(f, Y if rows is None else Y[rows], res, count, read=known)
            if needs_full_loss:
                loss, known = losses(runner.full_outputs(), Y), True
            record(control.judge(loss, known), loss)
            if not control.any_active():
                break
            diag, active = None, control.active()
            if cfg.record_D and (cfg.record_D != "ends" or not diags):
                diag = xp.empty((R, st.lay.P), st.lay.dtype)
                diags.append(diag)
            elif cfg.record_D:
                # "ends" after the first update: one scratch buffer for every later update, merged below
                if scratch is None:
                    scratch = xp.empty((R, st.lay.P), st.lay.dtype)
                diag = scratch
            runner.update(res, rows, active, diag)
            if cfg.record_D == "ends" and diag is not diags[0]:
                if len(diags) == 1:
                    diags.append(xp.empty_like(diag))  # rows of runs already stopped are never read (steps ≤ 1)
                be.cuda_kernels(st.lay.dtype).record_D_ends(diags[0], diags[1], diag, cfg.eps, ends_rows(active))
            control.advance()
            if progress is not None and control.progress_due() and not progress(control.step, control.last_loss):
                interrupt()
                break
    except KeyboardInterrupt as e:  # the records are kept; dynamics raises it again
        interrupt()
        signal_error = e
    steps = [control.steps(r) for r in range(R)]
    if progress is not None:
        progress(max(steps), control.last_loss)
    results = []
    for r in range(R):
        history = {k: np.asarray(v, np.int64 if k == "step" else np.float64) for k, v in hist[r].items()}
        if Xt is not None:
            history["test_pred"] = xp.stack(preds[r])
        if cfg.record_D and steps[r]:
            history["D"] = xp.stack([d[r] for d in diags[:steps[r]]])
        results.append(dict(status=control.status(r), steps=steps[r], theta=runner.final_theta(r), history=history,
                            path=path, max_climb=control.max_climb(r), signal_error=signal_error))
    return results
