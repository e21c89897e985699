"""Argument handling shared by the theory modules."""
from __future__ import annotations

import numpy as np

from .._validate import to_host_matrix, to_host_vector
from ..model import MLP


def _net(net) -> MLP:
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    if net.outputs != 1:
        raise ValueError(f"net: fastntk.theory states the papers' results for scalar-output networks "
                         f"(widths[-1] = 1), not {net.outputs} outputs")
    return net


def _setup(net, params, X, X_test=None, *, test_name="X_test", required=False):
    """θ, X and the test (or validation) inputs, checked; ``required``: they must be given."""
    _net(net)
    theta = net.flatten(params)
    X = to_host_matrix(X, "X", net.dtype, net.input_dim)
    if X_test is None and required:
        raise ValueError(f"{test_name}: required (an array of shape (N_T, {net.input_dim}))")
    Xt = None if X_test is None else to_host_matrix(X_test, test_name, net.dtype, net.input_dim)
    return theta, X, Xt


def _labels(Y, n, name="Y"):
    return to_host_vector(Y, name, np.float64, n)


def _require_overparameterized(net, n):
    if net.num_params < n:
        raise ValueError(
            f"P = {net.num_params} < N = {n}: this is the underparameterized regime, where K = φφᵀ "
            "is singular; use theory.underparameterized_minimizer instead")
