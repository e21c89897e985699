"""Training the last layer only (paper 002, "Wide neural networks are interpolating
kernel methods", Thm 1): the last-layer kernel and its minimizer."""
from __future__ import annotations

import numpy as np

from ..kernels import adaptive_ntk
from ..linalg import KernelSolver
from ..model import MLP
from ._common import _labels, _net, _setup


def _last_layer_mask(net: MLP) -> np.ndarray:
    d = np.zeros(net.num_params, net.dtype)
    d[net.layout.weight_offset[net.depth]:] = 1
    return d


def last_layer_kernel(net: MLP, params, X1, X2=None) -> np.ndarray:
    """The kernel of the last-layer features (paper 002, Thm 1):
    K_last(x, x′) = c_L² a^{L−1}(x)·a^{L−1}(x′) + β_L², i.e. φ D φᵀ with D the
    indicator of (W^L, b^L)."""
    _net(net)
    return adaptive_ntk(net, params, X1, X2, d=_last_layer_mask(net))


def last_layer_minimizer(net: MLP, params, X, Y, X_test, *, pinv: bool = False) -> np.ndarray:
    """Training only the last layer from W^L = 0 (and b^L = 0) converges to the
    interpolator K_last(X_T, X) K_last⁻¹ Y (paper 002, Thm 1)."""
    theta, X, Xt = _setup(net, params, X, X_test, required=True)
    Y = _labels(Y, X.shape[0])
    solver = KernelSolver(last_layer_kernel(net, theta, X), pinv=pinv)
    return last_layer_kernel(net, theta, Xt, X).astype(np.float64) @ solver.solve(Y)
