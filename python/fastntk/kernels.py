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


def _full(trace_axes) -> bool:
    """neural-tangents' ``trace_axes`` for an (N, k) output: (-1,) (or (1,)) traces the kernel
    over the outputs — their mean, as neural-tangents divides the trace by k — () keeps the
    (k, k) block of every pair."""
    if isinstance(trace_axes, (int, np.integer)) and not isinstance(trace_axes, bool):
        axes = (int(trace_axes),)
    elif isinstance(trace_axes, (tuple, list)) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                       for a in trace_axes):
        axes = tuple(int(a) for a in trace_axes)
    else:
        axes = None
    if axes == ():
        return True
    if axes in ((-1,), (1,)):
        return False
    raise ValueError(f"trace_axes: expected (-1,) (the kernel traced over the outputs) or () (the full "
                     f"(N1, N2, k, k) block), got {trace_axes!r}")


def ntk(net: MLP, params, X1, X2=None, *, trace_axes=(-1,), tile: int = 2048) -> np.ndarray:
    """The empirical NTK K(X1, X2) = φ(X1) φ(X2)ᵀ by the structured formula

        K(X, X′)_{ab} = Σ_l (Δˡ_a Δ′ˡ_bᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²)   (docs/design.md §2)

    with Δᴸ = I_k, never through φ. For a network of k outputs, ``trace_axes=(-1,)`` (the
    default) gives the kernel traced over the outputs and divided by k, as neural-tangents
    does, (1/k)·Σ_a K[:, :, a, a], shape (N1, N2) — for k = 1 the NTK itself, and at infinite
    width the one-output kernel — and ``trace_axes=()`` the full block, shape
    (N1, N2, k, k), K[i, j, a, b] = ⟨∂f_a(x_i)/∂θ, ∂f_b(x′_j)/∂θ⟩. X2=None means X1 (symmetric
    product). Blocks of ``tile`` rows and columns (tile/k for the full block) keep the
    temporaries at about 2·tile² entries; the network's features cost O((N1 + N2)·k·Σ m_l).
    """
    tile = positive_int(tile, "tile")
    full = _full(trace_axes)
    return backend_for(params=params, X1=X1, X2=X2).ntk(_net(net), params, X1, X2, tile=tile, full=full)


def jacobian(net: MLP, params, X) -> np.ndarray:
    """φ(X) = ∂f(X)/∂θ, columns in the order of θ: shape (N, P) for one output, (N, k, P) for k."""
    return backend_for(params=params, X=X).jacobian(_net(net), params, X)


def jacobian_chunks(net: MLP, params, X, *, max_bytes: int = 256 * 2**20
                    ) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (rows, φ(X[rows])) with each chunk at most ``max_bytes`` (at least one sample)."""
    max_bytes = positive_int(max_bytes, "max_bytes")
    be = backend_for(params=params, X=X)
    net = _net(net)
    theta = be.flatten(net, params)
    X = be.matrix(net, X, "X")
    rows = max(1, max_bytes // (np.dtype(net.dtype).itemsize * net.outputs * net.num_params))
    for start in range(0, X.shape[0], rows):
        sl = slice(start, min(X.shape[0], start + rows))
        yield sl, be.jacobian(net, theta, X[sl])


def jvp(net: MLP, params, X, v) -> np.ndarray:
    """φ(X) v for a parameter-space direction v of shape (P,): one tangent pass; shape (N,) for
    one output, (N, k) for k."""
    return backend_for(params=params, X=X, v=v).jvp(_net(net), params, X, v)


def vjp(net: MLP, params, X, r) -> np.ndarray:
    """φ(X)ᵀ r, shape (P,), for a cotangent r of shape (N, k) ((N,) for one output): one backward
    pass."""
    return backend_for(params=params, X=X, r=r).vjp(_net(net), params, X, r)


def adaptive_ntk(net: MLP, params, X1, X2=None, *, d, trace_axes=(-1,), max_bytes: int = 256 * 2**20
                 ) -> np.ndarray:
    """K_D(X1, X2) = φ(X1) diag(d) φ(X2)ᵀ for a diagonal d of shape (P,): shape (N1, N2), or
    (N1, N2, k, k) for ``trace_axes=()`` (outputs as in :func:`ntk`).

    The kernel of adaptive optimizers with a fixed preconditioner (Nonnenmacher
    et al., Thm 3 and Example 1). No Hadamard shortcut exists for a general d, so
    it is computed from row chunks of φ of at most ``max_bytes`` each.
    """
    max_bytes = positive_int(max_bytes, "max_bytes")
    full = _full(trace_axes)
    net = _net(net)
    K = backend_for(params=params, X1=X1, X2=X2, d=d).adaptive_ntk(net, params, X1, X2, d=d, max_bytes=max_bytes)
    k = net.outputs
    if k == 1 and not full:
        return K
    blocks = K.reshape(K.shape[0] // k, k, K.shape[1] // k, k).transpose(0, 2, 1, 3)
    return blocks.copy() if full else blocks.trace(axis1=2, axis2=3) / k
