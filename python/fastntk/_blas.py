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


class SlowBLASWarning(RuntimeWarning):
    """NumPy's BLAS runs kernels older than this CPU supports (see :func:`blas_diagnosis`)."""


# OpenBLAS's CPU architectures (its "coretypes") by the widest vector instructions their code uses.
_ARCH_LEVEL = {"skylakex": 3, "cooperlake": 3, "sapphirerapids": 3,
               "haswell": 2, "zen": 2, "excavator": 2,
               "sandybridge": 1, "bulldozer": 1, "piledriver": 1, "steamroller": 1}
_LEVEL_NAME = {3: ("AVX-512", "SkylakeX"), 2: ("AVX2", "Haswell"), 1: ("AVX", "Sandybridge")}


def _cpu_level(flags) -> int:
    if {"avx512f", "avx512vl", "avx512bw", "avx512dq"} <= flags:
        return 3
    if {"avx2", "fma"} <= flags:
        return 2
    return 1 if "avx" in flags else 0


def _cpu_flags() -> set | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def blas_diagnosis(architecture=None, flags=None, environ=None) -> str | None:
    """Why NumPy's OpenBLAS (which fastntk calls) may be slower than this CPU allows,
    and the fix; None when its kernels match the CPU or it cannot be told.

    OpenBLAS picks its kernels at load time. A version older than the CPU (NumPy 1.26
    ships 0.3.23, which does not know recent Xeons) falls back to Prescott kernels:
    SGEMM measured 26 instead of 97 GFLOP/s. OPENBLAS_CORETYPE forces a family."""
    if architecture is None:
        info = _numpy_blas()
        if not info or info.get("internal_api") != "openblas":
            return None
        architecture = info.get("architecture") or ""
    flags = _cpu_flags() if flags is None else flags
    if not flags:
        return None
    environ = os.environ if environ is None else environ
    have = _ARCH_LEVEL.get(str(architecture).lower(), 0)
    can = _cpu_level(flags)
    if have >= can:
        return None
    isa, family = _LEVEL_NAME[can]
    forced = environ.get("OPENBLAS_CORETYPE")
    if forced:
        fix = (f"OPENBLAS_CORETYPE={forced} forces them: unset it (or set OPENBLAS_CORETYPE={family}) "
               "before starting Python")
    else:
        fix = (f"this OpenBLAS (NumPy {np.__version__}) does not know the CPU: upgrade NumPy (2.x ships a newer "
               f"OpenBLAS) or set OPENBLAS_CORETYPE={family} before starting Python")
    return (f"NumPy's OpenBLAS runs its {architecture} kernels on a CPU with {isa} ({family} kernels); its "
            f"matrix products, and so fastntk's, run slower (Prescott kernels on an AVX-512 Xeon: 3.7× "
            f"slower SGEMM). {fix}")


def _warn_once_if_slow() -> None:
    # Only when OpenBLAS chose the slow kernels itself: a forced OPENBLAS_CORETYPE is the
    # user's choice, reported by show_config() (fastntk config) instead.
    if os.environ.get("OPENBLAS_CORETYPE"):
        return
    message = blas_diagnosis()
    if message:
        import warnings
        warnings.warn(message, SlowBLASWarning, stacklevel=3)


_warn_once_if_slow()


def blas_info() -> dict | None:
    """threadpoolctl's description of the BLAS the core calls (None: Eigen fallback)."""
    info = _numpy_blas() if _BLAS_INFO is not None else None
    return dict(info) if info else None


def show_config(file=None) -> None:
    """Print what a bug report needs: the versions of fastntk, Python, NumPy and the
    optional libraries, which BLAS the core uses, its threads and core type, OpenMP, and
    the GPU backend."""
    import importlib.metadata
    import platform

    import numpy as np

    from ._version import __version__

    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    info = blas_info()
    lines = ["fastntk configuration",
             f"  fastntk        {__version__}",
             f"  Python         {platform.python_version()} ({platform.platform()})",
             f"  NumPy          {np.__version__}",
             "  optional       " + ", ".join(f"{d} {version(d)}" for d in
                                             ("matplotlib", "tqdm", "dask", "zarr", "torch", "cupy-cuda12x"))]
    if info:
        lines += [
            f"  BLAS           {info.get('internal_api')} {info.get('version')} "
            f"({info.get('filepath')})",
            f"  BLAS entry     {_core.blas_describe()}",
            f"  BLAS threads   {info.get('num_threads')}",
            f"  BLAS core type {info.get('architecture')}",
        ]
        slow = blas_diagnosis()
        lines.append(f"  BLAS speed     {'SLOW: ' + slow if slow else 'kernels match this CPU'}")
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
    from ._validate import integer
    n = integer(n, "n", 1, 4096)
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
