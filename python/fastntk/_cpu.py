"""The CPU backend: NumPy arrays in and out, every computation one call into the
compiled core (cpp/), which releases the GIL and calls NumPy's own BLAS.

Host arrays are converted to the network's dtype and made contiguous when needed
(``to_host_*``); the memory a result needs is checked before the call.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import _core
from ._blas import blas_limited_to_one_thread
from ._footprint import training_bytes
from ._protocol import Problem
from ._interrupt import LONG_FLOPS, interruptible
from ._validate import check_fits, nbytes, require_finite, to_host_matrix, to_host_outputs, to_host_vector


class CpuBackend:
    name = "cpu"
    xp = np

    def __init__(self):
        self._specs = weakref.WeakKeyDictionary()

    def spec(self, net) -> _core.Spec:
        """The core's description of ``net`` (made once per network)."""
        spec = self._specs.get(net)
        if spec is None:
            spec = self._specs[net] = _core.Spec(list(net.widths), net.sigma, net.sigma_b, net.parametrization,
                                                 net.bias, net.activation)
        return spec

    def flatten(self, net, params):
        return net.flatten(params)

    def matrix(self, net, X, name):
        return to_host_matrix(X, name, net.dtype, net.input_dim)

    def vector(self, net, theta, name, *, finite=True):
        return to_host_vector(theta, name, net.dtype, net.num_params, finite=finite)

    def host(self, a):
        return a  # host arrays already (converted, where needed, by whoever reads them)

    def _inputs(self, net, params, X, name="X", *, layers=False):
        # Neither θ nor X is scanned for NaN/Inf here: the core's forward pass finds them
        # (see _core_call), which at small N saves passes over P parameters per call. With
        # ``layers`` the core reads a list of per-layer arrays in place (forward, Jacobian, NTK,
        # features); the other calls take one flat θ.
        theta = net.params_in_place(params) if layers else net.flatten(params, check_finite=False)
        return theta, to_host_matrix(X, name, net.dtype, net.input_dim, finite=False)

    @staticmethod
    def _core_call(fn, theta, flops=0.0, **inputs):
        """fn(theta) in the core — on a worker thread when it is long (``flops``), so that
        Ctrl-C stops it within a second; a non-finite forward pass is named: NaN or Inf
        in θ or in an input (checked in that order), or else an overflow."""
        try:
            if flops < LONG_FLOPS:
                return fn(theta)
            return interruptible(lambda: fn(theta), cancel=_core.request_cancel, clear=_core.clear_cancel)
        except _core.NonFiniteError:
            if isinstance(theta, list):
                for i, p in enumerate(theta):
                    require_finite(p, f"params[{i}]")
            else:
                require_finite(theta, "params")
            for name, x in inputs.items():
                if x is not None:
                    require_finite(x, name)
            raise FloatingPointError(
                "the network's activations overflowed to Inf or NaN although params and the inputs are "
                "finite; use a smaller sigma, smaller inputs or float64") from None

    def _activations_fit(self, net, n, copies, what):
        check_fits(nbytes(copies * n, sum(net.widths[1:]) + net.input_dim, itemsize=net.layout.dtype.itemsize)
                   + nbytes(net.num_params, itemsize=net.layout.dtype.itemsize), what)

    def apply(self, net, params, X):
        theta, X = self._inputs(net, params, X, layers=True)
        # The core runs f(X) in blocks of rows (cpp forward_outputs): one block's activations, and the outputs.
        n, item = X.shape[0], net.layout.dtype.itemsize
        rows = min(n, self.spec(net).forward_block_rows())
        check_fits(nbytes(rows, sum(net.widths[1:]), itemsize=item) + nbytes(n, net.outputs, itemsize=item)
                   + nbytes(net.num_params, itemsize=item), f"forward pass of {n} rows")
        return net.output_array(self._core_call(lambda th: _core.forward(self.spec(net), th, X), theta,
                                             2.0 * X.shape[0] * net.num_params, X=X))

    def ntk(self, net, params, X1, X2, *, tile, full=False):
        theta, X1 = self._inputs(net, params, X1, "X1", layers=True)
        X2 = None if X2 is None else to_host_matrix(X2, "X2", net.dtype, net.input_dim, finite=False)
        n1, n2 = X1.shape[0], (X1 if X2 is None else X2).shape[0]
        item = np.dtype(net.dtype).itemsize
        k = net.outputs
        hidden = sum(net.widths[1:])
        # Activations once, Δ once per output; the full block's tiles shrink by k (cpp gram_blocks).
        t1, t2 = (min(tile // k or 1, n1), min(tile // k or 1, n2)) if full else (min(tile, n1), min(tile, n2))
        out = n1 * n2 * (k * k if full else 1)
        check_fits(item * (out + 2 * (n1 + n2) * (k * hidden + net.input_dim) + (1 + k * k) * t1 * t2),
                   f"ntk of shape ({n1}, {n2}{f', {k}, {k}' if full else ''})")
        return self._core_call(lambda th: _core.ntk(self.spec(net), th, X1, X2, tile, full), theta,
                            2.0 * k * ((n1 + n2) * net.num_params + n1 * n2 * hidden * (k if full else 1)),
                            X1=X1, X2=X2)

    def features(self, net, params, X, name="X"):
        """A row block's features, (X, [A_1 … A_{L−1}], [Δ¹ … Δ^{L−1}]) as NumPy arrays (Δˡ has
        N·k rows, one per sample and output), for
        :meth:`ntk_from_features`: blocks that meet in many tiles pass once. ``name``
        names X in errors."""
        theta, X = self._inputs(net, params, X, name, layers=True)
        return self._core_call(lambda th: _core.features(self.spec(net), th, X), theta, 0.0, **{name: X})

    def ntk_from_features(self, net, a, b=None, *, tile=2048):
        """K between two blocks of :meth:`features` (b None: the symmetric Gram of a)."""
        return _core.ntk_features(self.spec(net), a, b, tile)

    def jacobian(self, net, params, X):
        theta, X = self._inputs(net, params, X, layers=True)
        n, k = X.shape[0], net.outputs
        check_fits(np.dtype(net.dtype).itemsize * n * k * net.num_params,
                   f"jacobian of shape ({n}, {f'{k}, ' if k > 1 else ''}{net.num_params})")
        J = self._core_call(lambda th: _core.jacobian(self.spec(net), th, X), theta, 4.0 * n * k * net.num_params, X=X)
        return J if k == 1 else J.reshape(n, k, net.num_params)

    def jvp(self, net, params, X, v):
        theta, X = self._inputs(net, params, X)
        v = to_host_vector(v, "v", net.dtype, net.num_params)
        self._activations_fit(net, X.shape[0], 3, f"jvp of {X.shape[0]} rows")
        return net.output_array(self._core_call(lambda th: _core.jvp(self.spec(net), th, X, v), theta,
                                             4.0 * X.shape[0] * net.num_params, X=X))

    def vjp(self, net, params, X, r):
        theta, X = self._inputs(net, params, X)
        r = to_host_outputs(r, "r", net.dtype, X.shape[0], net.outputs)
        self._activations_fit(net, X.shape[0], 2, f"vjp of {X.shape[0]} rows")
        return self._core_call(lambda th: _core.vjp(self.spec(net), th, X, r), theta, 4.0 * X.shape[0] * net.num_params,
                            X=X)

    def adaptive_ntk(self, net, params, X1, X2, *, d, max_bytes):
        theta, X1 = self._inputs(net, params, X1, "X1")
        X2 = None if X2 is None else to_host_matrix(X2, "X2", net.dtype, net.input_dim, finite=False)
        d = to_host_vector(d, "d", net.dtype, net.num_params)
        n1, n2, k = X1.shape[0], X1.shape[0] if X2 is None else X2.shape[0], net.outputs
        item = np.dtype(net.dtype).itemsize
        chunks = min(int(max_bytes), item * k * (n1 + n2) * net.num_params)
        check_fits(item * (n1 * n2 * k * k) + chunks, f"adaptive_ntk of shape ({n1 * k}, {n2 * k})")
        return self._core_call(lambda th: _core.adaptive_ntk(self.spec(net), th, X1, X2, d, int(max_bytes)),
                            theta, 2.0 * k * (n1 + n2) * net.num_params * (1 + k * min(n1, n2)),
                            X1=X1, X2=X2)

    def infinite_kernels(self, net, X1, X2, *, nngp: bool, ntk: bool, tile: int):
        """The infinite-width NNGP and NTK (float64; None where not asked for)."""
        X1 = to_host_matrix(X1, "X1", np.float64, net.input_dim)
        X2 = None if X2 is None else to_host_matrix(X2, "X2", np.float64, net.input_dim)
        n1, n2 = X1.shape[0], (X1 if X2 is None else X2).shape[0]
        check_fits(nbytes(n1 * n2 * (int(nngp) + int(ntk)) + min(tile, n1) * n2),
                   f"infinite-width kernels of shape ({n1}, {n2})")
        def call():
            return _core.infinite_kernels(self.spec(net), X1, X2, nngp, ntk, tile)
        if 2.0 * n1 * n2 * (net.input_dim + 5 * net.depth) < LONG_FLOPS:
            return call()
        return interruptible(call, cancel=_core.request_cancel, clear=_core.clear_cancel)

    def problem(self, net, params, X, Y, X_test) -> Problem:
        theta, X = net.flatten(params), to_host_matrix(X, "X", net.dtype, net.input_dim)
        Y = to_host_outputs(Y, "Y", net.dtype, X.shape[0], net.outputs)
        Y = Y.reshape(X.shape[0]) if net.outputs == 1 else Y
        Xt = None if X_test is None else to_host_matrix(X_test, "X_test", net.dtype, net.input_dim)
        return Problem(theta, X, Y, Xt)

    def _training_fits(self, net, n, n_test, config):
        check_fits(training_bytes(config, net.widths, net.num_params, net.layout.dtype.itemsize, n, n_test),
                   f"training ({config.model}, {config.optimizer}, N = {n}, P = {net.num_params})")

    def train(self, net, problem, config, progress):
        self._training_fits(net, problem.X.shape[0], 0 if problem.X_test is None else problem.X_test.shape[0],
                            config)
        return self._outputs(net, _core.train(self.spec(net), problem.theta, problem.X, problem.Y, problem.X_test,
                                              config, progress))

    def train_many(self, nets, thetas, configs, problem, progress):
        n_test = 0 if problem.X_test is None else problem.X_test.shape[0]
        for net, cfg in zip(nets, configs):  # OpenMP runs up to one member per core at once
            self._training_fits(net, problem.X.shape[0], n_test, cfg)
        # One BLAS thread per member: the members themselves fill the cores.
        with blas_limited_to_one_thread() as single:
            outs = _core.train_many([self.spec(n) for n in nets], list(thetas), list(configs), problem.X,
                                    problem.Y, problem.X_test, progress, single)
        return [self._outputs(net, out) for net, out in zip(nets, outs)]

    @staticmethod
    def _outputs(net, out):
        """The test predictions (records, N_test, k) the core records, as the network's outputs."""
        hist = out["history"]
        if "test_pred" in hist:
            hist["test_pred"] = net.output_array(hist["test_pred"])
        return out
