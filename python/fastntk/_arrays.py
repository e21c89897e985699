"""What kind of arrays a call was given — NumPy on the host, or CuPy on one GPU —
found from their types alone, without importing CuPy. The lowest layer: every
other module may use it.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np


def is_device_array(x) -> bool:
    """True for a CuPy array (checked by type, without importing CuPy)."""
    return type(x).__module__.split(".")[0] == "cupy" and hasattr(x, "device")


def device_scope(*arrays):
    """The device of the first CuPy array among ``arrays`` as a context (kernels and
    cuBLAS then run where the data is); a no-op context for host arrays."""
    for x in arrays:
        if is_device_array(x):
            return x.device
    return contextlib.nullcontext()


def on_device(fn):
    """Runs fn with the device of its first CuPy argument current, so that its
    checks, products and kernels run where the data is (no-op for host arrays)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with device_scope(*args, *kwargs.values()):
            return fn(*args, **kwargs)
    return wrapper


def to_host(x) -> np.ndarray:
    """A NumPy copy of a CuPy array; NumPy arrays pass through."""
    return x.get() if is_device_array(x) else np.asarray(x)


def _describe(x) -> str:
    return "a CuPy array" if is_device_array(x) else f"a {type(x).__module__.split('.')[0]} {type(x).__name__}"


def placement(**arrays) -> str:
    """"gpu" when every given array is a CuPy array on one device, "cpu" when none is.

    Mixed placements and arrays on different devices raise, naming the arguments."""
    given = {k: v for k, v in arrays.items() if v is not None and not _is_param_list(v)}
    lists = {k: v for k, v in arrays.items() if v is not None and _is_param_list(v)}
    for k, v in lists.items():
        for i, p in enumerate(v):
            given[f"{k}[{i}]"] = p
    on_gpu = {k for k, v in given.items() if is_device_array(v)}
    if not on_gpu:
        return "cpu"
    off = sorted(set(given) - on_gpu)
    if off:
        raise TypeError(
            f"{', '.join(off)}: expected CuPy arrays like {', '.join(sorted(on_gpu))} (got "
            f"{_describe(given[off[0]])}); move all arrays to the GPU with cupy.asarray or all "
            "to the host with cupy.asnumpy")
    devices = {k: int(v.device.id) for k, v in given.items()}
    if len(set(devices.values())) > 1:
        raise ValueError("arrays on different GPUs: " + ", ".join(f"{k} on device {d}" for k, d in devices.items())
                         + "; put them on one device")
    return "gpu"


def _is_param_list(v) -> bool:
    return isinstance(v, (list, tuple))
