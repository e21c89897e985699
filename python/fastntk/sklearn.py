"""scikit-learn interfaces to the infinite-width kernels: a regressor (the infinitely wide
network trained by gradient flow on the squared loss, or kernel ridge regression with its
NTK or NNGP) and the NTK/NNGP as ``sklearn.gaussian_process.kernels.Kernel`` objects whose
hyper-parameters (σ, σ_b) a GaussianProcessRegressor can fit. scikit-learn is needed here
only (``pip install 'fastntk[sklearn]'``); the rest of fastntk never imports it.

The network is fastntk.MLP in the NTK parametrization with ``depth`` layers (depth − 1
hidden ReLU layers, or erf/identity), weights N(0, σ²) and biases N(0, σ_b²) (``bias``:
"normal", or "none"); at infinite width its kernels depend on σ, σ_b, the depth and the
activation only (Jacot et al. 2018; Lee et al. 2019; neural-tangents'
stax.Dense(W_std=σ, b_std=σ_b))."""
from __future__ import annotations

import numpy as np

from ._optional import require

_base = require("sklearn.base", "fastntk.sklearn")
_gpk = require("sklearn.gaussian_process.kernels", "fastntk.sklearn")
_validation = require("sklearn.utils.validation", "fastntk.sklearn")


def _mlp(d: int, depth: int, sigma: float, sigma_b: float, bias: str, activation: str):
    from .model import MLP
    # The infinite-width kernels do not depend on the hidden widths: one unit each.
    return MLP([d] + [1] * (depth - 1) + [1], sigma=sigma, sigma_b=sigma_b if bias != "none" else None,
               bias=bias, activation=activation)


def _kernel(X1, X2, *, kind, depth, sigma, sigma_b, bias, activation):
    from .infinite import kernels
    net = _mlp(X1.shape[1], depth, sigma, sigma_b, bias, activation)
    return getattr(kernels(net, X1, X2, get=kind), kind)


class NTKRegressor(_base.RegressorMixin, _base.BaseEstimator):
    """The infinitely wide network trained by gradient flow on the squared loss for the time
    ``t`` (None: t = ∞, the kernel regressor), as fastntk.predict.gradient_descent_mse on its
    analytic kernel (``kernel="ntk"``; "nngp" trains its last layer only), with ``diag_reg``
    added to the kernel's diagonal (relative to its mean diagonal, neural-tangents'
    convention): kernel ridge regression at t = ∞. Mean prediction over initializations,
    f₀ = 0. Targets (N,) or (N, k)."""

    def __init__(self, depth=2, sigma=1.0, sigma_b=0.1, bias="normal", activation="relu", kernel="ntk", t=None,
                 learning_rate=1.0, diag_reg=1e-6):
        self.depth = depth
        self.sigma = sigma
        self.sigma_b = sigma_b
        self.bias = bias
        self.activation = activation
        self.kernel = kernel
        self.t = t
        self.learning_rate = learning_rate
        self.diag_reg = diag_reg

    def _k(self, X1, X2=None):
        return _kernel(X1, X2, kind=self.kernel, depth=self.depth, sigma=self.sigma, sigma_b=self.sigma_b,
                       bias=self.bias, activation=self.activation)

    def fit(self, X, y):
        """X (N, d), y (N,) or (N, k): the kernel on X and the gradient-flow predictor."""
        from .predict import gradient_descent_mse
        if self.kernel not in ("ntk", "nngp"):
            raise ValueError(f"kernel: expected 'ntk' or 'nngp', got {self.kernel!r}")
        X, y = _validation.validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        self.X_fit_ = X
        self.flow_ = gradient_descent_mse(self._k(X), y, learning_rate=self.learning_rate, diag_reg=self.diag_reg)
        return self

    def predict(self, X):
        """The mean prediction at X (N_T, d): (N_T,) or (N_T, k)."""
        _validation.check_is_fitted(self)
        X = _validation.validate_data(self, X, reset=False, dtype=np.float64)
        return self.flow_(self.t, 0.0, None, self._k(X, self.X_fit_))[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class _InfiniteWidthKernel(_gpk.Kernel):
    """The analytic kernel of the infinitely wide network as a scikit-learn Kernel, with
    hyper-parameters σ (weight std) and σ_b (bias std) for GP hyper-parameter fitting; its
    gradient in log σ, log σ_b is taken by central differences (steps 10⁻³ and 5·10⁻⁴ in the
    log, extrapolated)."""

    kind = ""

    def __init__(self, sigma=1.0, sigma_b=0.1, depth=2, activation="relu", sigma_bounds=(1e-2, 1e2),
                 sigma_b_bounds=(1e-3, 1e1)):
        self.sigma = sigma
        self.sigma_b = sigma_b
        self.depth = depth
        self.activation = activation
        self.sigma_bounds = sigma_bounds
        self.sigma_b_bounds = sigma_b_bounds

    @property
    def hyperparameter_sigma(self):
        return _gpk.Hyperparameter("sigma", "numeric", self.sigma_bounds)

    @property
    def hyperparameter_sigma_b(self):
        return _gpk.Hyperparameter("sigma_b", "numeric", self.sigma_b_bounds)

    def _at(self, X, Y, sigma, sigma_b):
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        Y = None if Y is None else np.atleast_2d(np.asarray(Y, dtype=np.float64))
        return _kernel(X, Y, kind=self.kind, depth=self.depth, sigma=sigma, sigma_b=sigma_b, bias="normal",
                       activation=self.activation)

    def __call__(self, X, Y=None, eval_gradient=False):
        if eval_gradient and Y is not None:
            raise ValueError("eval_gradient: only supported when Y is None")
        K = self._at(X, Y, self.sigma, self.sigma_b)
        if not eval_gradient:
            return K
        grads = []
        for name in ("sigma", "sigma_b"):
            if getattr(self, f"hyperparameter_{name}").fixed:
                continue

            def central(h):
                up = {"sigma": self.sigma, "sigma_b": self.sigma_b}
                down = dict(up)
                up[name] *= np.exp(h)
                down[name] *= np.exp(-h)
                return (self._at(X, None, **up) - self._at(X, None, **down)) / (2 * h)
            # Richardson's extrapolation of two central differences: error O(h⁴) ≈ 1e-12.
            grads.append((4 * central(5e-4) - central(1e-3)) / 3)
        return K, (np.stack(grads, axis=-1) if grads else np.empty(K.shape + (0,)))

    def diag(self, X):
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return np.array([self._at(x[None], None, self.sigma, self.sigma_b)[0, 0] for x in X])

    def is_stationary(self):
        return False

    def __repr__(self):
        return (f"{type(self).__name__}(sigma={self.sigma:.3g}, sigma_b={self.sigma_b:.3g}, depth={self.depth}, "
                f"activation={self.activation!r})")


class NTKKernel(_InfiniteWidthKernel):
    """The infinite-width NTK Θ as a scikit-learn Kernel (σ, σ_b fitted by a GaussianProcessRegressor)."""
    kind = "ntk"


class NNGPKernel(_InfiniteWidthKernel):
    """The infinite-width NNGP K as a scikit-learn Kernel: the network's prior at initialization."""
    kind = "nngp"
