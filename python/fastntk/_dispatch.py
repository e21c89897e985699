"""The backend boundary: every public computation asks :func:`backend_for` once,
with its arrays, and calls the backend it gets. Backends implement
:class:`~fastntk._protocol.Backend`;
the CPU one (``_cpu``) calls the compiled core, the GPU one (``_gpu.backend``)
cuBLAS and the kernels of ``cuda/`` through CuPy. Neither is imported before a call
needs it: fastntk on NumPy arrays imports nothing of the GPU backend.
"""
from __future__ import annotations

import functools

from ._arrays import is_device_array, on_device, placement  # noqa: F401 (re-exported for the layers above)
from ._protocol import Backend, HostBackend, Problem  # noqa: F401 (re-exported for the layers above)


@functools.lru_cache(maxsize=None)
def cpu() -> HostBackend:
    from ._cpu import CpuBackend
    return CpuBackend()


def gpu() -> Backend:
    from ._gpu.backend import gpu_backend
    return gpu_backend()


def backend_for(**arrays) -> Backend:
    """The backend for these arrays (keyword names are the arguments' names, used in
    errors): the GPU one when all are CuPy arrays on one device, the CPU one when
    none is; a mixture raises TypeError naming the odd arguments."""
    return gpu() if placement(**arrays) == "gpu" else cpu()


def host_backend_for(what: str, **arrays) -> HostBackend:
    """The CPU backend for an operation only it has (``what`` names it in the error):
    device arrays among ``arrays`` raise TypeError naming the argument."""
    for name, x in arrays.items():
        if x is not None and is_device_array(x):
            raise TypeError(f"{name}: {what} are computed on the CPU; pass a NumPy array (cupy.asnumpy)")
    return cpu()
