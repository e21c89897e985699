"""Argument checks at the boundary: each names the argument and what was expected.

The names say what a function does with an array it does not like: ``to_host_*``
converts host arrays (dtype, contiguity) and refuses only what cannot be converted
(shape, NaN/Inf); ``require_device_*`` converts nothing — on a GPU a silent copy
or cast would hide a bug — and refuses any array that is not already right.
No function here imports CuPy: device arrays come with their array module ``xp``.
"""
from __future__ import annotations

import os

import numpy as np


class InsufficientMemoryError(MemoryError, ValueError):
    """A request whose result would not fit in the memory available."""



class UsageError(ValueError):
    """A request that is wrong as written (an unknown name, a value out of range, a
    malformed spec), as against one that fails while it runs: the command line exits
    with 2 for these and 1 for the others."""

def _real(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as e:  # ragged nested lists, objects NumPy cannot read
        raise TypeError(f"{name}: expected a real numeric array, got {type(x).__name__} ({e})") from None
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    return arr


def require_finite(arr, name: str, xp=np):
    """arr itself, after checking it holds no NaN or Inf."""
    if not bool(xp.isfinite(arr).all()):
        raise ValueError(f"{name}: contains NaN or Inf")
    return arr


def _contiguous_finite(arr, name: str, dtype, finite: bool) -> np.ndarray:
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not arr.flags.aligned:  # a view at an odd byte offset: the core reads T* directly
        arr = arr.copy()
    return require_finite(arr, name) if finite else arr


def check_matrix_shape(shape, name: str, d: int | None = None) -> None:
    """(N, d) with N ≥ 1 (any array type: NumPy or CuPy)."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(f"{name}: expected a 2-D array of shape (N, d), got shape {shape}")
    if d is not None and shape[1] != d:
        raise ValueError(f"{name}: expected shape (N, {d}) for input dimension d={d}, got {shape}")
    if shape[0] < 1:
        raise ValueError(f"{name}: expected at least one row, got shape {shape}")


def check_vector_shape(shape, name: str, size: int | None = None) -> None:
    shape = tuple(shape)
    if len(shape) != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {shape}")
    if size is not None and shape[0] != size:
        raise ValueError(f"{name}: expected shape ({size},), got {shape}")


def to_host_matrix(x, name: str, dtype, d: int | None = None, finite: bool = True) -> np.ndarray:
    """A C-contiguous (N, d) NumPy array in ``dtype`` (converted when needed)."""
    arr = _real(x, name)
    check_matrix_shape(arr.shape, name, d)
    return _contiguous_finite(arr, name, dtype, finite)


def to_host_vector(x, name: str, dtype, size: int | None = None, finite: bool = True) -> np.ndarray:
    """A C-contiguous 1-D NumPy array in ``dtype`` (converted when needed)."""
    arr = _real(x, name)
    check_vector_shape(arr.shape, name, size)
    return _contiguous_finite(arr, name, dtype, finite)


def check_outputs_shape(shape, name: str, n: int, k: int) -> None:
    """A per-output array of N samples: (N, k), or (N,) when k = 1."""
    if shape == (n, k) or (k == 1 and shape == (n,)):
        return
    want = f"({n},) or ({n}, 1)" if k == 1 else f"({n}, {k})"
    raise ValueError(f"{name}: expected shape {want} (N samples × k = {k} outputs), got {tuple(shape)}")


def to_host_outputs(x, name: str, dtype, n: int, k: int, finite: bool = True) -> np.ndarray:
    """A C-contiguous (N, k) NumPy array in ``dtype`` from (N, k), or (N,) when k = 1."""
    arr = _real(x, name)
    check_outputs_shape(arr.shape, name, n, k)
    return _contiguous_finite(arr.reshape(n, k), name, dtype, finite)


def require_dtype(x, name: str, dtype) -> None:
    if x.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: expected dtype {np.dtype(dtype).name} (the network's dtype), got "
                        f"{x.dtype}; on the GPU arrays are not converted silently: use "
                        f"{name}.astype({np.dtype(dtype).name})")


def require_device_matrix(xp, x, name: str, dtype, d: int | None = None):
    """A device (N, d) array already in ``dtype``, finite; made contiguous (a no-op
    for the arrays fastntk itself returns)."""
    check_matrix_shape(x.shape, name, d)
    require_dtype(x, name, dtype)
    require_finite(x, name, xp)
    return xp.ascontiguousarray(x)


def require_device_vector(xp, x, name: str, dtype, size: int | None = None, finite: bool = True):
    """A 1-D device array already in ``dtype`` (finite unless ``finite`` is False)."""
    check_vector_shape(x.shape, name, size)
    require_dtype(x, name, dtype)
    if finite:
        require_finite(x, name, xp)
    return xp.ascontiguousarray(x)


def require_device_outputs(xp, x, name: str, dtype, n: int, k: int):
    """A device array of k outputs for n samples already in ``dtype``, finite: (n,) back for
    one output (from (n,) or (n, 1)), (n, k) for k."""
    check_outputs_shape(x.shape, name, n, k)
    require_dtype(x, name, dtype)
    require_finite(x, name, xp)
    return xp.ascontiguousarray(x.reshape(n) if k == 1 else x)


# The largest size or count accepted anywhere: products of such numbers are checked
# again (nbytes), and the core's own size arithmetic is checked too (checked_mul).
MAX_INDEX = 2**62


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value, name: str, minimum: int | None = 0, maximum: int = MAX_INDEX) -> int:
    """An int (Python or NumPy, not bool, and not a float: 2.5 or "3" are refused)."""
    if not _is_integer(value):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)  # 3.0 is 3; NaN, Inf and 2.5 are not integers
        else:
            raise TypeError(f"{name}: expected an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {v}")
    if v > maximum:
        raise ValueError(f"{name}: expected an integer <= {maximum}, got {v}")
    return v


def positive_int(value, name: str, minimum: int = 1) -> int:
    return integer(value, name, minimum)


def real(value, name: str, low: float | None = None, high: float | None = None, *, low_open: bool = False,
         high_open: bool = False) -> float:
    """A finite real number (int or float, not bool or str) within [low, high] (open
    ends where asked)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
    where = f" in {lo or '(-inf'}, {hi or 'inf)'}" if low is not None or high is not None else ""
    if (not np.isfinite(v) or (low is not None and (v < low or (low_open and v == low)))
            or (high is not None and (v > high or (high_open and v == high)))):
        raise ValueError(f"{name}: expected a finite number{where}, got {value!r}")
    return v


def positive(value, name: str, allow_zero: bool = False) -> float:
    """A finite real number > 0 (>= 0 with allow_zero)."""
    return real(value, name, 0.0, low_open=not allow_zero)


def boolean(value, name: str) -> bool:
    """True or False (NumPy's too); "no", 0 or None are refused, not read as truth values."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def choice(value, name: str, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}: expected one of {tuple(allowed)}, got {value!r}")
    return value


def callback_or_none(value, name: str):
    if value is not None and not callable(value):
        raise TypeError(f"{name}: expected a callable f(step, loss) or None, got {type(value).__name__}")
    return value


def nbytes(*counts, itemsize: int = 8) -> int:
    """The bytes of an array of prod(counts) items (exact: Python integers)."""
    out = int(itemsize)
    for c in counts:
        out *= int(c)
    return out


def available_memory() -> int:
    """Bytes the kernel says a new allocation can still get (MemAvailable)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


# Below this a request is not checked: reading /proc/meminfo costs tens of µs, as much
# as a small kernel call's own Python work, and such a request cannot be what fails.
_CHECK_FROM_BYTES = 64 * 2**20


def check_fits(nbytes: int, what: str) -> None:
    if nbytes < _CHECK_FROM_BYTES:
        return
    avail = available_memory()
    if nbytes > avail:
        raise InsufficientMemoryError(
            f"{what} needs {nbytes / 2**30:.2f} GiB but only {avail / 2**30:.2f} GiB are "
            "available; use a row-chunked variant or fewer samples"
        )
