"""Training dynamics of the network and of its linearization (docs/design.md §1–2).

Loss L(θ) = (1/2N)‖f(X) − Y‖² over the N samples and the k outputs (or the logistic or
softmax cross-entropy), update θ_{t+1} = θ_t − η D_t g_t with g_t the gradient on the
batch B_t; optimizers follow PyTorch's documented update rules.
A whole run is one call into a backend: no Python work per step on the CPU.
The settings of a run are a frozen :class:`~fastntk.TrainConfig`; a learning rate
left open is chosen here (:func:`default_lr`, :func:`find_lr`) before it is made. GD's
closed form, :func:`~fastntk.predict.gd_closed_form`, lives beside
the other closed-form predictors in :mod:`fastntk.predict` (``fastntk.dynamics.gd_closed_form``
is the same function).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import _core
from ._arrays import to_host
from ._dispatch import backend_for, on_device
from ._optional import require
from ._validate import boolean, callback_or_none, check_fits, integer, nbytes, positive, positive_int
from .config import ADAPTIVE, HYPER, TrainConfig, make_config
from .model import MLP, _net
from ._interrupt import interruptible, lapack_is_long
from .linalg import gd_rate
from .predict import _block_rows, gd_closed_form  # noqa: F401 (gd_closed_form re-exported: fastntk.dynamics' name)


@dataclass
class TrainResult:
    """The outcome of one run.

    params : final [W1, b1, …] (for the linearized model, θ₀ + (θ_t − θ₀)).
    theta : the same as a flat θ (P,).
    steps : number of updates done.
    status : "converged" (loss < tol), "max_steps", "diverged", "not monotone" (with
        ``monotone``: the full training loss rose above its least so far) or "interrupted".
    history : dict of arrays over the recorded steps: step, train_loss,
        param_distance (‖θ_t − θ₀‖), max_unit_movement (max_r ‖W¹_r(t) − W¹_r(0)‖),
        effective_lr (mean of η·D_t), test_pred (records × N_test) when X_test
        was given, and D when record_D (updates × P, D_t of every update; with
        record_D="ends" 2 × P: per coordinate its D_t at the first update a gradient above
        eps reached it, and at the last; see :class:`~fastntk.TrainConfig`).
    lr : the learning rate used; path : the space the run was iterated in ("direct" or
        "row-space" for the network, "function", "matrix-free" or "materialized" for
        the linearization); config : the run's :class:`~fastntk.TrainConfig`.
    max_climb : the largest relative climb of the full training loss above its least so
        far, max_t L_t / min_{s<t} L_s − 1, over the steps where it was known (every step at
        full batch): 0 for a loss that never rose — how far from monotone the run was,
        measured whether or not ``monotone`` stopped it.
    """
    params: list
    theta: np.ndarray
    steps: int
    status: str
    history: dict
    lr: float
    path: str
    config: TrainConfig
    max_climb: float = 0.0


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run: it ended with status "interrupted" and what it recorded,
    which is kept here (``result`` for train, ``results`` for train_many: finished and
    stopped runs alike), and the interrupt goes on, so that loops of runs stop too."""

    def __init__(self, result=None, results=None):
        super().__init__("interrupted: the run's records are in .result (train_many: .results)")
        self.result, self.results = result, results


def _reraise_signal(outs, results):
    """The exception a signal handler raised during the runs (Ctrl-C: KeyboardInterrupt),
    raised again now that their results exist."""
    error = next((o["signal_error"] for o in outs if o.get("signal_error") is not None), None)
    if error is None:
        return
    if isinstance(error, KeyboardInterrupt):
        raise TrainingInterrupted(results[0] if len(results) == 1 else None, results)
    raise error


def _targets(net, Y, loss):
    """Y as the loss reads it: for the cross-entropy of a k-output network, integer class
    labels (N,) (neural-tangents' and PyTorch's form) become one-hot rows (N, k)."""
    if loss != "cross_entropy" or net.outputs < 2 or np.ndim(Y) != 1:
        return Y
    y = np.asarray(to_host(Y))
    if y.dtype.kind not in "iuf" or y.size and not (np.all(y == np.round(y)) and y.min() >= 0
                                                     and y.max() < net.outputs):
        raise ValueError(f"Y: the cross_entropy loss takes class labels 0 … {net.outputs - 1} of shape (N,) or "
                         f"one-hot rows (N, {net.outputs}), got values {np.unique(y)[:5]}")
    return np.eye(net.outputs, dtype=net.dtype)[y.astype(np.int64)]


def _check_targets(net, loss, Y):
    """The targets a classification loss needs, checked once its Y is in place."""
    if loss == "logistic":
        labels = set(np.unique(to_host(Y)).tolist())
        if not (labels <= {0.0, 1.0} or labels <= {-1.0, 1.0}):
            raise ValueError(f"Y: the logistic loss takes two-class labels {{0, 1}} or {{-1, 1}}, got values "
                             f"{sorted(labels)[:5]}")
    if loss == "cross_entropy":
        if net.outputs < 2:
            raise ValueError("loss: 'cross_entropy' is the softmax over k >= 2 outputs; a one-output network trains "
                             "with 'logistic' (two classes) or 'squared'")
        Y = to_host(Y)
        if Y.ndim != 2 or np.any(Y < 0) or not np.allclose(Y.sum(axis=1), 1.0, rtol=0, atol=1e-6):
            raise ValueError("Y: the cross_entropy loss takes one-hot rows (N, k) or class probabilities (rows ≥ 0 "
                             "summing to 1), or class labels (N,)")


def _loss_of(config, settings):
    return settings.get("loss", getattr(config, "loss", None))


@on_device
def default_lr(net: MLP, params, X) -> float:
    """η = 1.9·N/λ_max(K): just inside GD's stability limit 2N/λ_max for the loss (1/2N)‖f − Y‖²
    (with k outputs, K is the (N·k × N·k) block kernel)."""
    net = _net(net)
    be = backend_for(params=params, X=X)
    K = _block_rows(net, params, X)
    eig = lambda: be.xp.linalg.eigvalsh(K.astype(np.float64))  # noqa: E731
    lam = float((interruptible(eig) if lapack_is_long(K.shape[0]) else eig())[-1])
    if not lam > 0:
        raise ValueError("X: the NTK Gram matrix has no positive eigenvalue; cannot pick a learning rate")
    return gd_rate(K.shape[0] // net.outputs, lam)


def _configure(be, net, problem, config, lr, split_ratio, settings) -> TrainConfig:
    """The run's frozen configuration from ``config`` and keyword settings (these win);
    with no learning rate given, it is chosen first — η = 1.9·N/λ_max for gd, sgd and
    momentum, :func:`find_lr`'s rule for the adaptive optimizers — from checked settings."""
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(f"config: expected a fastntk.TrainConfig, got {type(config).__name__}")
    fields = {} if config is None else {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    fields.update(settings)
    if lr is not None:
        fields["lr"] = lr
    n = problem.X.shape[0]
    _check_targets(net, fields.get("loss"), problem.Y)
    if fields.get("lr") is not None:
        return make_config(n, net.depth, split_ratio=split_ratio, **fields)
    checked = make_config(n, net.depth, split_ratio=split_ratio, **dict(fields, lr=1.0))
    if checked.optimizer in ADAPTIVE:
        chosen = _find_lr(be, net, problem, checked)
    else:
        chosen = default_lr(net, problem.theta, problem.X)
    return checked.replace(lr=chosen)


class _Progress:
    """A tqdm bar over steps (optional) and the user's callback, called from the loop."""

    def __init__(self, show: bool, total: int, callback: Callable | None, desc: str):
        self.callback = callback
        self.bar = None
        if show:
            tqdm = require("tqdm.auto", "progress=True").tqdm
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


def _result(net, out, cfg) -> TrainResult:
    theta = out["theta"]
    return TrainResult(params=net.unflatten(theta), theta=theta, steps=int(out["steps"]), status=out["status"],
                       history=dict(out["history"]), lr=cfg.lr, path=out["path"], config=cfg,
                       max_climb=float(out["max_climb"]))


@on_device
def train(net: MLP, params, X, Y, *, X_test=None, config: TrainConfig | None = None, lr: float | None = None,
          split_ratio: float | None = None, progress: bool = False,
          callback: Callable[[int, float], Any] | None = None, **settings) -> TrainResult:
    """Train the network (model="network") or its linearization around θ₀
    (model="linearized", f_lin(x) = f₀(x) + φ₀(x)(θ − θ₀)) on (X, Y).

    X : (N, d); Y : (N,) or (N, 1) for one output, (N, k) for k (squared and logistic
        losses per output), or for ``loss="cross_entropy"`` (softmax over k ≥ 2 outputs)
        class labels (N,) or one-hot rows (N, k); X_test : (N_test, d) or None (its
        predictions are recorded as (records, N_test) or (records, N_test, k)).
    config : a :class:`~fastntk.TrainConfig`; ``settings`` are any of its fields
        as keywords (they override ``config``): model, optimizer ("gd" full batch,
        "sgd", "momentum", "adagrad", "rmsprop", "adam"), batch_size, shuffle, seed,
        tol, max_steps, record_every, records_per_decade, record_D, path, divergence_factor, monotone,
        train_layers
        and PyTorch's hyper-parameters (momentum, dampening, nesterov, eps, alpha,
        betas, initial_accumulator_value, lr_decay); their defaults and checks are
        TrainConfig's.
    lr : None picks η = 1.9·N/λ_max(K) for gd/sgd/momentum and :func:`find_lr` for the
        adaptive ones, before the configuration is made.
    split_ratio : a batch of ⌈ratio·N⌉ rows (instead of batch_size).
    Stops when the full training loss first drops below ``tol`` (the papers use 1e-5),
    at ``max_steps``, on divergence (status "diverged", nothing raised), or, with
    ``monotone`` = δ, when the full training loss first rises above (1 + δ)× its least
    so far ("not monotone"). Records
    every ``record_every`` steps and at the last one, and with ``records_per_decade`` = n
    also at log-spaced steps (the first of each 1/n decade): a loss curve over 10⁶ steps
    in about 6n records. ``path`` picks the space a run is
    iterated in, "auto" the cheapest exact one. The network: "direct", or "row-space"
    for gd, sgd and momentum, whose first-layer updates all lie in the row space of X:
    W¹(t) = W¹(0) + C(t)X, so the first layer costs N²·m₁ a step instead of N·d·m₁
    (docs/design.md §1; auto takes it when N < d; equal to the direct path to rounding).
    The linearization: "function" (D = 1, O(N²) per step), "matrix-free" (parameter
    space, φ₀v and φ₀ᵀr from the cached θ₀ activations and backward vectors, N·P flops
    each) or "materialized" (parameter space over φ₀ itself, for small N·P).
    ``train_layers`` (e.g. [1]) trains only those layers' W and b (numbered 1 … L), the
    others stay at θ₀ (004 trains only the hidden layer); effective_lr is then the mean
    of η·D_t over the trained parameters. Ctrl-C ends the run with status
    "interrupted" and what it recorded, and raises :class:`TrainingInterrupted` (a
    KeyboardInterrupt) holding that result; a ``callback`` that returns False ends it
    with the same status and no exception.
    """
    net = _net(net)
    progress, callback = boolean(progress, "progress"), callback_or_none(callback, "callback")
    be = backend_for(params=params, X=X, Y=Y, X_test=X_test)
    problem = be.problem(net, params, X, _targets(net, Y, _loss_of(config, settings)), X_test)
    cfg = _configure(be, net, problem, config, lr, split_ratio, settings)
    bar = _Progress(progress, cfg.max_steps, callback, f"{cfg.model} {cfg.optimizer}")
    try:
        out = be.train(net, problem, cfg, bar)
    finally:
        bar.close()
    result = _result(net, out, cfg)
    _reraise_signal([out], [result])
    return result


@on_device
def train_many(runs: Sequence[dict], X, Y, *, X_test=None, progress: bool = False,
               callback: Callable | None = None) -> list[TrainResult]:
    """Train independent runs on the same data side by side, in one call.

    Each run is a dict with ``net`` and ``params`` and any keyword of :func:`train`
    (config, lr, split_ratio, model, optimizer, batch_size, …). All nets must share the
    dtype and input dimension (σ, widths, optimizers may differ). On the CPU the runs
    are spread over the cores, each one's products single-threaded. With CuPy arrays,
    runs that differ only in σ, θ₀ and lr are stacked and trained as one batch on the
    GPU (batched cuBLAS products, one host read per step for all of them), the others
    one group after another. Returns one TrainResult per run, in order.
    """
    if isinstance(runs, (str, bytes, dict)) or not hasattr(runs, "__iter__"):
        raise TypeError(f"runs: expected a sequence of dicts (net, params and train's keywords), got {runs!r}")
    runs = list(runs)
    progress, callback = boolean(progress, "progress"), callback_or_none(callback, "callback")
    if not runs:
        raise ValueError("runs: expected at least one run (a dict with 'net', 'params' and train's keywords)")
    be = backend_for(X=X, Y=Y, X_test=X_test)
    dtype = d = None
    nets, thetas, cfgs, problem = [], [], [], None
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise TypeError(f"runs[{i}]: expected a dict with 'net', 'params' and train's keywords, got {run!r}")
        run = dict(run)
        if "net" not in run or "params" not in run:
            raise ValueError(f"runs[{i}]: expected a dict with 'net' and 'params', got keys {sorted(run)}")
        try:
            net = _net(run.pop("net"))
        except TypeError as e:
            raise TypeError(f"runs[{i}].{e}") from None
        params = run.pop("params")
        if backend_for(params=params, X=X) is not be:
            raise TypeError(f"runs[{i}].params: expected arrays of the same kind as X")
        if dtype is None:
            dtype, d = net.dtype, net.input_dim
        elif net.dtype != dtype:
            raise TypeError(f"runs[{i}].net: every run must have dtype {np.dtype(dtype).name}")
        elif net.input_dim != d:
            raise ValueError(f"runs[{i}].net: every run must have runs[0]'s input dimension d = {d}, got "
                             f"{net.input_dim}")
        config = run.pop("config", None)
        problem = be.problem(net, params, X, _targets(net, Y, _loss_of(config, run)), X_test)
        cfg = _configure(be, net, problem, config, run.pop("lr", None), run.pop("split_ratio", None), run)
        nets.append(net)
        thetas.append(problem.theta)
        cfgs.append(cfg)
    bar = _Progress(progress, sum(c.max_steps for c in cfgs), callback, "ensemble")
    try:
        outs = be.train_many(nets, thetas, cfgs, problem, bar)
    finally:
        bar.close()
    results = [_result(n, o, c) for n, o, c in zip(nets, outs, cfgs)]
    _reraise_signal(outs, results)
    return results


# The run's settings find_lr probes with, beside the optimizer's hyper-parameters.
_PROBED = ("train_layers", "path", "batch_size", "shuffle", "seed")
# What a run keeps, which a probe keeps nothing of: checked and then unused (the probe sets it
# off), so that one set of settings serves find_lr and train alike.
_RECORDED = ("record_D",)
# find_lr's grid and probe, once: its signature and train's choice of η (no lr given) read them.
FIND_LR_STEPS, FIND_LR_MAX, FIND_LR_FACTOR, FIND_LR_MIN = 50, 10.0, 2.0, 1e-8


@on_device
def find_lr(net: MLP, params, X, Y, *, optimizer: str, model: str = "network", loss: str = "squared",
            steps: int = FIND_LR_STEPS, lr_max: float = FIND_LR_MAX, factor: float = FIND_LR_FACTOR,
            lr_min: float = FIND_LR_MIN, **hyper) -> float:
    """The largest η on the grid lr_max·factorᵏ (k ∈ ℤ) for which the training loss
    decreases monotonically over the first ``steps`` steps (the rule of Nonnenmacher et
    al., App. D, for adaptive optimizers; full batch unless ``batch_size`` is given). The
    search starts at lr_max and goes down; when lr_max itself passes it goes up until a
    rate fails, so the answer always has a failing rate one grid step above it.
    ``hyper``: the optimizer's hyper-parameters (PyTorch's names) and the run's
    ``train_layers``, ``path``, ``batch_size``, ``shuffle``, ``seed``, as :func:`train`
    takes them (``record_D`` too, unused: the probe records nothing)."""
    net = _net(net)
    unknown = set(hyper) - set(HYPER) - set(_PROBED) - set(_RECORDED)
    if unknown:
        raise TypeError(f"unknown setting(s) {sorted(unknown)}; expected PyTorch's hyper-parameter names "
                        f"{list(HYPER)} or {list(_PROBED)}")
    be = backend_for(params=params, X=X, Y=Y)
    problem = be.problem(net, params, X, _targets(net, Y, loss), None)
    _check_targets(net, loss, problem.Y)
    cfg = make_config(problem.X.shape[0], net.depth, lr=1.0, model=model, optimizer=optimizer, loss=loss, **hyper)
    return _find_lr(be, net, problem, cfg, steps=steps, lr_max=lr_max, factor=factor, lr_min=lr_min)


_FIND_LR_EXTEND = 40  # factor⁴⁰ above lr_max (2⁴⁰ ≈ 10¹²): beyond it the loss has no stability edge


def _find_lr(be, net, problem, cfg, *, steps=FIND_LR_STEPS, lr_max=FIND_LR_MAX, factor=FIND_LR_FACTOR,
             lr_min=FIND_LR_MIN) -> float:
    """find_lr's search with the run's own ``cfg`` — model, optimizer, loss, hyper-parameters,
    trained layers, path and batches — probing ``steps`` steps of it per rate."""
    lr = positive(lr_max, "lr_max")
    lr_min = positive(lr_min, "lr_min")
    if lr_min > lr:
        raise ValueError(f"lr_min: expected a rate <= lr_max = {lr:g}, got {lr_min:g}")
    factor = positive(factor, "factor")
    if factor <= 1:
        raise ValueError(f"factor: expected a value > 1, got {factor}")
    steps = positive_int(steps, "steps")
    probe = cfg.replace(lr=lr, tol=1e-300, max_steps=steps, record_every=1, record_D=False)

    def decreases(rate):
        out = be.train(net, problem, probe.replace(lr=rate), None)
        _reraise_signal([out], [None])
        loss = out["history"]["train_loss"]
        return out["status"] != "diverged" and bool(np.all(np.isfinite(loss)) and np.all(np.diff(loss) < 0))

    if decreases(lr):
        # lr_max passed: the grid is extended upwards until a rate fails, so the rate
        # returned is never the grid's edge (a rate at the edge is a degenerate run).
        for _ in range(_FIND_LR_EXTEND):
            if not decreases(lr * factor):
                return lr
            lr *= factor
        raise ValueError(f"find_lr: every rate up to {lr:.3g} decreased the loss monotonically; the problem "
                         "has no stability edge on this grid")
    while lr >= lr_min:
        lr /= factor
        if lr >= lr_min and decreases(lr):
            return lr
    raise ValueError(f"find_lr: no learning rate >= {lr_min} decreased the loss monotonically")


def batch_schedule(n: int, batch_size: int | None, steps: int, *, shuffle: bool = False, seed: int = 0
                   ) -> np.ndarray:
    """The rows each of the first ``steps`` steps uses, (steps, batch_size), −1 padding a
    short last batch — the exact order :func:`train` follows."""
    n = positive_int(n, "n")
    b = n if batch_size is None else positive_int(batch_size, "batch_size")
    if b > n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {n}, got {b}")
    steps = positive_int(steps, "steps", 0)
    check_fits(nbytes(steps, b), f"batch_schedule of {steps} steps × {b} rows")
    return _core.batch_schedule(n, b, boolean(shuffle, "shuffle"), integer(seed, "seed", 0, 2**64 - 1), steps)
