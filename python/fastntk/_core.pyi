# Type stubs of the compiled core (cpp/bindings). Every array is C-contiguous, of
# one dtype (float32 or float64, each function exists for both), shapes as named;
# arguments are checked in Python first (fastntk._cpu), the bindings only guard.
from typing import Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

from .config import TrainConfig

Array = npt.NDArray[np.floating]
Progress = Optional[Callable[[int, float], object]]

has_openmp: bool

class NonFiniteError(ValueError):
    """A core call's forward pass met a NaN/Inf pre-activation or output."""

class Spec:
    """The core's description of an MLP (made by fastntk._cpu from an MLP)."""
    widths: list[int]
    sigma: float
    sigma_b: float
    depth: int
    num_params: int
    def __init__(self, widths: Sequence[int], sigma: float, sigma_b: float, parametrization: str, bias: str,
                 activation: str) -> None: ...
    def weight_offset(self, l: int) -> int: ...
    def bias_offset(self, l: int) -> int: ...
    def weight_multiplier(self, l: int) -> float: ...
    def bias_multiplier(self, l: int) -> float: ...

def blas_load(path: str) -> bool: ...
def blas_describe() -> str: ...
def openmp_threads() -> int: ...
def set_openmp_threads(n: int) -> None: ...

def forward(spec: Spec, theta: Array | Sequence[Array], x: Array) -> Array:
    """f(X), (N, k), for θ (P,) or its per-layer arrays [W1, b1, …] (read in place) and X (N, d)."""
def jacobian(spec: Spec, theta: Array | Sequence[Array], x: Array) -> Array:
    """φ(X), (N·k, P): row i·k + a is ∂f_a(x_i)/∂θ."""
def ntk(spec: Spec, theta: Array | Sequence[Array], x1: Array, x2: Optional[Array], tile: int,
        full: bool = False) -> Array:
    """K(X1, X2) by the structured formula (X2 None: X1, symmetric): (N1, N2) traced over the
    k outputs (their mean), or (N1, N2, k, k) when full."""
def adaptive_ntk(spec: Spec, theta: Array, x1: Array, x2: Optional[Array], d: Array, max_bytes: int) -> Array:
    """φ(X1) diag(d) φ(X2)ᵀ, (N1·k, N2·k), rows and columns as φ's."""
def jvp(spec: Spec, theta: Array, x: Array, v: Array) -> Array:
    """φ(X)v, (N, k), for v (P,)."""
def vjp(spec: Spec, theta: Array, x: Array, r: Array) -> Array:
    """φ(X)ᵀr, (P,), for r (N, k)."""
def infinite_kernels(spec: Spec, x1: npt.NDArray[np.float64], x2: Optional[npt.NDArray[np.float64]],
                     want_nngp: bool, want_ntk: bool, tile: int
                     ) -> tuple[Optional[npt.NDArray[np.float64]], Optional[npt.NDArray[np.float64]]]:
    """(NNGP, NTK) of the infinite-width net, (N1, N2) float64 each or None where not wanted
    (cpp/include/fastntk/infinite.hpp; b_std = spec.sigma_b)."""

def train(spec: Spec, theta0: Array, x: Array, y: Array, x_test: Optional[Array], config: TrainConfig,
          callback: Progress) -> dict:
    """One run: dict(theta (P,), steps, status, path, history={step, train_loss,
    param_distance, max_unit_movement, effective_lr, test_pred?, D?})."""
def train_many(specs: Sequence[Spec], thetas: Sequence[Array], configs: Sequence[TrainConfig], x: Array,
               y: Array, x_test: Optional[Array], callback: Progress, single_threaded_blas: bool) -> list[dict]:
    """Independent runs on the same data, one dict each as train returns."""
def batch_schedule(n: int, batch_size: int, shuffle: bool, seed: int, steps: int) -> npt.NDArray[np.int64]:
    """(steps, batch) row indices of each step's batch, −1 padding a short last batch."""
PARAMETRIZATIONS: tuple[str, ...]
BIAS_MODES: tuple[str, ...]
ACTIVATIONS: tuple[str, ...]
ACTIVATION_KIND: dict[str, int]
OPTIMIZERS: tuple[str, ...]
ADAPTIVE: tuple[str, ...]
MODELS: tuple[str, ...]
LOSSES: tuple[str, ...]
LOSS_KIND: dict[str, int]
PATHS: dict[str, tuple[str, ...]]
def check_path(model: str, path: str, optimizer: str, all_layers: bool) -> None: ...
def choose_path(model: str, path: str, optimizer: str, n: int, d: int, P: int, all_layers: bool, k: int = 1) -> str: ...

class OptimizerRule:
    """The per-update scalars of optimizers.hpp's step_scalars for a config's optimizer."""
    def __init__(self, config: TrainConfig) -> None: ...
    def scalars(self, t: int) -> tuple[float, bool, float, float, float]:
        """(lr_divisor, first, damp, bc1, sqrt_bc2) of update t = 1, 2, …"""

class StepController:
    """The loop control of cpp/include/fastntk/step_control.hpp for ``runs`` stacked runs."""
    step: int
    last_loss: float
    def __init__(self, config: TrainConfig, runs: int, n: int) -> None: ...
    def next_batch(self) -> tuple[Optional[npt.NDArray[np.int64]], bool]: ...
    def judge(self, losses: npt.NDArray[np.float64], known: bool) -> npt.NDArray[np.int64]: ...
    def interrupt(self) -> npt.NDArray[np.int64]: ...
    def advance(self) -> None: ...
    def progress_due(self) -> bool: ...
    def any_active(self) -> bool: ...
    def active(self) -> npt.NDArray[np.bool_]: ...
    def status(self, r: int) -> str: ...
    def steps(self, r: int) -> int: ...
