"""A stand-in for CuPy built on NumPy, so that the public API's GPU dispatch —
fastntk.ntk, MLP.apply, train, train_many, find_lr, gd_closed_form with CuPy
arrays in and out — runs end to end on a machine without a GPU.

Device arrays are a NumPy subclass that behaves like cupy.ndarray where it
matters for catching mistakes: it refuses to mix with host arrays in arithmetic,
functions and assignments (CuPy raises TypeError there), cupy.asarray copies host
data (a device array never shares memory with the host one), and an allocation
that does not fit raises cupy.cuda.memory.OutOfMemoryError. Products go to the
host stand-in for cupy.cublas.gemm and kernels to kernels.cu compiled for the host
(gpu_emulation). ``install()`` puts it in sys.modules as ``cupy`` for a block.
"""
from __future__ import annotations

import collections
import contextlib
import sys
import time
import types

import numpy as np

import gpu_emulation


# What the device was asked to do, for tests of per-step costs: "gemm", "kernel"
# (kernels.cu launches), "op" (CuPy element-wise, reduction and other array
# functions) and "read" (a value brought to the host: get, float, int, bool, item).
counts: collections.Counter = collections.Counter()


class OutOfMemoryError(MemoryError):
    def __init__(self, size=0, total=0):
        super().__init__(f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes).")


class Device:
    def __init__(self, device_id=0):
        self.id = device_id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


def _base(x):
    return x.view(np.ndarray) if isinstance(x, ndarray) else x


def _wrap(r):
    if type(r) is np.ndarray:
        return r.view(ndarray)
    if isinstance(r, np.generic):  # CuPy's reductions give 0-d device arrays, not host scalars
        return np.asarray(r).view(ndarray)
    if isinstance(r, tuple):
        return tuple(_wrap(x) for x in r)
    if isinstance(r, list):
        return [_wrap(x) for x in r]
    return r


def _unwrap(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return _base(x)


def _refuse_host(values, what):
    for x in values:
        if isinstance(x, (list, tuple)):
            _refuse_host(x, what)
        elif isinstance(x, np.ndarray) and not isinstance(x, ndarray):
            raise TypeError(f"Unsupported type {type(x)} in {what}: a NumPy array among CuPy arrays "
                            "(the fake CuPy refuses it as CuPy does)")


def _out_of_memory(e, nbytes=0):
    raise OutOfMemoryError(nbytes) from e


class ndarray(np.ndarray):
    """A device array of the fake CuPy."""

    @property
    def device(self):
        return Device(0)

    def get(self):
        counts["read"] += 1
        return np.array(self.view(np.ndarray), copy=True)

    def _read(self, convert):
        counts["read"] += 1
        return convert(self.view(np.ndarray))

    def __float__(self):
        return self._read(float)

    def __int__(self):
        return self._read(int)

    def __bool__(self):
        return self._read(bool)

    def __index__(self):
        return self._read(lambda a: a.__index__())

    def item(self, *args):
        return self._read(lambda a: a.item(*args))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        counts["op"] += 1
        _refuse_host(inputs + (out or ()), f"cupy.{ufunc.__name__}")
        if out is not None:
            kwargs["out"] = tuple(_base(o) for o in out)
        try:
            result = getattr(ufunc, method)(*(_base(x) for x in inputs), **kwargs)
        except MemoryError as e:
            _out_of_memory(e)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        counts["op"] += 1
        _refuse_host(list(args) + list(kwargs.values()), f"numpy.{func.__name__}")
        try:  # NumPy's own code then runs on host views (its inner calls are not checked)
            return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))
        except MemoryError as e:
            _out_of_memory(e)

    def __getitem__(self, key):
        _refuse_host([key], "an index")
        return _wrap(super().__getitem__(_base(key)))  # a single element stays on the device (0-d)

    def __setitem__(self, key, value):
        _refuse_host([value], "an assignment")
        super().__setitem__(key, _base(value))


ndarray.__module__ = "cupy._core.core"


class _Namespace(types.ModuleType):
    """NumPy's functions (of a module or submodule) returning device arrays."""

    def __init__(self, name, target):
        super().__init__(name)
        self._target = target

    def __getattr__(self, attr):
        value = getattr(self._target, attr)
        if isinstance(value, types.ModuleType):
            return _Namespace(f"{self.__name__}.{attr}", value)
        if callable(value) and not isinstance(value, type):
            def call(*args, **kwargs):
                try:
                    return _wrap(value(*args, **kwargs))
                except MemoryError as e:
                    _out_of_memory(e)
            return call
        return value


def _asarray(a, dtype=None):
    if isinstance(a, ndarray) and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    try:
        return np.array(_base(a), dtype=dtype, copy=True).view(ndarray)  # host → device: a copy
    except MemoryError as e:
        _out_of_memory(e)


def _asnumpy(a):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def _gemm(transa, transb, a, b, out=None, alpha=1.0, beta=0.0):
    for x in (a, b) + (() if out is None else (out,)):
        if not isinstance(x, ndarray):
            raise TypeError(f"cupy.cublas.gemm: expected cupy.ndarray, got {type(x)}")
    counts["gemm"] += 1
    return _wrap(gpu_emulation._gemm(transa, transb, _base(a), _base(b), _base(out), alpha, beta))


class Event:
    def record(self):
        self.t = time.perf_counter()

    def synchronize(self):
        pass


def _elapsed_ms(start, end):
    return (end.t - start.t) * 1e3


def _standard_normal(size=None, dtype=np.float64):
    return np.random.default_rng(0).standard_normal(size, dtype=dtype).view(ndarray)


class _CountingModule(gpu_emulation.HostModule):
    def get_function(self, name):
        launch = super().get_function(name)

        def counted(grid, block, args):
            counts["kernel"] += 1
            launch(grid, block, args)
        return counted


def make_module():
    cp = _Namespace("cupy", np)
    cp.__version__ = "0.0-fake"
    cp.ndarray = ndarray
    cp.asarray = cp.array = _asarray
    cp.asnumpy = _asnumpy
    cp.RawModule = lambda code, options=(): _CountingModule()
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: 1, getDeviceProperties=lambda i: {"name": b"fake GPU (NumPy on the host)"},
        memGetInfo=lambda: (0, 80 * 2**30))
    cp.cuda = types.SimpleNamespace(Device=Device, runtime=runtime, Event=Event, get_elapsed_time=_elapsed_ms,
                                    memory=types.SimpleNamespace(OutOfMemoryError=OutOfMemoryError))
    cp.random = types.SimpleNamespace(standard_normal=_standard_normal)
    cublas = types.ModuleType("cupy.cublas")
    cublas.gemm = _gemm
    cp.cublas = cublas
    return cp


@contextlib.contextmanager
def install():
    """``import cupy`` gives the fake for the duration of the block; the GPU backend's
    caches are emptied before and after, so neither side sees the other's."""
    from fastntk._gpu import runtime
    saved = {k: sys.modules.get(k) for k in ("cupy", "cupy.cublas")}
    cp = make_module()
    sys.modules["cupy"], sys.modules["cupy.cublas"] = cp, cp.cublas
    runtime.cuda_device.cache_clear()
    runtime._module.cache_clear()
    try:
        yield cp
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        runtime.cuda_device.cache_clear()
        runtime._module.cache_clear()
