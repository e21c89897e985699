"""Sankararaman, De, Xu, Huang, Goldstein, "The impact of neural network
overparameterization on gradient confusion and SGD" (paper 003): gradient confusion
of per-sample and mini-batch gradients, at initialization and along training."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import choice, integer, positive, positive_int
from ..config import TrainConfig
from ..dynamics import default_lr, train
from ..kernels import ntk
from ..model import MLP
from ._common import _labels, _net, _setup

CONFUSION_LOSSES = ("squared", "logistic")  # the per-sample losses whose gradients are r_i φ(x_i)


@dataclass
class GradientConfusion:
    """Pairwise statistics of per-sample (or mini-batch) loss gradients (paper 003)."""
    inner: np.ndarray          # ⟨∇ℓ_i, ∇ℓ_j⟩, N × N
    cosine: np.ndarray         # their cosines (0 where a gradient vanishes)
    min_cosine: float          # min over i ≠ j: the confusion bound of Def. 2.1 in cosine form
    mean_cosine: float         # mean over i ≠ j
    min_inner: float           # min over i ≠ j of ⟨∇ℓ_i, ∇ℓ_j⟩ (−η in Def. 2.1)
    batch_inner: np.ndarray | None = None
    batch_cosine: np.ndarray | None = None
    batch_min_cosine: float | None = None
    batch_mean_cosine: float | None = None

    def offdiagonal_cosines(self, batches: bool = False) -> np.ndarray:
        c = self.batch_cosine if batches else self.cosine
        return c[~np.eye(c.shape[0], dtype=bool)]


def _pair_stats(inner):
    norms = np.sqrt(np.maximum(np.diag(inner), 0.0))
    denom = np.outer(norms, norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(denom > 0, inner / denom, 0.0)
    off = ~np.eye(inner.shape[0], dtype=bool)
    if off.any():
        return cos, float(cos[off].min()), float(cos[off].mean()), float(inner[off].min())
    return cos, float("nan"), float("nan"), float("nan")


def strategy41_params(net: MLP, kappa: float = 0.5, seed: int = 0) -> list:
    """Sankararaman et al.'s Strategy 4.1 initialization for a ``standard``-parametrized
    net: W¹ ~ N(0, 1/d), W^p ~ N(0, 1/(κ m_{p−1})) for p ≥ 2, zero biases (κ = 1/2 is He
    initialization for ReLU, κ = 1 the usual choice for tanh)."""
    _net(net)
    if net.parametrization != "standard":
        raise ValueError("net: Strategy 4.1 is an initialization of the 'standard' parametrization")
    kappa = positive(kappa, "kappa")
    seed = integer(seed, "seed", 0, 2**64 - 1)
    rng = np.random.default_rng(seed)
    params = []
    for l in range(1, net.depth + 1):
        m, mp = net.widths[l], net.widths[l - 1]
        var = 1.0 / mp if l == 1 else 1.0 / (kappa * mp)
        params.append((rng.standard_normal((m, mp)) * math.sqrt(var)).astype(net.dtype))
        if net.has_bias:
            params.append(np.zeros(m, net.dtype))
    return params


def gradient_confusion(net: MLP, params, X, Y, *, loss: str = "squared", batch_size: int | None = None,
                       num_batches: int = 32, seed: int = 0) -> GradientConfusion:
    """All pairwise inner products of per-sample loss gradients from the Gram matrix:
    ∇ℓ_i = r_i φ(x_i), so ⟨∇ℓ_i, ∇ℓ_j⟩ = r_i r_j K_ij, without materializing gradients.

    loss="squared": ℓ_i = ½(f_i − y_i)², r_i = f_i − y_i; loss="logistic": labels
    {0, 1} (or ±1) as ỹ = ±1, ℓ_i = log(1 + e^{−ỹ_i f_i}), r_i = −ỹ_i/(1 + e^{ỹ_i f_i}).
    With batch_size, also ``num_batches`` random mini-batches B (drawn without
    replacement, seeded): ⟨g_B, g_B′⟩ = r_Bᵀ K_{BB′} r_{B′}/(|B||B′|).
    """
    theta, X, _ = _setup(net, params, X)
    choice(loss, "loss", CONFUSION_LOSSES)
    seed = integer(seed, "seed", 0, 2**64 - 1)
    num_batches = integer(num_batches, "num_batches", 1, 10**6)
    Y = _labels(Y, X.shape[0])
    f = net.apply(theta, X).astype(np.float64)
    if loss == "squared":
        r = f - Y
    elif loss == "logistic":
        s = np.where(Y > 0, 1.0, -1.0)
        r = -s / (1.0 + np.exp(np.clip(s * f, -700, 700)))
    else:
        raise ValueError(f"loss: expected 'squared' or 'logistic', got {loss!r}")
    K = ntk(net, theta, X).astype(np.float64)
    inner = r[:, None] * K * r[None, :]
    cos, mn, mean, mi = _pair_stats(inner)
    out = GradientConfusion(inner=inner, cosine=cos, min_cosine=mn, mean_cosine=mean, min_inner=mi)
    if batch_size is not None:
        b = positive_int(batch_size, "batch_size")
        if b > X.shape[0]:
            raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {X.shape[0]}, got {b}")
        nb = positive_int(num_batches, "num_batches")
        rng = np.random.default_rng(seed)
        S = np.zeros((nb, X.shape[0]))
        for k in range(nb):
            rows = rng.choice(X.shape[0], size=b, replace=False)
            S[k, rows] = r[rows] / b
        binner = S @ K @ S.T
        bcos, bmn, bmean, _ = _pair_stats(binner)
        out.batch_inner, out.batch_cosine = binner, bcos
        out.batch_min_cosine, out.batch_mean_cosine = bmn, bmean
    return out


def gradient_confusion_along_training(net: MLP, params, X, Y, checkpoints, *, lr: float | None = None,
                                      loss: str = TrainConfig.loss, batch_size: int | None = None,
                                      model: str = TrainConfig.model, seed: int = 0) -> list:
    """Gradient confusion at θ_t for each t in ``checkpoints`` (increasing step counts)
    along one full-batch GD run on the same ``loss``: GD keeps no state besides θ, so
    training in segments between checkpoints is the same run. ``batch_size`` and ``seed``
    are the mini-batches of :func:`gradient_confusion`. Returns [(t, GradientConfusion), …]."""
    _net(net)
    if isinstance(checkpoints, (str, bytes)) or not hasattr(checkpoints, "__iter__"):
        raise TypeError(f"checkpoints: expected a sequence of step counts, got {checkpoints!r}")
    steps = [integer(t, "checkpoints", 0) for t in checkpoints]
    if not steps or steps != sorted(steps):
        raise ValueError(f"checkpoints: expected increasing step counts >= 0, got {list(checkpoints)}")
    theta, X, _ = _setup(net, params, X)
    choice(loss, "loss", CONFUSION_LOSSES)  # before any training
    lr = default_lr(net, theta, X) if lr is None else positive(lr, "lr")
    out, done, current = [], 0, theta
    for t in steps:
        if t > done:
            res = train(net, current, X, Y, model=model, loss=loss, optimizer="gd", lr=lr, max_steps=t - done,
                        tol=1e-300, record_every=t - done)
            if res.status != "max_steps":
                raise RuntimeError(f"gradient_confusion_along_training: the GD run stopped early ({res.status}) "
                                   f"at step {done + res.steps}")
            current, done = res.theta, t
        out.append((t, gradient_confusion(net, current, X, Y, loss=loss, batch_size=batch_size, seed=seed)))
    return out
