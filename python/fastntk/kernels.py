"""Per-sample Jacobians, NTK Gram matrices and matrix-free products (docs/design.md §2).

All take the network, its parameters (a list [W1, b1, …] or the flat θ) and
inputs of shape (N, d) in the network's dtype (other real dtypes are converted).
With CuPy arrays (all of them on one GPU, in the network's dtype) they run on the
GPU and return CuPy arrays (issue #4).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from . import _core
from ._gpu import api as _gpu_api
from ._gpu import gpu_backend, placement
from ._validate import as_matrix, as_vector, check_fits, positive_int
from .model import MLP


def _net(net) -> MLP:
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    return net


def _prepare(net: MLP, params, X, name="X"):
    return _net(net).flatten(params), as_matrix(X, name, net.dtype, net.input_dim)


def ntk(net: MLP, params, X1, X2=None, *, tile: int = 2048) -> np.ndarray:
    """The empirical NTK K(X1, X2) = φ(X1) φ(X2)ᵀ, shape (N1, N2), by the structured formula

        K(X, X′) = Σ_l (Δˡ Δ′ˡᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²)      (docs/design.md §2)

    never through φ. X2=None means X1 (symmetric product, SYRK). Blocks of
    ``tile`` rows and columns keep the temporaries at 2·tile² entries; the
    network's activations cost O((N1 + N2)·Σ m_l).
    """
    tile = positive_int(tile, "tile")
    if placement(params=params, X1=X1, X2=X2) == "gpu":
        return _gpu_api.ntk(gpu_backend(), _net(net), params, X1, X2, tile)
    theta, X1 = _prepare(net, params, X1, "X1")
    X2 = None if X2 is None else as_matrix(X2, "X2", net.dtype, net.input_dim)
    n1, n2 = X1.shape[0], (X1 if X2 is None else X2).shape[0]
    item = np.dtype(net.dtype).itemsize
    hidden = sum(net.widths[1:])
    check_fits(item * (n1 * n2 + 2 * (n1 + n2) * (hidden + net.input_dim) + 2 * tile * tile),
               f"ntk of shape ({n1}, {n2})")
    return _core.ntk(net._spec, theta, X1, X2, tile)


def jacobian(net: MLP, params, X) -> np.ndarray:
    """φ(X) = ∂f(X)/∂θ, shape (N, P), columns in the order of θ."""
    if placement(params=params, X=X) == "gpu":
        return _gpu_api.jacobian(gpu_backend(), _net(net), params, X)
    theta, X = _prepare(net, params, X)
    check_fits(np.dtype(net.dtype).itemsize * X.shape[0] * net.num_params,
               f"jacobian of shape ({X.shape[0]}, {net.num_params})")
    return _core.jacobian(net._spec, theta, X)


def jacobian_chunks(net: MLP, params, X, *, max_bytes: int = 256 * 2**20
                    ) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (rows, φ(X[rows])) with each chunk at most ``max_bytes`` (at least one row)."""
    if placement(params=params, X=X) == "gpu":
        rows = max(1, int(max_bytes) // (np.dtype(net.dtype).itemsize * net.num_params))
        for start in range(0, X.shape[0], rows):
            sl = slice(start, min(X.shape[0], start + rows))
            yield sl, _gpu_api.jacobian(gpu_backend(), _net(net), params, X[sl])
        return
    theta, X = _prepare(net, params, X)
    rows = max(1, int(max_bytes) // (np.dtype(net.dtype).itemsize * net.num_params))
    for start in range(0, X.shape[0], rows):
        sl = slice(start, min(X.shape[0], start + rows))
        yield sl, _core.jacobian(net._spec, theta, X[sl])


def jvp(net: MLP, params, X, v) -> np.ndarray:
    """φ(X) v, shape (N,), for a parameter-space direction v of shape (P,): one tangent pass."""
    if placement(params=params, X=X, v=v) == "gpu":
        return _gpu_api.jvp(gpu_backend(), _net(net), params, X, v)
    theta, X = _prepare(net, params, X)
    v = as_vector(v, "v", net.dtype, net.num_params)
    return _core.jvp(net._spec, theta, X, v)


def vjp(net: MLP, params, X, r) -> np.ndarray:
    """φ(X)ᵀ r, shape (P,), for r of shape (N,): one cotangent (backward) pass."""
    if placement(params=params, X=X, r=r) == "gpu":
        return _gpu_api.vjp(gpu_backend(), _net(net), params, X, r)
    theta, X = _prepare(net, params, X)
    r = as_vector(r, "r", net.dtype, X.shape[0])
    return _core.vjp(net._spec, theta, X, r)


def adaptive_ntk(net: MLP, params, X1, X2=None, *, d, max_bytes: int = 256 * 2**20) -> np.ndarray:
    """K_D(X1, X2) = φ(X1) diag(d) φ(X2)ᵀ, shape (N1, N2), for a diagonal d of shape (P,).

    The kernel of adaptive optimizers with a fixed preconditioner (Nonnenmacher
    et al., Thm 3 and Example 1). No Hadamard shortcut exists for a general d, so
    it is computed from row chunks of φ of at most ``max_bytes`` each.
    """
    if placement(params=params, X1=X1, X2=X2, d=d) == "gpu":
        return _gpu_api.adaptive_ntk(gpu_backend(), _net(net), params, X1, X2, d=d, max_bytes=max_bytes)
    theta, X1 = _prepare(net, params, X1, "X1")
    X2 = None if X2 is None else as_matrix(X2, "X2", net.dtype, net.input_dim)
    d = as_vector(d, "d", net.dtype, net.num_params)
    n2 = X1.shape[0] if X2 is None else X2.shape[0]
    item = np.dtype(net.dtype).itemsize
    chunks = min(int(max_bytes), item * (X1.shape[0] + n2) * net.num_params)
    check_fits(item * (X1.shape[0] * n2) + chunks,
               f"adaptive_ntk of shape ({X1.shape[0]}, {n2})")
    return _core.adaptive_ntk(net._spec, theta, X1, X2, d, int(max_bytes))
