"""The NTK Gram as a dask array: row-by-column tiles of fastntk cross-Grams, computed
by Dask's schedulers (threads by default, or a dask.distributed Client), never in one
call — for Grams larger than one process should hold (issue #20; zarr output, the
command line and kernel regression on top are still to come).

Needs the optional extra: ``pip install "fastntk[distributed]"`` (dask[array]).
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from . import _core
from ._backend import blas_limited_to_one_thread
from ._validate import positive_int
from .kernels import ntk as _ntk
from .model import MLP


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise ImportError("fastntk.distributed needs dask: pip install \"fastntk[distributed]\" "
                          "(or dask[array])") from None
    return dask, da


# BLAS threads are one setting for the whole process: the first tile to start limits
# them to one, the last to finish restores them, so that concurrent tiles (one per
# scheduler thread) do not oversubscribe the cores. OpenMP's count is per thread.
_lock = threading.Lock()
_running = 0
_limit = None


@contextlib.contextmanager
def _one_thread_per_tile():
    global _running, _limit
    with _lock:
        if _running == 0:
            _limit = blas_limited_to_one_thread()
            _limit.__enter__()
        _running += 1
    omp = _core.openmp_threads()  # this thread's; the synchronous scheduler runs tiles on the caller's
    _core.set_openmp_threads(1)
    try:
        yield
    finally:
        _core.set_openmp_threads(omp)
        with _lock:
            _running -= 1
            if _running == 0:
                _limit.__exit__(None, None, None)
                _limit = None


def _tile(net, theta, a, b):
    """One tile K(a, b); b None: the symmetric diagonal tile K(a, a)."""
    with _one_thread_per_tile():
        return _ntk(net, theta, np.asarray(a), None if b is None else np.asarray(b))


def _rows(X, name, net, chunks, da):
    """X as a dask array of row blocks of ``chunks`` rows (all columns in one block)."""
    if isinstance(X, da.Array):
        arr = X
    else:
        if not hasattr(X, "shape") or not hasattr(X, "dtype"):
            X = np.asarray(X)
        arr = da.from_array(X, chunks=(chunks, -1))
    if arr.ndim != 2 or arr.shape[1] != net.input_dim:
        raise ValueError(f"{name}: expected shape (N, {net.input_dim}), got {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.shape[0] < 1:
        raise ValueError(f"{name}: expected at least one row")
    return arr.astype(net.dtype).rechunk((chunks, -1))


def ntk(net: MLP, params, X1, X2=None, *, chunks: int = 4096):
    """K(X1, X2) of shape (N1, N2) as a lazy ``dask.array.Array`` in tiles of ``chunks``
    rows and columns, each tile one fastntk cross-Gram of two row blocks (a NumPy array,
    a memory-mapped .npy or any array dask reads, or a dask array). X2=None: the
    symmetric Gram, each off-diagonal tile computed once and its mirror a transpose.
    θ enters the graph once. ``.compute()`` it, or store it (``.to_zarr``) when it does
    not fit in memory."""
    dask, da = _dask()
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    chunks = positive_int(chunks, "chunks")
    theta = dask.delayed(net.flatten(params), pure=True)
    A = _rows(X1, "X1", net, chunks, da)
    a_blocks = [b[0] for b in A.to_delayed()]
    a_sizes = A.chunks[0]
    if X2 is None:
        grid = [[None] * len(a_blocks) for _ in a_blocks]
        for i, bi in enumerate(a_blocks):
            for j in range(i + 1):
                if i == j:
                    t = dask.delayed(_tile, pure=True)(net, theta, bi, None)
                else:
                    t = dask.delayed(_tile, pure=True)(net, theta, bi, a_blocks[j])
                grid[i][j] = da.from_delayed(t, shape=(a_sizes[i], a_sizes[j]), dtype=net.dtype)
            for j in range(i):
                grid[j][i] = grid[i][j].T
        return da.block(grid)
    B = _rows(X2, "X2", net, chunks, da)
    b_blocks = [b[0] for b in B.to_delayed()]
    return da.block([[da.from_delayed(dask.delayed(_tile, pure=True)(net, theta, bi, bj),
                                      shape=(a_sizes[i], B.chunks[0][j]), dtype=net.dtype)
                      for j, bj in enumerate(b_blocks)] for i, bi in enumerate(a_blocks)])


def cg_solve(K, y, *, ridge: float = 0.0, tol: float = 1e-10, max_iter: int | None = None):
    """(K + ridge·I)⁻¹y by conjugate gradients, K (N, N) symmetric positive (semi)definite
    — a dask array (each product K·p then runs tile by tile on the scheduler's workers;
    ``persist()`` K, or read it from a store, so that its tiles are not recomputed) or
    a NumPy array. Stops when ‖r‖ ≤ tol·‖y‖. Returns (x, info) with info =
    dict(iterations, residuals (relative, one per iteration), converged)."""
    from ._validate import integer, positive, to_host_vector
    y = to_host_vector(y, "y", np.float64)
    n = y.shape[0]
    if tuple(K.shape) != (n, n):
        raise ValueError(f"K: expected shape ({n}, {n}) for y of length {n}, got {tuple(K.shape)}")
    ridge = positive(ridge, "ridge", allow_zero=True)
    tol = positive(tol, "tol")
    max_iter = 10 * n if max_iter is None else integer(max_iter, "max_iter", 1)

    def apply(v):
        out = K @ v
        out = out.compute() if hasattr(out, "compute") else out
        return np.asarray(out, np.float64) + ridge * v

    x = np.zeros(n)
    r = y.copy()
    p = r.copy()
    rr = float(r @ r)
    norm_y = max(float(np.sqrt(y @ y)), np.finfo(float).tiny)
    residuals = []
    for it in range(1, max_iter + 1):
        q = apply(p)
        alpha = rr / float(p @ q)
        x += alpha * p
        r -= alpha * q
        rr_new = float(r @ r)
        residuals.append(float(np.sqrt(rr_new)) / norm_y)
        if residuals[-1] <= tol:
            return x, dict(iterations=it, residuals=residuals, converged=True)
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x, dict(iterations=max_iter, residuals=residuals, converged=False)


def kernel_regression(net: MLP, params, X, Y, X_test, *, ridge: float = 0.0, chunks: int = 4096,
                      tol: float = 1e-10, max_iter: int | None = None):
    """Predictions K(X_T, X)(K + ridge·I)⁻¹Y of the empirical NTK with K never formed in one
    call: K's tiles are computed once and kept by the scheduler (``persist``), CG multiplies
    with them tile by tile, and K(X_T, X)·α is one more tiled product. Returns
    (predictions (N_T,), info of :func:`cg_solve`)."""
    K = ntk(net, params, X, chunks=chunks).persist()
    alpha, info = cg_solve(K, Y, ridge=ridge, tol=tol, max_iter=max_iter)
    Kt = ntk(net, params, X_test, X, chunks=chunks)
    return np.asarray((Kt @ alpha.astype(Kt.dtype)).compute(), np.float64), info
