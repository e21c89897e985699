"""The NTK Gram as a dask array: row-by-column tiles of fastntk cross-Grams, computed
by Dask's schedulers (threads by default, or a dask.distributed Client), never in one
call."""
from __future__ import annotations

import contextlib
import functools
import os
import threading

import numpy as np

from .. import _core
from .._blas import blas_limited_to_one_thread
from .._validate import choice, positive_int, to_host_matrix
from .._dispatch import host_backend_for
from ..model import MLP


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise ImportError("fastntk.distributed needs dask: pip install \"fastntk[distributed]\" "
                          "(or dask[array])") from None
    return dask, da


def _zarr():
    try:
        import zarr
    except ImportError:
        raise ImportError("fastntk.distributed stores and reads Grams with zarr >= 3.1.3 (Python >= 3.11): pip "
                          "install \"fastntk[distributed]\"") from None
    # 3.1.3 writes every chunk to a temporary file renamed into place: a killed writer
    # never leaves a partial tile or flag (the store's crash consistency rests on it)
    version = tuple(int(p) if p.isdigit() else 0 for p in zarr.__version__.split(".")[:3])
    if version < (3, 1, 3):
        raise ImportError(f"fastntk.distributed needs zarr >= 3.1.3, found {zarr.__version__}: pip install "
                          "\"fastntk[distributed]\"")
    return zarr


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


def _active_client():
    """The dask.distributed Client in use, if any (without importing distributed otherwise)."""
    import sys
    if "distributed" not in sys.modules:
        return None
    try:
        from distributed import default_client
        return default_client()
    except ValueError:
        return None


# Dask warns when a graph sent to the scheduler exceeds this (its default); θ embedded
# in the graph stays under half of it, a larger θ is read from a file by a task.
_GRAPH_WARNING = "distributed.admin.large-graph-warning-threshold"


def _embed_limit(dask) -> int:
    from dask.utils import parse_bytes
    return parse_bytes(dask.config.get(_GRAPH_WARNING, "10MB")) // 2


def theta_sha256(theta) -> str:
    import hashlib
    return hashlib.sha256(np.ascontiguousarray(theta).tobytes()).hexdigest()


def load_theta(path, sha256, component=None):
    """θ read by a task on whichever worker runs it: a .npy file, or the ``component``
    array of a zarr store; checked against its SHA-256 (a file changed under the graph is
    an error, not a wrong Gram)."""
    try:
        if component is None:
            theta = np.load(path)
        else:
            theta = np.asarray(_zarr().open_array(path, path=component, mode="r")[...])
    except (OSError, ValueError, FileNotFoundError) as e:
        raise OSError(f"θ: cannot read {path!r} on this worker ({e}); with workers on other machines put it on "
                      "storage they all see (FASTNTK_SHARED_DIR)") from None
    if theta_sha256(theta) != sha256:
        raise ValueError(f"θ: {path!r} no longer holds the parameters the Gram was built from (SHA-256 differs)")
    return theta


def _spill(theta, sha) -> str:
    """θ written once, atomically, as ``<sha>.npy`` under FASTNTK_SHARED_DIR (default the
    temporary directory): a path every local worker reads."""
    import tempfile
    folder = os.path.join(os.environ.get("FASTNTK_SHARED_DIR") or tempfile.gettempdir(), "fastntk-theta")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{sha}.npy")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.partial"
        with open(tmp, "wb") as f:
            np.save(f, theta)
        os.replace(tmp, path)
    return path


def theta_node(dask, theta, store=None, sha=None):
    """θ as one node every tile depends on, which the scheduler can recompute on any
    worker (a lost worker never loses it, as a scattered future would be lost): read from
    the Gram store's own copy (``store``), else embedded in the graph when small, else
    read from a file :func:`_spill` writes once."""
    sha = sha or theta_sha256(theta)  # the store's description has it already
    load = dask.delayed(load_theta, pure=True)
    if store is not None:
        return load(store, sha, "theta")
    if _active_client() is None or theta.nbytes <= _embed_limit(dask):
        return dask.delayed(theta, pure=True)
    return load(_spill(theta, sha), sha)


def _features(net, theta, x, name="X"):
    """A row block's forward and backward pass, kept for every tile it meets."""
    with _one_thread_per_tile():
        return host_backend_for("the tiled Gram").features(net, theta, np.asarray(x), name)


def _tile(net, fa, fb):
    """One tile K(a, b) from the blocks' features; fb None: the symmetric diagonal tile."""
    with _one_thread_per_tile():
        return host_backend_for("the tiled Gram").ntk_from_features(net, fa, fb)


# What a tile can hold: the empirical NTK of (net, θ), or the analytic infinite-width NTK
# or NNGP of the architecture (float64; θ is not read), as fastntk.infinite.kernels.
KERNELS = ("empirical", "ntk", "nngp")


def _rows_block(net, theta, x, name="X"):
    """A row block as the analytic kernels read it: the inputs themselves, float64."""
    return to_host_matrix(np.asarray(x), name, np.float64, net.input_dim)


def _infinite_tile(kernel, net, xa, xb):
    """One tile of the analytic kernel ``kernel`` between two row blocks (xb None: the
    symmetric diagonal tile)."""
    with _one_thread_per_tile():
        out = host_backend_for("the tiled Gram").infinite_kernels(net, xa, xb, nngp=kernel == "nngp",
                                                                 ntk=kernel == "ntk", tile=2048)
    return out[0] if kernel == "nngp" else out[1]


def kernel_steps(kernel):
    """(block features, tile) of a kernel kind, and the dtype its tiles have (None: the net's)."""
    if kernel == "empirical":
        return _features, _tile, None
    return _rows_block, functools.partial(_infinite_tile, kernel), np.float64


def feature_bytes(net, rows) -> int:
    """Bytes of one block's features: X and A_l, Δ^l (k rows a sample) for l < L."""
    return np.dtype(net.dtype).itemsize * rows * (net.input_dim + (1 + net.outputs) * sum(net.widths[1:-1]))


class NpyRows:
    """A ``.npy`` file read by rows on demand (shape, dtype, ndim and slicing, which is
    what ``dask.array.from_array`` needs). It pickles as its path, so that a worker
    opens the file itself instead of receiving its contents."""

    def __init__(self, path, name="X"):
        self.path = os.fspath(path)
        try:
            m = np.load(self.path, mmap_mode="r")
        except (OSError, ValueError) as e:
            raise ValueError(f"{name}: cannot read {self.path!r} as a .npy array ({e})") from None
        self.shape, self.dtype, self.ndim = m.shape, m.dtype, m.ndim
        self._map = None

    def __getitem__(self, index):
        if self._map is None:
            self._map = np.load(self.path, mmap_mode="r")
        return np.asarray(self._map[index])

    def __getstate__(self):
        return dict(path=self.path, shape=self.shape, dtype=self.dtype, ndim=self.ndim, _map=None)

    def __repr__(self):
        return f"NpyRows({self.path!r}, shape={self.shape}, dtype={self.dtype})"


def open_rows(X, name="X"):
    """Inputs given by path: a ``.npy`` file (read by rows, :class:`NpyRows`) or a zarr
    array; anything else is returned as it is."""
    if not isinstance(X, (str, os.PathLike)):
        return X
    path = os.fspath(X)
    if path.endswith(".npy"):
        return NpyRows(path, name)
    if not os.path.isdir(path):
        raise ValueError(f"{name}: expected a .npy file or a zarr array, {path!r} is neither")
    arr = _zarr().open(path, mode="r")
    if not hasattr(arr, "shape"):
        raise ValueError(f"{name}: {path!r} is a zarr group ({sorted(arr.array_keys())}); name one of its "
                         "arrays (path/to/store.zarr/ARRAY)")
    return arr


def _rows(X, name, net, chunks, da, dtype=None):
    """X as a dask array of row blocks of ``chunks`` rows (all columns in one block), in
    ``dtype`` (default the network's)."""
    X = open_rows(X, name)
    if not isinstance(X, da.Array) and not (hasattr(X, "shape") and hasattr(X, "dtype")):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: expected an (N, {net.input_dim}) array, got {type(X).__name__}") from None
    if len(X.shape) != 2 or X.shape[1] != net.input_dim:
        raise ValueError(f"{name}: expected shape (N, {net.input_dim}), got {tuple(X.shape)}")
    if np.dtype(X.dtype).kind not in "fiu":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {X.dtype}")
    arr = X if isinstance(X, da.Array) else da.from_array(X, chunks=(chunks, -1))
    if arr.shape[0] < 1:
        raise ValueError(f"{name}: expected at least one row")
    return arr.astype(net.dtype if dtype is None else dtype).rechunk((chunks, -1))


def ntk(net: MLP, params, X1, X2=None, *, chunks: int = 4096, kernel: str = "empirical"):
    """K(X1, X2) of shape (N1, N2) as a lazy ``dask.array.Array`` in tiles of ``chunks``
    rows and columns, each tile one fastntk cross-Gram of two row blocks (a NumPy array,
    a path to a .npy file or a zarr array, any array dask reads, or a dask array; with a
    distributed Client pass a path, which each worker reads itself, rather than a large
    array in memory, which travels inside the graph). X2=None: the symmetric Gram, each
    off-diagonal tile computed once and its mirror a transpose. Each row block's forward
    and backward pass (its features) is one node that all its tiles share, so the
    scheduler keeps up to every block's features (:func:`feature_bytes` each);
    :func:`gram_to_zarr` bounds that memory. θ enters the graph once, as a node the
    scheduler can recompute on any worker (:func:`theta_node`), so a lost worker costs
    time, never the Gram. ``.compute()`` it, or store it
    (:func:`gram_to_zarr`) when it does not fit in memory. NaN or Inf in an input is
    found (and named) when its tiles are computed. ``kernel``: "empirical" (the NTK of
    θ = ``params``), or the infinite-width "ntk" or "nngp" of the architecture (float64,
    as :func:`fastntk.infinite.kernels`; ``params`` is not read and may be None)."""
    return _gram(net, params, X1, X2, chunks, ("X1", "X2"), kernel)


def _gram(net, params, X1, X2, chunks, names, kernel="empirical"):
    """ntk with the inputs' names for errors (kernel_regression's are X_test and X)."""
    dask, da = _dask()
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    chunks = positive_int(chunks, "chunks")
    choice(kernel, "kernel", KERNELS)
    feat, tile_fn, dtype = kernel_steps(kernel)
    dtype = net.dtype if dtype is None else dtype
    theta = theta_node(dask, net.flatten(params)) if kernel == "empirical" else None
    features, tile = dask.delayed(feat, pure=True), dask.delayed(tile_fn, pure=True)
    A = _rows(X1, names[0], net, chunks, da, dtype)
    fa = [features(net, theta, b[0], names[0]) for b in A.to_delayed()]
    a_sizes = A.chunks[0]
    if X2 is None:
        grid = [[None] * len(fa) for _ in fa]
        for i in range(len(fa)):
            for j in range(i + 1):
                t = tile(net, fa[i], None if i == j else fa[j])
                grid[i][j] = da.from_delayed(t, shape=(a_sizes[i], a_sizes[j]), dtype=dtype)
            for j in range(i):
                grid[j][i] = grid[i][j].T
        return da.block(grid)
    B = _rows(X2, names[1], net, chunks, da, dtype)
    fb = [features(net, theta, b[0], names[1]) for b in B.to_delayed()]
    return da.block([[da.from_delayed(tile(net, fa[i], fb[j]), shape=(a_sizes[i], B.chunks[0][j]), dtype=dtype)
                      for j in range(len(fb))] for i in range(len(fa))])
