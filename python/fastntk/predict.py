"""Predictions from precomputed kernels, with neural-tangents' ``predict`` signatures and
conventions, so that a user can swap the module: a kernel model (the linearized network, or
the infinitely wide one with its NTK) trained by gradient flow on the mean squared error, at
continuous time t (t = None for t = ∞), and the GP posterior of a kernel.

Conventions (neural-tangents' ``predict.gradient_descent_mse``): the loss is
½‖f − y‖²/y.size, so under gradient flow with learning rate η the training outputs obey
df/dt = −η Θ (f − y)/y.size (Jacot et al. 2018, Eq. 5; Lee et al. 2019, Eqs. 8–9):

    f_train(t) = y + e^{−ηΘt/n}(f_train(0) − y),
    f_test(t)  = f_test(0) + Θ(X_T, X) Θ⁻¹ (I − e^{−ηΘt/n})(y − f_train(0)),   n = y.size.

A kernel of shape (N1, N2) is one per output (neural-tangents' trace_axes=(-1,)), the
targets (N,) or (N, k); a kernel of shape (N1, N2, k, k) is the full block of k outputs
(trace_axes=()). Kernels are NumPy arrays (CuPy ones are brought to the host); results are
float64 NumPy arrays. ``diag_reg`` adds diag_reg·mean(diag Θ)·I (or diag_reg·I with
``diag_reg_absolute_scale``).

From a network rather than its kernels: :func:`gd_closed_form`, discrete full-batch GD of
the linearized network in closed form (fastntk's loss (1/2N)‖f − Y‖², step counts, arrays
of the inputs' kind, CuPy ones on their GPU); ``fastntk.gd_closed_form`` and
``fastntk.dynamics.gd_closed_form`` are this function.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._arrays import to_host
from ._dispatch import backend_for, on_device
from ._interrupt import interruptible, lapack_is_long
from ._validate import boolean, positive
from .kernels import ntk
from .linalg import KernelSolver, flow_factor, gd_factor, gd_rate
from .model import MLP, _net

Gaussian = namedtuple("Gaussian", ["mean", "covariance"])
"""A predictive distribution: mean, and covariance over the test points (neural-tangents' name)."""


def _host(a, name: str) -> np.ndarray:
    if a is None:
        raise TypeError(f"{name}: expected an array, got None")
    raw = to_host(a) if not isinstance(a, (str, bytes)) else None
    if raw is None or raw.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a real number or array, got {type(a).__name__}"
                        + (f" of dtype {raw.dtype}" if raw is not None else ""))
    a = raw.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or Inf")
    return a


def _kernel(k, name: str) -> tuple[np.ndarray, int | None]:
    """(the kernel as an (N1·k, N2·k) or (N1, N2) matrix, k for a block kernel else None)."""
    k = _host(k, name)
    if k.ndim == 2:
        return k, None
    if k.ndim == 4 and k.shape[2] == k.shape[3]:
        n1, n2, o, _ = k.shape
        return k.transpose(0, 2, 1, 3).reshape(n1 * o, n2 * o), o
    raise ValueError(f"{name}: expected shape (N1, N2) or (N1, N2, k, k), got {k.shape}")


def _targets(y, n: int, outputs: int | None, name: str) -> np.ndarray:
    """y as an (N, c) matrix (c = 1 for y of shape (N,))."""
    y = _host(y, name)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n or (outputs is not None and y.shape[1] != outputs):
        want = f"({n}, {outputs})" if outputs is not None else f"({n},) or ({n}, k)"
        raise ValueError(f"{name}: expected shape {want} to match k_train_train, got {y.shape}")
    return y


def _regularize(k, diag_reg, absolute) -> np.ndarray:
    diag_reg = positive(diag_reg, "diag_reg", allow_zero=True)
    if diag_reg == 0:
        return k
    scale = 1.0 if boolean(absolute, "diag_reg_absolute_scale") else float(np.trace(k)) / k.shape[0]
    return k + diag_reg * scale * np.eye(k.shape[0])


def _initial(f0, like: np.ndarray, name: str) -> np.ndarray:
    """An initial output: a scalar (broadcast) or an array of ``like``'s shape (or (N,) for (N, 1))."""
    f0 = _host(f0, name)
    if f0.ndim == 0:
        return np.broadcast_to(f0, like.shape)
    if f0.ndim == 1 and like.shape[1] == 1:
        f0 = f0[:, None]
    if f0.shape != like.shape:
        raise ValueError(f"{name}: expected a scalar or shape {like.shape}, got {f0.shape}")
    return f0


def _shape_out(v: np.ndarray, y_ndim: int, lead: tuple) -> np.ndarray:
    return v.reshape(lead + v.shape[-2:]) if y_ndim == 2 else v.reshape(lead + v.shape[-2:-1])


class _GradientFlow:
    """gradient_descent_mse's predict_fn: Θ's eigendecomposition taken once, kept with the
    targets (an object, not a closure, so that it pickles with an estimator that holds it)."""

    def __init__(self, k, y, y_ndim, outputs, lr):
        self.lam, self.Q = np.linalg.eigh(0.5 * (k + k.T))
        self.y, self.y_ndim, self.outputs, self.lr = y, y_ndim, outputs, lr
        self.n_pts = k.shape[0] // (outputs or 1)

    def _column(self, v):  # (N, c) → the kernel's basis: (N·k, 1) for a block kernel
        return v.reshape(-1, 1) if self.outputs else v

    def _back(self, v):
        return v.reshape(v.shape[:-2] + (-1, self.outputs)) if self.outputs else v

    def __call__(self, t=None, fx_train_0=0.0, fx_test_0=None, k_test_train=None):
        y, Q, lam, outputs = self.y, self.Q, self.lam, self.outputs
        if t is None:
            tau = np.inf
        else:
            tau = _host(t, "t")
            if (tau < 0).any():
                raise ValueError(f"t: expected times >= 0, got {t!r}")
            tau = tau * self.lr / y.size
        f0 = _initial(fx_train_0, y, "fx_train_0")
        r0 = Q.T @ self._column(y - f0)                     # the residual y − f₀ in Θ's eigenbasis
        g = flow_factor(lam, tau)                           # (…, P): (1 − e^{−λτ})/λ
        decay = 1.0 - g * lam                               # e^{−λτ}; 0 for λ > 0 at τ = ∞
        lead = np.shape(tau) if t is not None else ()
        fx_train = self._back(self._column(y) - np.einsum("ij,...j,jc->...ic", Q, decay, r0))
        fx_train = _shape_out(fx_train, self.y_ndim, lead)
        if k_test_train is None:
            return fx_train
        kt, o2 = _kernel(k_test_train, "k_test_train")
        if o2 != outputs or kt.shape[1] != Q.shape[0]:
            raise ValueError(f"k_test_train: expected shape (N_T, {self.n_pts}"
                             + (f", {outputs}, {outputs})" if outputs else ")") + f", got {np.shape(k_test_train)}")
        n_test = kt.shape[0] // (outputs or 1)
        ft0 = np.zeros((n_test, y.shape[1])) if fx_test_0 is None else _initial(
            fx_test_0, np.zeros((n_test, y.shape[1])), "fx_test_0")
        fx_test = self._back(self._column(ft0) + np.einsum("ti,ij,...j,jc->...tc", kt, Q, g, r0))
        return fx_train, _shape_out(fx_test, self.y_ndim, lead)


def gradient_descent_mse(k_train_train, y_train, learning_rate: float = 1.0, diag_reg: float = 0.0,
                         diag_reg_absolute_scale: bool = False, trace_axes=(-1,)):
    """The kernel model trained by gradient flow on ½‖f − y‖²/y.size (neural-tangents'
    ``predict.gradient_descent_mse``, same arguments and results).

    k_train_train : (N, N) or (N, N, k, k) — the NTK (empirical or infinite) on the training inputs.
    y_train : (N,) or (N, k).
    Returns predict_fn(t=None, fx_train_0=0., fx_test_0=None, k_test_train=None): t a time
    or an array of times (None: t = ∞), fx_train_0 (scalar or like y_train) the outputs at
    t = 0; with k_test_train ((N_T, N) or (N_T, N, k, k)) it returns (fx_train_t, fx_test_t),
    else fx_train_t, each with t's shape in front. Lee et al. 2019 (Wide neural networks of
    any depth evolve as linear models), Eqs. 8–9."""
    if trace_axes not in ((-1,), (), [-1], []):
        raise ValueError(f"trace_axes: expected (-1,) or (), got {trace_axes!r}")
    k, outputs = _kernel(k_train_train, "k_train_train")
    if k.shape[0] != k.shape[1]:
        raise ValueError(f"k_train_train: expected a square kernel, got {k.shape}")
    lr = positive(learning_rate, "learning_rate")
    n_pts = k.shape[0] // (outputs or 1)
    y_in = _host(y_train, "y_train")
    y = _targets(y_in, n_pts, outputs, "y_train")
    k = _regularize(k, diag_reg, diag_reg_absolute_scale)
    return _GradientFlow(k, y, y_in.ndim, outputs, lr)


def gp_inference(k_train_train, y_train, diag_reg: float = 0.0, diag_reg_absolute_scale: bool = False,
                 trace_axes=(-1,)):
    """The GP posterior with prior kernel k_train_train given y_train (neural-tangents'
    ``predict.gp_inference`` on one kernel): with K̃ = K + diag_reg,
    mean = K(X_T, X) K̃⁻¹ y, covariance = K(X_T, X_T) − K(X_T, X) K̃⁻¹ K(X, X_T).

    Returns predict_fn(k_test_train=None, k_test_test=None): the posterior mean on the test
    points ((N_T,) or (N_T, k); on the training points when k_test_train is None), or
    Gaussian(mean, covariance) when k_test_test ((N_T, N_T)) is given. The kernel is one per
    output ((N, N); neural-tangents' trace_axes=(-1,))."""
    if trace_axes not in ((-1,), [-1]):
        raise ValueError(f"trace_axes: expected (-1,) (one kernel per output), got {trace_axes!r}")
    k, outputs = _kernel(k_train_train, "k_train_train")
    if outputs is not None or k.shape[0] != k.shape[1]:
        raise ValueError(f"k_train_train: expected shape (N, N), got {np.shape(k_train_train)}")
    y_in = _host(y_train, "y_train")
    y = _targets(y_in, k.shape[0], None, "y_train")
    solver = KernelSolver(_regularize(k, diag_reg, diag_reg_absolute_scale))
    alpha = solver.solve(y)

    def predict_fn(k_test_train=None, k_test_test=None):
        kt = k if k_test_train is None else _host(k_test_train, "k_test_train")
        if kt.ndim != 2 or kt.shape[1] != k.shape[0]:
            raise ValueError(f"k_test_train: expected shape (N_T, {k.shape[0]}), got {kt.shape}")
        mean = kt @ alpha
        mean = mean if y_in.ndim == 2 else mean[:, 0]
        if k_test_test is None:
            return mean
        ktt = _host(k_test_test, "k_test_test")
        if ktt.shape != (kt.shape[0], kt.shape[0]):
            raise ValueError(f"k_test_test: expected shape ({kt.shape[0]}, {kt.shape[0]}), got {ktt.shape}")
        cov = ktt - kt @ solver.solve(kt.T)
        return Gaussian(mean, 0.5 * (cov + cov.T))

    return predict_fn


# From a network: discrete GD of its linearization in closed form.
def _block_rows(net, params, X1, X2=None):
    """The NTK as the matrix GD iterates with: (N1·k) × (N2·k), row i·k + a for output a of
    sample i (for one output, the (N1, N2) kernel itself)."""
    if net.outputs == 1:
        return ntk(net, params, X1, X2)
    K = ntk(net, params, X1, X2, trace_axes=())
    n1, n2, k, _ = K.shape
    return K.transpose(0, 2, 1, 3).reshape(n1 * k, n2 * k)


@on_device
def gd_closed_form(net: MLP, params, X, Y, X_test, steps, lr: float | None = None) -> np.ndarray:
    """Test predictions of full-batch GD on the linearized model after t steps, for
    each t in ``steps`` (np.inf for the limit), shape (len(steps), N_test) — (len(steps),
    N_test, k) for k outputs, with K the (N·k × N·k) block kernel in what follows.

    With K = QΛQᵀ and u_t − Y = (1 − ηK/N)ᵗ(u₀ − Y):
        f_t(X_T) = f₀(X_T) + K(X_T, X) Q diag((1 − (1 − ηλ/N)ᵗ)/λ) Qᵀ (Y − f₀(X)),
    evaluated stably as −expm1(t·log1p(−ηλ/N))/λ (→ ηt/N as λ → 0) where ηλ/N < 1,
    and as a power of the negative factor where 1 ≤ ηλ/N (whole t); the limit t = ∞
    is f₀ + K(X_T, X)K⁻¹(Y − f₀(X)) (Nonnenmacher et al., Thm 1, linearized model).
    ``lr`` defaults to :func:`fastntk.default_lr`'s η = 1.9·N/λ_max(K), read from the same
    eigendecomposition.
    """
    net = _net(net)
    if X_test is None:
        raise ValueError("X_test: required")
    be = backend_for(params=params, X=X, Y=Y, X_test=X_test)
    theta, X, Y, Xt = be.problem(net, params, X, Y, X_test)
    try:
        steps = np.atleast_1d(np.asarray(steps, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"steps: expected step counts (numbers, np.inf allowed), got {steps!r}") from None
    if steps.ndim != 1 or steps.size == 0:
        raise ValueError(f"steps: expected a non-empty 1-D list of step counts, got shape {steps.shape}")
    if np.any(steps < 0) or np.any(np.isnan(steps)):
        raise ValueError("steps: expected non-negative step counts (np.inf allowed)")
    N = X.shape[0]
    # The kernels where the data is; the eigendecomposition and the per-step formula
    # (N × N) on the host, the result back in the inputs' array kind.
    K = to_host(_block_rows(net, theta, X)).astype(np.float64)
    Kt = to_host(_block_rows(net, theta, Xt, X)).astype(np.float64)
    lr = None if lr is None else positive(lr, "lr")
    # LAPACK does not look at signals: on a worker thread when long.
    lam, Q = interruptible(lambda: np.linalg.eigh(K)) if lapack_is_long(N) else np.linalg.eigh(K)
    if lr is None:  # fastntk.default_lr's rate, from this eigendecomposition of the same K
        if not lam[-1] > 0:
            raise ValueError("X: the NTK Gram matrix has no positive eigenvalue; cannot pick a learning rate")
        lr = gd_rate(N, float(lam[-1]))
    a = lr * lam / N
    if np.any(a >= 2) and np.any(np.isinf(steps)):
        raise ValueError(f"lr: {lr} exceeds the stability limit 2N/λ_max = {2 * N / lam[-1]:.4g}; GD diverges")
    if lam[0] <= 0 and np.any(np.isinf(steps)):
        raise ValueError(f"X: the NTK Gram matrix is singular (λ_min = {lam[0]:.3e}); the t = ∞ limit "
                         "does not exist (duplicate inputs?)")
    r0 = Q.T @ (to_host(Y).astype(np.float64) - to_host(net.apply(theta, X)).astype(np.float64)).reshape(-1)
    f0t = to_host(net.apply(theta, Xt)).astype(np.float64).reshape(-1)
    out = np.empty((len(steps), f0t.size))
    # Where ηλ/N ≥ 1 the factor 1 − ηλ/N is negative (GD oscillates in that direction,
    # converging while ηλ/N < 2): there (1 − ηλ/N)ᵗ is a power of a negative number,
    # defined for whole t only.
    oscillating = a >= 1
    finite = steps[np.isfinite(steps)]
    if oscillating.any() and np.any(finite != np.round(finite)):
        raise ValueError(f"steps: expected whole step counts when η·λ_max/N = {a.max():.3g} ≥ 1 "
                         "(the factor 1 − ηλ/N is negative)")
    for i, t in enumerate(steps):
        out[i] = f0t + Kt @ (Q @ (gd_factor(lam, t, lr, N) * r0))
    return be.xp.asarray(net.output_array(out.reshape(len(steps), Xt.shape[0], net.outputs)).astype(net.dtype))
