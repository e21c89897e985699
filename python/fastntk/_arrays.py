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


# PyTorch and JAX arrays are taken on the CPU (zero-copy where the framework allows) and the
# kernel functions return their results as the framework's arrays again.
FRAMEWORKS = ("torch", "jax", "jaxlib")


def _framework_of(x) -> str | None:
    top = type(x).__module__.split(".")[0]
    return {"torch": "torch", "jax": "jax", "jaxlib": "jax"}.get(top)


def framework(**arrays) -> str | None:
    """"torch" or "jax" when the given arrays (parameter lists included) are that
    framework's, None for NumPy/CuPy; a tensor that requires grad, one off the CPU, or two
    frameworks in one call raise TypeError naming the argument."""
    found = {}
    for name, v in arrays.items():
        for i, x in enumerate(v if _is_param_list(v) else [v]):
            kind = None if x is None else _framework_of(x)
            if kind is None:
                continue
            where = f"{name}[{i}]" if _is_param_list(v) else name
            if kind == "torch":
                if x.requires_grad:
                    raise TypeError(f"{where}: a torch tensor that requires grad; pass tensor.detach() (fastntk "
                                    "computes its own derivatives)")
                if x.device.type != "cpu":
                    raise TypeError(f"{where}: a torch tensor on {x.device}; fastntk takes CPU tensors "
                                    "(tensor.cpu()), or CuPy arrays on the GPU")
            elif kind == "jax":
                devices = x.devices() if hasattr(x, "devices") else set()
                if any(getattr(d, "platform", "cpu") != "cpu" for d in devices):
                    raise TypeError(f"{where}: a JAX array on {sorted(str(d) for d in devices)}; fastntk takes "
                                    "CPU arrays (jax.device_get), or CuPy arrays on the GPU")
            found[where] = kind
    kinds = set(found.values())
    if len(kinds) > 1:
        raise TypeError("arrays of two frameworks in one call: " + ", ".join(f"{k} ({v})" for k, v in found.items()))
    return kinds.pop() if kinds else None


def from_framework(x):
    """A NumPy view (CPU torch tensors share their memory) of a framework's array; other
    values pass through, lists and tuples element by element."""
    if _is_param_list(x):
        return type(x)(from_framework(v) for v in x)
    kind = None if x is None else _framework_of(x)
    if kind == "torch":
        return x.numpy()
    if kind == "jax":
        return np.asarray(x)
    return x


def to_framework(x, kind: str):
    """NumPy results as ``kind``'s arrays (torch.from_numpy shares the memory); tuples,
    lists and generators element by element; other values pass through."""
    import types
    if isinstance(x, np.ndarray):
        if kind == "torch":
            import torch
            return torch.from_numpy(np.ascontiguousarray(x))
        import jax.numpy as jnp
        return jnp.asarray(x)
    if isinstance(x, types.GeneratorType):
        return (to_framework(v, kind) for v in x)
    if isinstance(x, (list, tuple)):
        return type(x)(to_framework(v, kind) for v in x)
    return x

