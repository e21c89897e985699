"""The underparameterized regime P < N (paper 001, App. A): one minimizer for every
optimizer, and its ridge-regularized variant."""
from __future__ import annotations

import math

import numpy as np

from .._validate import choice, positive
from ..kernels import jacobian, jvp, ntk
from ..linalg import KernelSolver
from ..model import MLP
from ._common import _labels, _setup


def underparameterized_minimizer(net: MLP, params, X, Y, X_test) -> np.ndarray:
    """App. A: for P < N the linearized model has a unique minimizer,
    f₀(X_T) + φ(X_T)(φᵀφ)⁻¹φᵀ(Y − f₀(X)) — the same for every optimizer and D; with
    zero biases the initialization term cancels (Lemma 4), so it is φ(X_T)(φᵀφ)⁻¹φᵀY."""
    theta, X, Xt = _setup(net, params, X, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    Y = _labels(Y, X.shape[0])
    if net.num_params >= X.shape[0]:
        raise ValueError(f"P = {net.num_params} >= N = {X.shape[0]}: the minimizer is not unique in the "
                         "overparameterized regime; use theory.decompose")
    phi = jacobian(net, theta, X).astype(np.float64)
    delta, *_ = np.linalg.lstsq(phi, Y - net.apply(theta, X), rcond=None)
    return net.apply(theta, Xt).astype(np.float64) + jacobian(net, theta, Xt).astype(np.float64) @ delta


_RIDGE_MODELS = ("linearized", "linear")
_RIDGE_PENALTIES = ("weights", "displacement")
_RIDGE_VIA = ("features", "kernel")


def ridge_minimizer(net: MLP, params, X, Y, X_test, lam: float, *, model: str = "linearized",
                    penalty: str = "weights", via: str = "features") -> np.ndarray:
    """App. A's ridge variant (001): the test predictions, shape (N_T,) float64, of the unique
    minimizer of ½·mean((f(X; θ) − Y)²) + ½λ‖θ − c‖², λ > 0.

    ``model``: "linearized", f = f₀ + φ(θ − θ₀) (App. A's model), or "linear", f = φθ
    (Lemma 2's linear model in the features at θ₀). ``penalty``: "weights", c = 0 (λ‖θ‖²,
    App. A's "squared regularization term on the weights"), or "displacement", c = θ₀. The
    sentence's own formula is lost in the text fastntk works from; these are its readings. With
    b = f₀ − φθ₀ (linearized) or 0 (linear) and r = Y − b(X) − φc,

        f(x) = b(x) + φ(x)c + φ(x)(φᵀφ + NλI)⁻¹φᵀr = b(x) + φ(x)c + K(x, X)(K + NλI)⁻¹r,

    the first via="features" (least squares on [φ; √(Nλ)·I], no φᵀφ formed; P × P work, for
    P < N), the second via="kernel" (the NTK Gram K = φφᵀ, N × N, matrix-free in P). Only the
    linear model with c = 0 is free of θ₀ beyond φ; for a bias-free ReLU net f₀ = φθ₀/L, so the
    linearized model keeps a θ₀ term of order λ, −(1 − 1/L)·Nλφ(x)(φᵀφ + NλI)⁻¹θ₀ with
    penalty="weights" and +(1/L)·Nλφ(x)(φᵀφ + NλI)⁻¹θ₀ with "displacement"."""
    lam = positive(lam, "lam")
    model = choice(model, "model", _RIDGE_MODELS)
    penalty = choice(penalty, "penalty", _RIDGE_PENALTIES)
    via = choice(via, "via", _RIDGE_VIA)
    theta, X, Xt = _setup(net, params, X, X_test, required=True)
    n = X.shape[0]
    Y = _labels(Y, n)
    c = theta.astype(np.float64) if penalty == "displacement" else np.zeros(net.num_params)

    def offset(A):  # b(A) + φ(A)c
        if model == "linear":
            return jvp(net, theta, A, c).astype(np.float64)
        return net.apply(theta, A).astype(np.float64) + jvp(net, theta, A, c - theta).astype(np.float64)

    r = Y - offset(X)
    if via == "kernel":
        K = ntk(net, theta, X).astype(np.float64) + n * lam * np.eye(n)
        return offset(Xt) + ntk(net, theta, Xt, X).astype(np.float64) @ KernelSolver(K).solve(r)
    phi = jacobian(net, theta, X).astype(np.float64)
    aug = np.vstack([phi, math.sqrt(n * lam) * np.eye(net.num_params)])
    delta = np.linalg.lstsq(aug, np.concatenate([r, np.zeros(net.num_params)]), rcond=None)[0]
    return offset(Xt) + jacobian(net, theta, Xt).astype(np.float64) @ delta
