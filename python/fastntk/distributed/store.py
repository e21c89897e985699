"""The NTK Gram written tile by tile into a zarr store, out of core and resumable.

Layout of the store (a zarr group):

    K      (N1, N2), chunks (c, c), the network's dtype, uncompressed; NaN where no tile
           has been written yet
    done   (T1, T2) bool, one chunk per flag: tile (i, j) is complete
    attrs  "fastntk_gram": what the Gram is of — the network, SHA-256 of θ and of the
           inputs, the chunking — so that resuming into a store of another Gram is an error

A tile's flag is set only after the tile (and, in the symmetric case, its mirror) is
written, so a run stopped anywhere — Ctrl-C, a killed worker, a power cut — leaves
flags only on complete tiles, and the next run computes the others. Each tile and each
flag is its own chunk, so concurrent tasks never write to one file.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from .._validate import boolean, positive_int
from ..model import MLP
from .tiles import _active_client, _dask, _features, _rows, _tile, _zarr, feature_bytes, open_rows, theta_node

ATTR = "fastntk_gram"


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


def _describe(net: MLP, theta, sources, A, B, chunks) -> dict:
    return dict(
        format=1, fastntk=__version__,
        network=dict(widths=list(net.widths), sigma=net.sigma, parametrization=net.parametrization,
                     bias=net.bias, activation=net.activation, dtype=np.dtype(net.dtype).name,
                     sigma_b=net.sigma_b),
        theta_sha256=hashlib.sha256(np.ascontiguousarray(theta).tobytes()).hexdigest(),
        X1_sha256=_sha256_rows(sources[0], A, net.dtype, "X1"),
        X2_sha256=None if B is None else _sha256_rows(sources[1], B, net.dtype, "X2"),
        shape=[A.shape[0], (A if B is None else B).shape[0]], chunks=chunks, symmetric=B is None)


def _store_tile(net, fa, fb, path, i, j, rows, cols, mirror):
    """Compute tile (i, j) from its blocks' features, write it (and its transpose at
    (j, i) when ``mirror``), then set its flag. Runs on a worker: it opens the store by path."""
    zarr = _zarr()
    K = _tile(net, fa, fb)
    arr = zarr.open_array(path, path="K", mode="r+")
    arr[rows[0]:rows[1], cols[0]:cols[1]] = K
    if mirror:
        arr[cols[0]:cols[1], rows[0]:rows[1]] = K.T
    # one flag per tile, written last: set only when the tile and its mirror are complete
    zarr.open_array(path, path="done", mode="r+")[i, j] = True
    return i, j


def _open_or_create(zarr, path, desc, dtype, tile_grid, overwrite):
    if os.path.exists(path) and not overwrite:
        try:
            group = zarr.open_group(path, mode="r+")
            found = dict(group.attrs).get(ATTR)
        except Exception:  # noqa: BLE001 - any unreadable store is reported the same way
            found = None
        if found is None:
            raise ValueError(f"store: {path!r} exists and is not a fastntk Gram store; choose another path "
                             "or pass overwrite=True (--overwrite)")
        differ = [k for k in desc if k != "fastntk" and found.get(k) != desc[k]]
        if differ:
            raise ValueError(f"store: {path!r} holds the Gram of another problem (differs in "
                             f"{', '.join(differ)}); choose another path or pass overwrite=True (--overwrite)")
        return group
    group = zarr.open_group(path, mode="w")
    n1, n2 = desc["shape"]
    c = desc["chunks"]
    group.create_array("K", shape=(n1, n2), chunks=(min(c, n1), min(c, n2)), dtype=np.dtype(dtype),
                       compressors=None, fill_value=np.nan)
    group.create_array("done", shape=tile_grid, chunks=(1, 1), dtype=bool, fill_value=False)
    group.attrs[ATTR] = desc  # last: a store without it was never fully created
    return group


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
                 progress: bool = False, max_feature_bytes: int = 2**30) -> GramStore:
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

    Resumable: tiles a previous call finished (their flags in the store) are not computed
    again; the store records the network, θ and the inputs by SHA-256, and a store of a
    different Gram is refused. Returns a :class:`GramStore`; read K with
    :func:`open_gram`."""
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
    theta = net.flatten(params)
    sources = (open_rows(X1, "X1"), None if X2 is None else open_rows(X2, "X2"))
    A = _rows(sources[0], "X1", net, chunks, da)
    B = None if X2 is None else _rows(sources[1], "X2", net, chunks, da)
    symmetric = B is None
    Bx = A if symmetric else B
    grid = (len(A.chunks[0]), len(Bx.chunks[0]))
    start = time.perf_counter()
    group = _open_or_create(zarr, path, _describe(net, theta, sources, A, B, chunks), net.dtype, grid, overwrite)
    done = np.asarray(group["done"][...], bool)
    wanted = [(i, j) for i in range(grid[0]) for j in (range(i + 1) if symmetric else range(grid[1]))]
    pending = [(i, j) for i, j in wanted if not done[i, j]]
    a_blocks = [b[0] for b in A.to_delayed()]
    b_blocks = a_blocks if symmetric else [b[0] for b in Bx.to_delayed()]
    a_ends, b_ends = np.cumsum((0,) + A.chunks[0]), np.cumsum((0,) + Bx.chunks[0])
    waves = _waves(pending, max(1, max_feature_bytes // max(1, feature_bytes(net, chunks))))
    bar = None
    if progress and pending:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(wanted), initial=len(wanted) - len(pending), unit="tile", desc="Gram")
    try:
        theta_once = theta_node(dask, theta) if pending else None
        features = dask.delayed(_features, pure=True)
        store_tile = dask.delayed(_store_tile, pure=False)
        for wave in waves:
            rows, cols = {i for i, _ in wave}, {j for _, j in wave}
            fa = {i: features(net, theta_once, a_blocks[i], "X1") for i in sorted(rows | cols if symmetric else rows)}
            fb = fa if symmetric else {j: features(net, theta_once, b_blocks[j], "X2") for j in sorted(cols)}
            tasks = [store_tile(net, fa[i], None if symmetric and i == j else fb[j], path, i, j,
                                (int(a_ends[i]), int(a_ends[i + 1])), (int(b_ends[j]), int(b_ends[j + 1])),
                                symmetric and i != j)
                     for i, j in wave]
            _run(dask, tasks, bar)
    finally:
        if bar is not None:
            bar.close()
    return GramStore(path, (A.shape[0], Bx.shape[0]), len(wanted), len(pending), len(wanted) - len(pending),
                     time.perf_counter() - start)


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
