"""The NTK Gram and kernel regression beyond one call: tiles of fastntk cross-Grams on
Dask's schedulers (threads, or a ``dask.distributed`` Client on one machine or many),
written out of core to zarr stores that resume after an interruption.

    ntk               K as a lazy dask array of tiles (tiles.py)
    gram_to_zarr      K into a zarr store, tile by tile, resumable (store.py)
    open_gram         a finished store as a dask array
    cg_solve          (K + λI)⁻¹y by (Nyström-preconditioned) CG, K·v tile by tile (solve.py)
    kernel_regression K(X_T, X)(K + λI)⁻¹Y, dense when K fits, CG otherwise

Needs the optional extra: ``pip install "fastntk[distributed]"`` (dask[array],
distributed, zarr). ``fastntk gram`` is the command line for gram_to_zarr.
"""
from .solve import NystromPreconditioner, cg_solve, kernel_regression
from .store import GramStore, StoreWriteError, gram_to_zarr, open_gram, tiles_done
from .tiles import NpyRows, ntk, open_rows

__all__ = ["ntk", "gram_to_zarr", "open_gram", "tiles_done", "GramStore", "StoreWriteError", "cg_solve", "kernel_regression",
           "NystromPreconditioner", "NpyRows", "open_rows"]
