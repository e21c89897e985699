"""The compiled core and the BLAS it calls: NumPy's own, found once at import.

Two OpenBLAS copies in one process fight over the cores (docs/design.md §4), so the
core links none: it resolves CBLAS entry points of the library NumPy has
already loaded, located here with threadpoolctl.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np  # noqa: F401  (loads NumPy's BLAS before we look for it)
from threadpoolctl import ThreadpoolController

# OpenBLAS's idle threads spin after every call; an OpenMP team that spins too
# fights them for the cores (a training step measured 12.9 ms instead of 0.8 ms on
# 2 cores). Idle OpenMP threads must sleep. Read once, when libgomp starts: set
# before the core is loaded, unless the user chose otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _core  # noqa: E402

_controller = ThreadpoolController()


def _numpy_blas():
    infos = [i for i in _controller.info() if i.get("user_api") == "blas"]
    # NumPy's wheels ship their BLAS inside numpy.libs; prefer it over any other.
    infos.sort(key=lambda i: "numpy" not in i.get("filepath", ""))
    return infos[0] if infos else None


def _load_blas():
    # FASTNTK_BLAS=eigen keeps Eigen's own products (to compare, or to test that path).
    if os.environ.get("FASTNTK_BLAS", "").lower() == "eigen":
        return None
    info = _numpy_blas()
    if info is not None and _core.blas_load(info["filepath"]):
        return info
    return None


_BLAS_INFO = _load_blas()


def blas_info() -> dict | None:
    """threadpoolctl's description of the BLAS the core calls (None: Eigen fallback)."""
    info = _numpy_blas() if _BLAS_INFO is not None else None
    return dict(info) if info else None


def show_config(file=None) -> None:
    """Print which BLAS the core uses, its threads and core type, OpenMP, and the GPU backend."""
    info = blas_info()
    lines = ["fastntk configuration"]
    if info:
        lines += [
            f"  BLAS           {info.get('internal_api')} {info.get('version')} "
            f"({info.get('filepath')})",
            f"  BLAS entry     {_core.blas_describe()}",
            f"  BLAS threads   {info.get('num_threads')}",
            f"  BLAS core type {info.get('architecture')}",
        ]
    else:
        lines.append("  BLAS           none found: Eigen's own products (slower)")
    lines.append(
        f"  OpenMP         {'yes' if _core.has_openmp else 'no'}, "
        f"{_core.openmp_threads()} threads"
    )
    from ._gpu.runtime import gpu_status
    lines.append(f"  GPU            {gpu_status()}")
    print("\n".join(lines), file=file)


def set_num_threads(n: int) -> None:
    """Limit both the BLAS (through threadpoolctl) and the core's OpenMP loops to n threads."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n: expected an integer >= 1, got {n}")
    _controller.limit(limits=n, user_api="blas")
    _core.set_openmp_threads(n)


@contextlib.contextmanager
def blas_limited_to_one_thread():
    """Within the block the BLAS runs on one thread; yields whether the core may call it
    from parallel regions (False: no BLAS found, the core uses Eigen there)."""
    if _BLAS_INFO is None:
        yield False
        return
    with _controller.limit(limits=1, user_api="blas"):
        yield True
