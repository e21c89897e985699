"""The backend boundary: every public computation asks :func:`backend_for` once,
with its arrays, and calls the backend it gets. Backends implement
:class:`~fastntk._protocol.Backend`;
the CPU one (``_cpu``) calls the compiled core, the GPU one (``_gpu.backend``)
cuBLAS and the kernels of ``cuda/`` through CuPy. Neither is imported before a call
needs it: fastntk on NumPy arrays imports nothing of the GPU backend.
"""
from __future__ import annotations

import functools

from ._arrays import (framework, from_framework, is_device_array, on_device, placement,  # noqa: F401 (re-exported)
                      to_framework)
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
    framework(**arrays)  # a tensor that requires grad or lives off the CPU is refused here by name
    return gpu() if placement(**arrays) == "gpu" else cpu()


def host_backend_for(what: str, **arrays) -> HostBackend:
    """The CPU backend for an operation only it has (``what`` names it in the error):
    device arrays among ``arrays`` raise TypeError naming the argument."""
    for name, x in arrays.items():
        if x is not None and is_device_array(x):
            raise TypeError(f"{name}: {what} are computed on the CPU; pass a NumPy array (cupy.asnumpy)")
    return cpu()


class _FrameworkBackend:
    """The CPU backend for PyTorch or JAX arrays: their arrays in as NumPy (views where the
    framework shares memory), the results out as the framework's arrays."""

    def __init__(self, kind: str):
        self.kind = kind

    def __getattr__(self, name):
        attr = getattr(cpu(), name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            out = attr(*(from_framework(a) for a in args), **{k: from_framework(v) for k, v in kwargs.items()})
            return to_framework(out, self.kind)
        return call


@functools.lru_cache(maxsize=None)
def _framework_backend(kind: str) -> _FrameworkBackend:
    return _FrameworkBackend(kind)


def typed_backend_for(**arrays):
    """:func:`backend_for` for the functions whose results are arrays of the caller's kind
    (the kernels, jvp, vjp, apply): PyTorch and JAX arrays get them back as their own."""
    kind = framework(**arrays)
    if kind:
        return _framework_backend(kind)
    return gpu() if placement(**arrays) == "gpu" else cpu()  # backend_for without checking framework() again

