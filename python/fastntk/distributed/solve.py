"""Kernel regression with the NTK at any N: (preconditioned) conjugate gradients whose
products K·v run tile by tile on Dask's workers, or the dense solve when K fits."""
from __future__ import annotations

import numpy as np

from .._validate import (available_memory, choice, integer, nbytes, positive, positive_int, to_host_matrix,
                         to_host_vector)
from ..kernels import ntk as _ntk
from ..linalg import _lapack
from .store import gram_to_zarr, open_gram
from .tiles import _gram, open_rows


def _product(K):
    """v ↦ K·v (v: a vector or a matrix of columns) accumulated in float64, for a dask
    or NumPy K. A float32 K is widened a tile (dask) or a block of rows (NumPy) at a time,
    never as a whole: float32 sums over N terms cost plain CG most of its accuracy on
    NTK Grams (condition numbers 10⁵–10⁸)."""
    if hasattr(K, "compute"):
        wide = K.astype(np.float64) if K.dtype != np.float64 else K
        return lambda v: np.asarray((wide @ v).compute(), np.float64)
    K = np.asarray(K)
    if K.dtype == np.float64:
        return lambda v: K @ v
    rows = max(1, 2**22 // max(1, K.shape[1]))  # 32 MB of float64 per block

    def apply(v):
        out = np.empty((K.shape[0],) + v.shape[1:])
        for r0 in range(0, K.shape[0], rows):
            out[r0:r0 + rows] = K[r0:r0 + rows].astype(np.float64) @ v
        return out
    return apply


class NystromPreconditioner:
    """P⁻¹ for K + μI from a randomized rank-r Nyström approximation K ≈ U Λ Uᵀ
    (Frangella, Tropp & Udell 2023, Alg. 2.1): P⁻¹v = (λ_r + μ)·U(Λ + μI)⁻¹Uᵀv + (v − UUᵀv).
    Building it costs one product of K with r vectors (one pass over K's tiles); each
    application O(N·r). NTK Grams have a few large eigenvalues and a long tail, which
    is what it removes from CG's condition number: inputs in d dimensions give about d
large eigenvalues, so a rank of that order pays (at N = 8192, d = 784, λ = 10⁻²·mean
diag K: 290 plain iterations, 200 at rank 100, 64 at rank 1000)."""

    def __init__(self, K, *, ridge: float = 0.0, rank: int = 500, seed: int = 0):
        n = K.shape[0]
        rank = min(positive_int(rank, "rank"), n)
        self.ridge = positive(ridge, "ridge", allow_zero=True)
        omega, _ = np.linalg.qr(np.random.default_rng(integer(seed, "seed", 0)).standard_normal((n, rank)))
        Y = _product(K)(omega)
        shift = np.sqrt(n) * np.finfo(np.float64).eps * np.linalg.norm(Y, 2)
        Ys = Y + shift * omega
        C = np.linalg.cholesky(omega.T @ Ys)  # lower: ΩᵀY_ν = C Cᵀ
        B = np.linalg.solve(C, Ys.T).T        # Y_ν C⁻ᵀ
        U, s, _ = np.linalg.svd(B, full_matrices=False)
        self.U = U
        self.eigenvalues = np.maximum(0.0, s**2 - shift)
        self.rank = rank

    def __call__(self, v):
        Utv = self.U.T @ v
        lam_r = self.eigenvalues[-1]
        return (lam_r + self.ridge) * (self.U @ (Utv / (self.eigenvalues + self.ridge))) + (v - self.U @ Utv)


def cg_solve(K, y, *, ridge: float = 0.0, tol: float = 1e-10, max_iter: int | None = None,
             precondition=None, rank: int = 500, seed: int = 0):
    """(K + ridge·I)⁻¹y by (preconditioned) conjugate gradients; K (N, N) symmetric
    positive (semi)definite — a dask array (each product K·p then runs tile by tile on
    the scheduler's workers; ``persist()`` K, or read it from a store with
    :func:`open_gram`, so that its tiles are not recomputed) or a NumPy array.

    precondition : None, "nystrom" (:class:`NystromPreconditioner` of ``rank``, one more
        pass over K) or a callable v ↦ P⁻¹v.
    Stops when ‖r‖ ≤ tol·‖y‖. Returns (x, info), info = dict(iterations, residuals
    (‖r‖/‖y‖, one per iteration), converged)."""
    y = to_host_vector(y, "y", np.float64)
    n = y.shape[0]
    if not (hasattr(K, "shape") and hasattr(K, "dtype") and hasattr(K, "__matmul__")):
        raise TypeError(f"K: expected an (N, N) NumPy or dask array, got {type(K).__name__}")
    if tuple(K.shape) != (n, n):
        raise ValueError(f"K: expected shape ({n}, {n}) for y of length {n}, got {tuple(K.shape)}")
    if np.dtype(K.dtype).kind not in "fiu":
        raise TypeError(f"K: expected a real numeric array, got dtype {K.dtype}")
    ridge = positive(ridge, "ridge", allow_zero=True)
    tol = positive(tol, "tol")
    max_iter = 10 * n if max_iter is None else integer(max_iter, "max_iter", 1)
    rank = positive_int(rank, "rank")
    if precondition is None:
        def P(v):
            return v
    elif isinstance(precondition, str):
        choice(precondition, "precondition", ("nystrom",))
        P = NystromPreconditioner(K, ridge=ridge, rank=rank, seed=seed)
    elif callable(precondition):
        P = precondition
    else:
        raise TypeError(f"precondition: expected None, 'nystrom' or a callable, got {precondition!r}")
    product = _product(K)
    x = np.zeros(n)
    r = y.copy()
    z = P(r)
    p = z.copy()
    rz = float(r @ z)
    norm_y = max(float(np.sqrt(y @ y)), np.finfo(float).tiny)
    residuals = []
    for it in range(1, max_iter + 1):
        q = product(p) + ridge * p
        if not np.isfinite(q).all():
            raise ValueError("K: its product with a vector is not finite (NaN or Inf in K)")
        alpha = rz / float(p @ q)
        x += alpha * p
        r -= alpha * q
        residuals.append(float(np.sqrt(r @ r)) / norm_y)
        if residuals[-1] <= tol:
            return x, dict(iterations=it, residuals=residuals, converged=True)
        z = P(r)
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, dict(iterations=max_iter, residuals=residuals, converged=False)


METHODS = ("auto", "dense", "cg")


def _in_memory(X, name, net):
    """Inputs for the dense path as a NumPy matrix (paths and dask arrays read whole)."""
    X = open_rows(X, name)
    if hasattr(X, "compute"):
        X = X.compute()
    elif hasattr(X, "shape") and not isinstance(X, np.ndarray):
        X = np.asarray(X[...])
    return to_host_matrix(X, name, net.dtype, net.input_dim)


def kernel_regression(net, params, X, Y, X_test, *, ridge: float = 0.0, method: str = "auto",
                      store=None, chunks: int = 4096, precondition="nystrom", rank: int = 500,
                      tol: float = 1e-10, max_iter: int | None = None, progress: bool = False):
    """Predictions K(X_T, X)(K + ridge·I)⁻¹Y of the empirical NTK (000 Eq. (3) with
    ridge = 0, the kernel interpolator f_int's ridge-free form).

    method : "dense" — K in this process (float64) and one LU solve; "cg" — K never in
        one process: its tiles are kept by the scheduler (``persist``) or written to
        ``store`` (a zarr path, resumable, :func:`gram_to_zarr`) and conjugate gradients
        (``precondition``, ``rank``: :func:`cg_solve`) multiply with them tile by tile;
        "auto" — dense when no store is given and K and its LU copy take at most half
        the available memory, else cg.
    K(X_T, X)·α is one more tiled product. Returns (predictions (N_T,) float64, info)
    with info = dict(method, iterations, residuals, converged) (dense: 1 iteration, the
    residual of the solve)."""
    method = choice(method, "method", METHODS)
    ridge = positive(ridge, "ridge", allow_zero=True)
    X = open_rows(X, "X")
    n = int(X.shape[0]) if hasattr(X, "shape") and len(X.shape) == 2 else None
    if n == 0:
        raise ValueError("X: expected at least one row")
    Yv = to_host_vector(Y, "Y", np.float64, n)
    if method == "auto":
        dense_bytes = nbytes(n, n, 2)  # K and the LU factor, float64
        method = "dense" if store is None and dense_bytes <= available_memory() // 2 else "cg"
    if method == "dense":
        if store is not None:
            raise ValueError("store: the dense method keeps K in memory; pass method='cg' to use a store")
        X = _in_memory(X, "X", net)
        K = np.asarray(_ntk(net, params, X), np.float64)
        K[np.diag_indices_from(K)] += ridge
        alpha = _lapack(lambda: np.linalg.solve(K, Yv), n)
        res = float(np.linalg.norm(K @ alpha - Yv) / max(np.linalg.norm(Yv), np.finfo(float).tiny))
        pred = np.asarray(_ntk(net, params, _in_memory(X_test, "X_test", net), X), np.float64) @ alpha
        return pred, dict(method="dense", iterations=1, residuals=[res], converged=True)
    if store is not None:
        gram_to_zarr(net, params, X, store, chunks=chunks, progress=progress)
        K = open_gram(store)
    else:
        K = _gram(net, params, X, None, chunks, ("X", None)).persist()
    alpha, info = cg_solve(K, Yv, ridge=ridge, tol=tol, max_iter=max_iter, precondition=precondition, rank=rank)
    Kt = _gram(net, params, X_test, X, chunks, ("X_test", "X"))
    pred = np.asarray((Kt @ alpha.astype(Kt.dtype)).compute(), np.float64)
    return pred, dict(method="cg", **info)
