"""The infinite-width limit: the analytic NNGP and NTK of the networks fastntk.MLP
describes (ReLU, erf and identity activations), and the predictions of infinitely wide
networks — the ensemble over initializations trained by GD on the squared loss, and
the NNGP posterior (docs/design.md §3; neural-tangents' ``stax`` kernels and
``predict.gradient_descent_mse_ensemble`` in our loss convention (1/2N)‖f − Y‖²).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._dispatch import host_backend_for
from ._validate import boolean, choice, positive, positive_int, real, to_host_matrix, to_host_outputs
from .linalg import KernelSolver, gd_factor, gd_rate
from .model import MLP

GET = ("ntk", "nngp")


@dataclass
class Kernels:
    """ntk, nngp : (N1, N2) float64 — the ones asked for, else None."""
    ntk: np.ndarray | None = None
    nngp: np.ndarray | None = None


@dataclass
class Prediction:
    """mean (N_T,) and covariance (N_T, N_T) over the random initialization (or the
    GP posterior), float64; cov is None when not asked for."""
    mean: np.ndarray
    cov: np.ndarray | None = None


def _net(net) -> MLP:
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    return net


_WHAT = "the infinite-width kernels"


def _host(x, name, d):
    host_backend_for(_WHAT, **{name: x})
    return to_host_matrix(x, name, np.float64, d)


def kernels(net: MLP, X1, X2=None, *, get=GET, tile: int = 2048) -> Kernels:
    """The infinite-width kernels between the rows of X1 (N1, d) and X2 (N2, d; None:
    X1), float64, by the layer recursion of cpp/include/fastntk/infinite.hpp
    (Jacot et al. 2018; Lee et al. 2019): Σˡ = σ²T(Σˡ⁻¹) + b², Θˡ = σ²Ṫ(Σˡ⁻¹)Θˡ⁻¹ + Σˡ
    in the NTK parametrization, the widths kept in the standard one — equal to
    neural-tangents' stax.Dense(W_std=σ, b_std=σ_b) + Relu() (or Erf()) kernels. ``get``:
    "ntk", "nngp" or both. O(N1·N2·L) after one product X1X2ᵀ, in row tiles of ``tile``.

    For a network of k outputs the kernels are per output, (N1, N2): at infinite width the
    outputs are independent and identically distributed, so the full block is this kernel
    times I_k, and it is what neural-tangents' analytic kernel_fn returns for any k."""
    net = _net(net)
    if not isinstance(get, str) and not hasattr(get, "__iter__"):
        raise TypeError(f"get: expected 'ntk', 'nngp' or both, got {get!r}")
    wanted = (get,) if isinstance(get, str) else tuple(get)
    if not wanted:
        raise ValueError(f"get: expected 'ntk', 'nngp' or both, got {get!r}")
    for g in wanted:
        choice(g, "get", GET)
    tile = positive_int(tile, "tile")
    X1 = _host(X1, "X1", net.input_dim)
    X2 = None if X2 is None else _host(X2, "X2", net.input_dim)
    nngp, ntk = host_backend_for(_WHAT).infinite_kernels(net, X1, X2, nngp="nngp" in wanted, ntk="ntk" in wanted,
                                                         tile=tile)
    return Kernels(ntk=ntk, nngp=nngp)


def lambda0(net: MLP, X) -> float:
    """λ₀: the smallest eigenvalue of the infinite-width NTK on the data X — the constant
    the papers' convergence theorems are stated with (000 Sect. 2, Thm 3)."""
    K = kernels(net, X, get="ntk").ntk
    return float(np.linalg.eigvalsh(K)[0])


def gd_mse_ensemble(net: MLP, X, Y, X_test, *, steps=np.inf, lr: float | None = None,
                    compute_cov: bool = True) -> Prediction:
    """The infinitely wide network trained by full-batch GD on (1/2N)‖f − Y‖² for
    ``steps`` steps of size ``lr`` (np.inf: to convergence), as a distribution over
    initializations (Lee et al. 2019, Eq. 16): with Θ, K the NTK and NNGP,
    A = Θ(X_T, X)Θ⁻¹(I − (I − ηΘ/N)ᵗ),

        mean = A Y,   cov = K(X_T, X_T) + A K Aᵀ − A K(X, X_T) − K(X_T, X) Aᵀ.

    lr defaults to 1.9·N/λ_max(Θ) (fastntk.default_lr's rule). At t = ∞ the mean is
    the kernel regressor Θ(X_T, X)Θ⁻¹Y. For k outputs Y is (N, k) and the mean (N_T, k); the
    outputs are independent at infinite width, so cov (N_T, N_T) is every output's."""
    net = _net(net)
    X = _host(X, "X", net.input_dim)
    Xt = _host(X_test, "X_test", net.input_dim)
    Y = to_host_outputs(Y, "Y", np.float64, X.shape[0], net.outputs)
    steps = real(steps, "steps", 0.0) if not (isinstance(steps, float) and np.isinf(steps) and steps > 0) \
        else steps
    compute_cov = boolean(compute_cov, "compute_cov")
    n = X.shape[0]
    if np.isinf(steps) and np.unique(X, axis=0).shape[0] < n:
        raise ValueError("X: the NTK Gram matrix is singular (repeated rows); the t = ∞ limit needs distinct inputs")
    train = kernels(net, X, get=GET)
    lam, Q = np.linalg.eigh(train.ntk)
    lr = gd_rate(n, lam[-1]) if lr is None else positive(lr, "lr")
    if np.isfinite(steps) and np.any(lr * lam / n >= 1) and steps != np.round(steps):
        raise ValueError(f"steps: expected a whole number of steps when η·λ_max/N = {lr * lam[-1] / n:.3g} >= 1")
    if np.isinf(steps) and lam[0] <= 1e-12 * lam[-1]:  # KernelSolver's condition-number limit
        raise ValueError(f"X: the NTK Gram matrix is singular (λ_min = {lam[0]:.3e}, λ_max = {lam[-1]:.3e}); "
                         "the t = ∞ limit needs distinct inputs")
    cross = kernels(net, Xt, X, get=GET)
    A = cross.ntk @ (Q * gd_factor(lam, steps, lr, n)) @ Q.T
    mean = net.output_array(A @ Y)
    if not compute_cov:
        return Prediction(mean)
    test_nngp = kernels(net, Xt, get="nngp").nngp
    cov = test_nngp + A @ train.nngp @ A.T - A @ cross.nngp.T - cross.nngp @ A.T
    return Prediction(mean, 0.5 * (cov + cov.T))


def nngp_posterior(net: MLP, X, Y, X_test, *, noise: float = 0.0, compute_cov: bool = True) -> Prediction:
    """The Bayesian posterior of the infinitely wide network (the NNGP K) given Y with
    Gaussian observation noise of variance ``noise``:
    mean = K(X_T, X)(K + noise·I)⁻¹Y, cov = K(X_T, X_T) − K(X_T, X)(K + noise·I)⁻¹K(X, X_T).
    For k outputs Y is (N, k) and the mean (N_T, k), cov every output's."""
    net = _net(net)
    X = _host(X, "X", net.input_dim)
    Xt = _host(X_test, "X_test", net.input_dim)
    Y = to_host_outputs(Y, "Y", np.float64, X.shape[0], net.outputs)
    noise = positive(noise, "noise", allow_zero=True)
    compute_cov = boolean(compute_cov, "compute_cov")
    K = kernels(net, X, get="nngp").nngp
    solver = KernelSolver(K + noise * np.eye(X.shape[0]))
    Kt = kernels(net, Xt, X, get="nngp").nngp
    mean = net.output_array(Kt @ solver.solve(Y))
    if not compute_cov:
        return Prediction(mean)
    cov = kernels(net, Xt, get="nngp").nngp - Kt @ solver.solve(Kt.T)
    return Prediction(mean, 0.5 * (cov + cov.T))
