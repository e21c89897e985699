"""The backend boundary: every public computation asks :func:`backend_for` once,
with its arrays, and calls the backend it gets. Backends implement :class:`Backend`;
the CPU one (``_cpu``) calls the compiled core, the GPU one (``_gpu.backend``)
cuBLAS and the kernels of ``cuda/`` through CuPy. Neither is imported before a call
needs it: fastntk on NumPy arrays imports nothing of the GPU backend.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple, Protocol, Sequence

from ._arrays import is_device_array, on_device, placement  # noqa: F401 (re-exported for the layers above)


class Problem(NamedTuple):
    """A training problem with its arrays checked and in the backend's array kind:
    θ₀ (P,), X (N, d), Y (N,), X_test (N_test, d) or None."""
    theta: Any
    X: Any
    Y: Any
    X_test: Any


class Backend(Protocol):
    """What a backend computes; arrays in and out are of the backend's kind (``xp``).

    The kernel operations take the network (an :class:`~fastntk.MLP`, read through
    its public ``layout``), θ as a flat array or a list [W1, b1, …], and inputs of
    shape (N, d); they check and convert (CPU) or check and refuse (GPU) their
    arguments and name the argument in every error. Training takes checked
    problems and frozen :class:`~fastntk.TrainConfig`s and returns, per run, the
    dict the core returns (theta, steps, status, path, history)."""

    name: str
    xp: Any

    def apply(self, net, params, X): ...
    def ntk(self, net, params, X1, X2, *, tile: int): ...
    def jacobian(self, net, params, X): ...
    def jvp(self, net, params, X, v): ...
    def vjp(self, net, params, X, r): ...
    def adaptive_ntk(self, net, params, X1, X2, *, d, max_bytes: int): ...
    def flatten(self, net, params): ...
    def matrix(self, net, X, name: str): ...
    def problem(self, net, params, X, Y, X_test) -> Problem: ...
    def train(self, net, problem: Problem, config, progress: Callable | None) -> dict: ...
    def train_many(self, nets: Sequence, thetas: Sequence, configs: Sequence, problem: Problem,
                   progress: Callable | None) -> list: ...


@functools.lru_cache(maxsize=None)
def cpu() -> Backend:
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
