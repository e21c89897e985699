"""The settings of one training run: every default and every check, in one frozen
dataclass. Both backends read it; the C++ core receives it through one binding
function (``_core.train`` reads its fields by name).

The learning rate is a field like any other: choosing one (:func:`fastntk.default_lr`,
:func:`fastntk.find_lr`) happens before a configuration is made, never inside it.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from . import _core
from ._validate import MAX_INDEX, boolean, choice, integer, positive, real

# The names the core parses (its tables, cpp/include/fastntk/names.hpp and the enums'
# headers): one list for the checks here and for the core.
OPTIMIZERS = _core.OPTIMIZERS
ADAPTIVE = _core.ADAPTIVE
MODELS = _core.MODELS
LOSSES = _core.LOSSES
NETWORK_PATHS = _core.PATHS["network"]
LINEARIZED_PATHS = _core.PATHS["linearized"]
# PyTorch's optimizer hyper-parameters, by its names.
HYPER = ("momentum", "dampening", "nesterov", "eps", "alpha", "betas", "initial_accumulator_value",
         "lr_decay")
# PyTorch's eps defaults: 1e-10 for AdaGrad, 1e-8 for RMSprop and Adam.
_DEFAULT_EPS = {"adagrad": 1e-10}


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the model, the optimizer (PyTorch's update rules and
    hyper-parameter names), the batches, the stopping rule and the records.

    lr : η > 0 (required; see :func:`fastntk.default_lr`, :func:`fastntk.find_lr`).
    model : "network", or "linearized" (f_lin(x) = f₀(x) + φ₀(x)(θ − θ₀)).
    loss : "squared", (1/2N)‖f − Y‖² (summed over the k outputs), "logistic", the two-class
        cross-entropy (1/N)Σ log(1 + e^{−ỹ_i f_i}) with ỹ = ±1 (labels {0, 1} or ±1; per
        output), or "cross_entropy", the softmax over k ≥ 2 outputs, −(1/N)Σ_i log p_{i,y_i};
        ``tol`` applies to the loss in use.
    optimizer : "gd" (full batch), "sgd", "momentum", "adagrad", "rmsprop", "adam".
    batch_size : rows per step (None: all); shuffle : reshuffle them every epoch,
        with ``seed``.
    tol : stop when the full training loss first drops below it (the papers: 1e-5);
        max_steps : stop there otherwise.
    record_every : record every so many steps (and the last); records_per_decade : with
        n > 0 also at log-spaced steps, the first of each 1/n decade (0, 1, 2, 3, 4, 6, …, 64,
        80, 100, 126, … for n = 10) — a loss curve over many decades of steps in few records;
        record_D : keep D_t (000 Eq. (6)'s adaptive matrices, as P diagonals): True, of
        every update (updates × P); "ends", two rows (1 after one update): per coordinate
        D_t at the first update a gradient above eps had reached it (D_t < 1/(2·eps); before,
        D_t is eps's value 1/(√0 + eps), not the method's), and at the last update. AdaGrad's
        D_t falls monotonically per coordinate, so the two bound its whole path at the memory
        of two updates.
    path : the space a run is iterated in ("auto": the cheapest exact one; the network
        "direct" or "row-space", the linearization "function", "matrix-free" or
        "materialized"; docs/design.md §2).
    divergence_factor : a loss above factor·max(L₀, 1), or not finite, ends the run
        as "diverged".
    monotone : None (not checked), or δ ≥ 0: a full training loss above (1 + δ)× the least
        one known so far ends the run as "not monotone" — at full batch the loss is known
        every step, so δ = 0 ends it at any step's rise; with mini-batches it is read at the
        steps where the full loss is computed. A small δ > 0 (fastntk's experiments: 10⁻³)
        lets through the single-step blips of a ReLU net whose activation pattern changes.
    train_layers : the layers l = 1 … L whose W and b are trained (None: all).
    momentum, dampening, nesterov, eps, alpha, betas, initial_accumulator_value,
        lr_decay : PyTorch's hyper-parameters; eps None means PyTorch's default
        for the optimizer (1e-10 AdaGrad, 1e-8 the others), resolved here.
    progress_seconds : least time between two calls of the progress callback.
    """
    lr: float
    model: str = "network"
    optimizer: str = "gd"
    loss: str = "squared"
    batch_size: int | None = None
    shuffle: bool = False
    seed: int = 0
    tol: float = 1e-5
    max_steps: int = 100_000
    record_every: int = 100
    records_per_decade: int = 0
    record_D: bool | str = False
    path: str = "auto"
    divergence_factor: float = 1e8
    monotone: float | None = None
    train_layers: tuple | None = None
    momentum: float = 0.9
    dampening: float = 0.0
    nesterov: bool = False
    eps: float | None = None
    alpha: float = 0.99
    betas: tuple = (0.9, 0.999)
    initial_accumulator_value: float = 0.0
    lr_decay: float = 0.0
    progress_seconds: float = 0.2

    def __post_init__(self):
        put = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen: normalize once)
        choice(self.model, "model", MODELS)
        choice(self.optimizer, "optimizer", OPTIMIZERS)
        choice(self.loss, "loss", LOSSES)
        allowed = NETWORK_PATHS if self.model == "network" else LINEARIZED_PATHS
        if not isinstance(self.path, str) or self.path not in allowed:
            raise ValueError(f"path: expected one of {allowed} for model={self.model!r}, got {self.path!r}")
        _core.check_path(self.model, self.path, self.optimizer, True)  # which path is exact for what
        put("lr", positive(self.lr, "lr"))
        if self.batch_size is not None:
            put("batch_size", integer(self.batch_size, "batch_size", 1))
        put("shuffle", boolean(self.shuffle, "shuffle"))
        put("seed", integer(self.seed, "seed", 0, 2**64 - 1))
        put("tol", positive(self.tol, "tol"))
        put("max_steps", integer(self.max_steps, "max_steps", 0, MAX_INDEX))
        put("record_every", integer(self.record_every, "record_every", 1))
        put("records_per_decade", integer(self.records_per_decade, "records_per_decade", 0))
        if self.record_D != "ends":
            try:
                put("record_D", boolean(self.record_D, "record_D"))
            except TypeError:
                raise TypeError(f'record_D: expected True, False or "ends", got {self.record_D!r} '
                                f'({type(self.record_D).__name__})') from None
        put("divergence_factor", real(self.divergence_factor, "divergence_factor", 1.0))
        if self.monotone is not None:
            put("monotone", real(self.monotone, "monotone", 0.0))
        if self.train_layers is not None:
            given = self.train_layers
            if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
                given = [given]
            layers = tuple(sorted({integer(l, "train_layers", 1, 10**6) for l in given}))
            if not layers:
                raise ValueError("train_layers: expected a non-empty set of layer numbers, got none")
            put("train_layers", layers)
        # PyTorch's ranges, closed where PyTorch allows the end, and finite everywhere.
        put("momentum", real(self.momentum, "momentum", 0.0, 1.0))
        put("dampening", real(self.dampening, "dampening", 0.0, 1.0))
        put("nesterov", boolean(self.nesterov, "nesterov"))
        if self.nesterov and self.optimizer == "momentum" and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov: needs momentum > 0 and dampening = 0 (PyTorch's rule)")
        eps = _DEFAULT_EPS.get(self.optimizer, 1e-8) if self.eps is None else self.eps
        put("eps", positive(eps, "eps", allow_zero=True))
        put("alpha", real(self.alpha, "alpha", 0.0, 1.0, high_open=True))
        betas = self.betas
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"betas: expected two values in [0, 1), got {betas!r}")
        put("betas", tuple(real(b, "betas", 0.0, 1.0, high_open=True) for b in betas))
        put("initial_accumulator_value",
            positive(self.initial_accumulator_value, "initial_accumulator_value", allow_zero=True))
        put("lr_decay", positive(self.lr_decay, "lr_decay", allow_zero=True))
        put("progress_seconds", positive(self.progress_seconds, "progress_seconds", allow_zero=True))

    def check_problem(self, n: int, depth: int) -> None:
        """The checks that need the data's N and the network's depth L."""
        if self.batch_size is not None:
            if self.batch_size > n:
                raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {n}, got {self.batch_size}")
            if self.optimizer == "gd" and self.batch_size != n:
                raise ValueError("batch_size: optimizer 'gd' is full-batch; use optimizer='sgd' for mini-batches")
        if self.train_layers is not None and self.train_layers[-1] > depth:
            raise ValueError(f"train_layers: expected layer numbers 1 … {depth}, got {list(self.train_layers)}")
        if self.train_layers is not None:
            _core.check_path(self.model, self.path, self.optimizer, self.trains_every_layer(depth))

    def trains_every_layer(self, depth: int) -> bool:
        """Whether every layer 1 … depth trains (train_layers None or covering them all)."""
        return self.train_layers is None or set(range(1, depth + 1)) <= set(self.train_layers)

    @property
    def hyper(self) -> dict:
        """The optimizer hyper-parameters, by PyTorch's names."""
        return {k: getattr(self, k) for k in HYPER}

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)


FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


def make_config(n: int, depth: int, *, split_ratio=None, **settings) -> TrainConfig:
    """A TrainConfig from :func:`fastntk.train`'s keywords for data of N rows:
    ``split_ratio`` (a fraction of N per batch) becomes ``batch_size``; a keyword
    that is not a field is a TypeError that lists the fields."""
    unknown = set(settings) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown training setting(s) {sorted(unknown)}; expected TrainConfig's fields "
                        f"{list(FIELDS)} (optimizer hyper-parameters by PyTorch's names) or split_ratio")
    if split_ratio is not None:
        if settings.get("batch_size") is not None:
            raise ValueError("batch_size and split_ratio: give at most one")
        r = real(split_ratio, "split_ratio", 0.0, 1.0, low_open=True)
        settings["batch_size"] = max(1, math.ceil(r * n))
    cfg = TrainConfig(**settings)
    cfg.check_problem(n, depth)
    return cfg
