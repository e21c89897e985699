"""Training dynamics of the network and of its linearization (docs/design.md §1–2).

Loss L(θ) = (1/2N)‖f(X) − Y‖², update θ_{t+1} = θ_t − η D_t g_t with g_t the
gradient on the batch B_t; optimizers follow PyTorch's documented update rules.
A whole run is one call into the core: no Python work per step.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from . import _core
from ._backend import blas_limited_to_one_thread
from ._gpu import api as _gpu_api
from ._gpu import gpu_backend, placement
from ._gpu.runtime import device_memory, on_device
from ._gpu import ensemble as _gpu_ensemble
from ._gpu import train as _gpu_train
from ._validate import as_matrix, as_vector, check_fits, positive, positive_int
from .kernels import ntk
from .model import MLP

OPTIMIZERS = ("gd", "sgd", "momentum", "adagrad", "rmsprop", "adam")
ADAPTIVE = ("adagrad", "rmsprop", "adam")
MODELS = ("network", "linearized")
PATHS = ("auto", "function", "matrix-free", "materialized", "direct", "row-space")
NETWORK_PATHS = ("auto", "direct", "row-space")
LINEARIZED_PATHS = ("auto", "function", "matrix-free", "materialized")
_HYPER = {"momentum", "dampening", "nesterov", "eps", "alpha", "betas",
          "initial_accumulator_value", "lr_decay"}


@dataclass
class TrainResult:
    """The outcome of one run.

    params : final [W1, b1, …] (for the linearized model, θ₀ + (θ_t − θ₀)).
    theta : the same as a flat θ (P,).
    steps : number of updates done.
    status : "converged" (loss < tol), "max_steps", "diverged" or "interrupted".
    history : dict of arrays over the recorded steps: step, train_loss,
        param_distance (‖θ_t − θ₀‖), max_unit_movement (max_r ‖W¹_r(t) − W¹_r(0)‖),
        effective_lr (mean of η·D_t), test_pred (records × N_test) when X_test
        was given, and D (updates × P, D_t of every update) when record_D.
    lr : the learning rate used; path : the space the run was iterated in ("direct" or
        "row-space" for the network, "function", "matrix-free" or "materialized" for
        the linearization).
    """
    params: list
    theta: np.ndarray
    steps: int
    status: str
    history: dict
    lr: float
    path: str = "n/a"
    config: dict = field(default_factory=dict)


@on_device
def default_lr(net: MLP, params, X) -> float:
    """η = 1.9·N/λ_max(K): just inside GD's stability limit 2N/λ_max for the loss (1/2N)‖f − Y‖²."""
    K = ntk(net, params, X)
    xp = gpu_backend().xp if placement(K=K) == "gpu" else np
    lam = float(xp.linalg.eigvalsh(K.astype(np.float64))[-1])
    if not lam > 0:
        raise ValueError("X: the NTK Gram matrix has no positive eigenvalue; cannot pick a learning rate")
    return 1.9 * K.shape[0] / lam


def _make_config(net: MLP, theta, X, Y, *, model, optimizer, lr, batch_size, split_ratio, shuffle,
                 seed, tol, max_steps, record_every, record_D, path, divergence_factor, hyper, train_layers=None):
    if model not in MODELS:
        raise ValueError(f"model: expected one of {MODELS}, got {model!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {OPTIMIZERS}, got {optimizer!r}")
    allowed = NETWORK_PATHS if model == "network" else LINEARIZED_PATHS
    if path not in allowed:
        raise ValueError(f"path: expected one of {allowed} for model={model!r}, got {path!r}")
    if path == "row-space" and optimizer in ADAPTIVE:
        raise ValueError(f"path: 'row-space' is exact only for gd, sgd and momentum (updates that combine "
                         f"past gradients), not {optimizer!r}, whose per-coordinate scaling leaves the row space")
    unknown = set(hyper) - _HYPER
    if unknown:
        raise TypeError(f"unknown optimizer hyper-parameter(s) {sorted(unknown)}; expected PyTorch's names {sorted(_HYPER)}")
    N = X.shape[0]
    if batch_size is not None and split_ratio is not None:
        raise ValueError("batch_size and split_ratio: give at most one")
    if split_ratio is not None:
        r = float(split_ratio)
        if not (0 < r <= 1):
            raise ValueError(f"split_ratio: expected a value in (0, 1], got {split_ratio}")
        batch_size = max(1, math.ceil(r * N))
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
        if batch_size > N:
            raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {N}, got {batch_size}")
        if optimizer == "gd" and batch_size != N:
            raise ValueError("batch_size: optimizer 'gd' is full-batch; use optimizer='sgd' for mini-batches")
    if lr is None:
        if optimizer in ADAPTIVE:
            lr = find_lr(net, theta, X, Y, optimizer=optimizer, model=model, **hyper)
        else:
            lr = default_lr(net, theta, X)
    cfg = _core.TrainConfig()
    cfg.model = model
    cfg.optimizer = optimizer
    cfg.path = path
    cfg.lr = positive(lr, "lr")
    cfg.batch_size = 0 if batch_size is None else batch_size
    cfg.shuffle = bool(shuffle)
    cfg.seed = int(seed)
    cfg.tol = positive(tol, "tol")
    cfg.max_steps = positive_int(max_steps, "max_steps", minimum=0)
    cfg.record_every = positive_int(record_every, "record_every")
    cfg.record_D = bool(record_D)
    cfg.divergence_factor = positive(divergence_factor, "divergence_factor")
    if train_layers is not None:
        layers = sorted({int(l) for l in np.atleast_1d(train_layers)})
        if not layers or layers[0] < 1 or layers[-1] > net.depth:
            raise ValueError(f"train_layers: expected a non-empty set of layer numbers 1 … {net.depth}, "
                             f"got {train_layers!r}")
        cfg.train_layers = layers
    h = _core.Hyper()
    for k, v in hyper.items():
        if k == "betas":
            h.beta1, h.beta2 = (float(b) for b in v)
            if not (0 <= h.beta1 < 1 and 0 <= h.beta2 < 1):
                raise ValueError(f"betas: expected two values in [0, 1), got {v}")
        elif k == "nesterov":
            h.nesterov = bool(v)
        else:
            setattr(h, k, float(v))
    if "eps" in hyper:
        positive(hyper["eps"], "eps", allow_zero=True)
    cfg.hyper = h
    return cfg


def _prepare(net, params, X, Y, X_test):
    """θ, X, Y, X_test checked and in the network's dtype, and the GPU backend when
    they are CuPy arrays (None on the host)."""
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    if placement(params=params, X=X, Y=Y, X_test=X_test) == "gpu":
        be = gpu_backend()
        X = _gpu_api.as_matrix(be, X, "X", net.dtype, net.input_dim)
        if Y.ndim != 1:
            raise ValueError(f"Y: expected a 1-D array of shape ({X.shape[0]},), got shape {Y.shape}")
        Y = _gpu_api.as_vector(be, Y, "Y", net.dtype, X.shape[0])
        Xt = None if X_test is None else _gpu_api.as_matrix(be, X_test, "X_test", net.dtype, net.input_dim)
        return _gpu_api.flatten(be, net, params), X, Y, Xt, be
    theta = net.flatten(params)
    X = as_matrix(X, "X", net.dtype, net.input_dim)
    Y = np.asarray(Y)
    if Y.ndim != 1:
        raise ValueError(f"Y: expected a 1-D array of shape ({X.shape[0]},), got shape {Y.shape}")
    Y = as_vector(Y, "Y", net.dtype, X.shape[0])
    Xt = None if X_test is None else as_matrix(X_test, "X_test", net.dtype, net.input_dim)
    return theta, X, Y, Xt, None


def _run(net, theta, X, Y, Xt, cfg, bar, be, model, optimizer) -> dict:
    """One run in the core, or on the GPU when ``be`` is the GPU backend."""
    if be is None:
        return _core.train(net._spec, theta, X, Y, Xt, cfg, bar)
    lay = _gpu_api.layout(net)
    need = _gpu_train.memory_estimate(lay, X.shape[0], 0 if Xt is None else Xt.shape[0], cfg, model, optimizer)
    with device_memory(f"training ({model}, {optimizer}, N = {X.shape[0]}, P = {lay.P})", need):
        return _gpu_train.train(be, lay, theta, X, Y, Xt, cfg, model=model, optimizer=optimizer, progress=bar)


class _Progress:
    """A tqdm bar over steps (optional) and the user's callback, called from the core."""

    def __init__(self, show: bool, total: int, callback: Callable | None, desc: str):
        self.callback = callback
        self.bar = None
        if show:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc=desc, leave=False, unit="step")

    def __call__(self, step, loss):
        if self.bar is not None:
            self.bar.n = min(step, self.bar.total)
            self.bar.set_postfix_str(f"loss {loss:.3e}", refresh=False)
            self.bar.refresh()
        if self.callback is not None:
            return self.callback(step, loss)
        return True

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _result(net, out, lr, cfg_dict, be=None) -> TrainResult:
    theta = out["theta"]
    params = net.unflatten(theta) if be is None else _gpu_api.unflatten(be, net, theta)
    return TrainResult(params=params, theta=theta, steps=int(out["steps"]),
                       status=out["status"], history=dict(out["history"]), lr=float(lr),
                       path=out["path"],
                       config=cfg_dict)


@on_device
def train(net: MLP, params, X, Y, *, model: str = "network", optimizer: str = "gd",
          lr: float | None = None, batch_size: int | None = None, split_ratio: float | None = None,
          shuffle: bool = False, seed: int = 0, tol: float = 1e-5, max_steps: int = 100_000,
          X_test=None, record_every: int = 100, record_D: bool = False, path: str = "auto",
          divergence_factor: float = 1e8, train_layers=None, progress: bool = False,
          callback: Callable[[int, float], Any] | None = None, **hyper) -> TrainResult:
    """Train the network (model="network") or its linearization around θ₀
    (model="linearized", f_lin(x) = f₀(x) + φ₀(x)(θ − θ₀)) on (X, Y).

    X : (N, d); Y : (N,); X_test : (N_test, d) or None.
    optimizer : "gd" (full batch), "sgd" (mini-batches of ``batch_size`` rows or a
        ``split_ratio`` of N, fixed order or reshuffled each epoch with ``shuffle``),
        "momentum", "adagrad", "rmsprop", "adam"; hyper-parameters by PyTorch's names
        (momentum, dampening, nesterov, eps, alpha, betas, initial_accumulator_value, lr_decay).
    lr : None picks η = 1.9·N/λ_max(K) for gd/sgd/momentum and :func:`find_lr` for the
        adaptive ones.
    Stops when the full training loss first drops below ``tol`` (the papers use 1e-5),
    at ``max_steps``, or on divergence (status "diverged", nothing raised). Records
    every ``record_every`` steps and at the last one. ``path`` picks the space a run is
    iterated in, "auto" the cheapest exact one. The network: "direct", or "row-space"
    for gd, sgd and momentum, whose first-layer updates all lie in the row space of X:
    W¹(t) = W¹(0) + C(t)X, so the first layer costs N²·m₁ a step instead of N·d·m₁
    (docs/design.md §1; auto takes it when N < d; equal to the direct path to rounding).
    The linearization: "function" (D = 1, O(N²) per step), "matrix-free" (parameter
    space, φ₀v and φ₀ᵀr from the cached θ₀ activations and backward vectors, N·P flops
    each) or "materialized" (parameter space over φ₀ itself, for small N·P).
    ``train_layers`` (e.g. [1]) trains only those layers' W and b (numbered 1 … L), the
    others stay at θ₀ (004 trains only the hidden layer); effective_lr is then the mean
    of η·D_t over the trained parameters. Ctrl-C ends the run with
    status "interrupted" and what it recorded.
    """
    theta, X, Y, Xt, be = _prepare(net, params, X, Y, X_test)
    cfg = _make_config(net, theta, X, Y, model=model, optimizer=optimizer, lr=lr,
                       batch_size=batch_size, split_ratio=split_ratio, shuffle=shuffle, seed=seed,
                       tol=tol, max_steps=max_steps, record_every=record_every, record_D=record_D,
                       path=path, divergence_factor=divergence_factor, hyper=hyper,
                       train_layers=train_layers)
    if record_D:
        _check_D_fits(net, cfg.max_steps)
    bar = _Progress(progress, cfg.max_steps, callback, f"{model} {optimizer}")
    try:
        out = _run(net, theta, X, Y, Xt, cfg, bar, be, model, optimizer)
    finally:
        bar.close()
    return _result(net, out, cfg.lr, dict(model=model, optimizer=optimizer, batch_size=cfg.batch_size,
                                          shuffle=bool(shuffle), seed=int(seed), **hyper), be)


def _check_D_fits(net, max_steps):
    check_fits(np.dtype(net.dtype).itemsize * net.num_params * max(1, max_steps),
               f"record_D for up to {max_steps} steps × P = {net.num_params}")


# train()'s own keyword defaults, shared by train_many (one place to change them).
_TRAIN_DEFAULTS = {k: p.default for k, p in inspect.signature(train).parameters.items()
                   if p.kind is p.KEYWORD_ONLY and k not in ("X_test", "progress", "callback")}


@on_device
def train_many(runs: Sequence[dict], X, Y, *, X_test=None, progress: bool = False,
               callback: Callable | None = None) -> list[TrainResult]:
    """Train independent runs on the same data side by side, in one call.

    Each run is a dict with ``net`` and ``params`` and any keyword of :func:`train`
    (model, optimizer, lr, batch_size, …). All nets must share the dtype and input
    dimension (σ, widths, optimizers may differ). Runs are spread over the cores,
    each one's products single-threaded. With CuPy arrays, network runs that differ
    only in σ, θ₀ and lr are stacked and trained as one batch on the GPU (batched
    cuBLAS products, one host read per step for all of them), the others run one
    after another. Returns one TrainResult per run, in order.
    """
    runs = list(runs)
    if not runs:
        return []
    if placement(X=X, Y=Y, X_test=X_test) == "gpu":
        return _train_many_gpu(runs, X, Y, X_test, progress, callback)
    specs, thetas, cfgs, nets, lrs, dicts = [], [], [], [], [], []
    dtype = runs[0]["net"].dtype
    Xc = Yc = Xt = None
    for i, run in enumerate(runs):
        run = dict(run)
        net, params = run.pop("net"), run.pop("params")
        if net.dtype != dtype:
            raise TypeError(f"runs[{i}].net: every run must have dtype {np.dtype(dtype).name}")
        theta, Xc, Yc, Xt, be = _prepare(net, params, X, Y, X_test)
        kw = dict(_TRAIN_DEFAULTS)
        hyper = {k: v for k, v in run.items() if k not in kw}
        kw.update({k: v for k, v in run.items() if k in kw})
        cfg = _make_config(net, theta, Xc, Yc, hyper=hyper, **kw)
        specs.append(net._spec)
        thetas.append(theta)
        cfgs.append(cfg)
        nets.append(net)
        lrs.append(cfg.lr)
        dicts.append(dict(model=kw["model"], optimizer=kw["optimizer"], batch_size=cfg.batch_size,
                          shuffle=bool(kw["shuffle"]), seed=int(kw["seed"]), **hyper))
    bar = _Progress(progress, sum(c.max_steps for c in cfgs), callback, "ensemble")
    try:
        # One BLAS thread per member: the members themselves fill the cores.
        with blas_limited_to_one_thread() as single:
            outs = _core.train_many(specs, thetas, cfgs, Xc, Yc, Xt, bar, single)
    finally:
        bar.close()
    return [_result(n, o, lr, d) for n, o, lr, d in zip(nets, outs, lrs, dicts)]


def _train_many_gpu(runs, X, Y, X_test, progress, callback) -> list[TrainResult]:
    """On a GPU: runs (networks, or linearizations) that differ only in σ, θ₀ and lr
    are trained as one stacked batch (_gpu.ensemble); the others one after another."""
    prepared = []
    for run in runs:
        run = dict(run)
        net, params = run.pop("net"), run.pop("params")
        theta, Xc, Yc, Xt, be = _prepare(net, params, X, Y, X_test)
        kw = dict(_TRAIN_DEFAULTS)
        hyper = {k: v for k, v in run.items() if k not in kw}
        kw.update({k: v for k, v in run.items() if k in kw})
        cfg = _make_config(net, theta, Xc, Yc, hyper=hyper, **kw)
        if list(cfg.train_layers):
            raise ValueError("train_layers: the GPU backend trains every layer; train a subset on the CPU")
        info = dict(model=kw["model"], optimizer=kw["optimizer"], batch_size=cfg.batch_size,
                    shuffle=bool(kw["shuffle"]), seed=int(kw["seed"]), **hyper)
        prepared.append((net, theta, cfg, info))
    groups: dict = {}
    for i, (net, _, cfg, info) in enumerate(prepared):
        # Linearized runs batch in parameter space (function space, chosen by hand, runs alone).
        batched = not cfg.record_D and (info["model"] == "network" or cfg.path != "function")
        key = _gpu_ensemble.group_key(net, cfg, info["model"], info["optimizer"]) if batched else ("one", i)
        groups.setdefault(key, []).append(i)
    results: list = [None] * len(prepared)
    bar = _Progress(progress, sum(p[2].max_steps for p in prepared), callback, "ensemble")
    try:
        for idx in groups.values():
            if len(idx) == 1:
                net, theta, cfg, info = prepared[idx[0]]
                outs = [_run(net, theta, Xc, Yc, Xt, cfg, bar, be, info["model"], info["optimizer"])]
            else:
                lays = [_gpu_api.layout(prepared[i][0]) for i in idx]
                model, optimizer = prepared[idx[0]][3]["model"], prepared[idx[0]][3]["optimizer"]
                need = _gpu_train.memory_estimate(lays[0], Xc.shape[0], 0 if Xt is None else Xt.shape[0],
                                                  prepared[idx[0]][2], model, optimizer, runs=len(idx))
                with device_memory(f"{len(idx)} stacked training runs ({model}, {optimizer}, P = {lays[0].P})",
                                   need):
                    outs = _gpu_ensemble.train_group(
                        be, lays, [prepared[i][1] for i in idx], Xc, Yc, Xt, [prepared[i][2] for i in idx],
                        optimizer=optimizer, model=model, progress=bar)
            for i, out in zip(idx, outs):
                net, _, cfg, info = prepared[i]
                results[i] = _result(net, out, cfg.lr, info, be)
    finally:
        bar.close()
    return results


@on_device
def gd_closed_form(net: MLP, params, X, Y, X_test, steps, lr: float | None = None) -> np.ndarray:
    """Test predictions of full-batch GD on the linearized model after t steps, for
    each t in ``steps`` (np.inf for the limit), shape (len(steps), N_test).

    With K = QΛQᵀ and u_t − Y = (1 − ηK/N)ᵗ(u₀ − Y):
        f_t(X_T) = f₀(X_T) + K(X_T, X) Q diag((1 − (1 − ηλ/N)ᵗ)/λ) Qᵀ (Y − f₀(X)),
    evaluated stably as −expm1(t·log1p(−ηλ/N))/λ (→ ηt/N as λ → 0) where ηλ/N < 1,
    and as a power of the negative factor where 1 ≤ ηλ/N (whole t); the limit t = ∞
    is f₀ + K(X_T, X)K⁻¹(Y − f₀(X)) (Nonnenmacher et al., Thm 1, linearized model).
    """
    theta, X, Y, Xt, be = _prepare(net, params, X, Y, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    if be is not None:
        # The eigendecomposition and the per-step formula on the host (N × N), the result back.
        host = gd_closed_form(net, be.xp.asnumpy(theta), be.xp.asnumpy(X), be.xp.asnumpy(Y),
                              be.xp.asnumpy(Xt), steps, lr)
        return be.xp.asarray(host)
    steps = np.atleast_1d(np.asarray(steps, dtype=np.float64))
    if np.any(steps < 0) or np.any(np.isnan(steps)):
        raise ValueError("steps: expected non-negative step counts (np.inf allowed)")
    N = X.shape[0]
    K = ntk(net, theta, X).astype(np.float64)
    Kt = ntk(net, theta, Xt, X).astype(np.float64)
    lr = default_lr(net, theta, X) if lr is None else positive(lr, "lr")
    lam, Q = np.linalg.eigh(K)
    a = lr * lam / N
    if np.any(a >= 2) and np.any(np.isinf(steps)):
        raise ValueError(f"lr: {lr} exceeds the stability limit 2N/λ_max = {2 * N / lam[-1]:.4g}; GD diverges")
    if lam[0] <= 0 and np.any(np.isinf(steps)):
        raise ValueError(f"X: the NTK Gram matrix is singular (λ_min = {lam[0]:.3e}); the t = ∞ limit "
                         "does not exist (duplicate inputs?)")
    r0 = Q.T @ (Y.astype(np.float64) - net.apply(theta, X).astype(np.float64))
    f0t = net.apply(theta, Xt).astype(np.float64)
    out = np.empty((len(steps), Xt.shape[0]))
    # Where ηλ/N ≥ 1 the factor 1 − ηλ/N is negative (GD oscillates in that direction,
    # converging while ηλ/N < 2): there (1 − ηλ/N)ᵗ is a power of a negative number,
    # defined for whole t only.
    oscillating = a >= 1
    finite = steps[np.isfinite(steps)]
    if oscillating.any() and np.any(finite != np.round(finite)):
        raise ValueError(f"steps: expected whole step counts when η·λ_max/N = {a.max():.3g} ≥ 1 "
                         "(the factor 1 − ηλ/N is negative)")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i, t in enumerate(steps):
            if np.isinf(t):
                g = 1.0 / lam
            else:
                smooth = -np.expm1(t * np.log1p(-np.where(oscillating, 0.0, a)))
                g = np.where(oscillating, 1.0 - np.power(1.0 - a, t), smooth) / lam
                g = np.where(np.abs(lam) > 1e-300, g, lr * t / N)
            out[i] = f0t + Kt @ (Q @ (g * r0))
    return out.astype(net.dtype)


@on_device
def find_lr(net: MLP, params, X, Y, *, optimizer: str, model: str = "network", steps: int = 50,
            lr_max: float = 10.0, factor: float = 2.0, lr_min: float = 1e-8, **hyper) -> float:
    """The largest η on the grid lr_max·factor⁻ᵏ for which the training loss decreases
    monotonically over the first ``steps`` full-batch steps (the rule of
    Nonnenmacher et al., App. D, for adaptive optimizers)."""
    theta, X, Y, _, be = _prepare(net, params, X, Y, None)
    lr = positive(lr_max, "lr_max")
    factor = positive(factor, "factor")
    if factor <= 1:
        raise ValueError(f"factor: expected a value > 1, got {factor}")
    while lr >= lr_min:
        cfg = _make_config(net, theta, X, Y, model=model, optimizer=optimizer, lr=lr, batch_size=None,
                           split_ratio=None, shuffle=False, seed=0, tol=1e-300, max_steps=steps,
                           record_every=1, record_D=False, path="auto", divergence_factor=1e8,
                           hyper=hyper)
        out = _run(net, theta, X, Y, None, cfg, None, be, model, optimizer)
        loss = out["history"]["train_loss"]
        if out["status"] != "diverged" and np.all(np.isfinite(loss)) and np.all(np.diff(loss) < 0):
            return lr
        lr /= factor
    raise ValueError(f"find_lr: no learning rate >= {lr_min} decreased the loss monotonically")


def batch_schedule(n: int, batch_size: int | None, steps: int, *, shuffle: bool = False, seed: int = 0
                   ) -> np.ndarray:
    """The rows each of the first ``steps`` steps uses, (steps, batch_size), −1 padding a
    short last batch — the exact order :func:`train` follows."""
    n = positive_int(n, "n")
    b = n if batch_size is None else positive_int(batch_size, "batch_size")
    if b > n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {n}, got {b}")
    return _core.batch_schedule(n, b, bool(shuffle), int(seed), positive_int(steps, "steps", 0))
