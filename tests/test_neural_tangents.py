"""fastntk.infinite against neural-tangents itself (stax kernels, the GD-MSE ensemble at
t = ∞ and the GP posterior), where neural-tangents is installed (`pip install ".[nt]"`).
Skipped elsewhere."""
import numpy as np
import pytest
from conftest import TOL, rho_one
from hypothesis import given
from hypothesis import strategies as st

import fastntk
from fastntk import infinite

nt = pytest.importorskip("neural_tangents", reason="neural-tangents not installed: the stax comparison skipped")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
stax = nt.stax
scipy_linalg = pytest.importorskip("scipy.linalg")
for _name in ("tril", "triu"):  # neural-tangents 0.6.5's predict calls them; SciPy ≥ 1.13 removed them
    if not hasattr(scipy_linalg, _name):
        setattr(scipy_linalg, _name, getattr(np, _name))


def stax_network(net):
    """neural-tangents' description of ``net``: Dense(W_std=σ, b_std=σ_b) in either
    parametrization (b_std None without biases), and Relu(), Erf() or Identity() between
    the layers."""
    b_std = None if net.bias == "none" else net.sigma_b
    layers = []
    for l in range(1, net.depth + 1):
        layers.append(stax.Dense(net.widths[l], W_std=net.sigma, b_std=b_std, parameterization=net.parametrization))
        if l < net.depth:
            layers.append({"relu": stax.Relu, "erf": stax.Erf}.get(net.activation, stax.Identity)())
    return stax.serial(*layers)[2]


nets = st.builds(
    lambda widths, sigma, param, bias, act, sigma_b: fastntk.MLP(widths + [1], sigma=sigma, parametrization=param,
                                                                 bias=bias, activation=act, sigma_b=sigma_b),
    st.lists(st.integers(1, 40), min_size=1, max_size=4), st.floats(0.3, 3.0), st.sampled_from(["ntk", "standard"]),
    st.sampled_from(["normal", "none"]), st.sampled_from(["relu", "erf", "identity"]), st.floats(0.1, 2.0))


def relative(a, b):
    return float(np.abs(np.asarray(a) - b).max() / max(1e-300, np.abs(b).max()))


@given(nets, st.integers(1, 8), st.integers(1, 6), st.booleans(), st.integers(0, 10**6))
def test_kernels_equal_stax(net, n1, n2, cross, seed):
    """Every parametrization, bias mode (NT has no 'zero': biases that start at 0 are
    not a stax layer), activation and set of widths, symmetric and cross."""
    rng = np.random.default_rng(seed)
    X1 = rng.standard_normal((n1, net.input_dim)) * rng.uniform(0.1, 3)
    X2 = rng.standard_normal((n2, net.input_dim)) if cross else None
    want = stax_network(net)(X1, X2, ("nngp", "ntk"))
    got = infinite.kernels(net, X1, X2)
    # ρ = ±1 in the first layer (collinear inputs without biases) and on the diagonal, where
    # neural-tangents takes arccos at 1 − O(ε); ours is checked against closed forms there
    # (test_infinite), here against stax within stax's own rounding
    at_one = rho_one(net, X1, X2)
    if not cross:
        np.fill_diagonal(at_one, True)
    relu_layers = net.depth - 1 if net.activation == "relu" else 0
    for name in ("nngp", "ntk"):
        a, b = np.asarray(getattr(want, name)), getattr(got, name)
        err, scale = np.abs(a - b), np.abs(b).max()
        assert err[~at_one].max(initial=0) <= TOL["exact"] * scale
        assert err[at_one].max(initial=0) <= TOL["rho_one"] * max(1, relu_layers) * scale


@pytest.mark.parametrize("activation", ["relu", "erf", "identity"])
@pytest.mark.parametrize("sigma, sigma_b", [(1.3, 0.4), (0.8, 2.1)])
def test_ntk_parametrization_with_its_own_bias_scale_equals_stax(activation, sigma, sigma_b):
    """MLP(sigma=σ, sigma_b=σ_b) in the NTK parametrization is
    stax.Dense(W_std=σ, b_std=σ_b, parameterization="ntk"): its NNGP and NTK."""
    rng = np.random.default_rng(5)
    net = fastntk.MLP([4, 30, 30, 1], sigma=sigma, sigma_b=sigma_b, bias="normal", activation=activation)
    layers = [stax.Dense(m, W_std=sigma, b_std=sigma_b, parameterization="ntk") for m in (30, 30, 1)]
    act = {"relu": stax.Relu, "erf": stax.Erf, "identity": stax.Identity}[activation]
    kf = stax.serial(layers[0], act(), layers[1], act(), layers[2])[2]
    X1, X2 = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    want, got = kf(X1, X2, ("nngp", "ntk")), infinite.kernels(net, X1, X2)
    for name in ("nngp", "ntk"):
        assert relative(getattr(want, name), getattr(got, name)) <= TOL["exact"]


@pytest.mark.parametrize("parametrization", ["ntk", "standard"])
def test_gd_ensemble_at_convergence_and_gp_posterior_equal_neural_tangents(parametrization):
    rng = np.random.default_rng(3)
    net = fastntk.MLP([3, 50, 50, 1], sigma=1.4, parametrization=parametrization, bias="normal")
    X, Xt = rng.standard_normal((12, 3)), rng.standard_normal((5, 3))
    Y = np.sin(X.sum(1))
    kf = stax_network(net)
    predict = nt.predict.gradient_descent_mse_ensemble(kf, X, Y[:, None], diag_reg=0.0)
    mean, cov = predict(t=None, x_test=Xt, get="ntk", compute_cov=True)
    ours = infinite.gd_mse_ensemble(net, X, Y, Xt)
    assert relative(np.asarray(mean)[:, 0], ours.mean) <= TOL["solve"]
    assert relative(cov, ours.cov) <= TOL["solve"]
    noise = 0.05
    k_tt = kf(X, None, "nngp")
    gp = nt.predict.gp_inference(k_tt, Y[:, None], diag_reg=noise, diag_reg_absolute_scale=True)
    mean, cov = gp(get="nngp", k_test_train=kf(Xt, X, "nngp"), k_test_test=kf(Xt, None, "nngp"))
    post = infinite.nngp_posterior(net, X, Y, Xt, noise=noise)
    assert relative(np.asarray(mean)[:, 0], post.mean) <= TOL["solve"]
    assert relative(cov, post.cov) <= TOL["solve"]


@pytest.mark.parametrize("outputs", [1, 3])
def test_predict_functions_equal_neural_tangents(outputs):
    """fastntk.predict against nt.predict on the same kernels: gradient_descent_mse at several
    t and at ∞ (training and test outputs, from nonzero initial outputs), and gp_inference's
    mean and covariance."""
    from fastntk import predict
    rng = np.random.default_rng(outputs)
    a = rng.standard_normal((9, 9))
    k_all = a @ a.T / 9 + 0.1 * np.eye(9)
    k, kt, ktt = k_all[:6, :6], k_all[6:, :6], k_all[6:, 6:]
    y, f0, ft0 = rng.standard_normal((6, outputs)), rng.standard_normal((6, outputs)), rng.standard_normal((3, outputs))
    ours = predict.gradient_descent_mse(k, y, learning_rate=0.7, diag_reg=1e-3)
    theirs = nt.predict.gradient_descent_mse(k, y, learning_rate=0.7, diag_reg=1e-3)
    for t in (0.5, 3.0, None):
        for got, want in zip(ours(t, f0, ft0, kt), theirs(t, f0, ft0, kt)):
            np.testing.assert_allclose(got, np.asarray(want), atol=TOL["solve"])
    got = predict.gp_inference(k, y, diag_reg=1e-2)(kt, ktt)
    # one kernel for the prior and the posterior: neural-tangents' get="nngp" reading of plain arrays
    # (get=None asks for the NNGP and the NTK posteriors and needs both kernels as namedtuples)
    want = nt.predict.gp_inference(k, y, diag_reg=1e-2)(get="nngp", k_test_train=kt, k_test_test=ktt)
    np.testing.assert_allclose(got.mean, np.asarray(want.mean), atol=TOL["solve"])
    np.testing.assert_allclose(got.covariance, np.asarray(want.covariance), atol=TOL["solve"])


def stax_params(net, theta):
    """fastntk's θ as the stax network's parameters: Dense holds (W of shape (in, out), b),
    so Wᵀ; the activations hold ()."""
    params = net.unflatten(theta)
    out = []
    for l in range(net.depth):
        out.append((jax.numpy.asarray(params[2 * l].T), jax.numpy.asarray(params[2 * l + 1])))
        if l < net.depth - 1:
            out.append(())
    return out


# neural-tangents 0.6.5's implementation 3 (structured derivatives) reads attributes of
# jax.interpreters.ad that its pinned JAX 0.4.23 deprecates; the warnings are theirs, not a fault of
# the comparison.
@pytest.mark.filterwarnings("ignore:jax.interpreters.ad.* is deprecated:DeprecationWarning")
@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_empirical_ntk_of_k_outputs_equals_neural_tangents(outputs, activation):
    """The same stax network at the same θ: neural-tangents' empirical_ntk_fn, all three of
    its implementations, with trace_axes=(-1,) and (), against fastntk.ntk."""
    net = fastntk.MLP([5, 12, 9, outputs], sigma=1.3, sigma_b=0.4, bias="normal", activation=activation)
    layers = []
    for l in range(1, net.depth + 1):
        layers.append(stax.Dense(net.widths[l], W_std=net.sigma, b_std=net.sigma_b, parameterization="ntk"))
        if l < net.depth:
            layers.append({"relu": stax.Relu, "erf": stax.Erf}[activation]())
    _, apply_fn, _ = stax.serial(*layers)
    theta = net.flatten(net.init(3))
    params = stax_params(net, theta)
    rng = np.random.default_rng(4)
    X1, X2 = rng.standard_normal((6, 5)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(np.asarray(apply_fn(params, X1)).reshape(6, outputs),
                               np.asarray(net.apply(theta, X1)).reshape(6, outputs), rtol=1e-12, atol=1e-12)
    for trace_axes in ((-1,), ()):
        ours = fastntk.ntk(net, theta, X1, X2, trace_axes=trace_axes)
        for implementation in (1, 2, 3):
            fn = nt.empirical_ntk_fn(apply_fn, trace_axes=trace_axes, vmap_axes=0, implementation=implementation)
            theirs = np.asarray(fn(X1, X2, params))
            assert theirs.shape == ours.shape
            assert relative(ours, theirs) <= TOL["exact"]
