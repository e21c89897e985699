"""The underparameterized regime P < N (paper 001, App. A): one minimizer for every
optimizer."""
from __future__ import annotations

import numpy as np

from ..kernels import jacobian
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
