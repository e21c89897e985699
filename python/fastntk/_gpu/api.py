"""The public operations for arrays on a GPU: the same names, arguments and
numbers as the CPU ones (fastntk.kernels, MLP.apply), CuPy arrays in and out.

Every function takes the Backend first, so the tests can run the same code with
NumPy and host versions of the kernels on a machine without a GPU.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_matrix_shape, check_vector_shape
from . import network as nw
from .runtime import device_memory, on_device

_LAYOUTS: dict = {}


def layout(net) -> nw.Layout:
    key = id(net._spec)
    if key not in _LAYOUTS or _LAYOUTS[key][0] is not net._spec:
        _LAYOUTS[key] = (net._spec, nw.Layout(net))
    return _LAYOUTS[key][1]


def _check_dtype(x, name, dtype):
    if x.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: expected dtype {np.dtype(dtype).name} (the network's dtype), got "
                        f"{x.dtype}; on the GPU arrays are not converted silently: use "
                        f"{name}.astype({np.dtype(dtype).name})")


def _finite(xp, x, name):
    if not bool(xp.isfinite(x).all()):
        raise ValueError(f"{name}: contains NaN or Inf")


def as_matrix(be, x, name, dtype, d):
    check_matrix_shape(x.shape, name, d)
    _check_dtype(x, name, dtype)
    _finite(be.xp, x, name)
    return be.xp.ascontiguousarray(x)


def as_vector(be, x, name, dtype, size, finite=True):
    check_vector_shape(x.shape, name, size)
    _check_dtype(x, name, dtype)
    if finite:
        _finite(be.xp, x, name)
    return be.xp.ascontiguousarray(x)


def flatten(be, net, params):
    """θ on the device from a flat θ or a list [W1, b1, …] of device arrays."""
    xp = be.xp
    if not isinstance(params, (list, tuple)):
        return as_vector(be, params, "params", net.dtype, net.num_params)
    shapes = net.shapes()
    if len(params) != len(shapes):
        raise ValueError(f"params: expected {len(shapes)} arrays {shapes}, got {len(params)}")
    for i, (p, s) in enumerate(zip(params, shapes)):
        if tuple(p.shape) != s:
            raise ValueError(f"params[{i}]: expected shape {s}, got {tuple(p.shape)}")
        _check_dtype(p, f"params[{i}]", net.dtype)
    theta = xp.concatenate([p.ravel() for p in params])
    _finite(xp, theta, "params")
    return theta


def unflatten(be, net, theta):
    return net._views(theta)


def _nbytes(net, *counts):
    return int(np.prod(counts)) * np.dtype(net.dtype).itemsize


@on_device
def apply(be, net, params, X):
    lay = layout(net)
    theta = flatten(be, net, params)
    X = as_matrix(be, X, "X", net.dtype, net.input_dim)
    with device_memory(f"forward pass of {X.shape[0]} rows", _nbytes(net, X.shape[0], sum(net.widths))):
        return nw.forward(be, lay, theta, X).f


@on_device
def ntk(be, net, params, X1, X2=None, tile=2048):
    lay = layout(net)
    theta = flatten(be, net, params)
    X1 = as_matrix(be, X1, "X1", net.dtype, net.input_dim)
    X2 = None if X2 is None else as_matrix(be, X2, "X2", net.dtype, net.input_dim)
    n1, n2 = X1.shape[0], (X1 if X2 is None else X2).shape[0]
    need = _nbytes(net, 1, n1 * n2 + 2 * (n1 + n2) * (sum(net.widths)) + 2 * tile * tile)
    with device_memory(f"ntk of shape ({n1}, {n2})", need):
        fa = nw.features(be, lay, theta, X1)
        fb = None if X2 is None else nw.features(be, lay, theta, X2)
        return nw.gram(be, lay, fa, fb, tile)


@on_device
def jacobian(be, net, params, X):
    lay = layout(net)
    theta = flatten(be, net, params)
    X = as_matrix(be, X, "X", net.dtype, net.input_dim)
    with device_memory(f"jacobian of shape ({X.shape[0]}, {net.num_params})", _nbytes(net, X.shape[0], net.num_params)):
        return nw.jacobian(be, lay, nw.features(be, lay, theta, X))


@on_device
def jvp(be, net, params, X, v):
    lay = layout(net)
    theta = flatten(be, net, params)
    X = as_matrix(be, X, "X", net.dtype, net.input_dim)
    v = as_vector(be, v, "v", net.dtype, net.num_params)
    with device_memory(f"jvp of {X.shape[0]} rows", _nbytes(net, 2 * X.shape[0], sum(net.widths))):
        return nw.jvp(be, lay, theta, nw.forward(be, lay, theta, X), v)


@on_device
def vjp(be, net, params, X, r):
    lay = layout(net)
    theta = flatten(be, net, params)
    X = as_matrix(be, X, "X", net.dtype, net.input_dim)
    r = as_vector(be, r, "r", net.dtype, X.shape[0])
    with device_memory(f"vjp of {X.shape[0]} rows", _nbytes(net, 2 * X.shape[0], sum(net.widths))):
        return nw.vjp(be, lay, theta, nw.forward(be, lay, theta, X), r)


@on_device
def adaptive_ntk(be, net, params, X1, X2=None, *, d, max_bytes=256 * 2**20):
    lay = layout(net)
    theta = flatten(be, net, params)
    X1 = as_matrix(be, X1, "X1", net.dtype, net.input_dim)
    X2 = None if X2 is None else as_matrix(be, X2, "X2", net.dtype, net.input_dim)
    d = as_vector(be, d, "d", net.dtype, net.num_params)
    rows = max(1, int(max_bytes) // (2 * np.dtype(net.dtype).itemsize * net.num_params))
    n2 = X1.shape[0] if X2 is None else X2.shape[0]
    with device_memory(f"adaptive_ntk of shape ({X1.shape[0]}, {n2})",
                       _nbytes(net, X1.shape[0], n2) + int(max_bytes)):
        fa = nw.features(be, lay, theta, X1)
        fb = None if X2 is None else nw.features(be, lay, theta, X2)
        return nw.adaptive_gram(be, lay, fa, fb, d, rows)
