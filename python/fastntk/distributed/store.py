"""The NTK Gram written tile by tile into a zarr store, out of core and resumable.

Layout of the store (a zarr group):

    K      (N1, N2), chunks (c, c), the network's dtype, uncompressed; NaN where no tile
           has been written yet
    done   (T1, T2) bool, one chunk per flag: tile (i, j) is complete
    theta  (P,) θ itself, which the tile tasks read (so that a lost worker loses nothing
           the scheduler cannot recompute)
    attrs  "fastntk_gram": what the Gram is of — the network, SHA-256 of θ and of the
           inputs, the chunking — so that resuming into a store of another Gram is an error

and beside it, while a process writes the store, the hidden file ``.NAME.fastntk-writer``
holding that process's pid, host and start time.

A tile's flag is set only after the tile (and, in the symmetric case, its mirror) is
written, and zarr (>= 3.1.3) writes every chunk to a temporary file renamed into place,
so a run stopped anywhere — Ctrl-C, SIGKILL, a killed worker — leaves flags only on
complete tiles, and the next run computes the others. The store is created in a
temporary directory renamed into place when complete, so a store either exists whole or
not at all. Each tile and each flag is its own chunk, so concurrent tasks never write
to one file; the writer file keeps a second process out.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import socket
import time
from dataclasses import dataclass

import numpy as np

from .._version import __version__
from .._validate import boolean, choice, positive_int
from ..model import MLP
from .tiles import (KERNELS, _active_client, _dask, _rows, _zarr, feature_bytes, kernel_steps, open_rows, theta_node,
                    theta_sha256)

ATTR = "fastntk_gram"
WRITER = ".fastntk-writer"
# errno values that mean the store cannot take more bytes, or any: space, quota, permissions.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


class StoreWriteError(OSError):
    """The store cannot be written (full disk, quota, read-only): the tiles already
    written are kept, and the same call resumes when the store is writable again."""


@dataclass
class GramStore:
    """What :func:`gram_to_zarr` did: ``path``; ``shape`` of K; ``tiles`` in all (the
    lower triangle with the diagonal when symmetric); ``computed`` by this call;
    ``resumed``: complete before it; ``seconds`` of wall time."""
    path: str
    shape: tuple
    tiles: int
    computed: int
    resumed: int
    seconds: float


def _sha256_rows(source, A, dtype, name) -> str:
    """SHA-256 of the inputs' values as the network's dtype, row-major, read one row block
    at a time — from the source itself (NumPy, .npy, zarr), or the dask array's blocks;
    NaN or Inf in them is an error naming the input (found before the store is made)."""
    h = hashlib.sha256()
    h.update(str(A.shape).encode())
    if hasattr(source, "dask"):
        blocks = (block.compute() for block in A.blocks)
    else:
        step = A.chunks[0][0]
        blocks = (np.asarray(source[lo:lo + step]) for lo in range(0, A.shape[0], step))
    for block in blocks:
        block = np.ascontiguousarray(block, dtype=dtype)
        if not np.isfinite(block).all():
            raise ValueError(f"{name}: contains NaN or Inf")
        h.update(block.tobytes())
    return h.hexdigest()


def _describe(net: MLP, theta, sources, A, B, chunks, kernel, dtype) -> dict:
    desc = dict(
        format=1, fastntk=__version__,
        network=dict(widths=list(net.widths), sigma=net.sigma, parametrization=net.parametrization,
                     bias=net.bias, activation=net.activation, dtype=np.dtype(net.dtype).name,
                     sigma_b=net.sigma_b),
        theta_sha256=None if theta is None else theta_sha256(theta),
        X1_sha256=_sha256_rows(sources[0], A, dtype, "X1"),
        X2_sha256=None if B is None else _sha256_rows(sources[1], B, dtype, "X2"),
        shape=[A.shape[0], (A if B is None else B).shape[0]], chunks=chunks, symmetric=B is None)
    if kernel != "empirical":  # a store of the empirical NTK reads as before analytic kernels were stored
        desc["kernel"] = kernel
    return desc


def _store_tile(net, kernel, fa, fb, path, i, j, rows, cols, mirror):
    """Compute tile (i, j) from its blocks' features, write it (and its transpose at
    (j, i) when ``mirror``), then set its flag. Runs on a worker: it opens the store by path."""
    zarr = _zarr()
    K = kernel_steps(kernel)[1](net, fa, fb)
    arr = zarr.open_array(path, path="K", mode="r+")
    arr[rows[0]:rows[1], cols[0]:cols[1]] = K
    if mirror:
        arr[cols[0]:cols[1], rows[0]:rows[1]] = K.T
    # one flag per tile, written last: set only when the tile and its mirror are complete
    zarr.open_array(path, path="done", mode="r+")[i, j] = True
    return i, j


def _open_or_create(zarr, path, desc, dtype, tile_grid, overwrite, theta):
    if os.path.exists(path) and not overwrite:
        try:
            group = zarr.open_group(path, mode="r+")
            found = dict(group.attrs).get(ATTR)
        except Exception:  # noqa: BLE001 - any unreadable store is reported the same way
            found = None
        if found is None:
            raise ValueError(f"store: {path!r} exists and is not a fastntk Gram store; choose another path "
                             "or pass overwrite=True (--overwrite)")
        differ = [k for k in sorted(set(desc) | set(found)) if k != "fastntk" and found.get(k) != desc.get(k)]
        if differ:
            raise ValueError(f"store: {path!r} holds the Gram of another problem (differs in "
                             f"{', '.join(differ)}); choose another path or pass overwrite=True (--overwrite)")
        if theta is not None and not os.path.isdir(os.path.join(path, "theta")):  # from before θ was kept
            _create_theta(group, theta)
        return group
    # Made whole in a sibling directory and renamed into place: a writer killed while
    # creating it leaves no half-made store at ``path``, only a stale sibling to remove.
    parent = os.path.dirname(os.path.abspath(path)) or "."
    base = os.path.basename(os.path.abspath(path))
    _remove_stale_siblings(parent, base)
    tmp = os.path.join(parent, f".{base}.creating-{socket.gethostname()}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    group = zarr.open_group(tmp, mode="w")
    n1, n2 = desc["shape"]
    c = desc["chunks"]
    group.create_array("K", shape=(n1, n2), chunks=(min(c, n1), min(c, n2)), dtype=np.dtype(dtype),
                       compressors=None, fill_value=np.nan)
    group.create_array("done", shape=tile_grid, chunks=(1, 1), dtype=bool, fill_value=False)
    if theta is not None:
        _create_theta(group, theta)
    group.attrs[ATTR] = desc
    if overwrite and os.path.exists(path):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    try:
        os.rename(tmp, path)
    except OSError:  # another process made it first: use theirs (its description is checked)
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isdir(path):
            raise
        return _open_or_create(zarr, path, desc, dtype, tile_grid, False, theta)
    return zarr.open_group(path, mode="r+")


def _create_theta(group, theta):
    arr = group.create_array("theta", shape=theta.shape, chunks=theta.shape, dtype=theta.dtype, compressors=None)
    arr[...] = theta


def _remove_stale_siblings(parent, base):
    """Creation directories of this store left by writers that died (on this host)."""
    prefix = f".{base}.creating-{socket.gethostname()}-"
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            pid = name[len(prefix):]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_file(path) -> str:
    """The writer file of the store at ``path``: a hidden sibling (zarr would take a file
    inside the store for a broken member)."""
    full = os.path.abspath(os.fspath(path))
    return os.path.join(os.path.dirname(full), f".{os.path.basename(full)}{WRITER}")


class _Writer:
    """The store's writer file, held while this process writes the store: created with
    O_EXCL, so one of two writers wins; a file left by a dead process on this host is
    taken over, one of a live process (or of another host) is an error naming it."""

    def __init__(self, path):
        self.store, self.file = os.fspath(path), writer_file(path)
        self.mine = f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                words = self._holder()
                if not self._stale(words):
                    raise ValueError(f"store: {self.store!r} is being written by another process "
                                     f"({self._describe(words)}); wait for it, or if it is gone remove "
                                     f"{self.file!r}") from None
                try:
                    os.remove(self.file)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self.mine + "\n")
            return self
        raise ValueError(f"store: {self.store!r}: could not take its writer file {self.file!r}")

    def _holder(self):
        """The writer file's words (pid, host, start), [] for a file still being written,
        None when it is gone or unreadable."""
        try:
            with open(self.file, encoding="utf-8", errors="replace") as f:
                return f.read().split()
        except OSError:
            return None

    @staticmethod
    def _describe(words) -> str:
        pid, host, start = ((words or []) + ["?", "?", "?"])[:3]
        return f"pid {pid} on {host}, since {start}"

    def _stale(self, words) -> bool:
        if words is None:
            return not os.path.exists(self.file)
        if len(words) < 2 or not words[0].isdigit():
            # a writer killed between creating the file and writing its line (or one
            # about to write it: give that a few seconds)
            try:
                return time.time() - os.path.getmtime(self.file) > 10
            except OSError:
                return True
        return words[1] == socket.gethostname() and not _alive(int(words[0]))

    def __exit__(self, *exc):
        try:
            with open(self.file, encoding="utf-8") as f:
                if f.read().strip() == self.mine:
                    os.remove(self.file)
        except OSError:
            pass


def _waves(pending, blocks):
    """The pending tiles in waves that need the features of at most ``blocks`` row blocks
    of each side: the blocks in groups of ``blocks // 2`` (symmetric: both sides are one
    set), one wave per pair of groups. A block's features are computed once per wave
    that uses it and released after it."""
    per = max(1, blocks // 2)
    waves = {}
    for i, j in pending:
        waves.setdefault((i // per, j // per), []).append((i, j))
    return [waves[k] for k in sorted(waves)]


def gram_to_zarr(net: MLP, params, X1, store, X2=None, *, chunks: int = 4096, overwrite: bool = False,
                 progress: bool = False, max_feature_bytes: int = 2**30, kernel: str = "empirical") -> GramStore:
    """Compute K(X1, X2) (X2=None: the symmetric Gram of X1) into the zarr store at the
    path ``store``, tile by tile on Dask's scheduler — the active ``distributed.Client``
    if there is one, else threads — never holding K in one process.

    X1, X2 : (N, d) — a NumPy array, a path to a .npy file or a zarr array, or a dask array.
    chunks : rows and columns per tile (the store's chunk); a worker holds two row blocks
        of X, θ and one tile, about 4·chunks² bytes in float32 for the tile.
    overwrite : replace a store of another Gram (else that is an error).
    progress : a tqdm bar over the tiles.
    max_feature_bytes : the row blocks' forward/backward passes (features) are computed
        once and shared by the tiles of a wave; a wave needs at most this many bytes of
        them (default 1 GiB), so a worker's memory stays bounded whatever N is.
    kernel : "empirical" (the NTK of θ = ``params``), or the infinite-width "ntk" or "nngp"
        of the architecture, float64, equal to :func:`fastntk.infinite.kernels` (``params``
        is not read and may be None) — the analytic kernel of any N that fits on disk.

    Resumable: tiles a previous call finished (their flags in the store) are not computed
    again; the store records the network, θ and the inputs by SHA-256, and a store of a
    different Gram is refused. A process killed at any instant, or a lost worker, costs
    the tiles in flight, never a finished one. One writer at a time: a second call on a
    store in use is refused, naming the other process. A full disk, a quota or a
    read-only store raises :class:`StoreWriteError` (an OSError) saying how many tiles and
    bytes are still to write; the tiles written are kept. Returns a :class:`GramStore`;
    read K with :func:`open_gram`."""
    dask, da = _dask()
    zarr = _zarr()
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    if not isinstance(store, (str, os.PathLike)):
        raise TypeError(f"store: expected a directory path for the zarr store, got {type(store).__name__}")
    path = os.fspath(store)
    chunks = positive_int(chunks, "chunks")
    overwrite, progress = boolean(overwrite, "overwrite"), boolean(progress, "progress")
    max_feature_bytes = positive_int(max_feature_bytes, "max_feature_bytes")
    choice(kernel, "kernel", KERNELS)
    dtype = kernel_steps(kernel)[2] or net.dtype
    theta = net.flatten(params) if kernel == "empirical" else None
    sources = (open_rows(X1, "X1"), None if X2 is None else open_rows(X2, "X2"))
    A = _rows(sources[0], "X1", net, chunks, da, dtype)
    B = None if X2 is None else _rows(sources[1], "X2", net, chunks, da, dtype)
    symmetric = B is None
    Bx = A if symmetric else B
    grid = (len(A.chunks[0]), len(Bx.chunks[0]))
    start = time.perf_counter()
    desc = _describe(net, theta, sources, A, B, chunks, kernel, dtype)
    try:
        with _Writer(path):
            group = _open_or_create(zarr, path, desc, dtype, grid, overwrite, theta)
            done = np.asarray(group["done"][...], bool)
            wanted = [(i, j) for i in range(grid[0]) for j in (range(i + 1) if symmetric else range(grid[1]))]
            pending = [(i, j) for i, j in wanted if not done[i, j]]
            try:
                _compute(dask, net, kernel, theta, desc["theta_sha256"], path, pending, wanted, A, Bx, symmetric,
                         max_feature_bytes, chunks, progress)
            except OSError as e:
                if e.errno not in _NO_ROOM:
                    raise
                raise _no_room(e, path, wanted, A, Bx, symmetric, dtype) from None
    except OSError as e:
        if isinstance(e, StoreWriteError) or e.errno not in _NO_ROOM:
            raise
        raise StoreWriteError(f"store: cannot create or write {path!r} ({os.strerror(e.errno)}): "
                              f"{e.filename or path}") from None
    return GramStore(path, (A.shape[0], Bx.shape[0]), len(wanted), len(pending), len(wanted) - len(pending),
                     time.perf_counter() - start)


def _no_room(e, path, wanted, A, Bx, symmetric, dtype) -> StoreWriteError:
    """The one-line error of a store that stopped taking bytes mid-Gram: what is kept and
    how much is still to write."""
    try:
        done = np.asarray(_zarr().open_array(path, path="done", mode="r")[...], bool)
    except Exception:  # noqa: BLE001 - the flags themselves may be what cannot be read
        done = np.zeros((len(A.chunks[0]), len(Bx.chunks[0])), bool)
    left = [(i, j) for i, j in wanted if not done[i, j]]
    item = np.dtype(dtype).itemsize
    need = sum(A.chunks[0][i] * Bx.chunks[0][j] * item * (2 if symmetric and i != j else 1) for i, j in left)
    err = StoreWriteError(f"store: cannot write {path!r} ({os.strerror(e.errno)}): {len(left)} of {len(wanted)} "
                          f"tiles, {need:,} bytes, still to write; the {len(wanted) - len(left)} tiles written are "
                          "kept — make room (or make it writable) and run the same call again")
    err.errno = e.errno
    return err


def _compute(dask, net, kernel, theta, sha, path, pending, wanted, A, Bx, symmetric, max_feature_bytes, chunks,
             progress):
    """The pending tiles, wave by wave (see :func:`_waves`)."""
    a_blocks = [b[0] for b in A.to_delayed()]
    b_blocks = a_blocks if symmetric else [b[0] for b in Bx.to_delayed()]
    a_ends, b_ends = np.cumsum((0,) + A.chunks[0]), np.cumsum((0,) + Bx.chunks[0])
    block_bytes = feature_bytes(net, chunks) if kernel == "empirical" else 8 * chunks * net.input_dim
    waves = _waves(pending, max(1, max_feature_bytes // max(1, block_bytes)))
    bar = None
    if progress and pending:
        from .._optional import require
        tqdm = require("tqdm.auto", "progress=True").tqdm
        bar = tqdm(total=len(wanted), initial=len(wanted) - len(pending), unit="tile", desc="Gram")
    try:
        theta_once = theta_node(dask, theta, store=path, sha=sha) if pending and theta is not None else None
        features = dask.delayed(kernel_steps(kernel)[0], pure=True)
        store_tile = dask.delayed(_store_tile, pure=False)
        for wave in waves:
            rows, cols = {i for i, _ in wave}, {j for _, j in wave}
            fa = {i: features(net, theta_once, a_blocks[i], "X1") for i in sorted(rows | cols if symmetric else rows)}
            fb = fa if symmetric else {j: features(net, theta_once, b_blocks[j], "X2") for j in sorted(cols)}
            tasks = [store_tile(net, kernel, fa[i], None if symmetric and i == j else fb[j], path, i, j,
                                (int(a_ends[i]), int(a_ends[i + 1])), (int(b_ends[j]), int(b_ends[j + 1])),
                                symmetric and i != j)
                     for i, j in wave]
            _run(dask, tasks, bar)
    finally:
        if bar is not None:
            bar.close()


def _run(dask, tasks, bar):
    """Run the tile tasks, ticking ``bar`` as each finishes."""
    if not tasks:
        return
    client = _active_client()
    if client is not None:
        from distributed import as_completed
        futures = client.compute(tasks)
        try:
            for future in as_completed(futures):
                future.result()
                if bar is not None:
                    bar.update(1)
        except BaseException:
            client.cancel(futures)
            raise
        return
    from dask.callbacks import Callback

    class Tick(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            name = key[0] if isinstance(key, tuple) else key
            if bar is not None and isinstance(name, str) and name.startswith("_store_tile"):
                bar.update(1)

    with Tick():
        dask.compute(*tasks)


def open_gram(store, *, require_complete: bool = True):
    """K from a store :func:`gram_to_zarr` wrote, as a dask array over its tiles (nothing
    is read until computed). ``require_complete``: a store with missing tiles is an
    error saying how many; otherwise those tiles read as NaN."""
    _, da = _dask()
    zarr = _zarr()
    path = os.fspath(store)
    try:
        group = zarr.open_group(path, mode="r")
        dict(group.attrs)[ATTR]
    except Exception:  # noqa: BLE001
        raise ValueError(f"store: {path!r} is not a fastntk Gram store") from None
    if require_complete:
        complete, total = tiles_done(path)
        if complete < total:
            raise ValueError(f"store: {path!r} lacks {total - complete} of {total} tiles; run gram_to_zarr "
                             "(or `fastntk gram`) again with the same arguments to finish it")
    return da.from_zarr(path, component="K")


def tiles_done(store) -> tuple[int, int]:
    """(complete, total) tiles of a Gram store (the symmetric case counts i ≥ j)."""
    zarr = _zarr()
    group = zarr.open_group(os.fspath(store), mode="r")
    done = np.asarray(group["done"][...], bool)
    if dict(group.attrs)[ATTR]["symmetric"]:
        n = done.shape[0]
        return int(np.tril(done).sum()), n * (n + 1) // 2
    return int(done.sum()), done.size
