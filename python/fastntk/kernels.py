"""Per-sample Jacobians, NTK Gram matrices and matrix-free products (docs/design.md §2).

All take the network, its parameters (a list [W1, b1, …] or the flat θ) and
inputs of shape (N, d) in the network's dtype (other real dtypes are converted).
With CuPy arrays (all of them on one GPU, in the network's dtype) they run on the
GPU and return CuPy arrays; PyTorch CPU tensors and JAX CPU arrays come back as their own
kind (a tensor that requires grad is refused by name). Each function checks what does not depend on the
arrays, asks the dispatch for the backend once, and calls it.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ._dispatch import typed_backend_for as backend_for
from ._validate import positive_int
from .model import MLP


def _net(net) -> MLP:
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    return net


def ntk(net: MLP, params, X1, X2=None, *, tile: int = 2048) -> np.ndarray:
    """The empirical NTK K(X1, X2) = φ(X1) φ(X2)ᵀ, shape (N1, N2), by the structured formula

        K(X, X′) = Σ_l (Δˡ Δ′ˡᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²)      (docs/design.md §2)

    never through φ. X2=None means X1 (symmetric product, SYRK). Blocks of
    ``tile`` rows and columns keep the temporaries at 2·tile² entries; the
    network's activations cost O((N1 + N2)·Σ m_l).
    """
    tile = positive_int(tile, "tile")
    return backend_for(params=params, X1=X1, X2=X2).ntk(_net(net), params, X1, X2, tile=tile)


def jacobian(net: MLP, params, X) -> np.ndarray:
    """φ(X) = ∂f(X)/∂θ, shape (N, P), columns in the order of θ."""
    return backend_for(params=params, X=X).jacobian(_net(net), params, X)


def jacobian_chunks(net: MLP, params, X, *, max_bytes: int = 256 * 2**20
                    ) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (rows, φ(X[rows])) with each chunk at most ``max_bytes`` (at least one row)."""
    max_bytes = positive_int(max_bytes, "max_bytes")
    be = backend_for(params=params, X=X)
    net = _net(net)
    theta = be.flatten(net, params)
    X = be.matrix(net, X, "X")
    rows = max(1, max_bytes // (np.dtype(net.dtype).itemsize * net.num_params))
    for start in range(0, X.shape[0], rows):
        sl = slice(start, min(X.shape[0], start + rows))
        yield sl, be.jacobian(net, theta, X[sl])


def jvp(net: MLP, params, X, v) -> np.ndarray:
    """φ(X) v, shape (N,), for a parameter-space direction v of shape (P,): one tangent pass."""
    return backend_for(params=params, X=X, v=v).jvp(_net(net), params, X, v)


def vjp(net: MLP, params, X, r) -> np.ndarray:
    """φ(X)ᵀ r, shape (P,), for r of shape (N,): one cotangent (backward) pass."""
    return backend_for(params=params, X=X, r=r).vjp(_net(net), params, X, r)


def adaptive_ntk(net: MLP, params, X1, X2=None, *, d, max_bytes: int = 256 * 2**20) -> np.ndarray:
    """K_D(X1, X2) = φ(X1) diag(d) φ(X2)ᵀ, shape (N1, N2), for a diagonal d of shape (P,).

    The kernel of adaptive optimizers with a fixed preconditioner (Nonnenmacher
    et al., Thm 3 and Example 1). No Hadamard shortcut exists for a general d, so
    it is computed from row chunks of φ of at most ``max_bytes`` each.
    """
    max_bytes = positive_int(max_bytes, "max_bytes")
    return backend_for(params=params, X1=X1, X2=X2, d=d).adaptive_ntk(_net(net), params, X1, X2, d=d,
                                                                      max_bytes=max_bytes)
