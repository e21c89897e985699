"""The GPU backend: the operations of fastntk._protocol.Backend for CuPy arrays,
with the same names, arguments and numbers as the CPU backend.

It is written against a runtime.Device (an array module with GEMM and the kernels),
so the tests run the same code with NumPy and host builds of the kernels on a
machine without a GPU. Arrays are refused, never converted (``require_device_*``).
"""
from __future__ import annotations

import functools

import numpy as np

from .._protocol import Problem
from .._validate import (require_device_matrix, require_device_outputs, require_device_vector, require_dtype,
                         require_finite)
from . import network as nw
from . import train as gtrain
from .._footprint import training_bytes
from .._arrays import on_device
from .runtime import cuda_device, device_memory, to_host


class GpuBackend:
    name = "gpu"
    # What the GPU loop trains, decided here and only here (check_trainable reads these):
    # the element-wise losses (cross_entropy's softmax couples a sample's k outputs), every layer.
    losses = ("squared", "logistic")
    trains_layer_subsets = False

    @classmethod
    def check_trainable(cls, config) -> None:
        """Raise ValueError, naming the setting and what the GPU takes, for a training
        config the GPU loop does not run (those train on the CPU, with NumPy arrays)."""
        if config.train_layers is not None and not cls.trains_layer_subsets:
            raise ValueError(f"train_layers: expected None on the GPU, which trains every layer (got "
                             f"{list(config.train_layers)}); train a subset of layers on the CPU (NumPy arrays)")
        if config.loss not in cls.losses:
            raise ValueError(f"loss: the GPU backend trains the element-wise losses (expected one of "
                             f"{', '.join(map(repr, cls.losses))}, got {config.loss!r}); {config.loss!r} trains on "
                             "the CPU (NumPy arrays)")

    def __init__(self, device):
        self.device = device
        self.xp = device.xp

    def _matrix(self, net, X, name):
        return require_device_matrix(self.xp, X, name, net.dtype, net.input_dim)

    def matrix(self, net, X, name):
        return self._matrix(net, X, name)

    def vector(self, net, theta, name, *, finite=True):
        return require_device_vector(self.xp, theta, name, net.dtype, net.num_params, finite)

    def host(self, a):
        return [to_host(p) for p in a] if isinstance(a, (list, tuple)) else to_host(a)

    def flatten(self, net, params):
        """θ on the device from a flat θ or a list [W1, b1, …] of device arrays."""
        xp = self.xp
        if not isinstance(params, (list, tuple)):
            return require_device_vector(xp, params, "params", net.dtype, net.num_params)
        shapes = net.shapes()
        if len(params) != len(shapes):
            raise ValueError(f"params: expected {len(shapes)} arrays {shapes}, got {len(params)}")
        for i, (p, s) in enumerate(zip(params, shapes)):
            if tuple(p.shape) != s:
                raise ValueError(f"params[{i}]: expected shape {s}, got {tuple(p.shape)}")
            require_dtype(p, f"params[{i}]", net.dtype)
        return require_finite(xp.concatenate([p.ravel() for p in params]), "params", xp)

    def _stack(self, net) -> nw.Stack:
        return nw.Stack(self.device, [net.layout])

    def _features(self, net, theta, X) -> nw.Features:
        """One run's features as 2-D arrays (the Gram and the Jacobian read them)."""
        return self._stack(net).features(theta[None], X).run(0)

    def _nbytes(self, net, *counts):
        return int(np.prod(counts)) * np.dtype(net.dtype).itemsize

    @on_device
    def apply(self, net, params, X):
        theta = self.flatten(net, params)
        X = self._matrix(net, X, "X")
        with device_memory(f"forward pass of {X.shape[0]} rows", self._nbytes(net, X.shape[0], sum(net.widths))):
            return self._stack(net).forward(theta[None], X).f[0]

    @on_device
    def ntk(self, net, params, X1, X2, *, tile, full=False):
        lay, be, k = net.layout, self.device, net.outputs
        theta = self.flatten(net, params)
        X1 = self._matrix(net, X1, "X1")
        X2 = None if X2 is None else self._matrix(net, X2, "X2")
        n1, n2 = X1.shape[0], (X1 if X2 is None else X2).shape[0]
        blocks = k * k if full else 1
        # k outputs: Δ for each (k·Σm); the full block is written flat, then reordered into a second array
        copies = 2 if full and k > 1 else 1
        need = self._nbytes(net, 1, copies * n1 * n2 * blocks + 2 * (n1 + n2) * k * (sum(net.widths) + k)
                            + 2 * tile * tile)
        shape = f"({n1}, {n2}, {k}, {k})" if full else f"({n1}, {n2})"
        with device_memory(f"ntk of shape {shape}", need):
            fa = self._features(net, theta, X1)
            fb = None if X2 is None else self._features(net, theta, X2)
            K = nw.gram(be, lay, fa, fb, tile, full)
            return K[:, :, None, None] if full and k == 1 else K  # one output: the (1, 1) block is K

    @on_device
    def jacobian(self, net, params, X):
        theta = self.flatten(net, params)
        X = self._matrix(net, X, "X")
        n, k = X.shape[0], net.outputs
        with device_memory(f"jacobian of shape ({n}, {f'{k}, ' if k > 1 else ''}{net.num_params})",
                           self._nbytes(net, n, k, net.num_params)):
            J = nw.jacobian(self.device, net.layout, self._features(net, theta, X))
            return J if k == 1 else J.reshape(n, k, net.num_params)

    @on_device
    def jvp(self, net, params, X, v):
        theta = self.flatten(net, params)
        X = self._matrix(net, X, "X")
        v = require_device_vector(self.xp, v, "v", net.dtype, net.num_params)
        with device_memory(f"jvp of {X.shape[0]} rows",
                           self._nbytes(net, 2 * X.shape[0], net.outputs * sum(net.widths))):
            st = self._stack(net)
            return st.jvp_features(st.features(theta[None], X), v[None])[0]

    @on_device
    def vjp(self, net, params, X, r):
        theta = self.flatten(net, params)
        X = self._matrix(net, X, "X")
        r = require_device_outputs(self.xp, r, "r", net.dtype, X.shape[0], net.outputs)
        with device_memory(f"vjp of {X.shape[0]} rows", self._nbytes(net, 2 * X.shape[0], sum(net.widths))):
            st = self._stack(net)
            return st.vjp(theta[None], st.forward(theta[None], X), r[None])[0]

    @on_device
    def adaptive_ntk(self, net, params, X1, X2, *, d, max_bytes):
        lay, be = net.layout, self.device
        theta = self.flatten(net, params)
        X1 = self._matrix(net, X1, "X1")
        X2 = None if X2 is None else self._matrix(net, X2, "X2")
        d = require_device_vector(self.xp, d, "d", net.dtype, net.num_params)
        k = net.outputs
        rows = max(1, int(max_bytes) // (2 * np.dtype(net.dtype).itemsize * k * net.num_params))
        n2 = X1.shape[0] if X2 is None else X2.shape[0]
        with device_memory(f"adaptive_ntk of shape ({X1.shape[0] * k}, {n2 * k})",
                           self._nbytes(net, X1.shape[0] * k, n2 * k) + int(max_bytes)):
            fa = self._features(net, theta, X1)
            fb = None if X2 is None else self._features(net, theta, X2)
            return nw.adaptive_gram(be, lay, fa, fb, d, rows)

    @on_device
    def problem(self, net, params, X, Y, X_test) -> Problem:
        X = self._matrix(net, X, "X")
        Y = require_device_outputs(self.xp, Y, "Y", net.dtype, X.shape[0], net.outputs)
        Xt = None if X_test is None else self._matrix(net, X_test, "X_test")
        return Problem(self.flatten(net, params), X, Y, Xt)

    @on_device
    def train(self, net, problem, config, progress):
        return self.train_many([net], [problem.theta], [config], problem, progress)[0]

    @on_device
    def train_many(self, nets, thetas, configs, problem, progress):
        """Runs that differ only in σ, θ₀ and lr are stacked and trained as one batch
        (one loop, batched products, one host read per step); the others run alone."""
        for cfg in configs:
            self.check_trainable(cfg)
        groups: dict = {}
        for i, (net, cfg) in enumerate(zip(nets, configs)):
            groups.setdefault(gtrain.group_key(net, cfg, problem.X.shape[0]), []).append(i)
        results: list = [None] * len(nets)
        for idx in groups.values():
            lays = [nets[i].layout for i in idx]
            cfgs = [configs[i] for i in idx]
            n_test = 0 if problem.X_test is None else problem.X_test.shape[0]
            need = training_bytes(cfgs[0], lays[0].widths, lays[0].P, lays[0].dtype.itemsize, problem.X.shape[0], n_test,
                                  runs=len(idx))
            what = (f"training ({cfgs[0].model}, {cfgs[0].optimizer}, N = {problem.X.shape[0]}, P = {lays[0].P})"
                    if len(idx) == 1 else
                    f"{len(idx)} stacked training runs ({cfgs[0].model}, {cfgs[0].optimizer}, P = {lays[0].P})")
            with device_memory(what, need):
                outs = gtrain.train(self.device, lays, [thetas[i] for i in idx], problem.X, problem.Y,
                                    problem.X_test, cfgs, progress=progress)
            for i, out in zip(idx, outs):
                results[i] = out
        return results


@functools.lru_cache(maxsize=None)
def _backend(device) -> GpuBackend:
    return GpuBackend(device)


def gpu_backend() -> GpuBackend:
    """The GPU backend over CuPy, cuBLAS and the kernels of cuda/ (one per process)."""
    return _backend(cuda_device())
