"""What a backend is: the :class:`Backend` protocol every backend implements and the
checked :class:`Problem` a training call hands it. A leaf module: the backends import it,
and :mod:`fastntk._dispatch`, which picks a backend, imports them only when a call needs
one — so no import runs back up."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Protocol, Sequence


class Problem(NamedTuple):
    """A training problem with its arrays checked and in the backend's array kind:
    θ₀ (P,), X (N, d), Y (N,) for one output or (N, k) for k, X_test (N_test, d) or None."""
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
    dict the core returns (theta, steps, status, path, history).

    Shapes for a network of k outputs: ``apply`` and ``jvp`` give ``net.output_array`` of
    (N, k); ``vjp`` takes r of (N, k) or, for k = 1, (N,); ``jacobian`` gives (N, P) for
    k = 1, (N, k, P) else; ``ntk`` gives (N1, N2) traced over the outputs, (N1, N2, k, k)
    when ``full``; ``adaptive_ntk`` gives (N1·k, N2·k), rows and columns as φ's.

    ``vector`` gives a flat θ (P,) of the backend's kind (converted on the CPU, checked and
    refused on the GPU), ``host`` an array or a list [W1, b1, …] on the host (copies from the
    device on the GPU; the CPU's pass as they are): the public functions ask for them instead
    of testing where an array lives."""

    name: str
    xp: Any

    def apply(self, net, params, X): ...
    def ntk(self, net, params, X1, X2, *, tile: int, full: bool = False): ...
    def jacobian(self, net, params, X): ...
    def jvp(self, net, params, X, v): ...
    def vjp(self, net, params, X, r): ...
    def adaptive_ntk(self, net, params, X1, X2, *, d, max_bytes: int): ...
    def flatten(self, net, params): ...
    def vector(self, net, theta, name: str, *, finite: bool = True): ...
    def host(self, a): ...
    def matrix(self, net, X, name: str): ...
    def problem(self, net, params, X, Y, X_test) -> Problem: ...
    def train(self, net, problem: Problem, config, progress: Callable | None) -> dict: ...
    def train_many(self, nets: Sequence, thetas: Sequence, configs: Sequence, problem: Problem,
                   progress: Callable | None) -> list: ...


class HostBackend(Backend, Protocol):
    """The CPU backend's operations beyond :class:`Backend`, which only it has: the
    analytic infinite-width kernels (float64, cpp/src/infinite.cpp) and the Gram from
    precomputed row-block features, which the tiled Gram of :mod:`fastntk.distributed`
    shares across tiles. :func:`fastntk._dispatch.host_backend_for` is the one place
    that hands it out, and refuses device arrays with a named error."""

    def infinite_kernels(self, net, X1, X2, *, nngp: bool, ntk: bool, tile: int): ...
    def features(self, net, params, X, name: str = "X"): ...
    def ntk_from_features(self, net, a, b=None, *, tile: int = 2048): ...
