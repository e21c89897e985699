"""fastntk.sklearn: the infinite-width regressor passes scikit-learn's estimator checks and is
fastntk.predict on fastntk.infinite's kernels; the NTK/NNGP kernels are fastntk.infinite's,
with gradients in log σ, log σ_b that a GaussianProcessRegressor can fit."""
import numpy as np
import pytest
from conftest import TOL, make_data

pytest.importorskip("sklearn", reason="scikit-learn not installed: fastntk.sklearn is not tested")
from sklearn.base import clone  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from sklearn.gaussian_process.kernels import WhiteKernel  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastntk  # noqa: E402
from fastntk import infinite, predict  # noqa: E402
from fastntk.sklearn import NNGPKernel, NTKKernel, NTKRegressor  # noqa: E402


@parametrize_with_checks([NTKRegressor(), NTKRegressor(kernel="nngp", depth=3, activation="erf")])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _net(d, depth=2, sigma=1.3, sigma_b=0.2, activation="relu"):
    return fastntk.MLP([d] + [1] * depth, sigma=sigma, sigma_b=sigma_b, bias="normal", activation=activation)


@pytest.mark.parametrize("t", [None, 0.5, 4.0])
def test_regressor_is_predict_on_the_infinite_kernel(t):
    X, Y, Xt = make_data(9, 4, 3, 5)
    net = _net(4)
    k = infinite.kernels(net, X, get="ntk").ntk
    kt = infinite.kernels(net, Xt, X, get="ntk").ntk
    want = predict.gradient_descent_mse(k, Y, learning_rate=0.5, diag_reg=1e-6)(t, 0.0, None, kt)[1]
    got = NTKRegressor(sigma=1.3, sigma_b=0.2, t=t, learning_rate=0.5).fit(X, Y).predict(Xt)
    np.testing.assert_allclose(got, want, atol=TOL["solve"])
    if t is None:  # the kernel regressor: the ensemble's mean at t = ∞ (up to the ridge)
        mean = infinite.gd_mse_ensemble(net, X, Y, Xt, compute_cov=False).mean
        np.testing.assert_allclose(got, mean, atol=1e-4)


@pytest.mark.parametrize("kernel, get", [(NTKKernel, "ntk"), (NNGPKernel, "nngp")])
def test_kernels_are_infinite_kernels_with_their_gradients(kernel, get):
    X, _, Xt = make_data(7, 3, 4, 4)
    k = kernel(sigma=1.3, sigma_b=0.2, depth=3)
    net = _net(3, depth=3)
    np.testing.assert_allclose(k(X), getattr(infinite.kernels(net, X, get=get), get), atol=TOL["exact"])
    np.testing.assert_allclose(k(Xt, X), getattr(infinite.kernels(net, Xt, X, get=get), get), atol=TOL["exact"])
    np.testing.assert_allclose(k.diag(X), np.diag(k(X)), atol=TOL["exact"])
    K, grad = k(X, eval_gradient=True)
    assert grad.shape == K.shape + (2,)
    for i in range(len(k.theta)):  # the log-space derivative against central differences at other steps
        def central(h):
            up, down = k.theta.copy(), k.theta.copy()
            up[i] += h
            down[i] -= h
            return (k.clone_with_theta(up)(X) - k.clone_with_theta(down)(X)) / (2 * h)
        fd = (4 * central(1e-2) - central(2e-2)) / 3  # Richardson: error O(h⁴) ≈ 1e-8 relative
        np.testing.assert_allclose(grad[..., i], fd, atol=1e-6 * (1 + np.abs(fd).max()))
    assert repr(clone(k)) == repr(k)


def test_gp_fits_the_kernels_hyperparameters():
    X, _, _ = make_data(30, 3, 5, 2)
    y = np.sin(2 * X[:, 0])
    noise = WhiteKernel(1e-3, noise_level_bounds=(1e-12, 1.0))  # the data are noiseless: a wide bound
    gp = GaussianProcessRegressor(NNGPKernel(sigma=0.5, sigma_b=0.05) + noise, random_state=0).fit(X, y)
    fitted = gp.kernel_.k1
    assert (fitted.sigma, fitted.sigma_b) != (0.5, 0.05)
    assert gp.log_marginal_likelihood_value_ > gp.log_marginal_likelihood(gp.kernel.theta)


def test_bad_kernel_name_is_a_named_error():
    X, Y, _ = make_data(5, 3, 0, 2)
    with pytest.raises(ValueError, match="kernel"):
        NTKRegressor(kernel="rbf").fit(X, Y)
