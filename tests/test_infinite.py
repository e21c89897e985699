"""The infinite-width kernels (fastntk.infinite) against the NumPy recursion, their
closed forms, and the mean of empirical kernels over initializations; the
infinite-width predictions against iterated GD and the kernel regressor."""
import numpy as np
import pytest
from conftest import RTOL, TOL, rho_one
from hypothesis import given
from hypothesis import strategies as st

import fastntk
from fastntk import infinite
from fastntk import reference as ref


def _unit(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


nets = st.builds(
    lambda widths, sigma, param, bias, act, sigma_b: fastntk.MLP(widths + [1], sigma=sigma, parametrization=param,
                                                                 bias=bias, activation=act, sigma_b=sigma_b),
    st.lists(st.integers(1, 40), min_size=1, max_size=4), st.floats(0.3, 3.0), st.sampled_from(["ntk", "standard"]),
    st.sampled_from(["zero", "normal", "none"]), st.sampled_from(["relu", "erf", "identity", "linear"]),
    st.floats(0.0, 2.0))


@given(nets, st.integers(1, 7), st.integers(1, 5), st.booleans(), st.integers(0, 10**6))
def test_core_equals_the_numpy_recursion(net, n1, n2, cross, seed):
    rng = np.random.default_rng(seed)
    X1 = rng.standard_normal((n1, net.input_dim)) * rng.uniform(0.1, 3)
    X2 = rng.standard_normal((n2, net.input_dim)) if cross else None
    got = infinite.kernels(net, X1, X2, tile=3)
    want_nngp, want_ntk = ref.infinite_kernels(net, X1, X2)
    at_one = rho_one(net, X1, X2) if net.activation == "relu" else np.zeros((n1, n1 if X2 is None else n2), bool)
    singular = TOL["rho_one"] * max(1, net.depth - 1)  # at collinear inputs (conftest)
    for a, b in ((got.ntk, want_ntk), (got.nngp, want_nngp)):
        scale = max(1.0, np.abs(b).max())
        err = np.abs(a - b)
        assert err[~at_one].max(initial=0) <= RTOL[np.float64] * 1e-2 * scale
        assert err[at_one].max(initial=0) <= singular * scale
    if not cross:
        for K in (got.ntk, got.nngp):
            np.testing.assert_array_equal(K, K.T)
            tol = (n1 * singular if at_one.any() else TOL["exact"]) * max(1.0, np.abs(K).max())
            assert np.linalg.eigvalsh(K)[0] >= -tol


@pytest.mark.parametrize("L", [1, 2, 3, 5])
@pytest.mark.parametrize("sigma", [0.7, 1.0, 2.0])
def test_closed_forms(L, sigma):
    """ReLU on the diagonal: Σᴸ(x, x) = σ^{2L}‖x‖²/(d·2^{L−1}) and Θᴸ(x, x) = L·Σᴸ(x, x)
    (no biases); the identity network's kernels are linear: Σᴸ = σ^{2L}⟨x, x′⟩/d,
    Θᴸ = L·Σᴸ."""
    rng = np.random.default_rng(L)
    X = rng.standard_normal((5, 4))
    relu = infinite.kernels(fastntk.MLP.uniform(4, 10, L, sigma=sigma, bias="none"), X)
    diag = sigma ** (2 * L) * (X**2).sum(1) / (4 * 2 ** (L - 1))
    np.testing.assert_allclose(np.diag(relu.nngp), diag, rtol=RTOL[np.float64])
    np.testing.assert_allclose(np.diag(relu.ntk), L * diag, rtol=RTOL[np.float64])
    lin = infinite.kernels(fastntk.MLP.uniform(4, 10, L, sigma=sigma, bias="none", activation="identity"), X)
    np.testing.assert_allclose(lin.nngp, sigma ** (2 * L) * X @ X.T / 4, rtol=0, atol=TOL["exact"] * sigma ** (2 * L))
    np.testing.assert_allclose(lin.ntk, L * lin.nngp, rtol=0, atol=TOL["exact"] * L * sigma ** (2 * L))


@pytest.mark.parametrize("L", [1, 2, 4])
@pytest.mark.parametrize("sigma, sigma_b", [(1.0, 0.3), (1.6, 0.0), (0.7, 2.0)])
@pytest.mark.parametrize("bias", ["normal", "zero"])
def test_ntk_parametrization_bias_scale_closed_forms(L, sigma, sigma_b, bias):
    """NTK parametrization, β_l = σ_b. The identity network, G = XXᵀ/d:
    Σˡ = σ^{2l}G + b²·Σ_{k<l} σ^{2k} (b² = σ_b² for normal biases, 0 for zero ones) and
    Θᴸ = Σ_l σ^{2(L−l)}(Σˡ − b² + σ_b²). One hidden ReLU layer (L = 2): with Σ¹ = σ²G + b²,
    ρ = Σ¹/√(Σ¹ₓₓΣ¹ᵧᵧ), θ = arccos ρ, T = √(Σ¹ₓₓΣ¹ᵧᵧ)(sin θ + (π − θ)ρ)/(2π) and
    Ṫ = (π − θ)/(2π): Σ² = σ²T + b², Θ² = σ²Ṫ(σ²G + σ_b²) + σ²T + σ_b²."""
    rng = np.random.default_rng(L)
    X1, X2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    G = X1 @ X2.T / 3
    b2 = sigma_b**2 if bias == "normal" else 0.0
    lin = infinite.kernels(fastntk.MLP.uniform(3, 10, L, sigma=sigma, sigma_b=sigma_b, bias=bias,
                                               activation="identity"), X1, X2)
    def nngp_at(l):
        return sigma ** (2 * l) * G + b2 * sum(sigma ** (2 * k) for k in range(l))
    nngp = nngp_at(L)
    ntk = sum(sigma ** (2 * (L - l)) * (nngp_at(l) - b2 + sigma_b**2) for l in range(1, L + 1))
    scale = max(1.0, np.abs(ntk).max())
    np.testing.assert_allclose(lin.nngp, nngp, rtol=0, atol=TOL["exact"] * scale)
    np.testing.assert_allclose(lin.ntk, ntk, rtol=0, atol=TOL["exact"] * scale)
    if L != 2:
        return
    relu = infinite.kernels(fastntk.MLP.uniform(3, 10, 2, sigma=sigma, sigma_b=sigma_b, bias=bias), X1, X2)
    s12 = sigma**2 * G + b2
    s11, s22 = sigma**2 * (X1**2).sum(1) / 3 + b2, sigma**2 * (X2**2).sum(1) / 3 + b2
    norm = np.sqrt(np.outer(s11, s22))
    rho = s12 / norm
    theta = np.arccos(rho)
    T = norm * (np.sqrt(1 - rho**2) + (np.pi - theta) * rho) / (2 * np.pi)
    Tdot = (np.pi - theta) / (2 * np.pi)
    nngp, ntk = sigma**2 * T + b2, sigma**2 * Tdot * (sigma**2 * G + sigma_b**2) + sigma**2 * T + sigma_b**2
    scale = max(1.0, np.abs(ntk).max())
    np.testing.assert_allclose(relu.nngp, nngp, rtol=0, atol=RTOL[np.float64] * scale)
    np.testing.assert_allclose(relu.ntk, ntk, rtol=0, atol=RTOL[np.float64] * scale)


@pytest.mark.parametrize("kw", [dict(), dict(bias="normal", sigma=1.3), dict(bias="normal", sigma=1.3, sigma_b=0.4),
                                dict(parametrization="standard", bias="normal", sigma_b=0.5),
                                dict(activation="erf", bias="normal", sigma=1.4)])
def test_ntk_is_the_mean_of_empirical_ntks(kw):
    """At m = 1500 over 24 initializations the empirical NTK's mean lies within 4
    standard errors of the analytic one (the finite-width bias, O(1/√m) per draw and
    O(1/m) in the mean, is far below that)."""
    X = _unit(np.random.default_rng(0), 6, 5)
    net = fastntk.MLP.uniform(5, 1500, 3, **kw)
    Ks = np.array([fastntk.ntk(net, net.init(s), X) for s in range(24)])
    z = (Ks.mean(0) - infinite.kernels(net, X, get="ntk").ntk) / (Ks.std(0) / np.sqrt(24))
    assert np.abs(z).max() < 4, z


@pytest.mark.parametrize("kw", [dict(bias="normal"), dict(parametrization="standard", bias="normal", sigma_b=0.5,
                                                          sigma=1.3), dict(activation="erf", sigma=1.5),
                                dict(bias="normal", sigma=1.2, sigma_b=0.5)])
def test_nngp_is_the_covariance_of_the_outputs_at_init(kw):
    X = _unit(np.random.default_rng(1), 4, 5)
    net = fastntk.MLP.uniform(5, 300, 3, **kw)
    f = np.array([net.apply(net.init(s), X) for s in range(800)])
    prods = f[:, :, None] * f[:, None, :]
    z = (prods.mean(0) - infinite.kernels(net, X, get="nngp").nngp) / (prods.std(0) / np.sqrt(800))
    assert np.abs(z).max() < 4, z


def test_gd_ensemble_equals_iterated_gd_and_the_kernel_regressor():
    rng = np.random.default_rng(2)
    X, Xt = _unit(rng, 8, 5), _unit(rng, 4, 5)
    Y = rng.standard_normal(8)
    net = fastntk.MLP.uniform(5, 10, 3, bias="normal")
    k, kt = infinite.kernels(net, X), infinite.kernels(net, Xt, X)
    lr = 1.9 * 8 / np.linalg.eigvalsh(k.ntk)[-1]
    u, ut = np.zeros(8), np.zeros(4)  # E f₀ = 0: the mean follows GD from zero
    for _ in range(37):
        r = u - Y
        u, ut = u - lr / 8 * k.ntk @ r, ut - lr / 8 * kt.ntk @ r
    pred = infinite.gd_mse_ensemble(net, X, Y, Xt, steps=37, lr=lr)
    np.testing.assert_allclose(pred.mean, ut, rtol=0, atol=TOL["routes"] * max(1, np.abs(ut).max()))
    limit = infinite.gd_mse_ensemble(net, X, Y, Xt)
    np.testing.assert_allclose(limit.mean, kt.ntk @ np.linalg.solve(k.ntk, Y), rtol=0, atol=TOL["solve"])
    prior = infinite.gd_mse_ensemble(net, X, Y, Xt, steps=0)
    np.testing.assert_allclose(prior.mean, 0, atol=TOL["exact"])
    np.testing.assert_allclose(prior.cov, infinite.kernels(net, Xt, get="nngp").nngp, atol=TOL["exact"])
    assert np.linalg.eigvalsh(limit.cov)[0] >= -TOL["solve"]


def test_nngp_posterior_interpolates_without_noise():
    rng = np.random.default_rng(3)
    X = _unit(rng, 6, 4)
    Y = rng.standard_normal(6)
    net = fastntk.MLP.uniform(4, 10, 2, bias="normal")
    post = infinite.nngp_posterior(net, X, Y, X)
    np.testing.assert_allclose(post.mean, Y, atol=TOL["solve"])
    np.testing.assert_allclose(post.cov, 0, atol=TOL["solve"])
    noisy = infinite.nngp_posterior(net, X, Y, X, noise=0.5)
    assert np.abs(noisy.mean - Y).max() > 1e-3 and np.trace(noisy.cov) > 0


def test_lambda0_and_errors():
    X = _unit(np.random.default_rng(4), 5, 3)
    net = fastntk.MLP.uniform(3, 10, 2)
    lam = infinite.lambda0(net, X)
    assert lam > 0 and lam == pytest.approx(np.linalg.eigvalsh(infinite.kernels(net, X).ntk)[0], rel=TOL["exact"])
    assert fastntk.theory.lambda0(net, X) == lam
    with pytest.raises(ValueError, match="activation: .*closed form for 'relu', 'erf' and 'identity'"):
        infinite.kernels(net.replace(activation="tanh"), X)
    with pytest.raises(ValueError, match="get: expected one of"):
        infinite.kernels(net, X, get="cov")
    with pytest.raises(ValueError, match=r"X2: expected shape \(N, 3\)"):
        infinite.kernels(net, X, np.ones((2, 4)))
    with pytest.raises(ValueError, match="X: the NTK Gram matrix is singular"):
        infinite.gd_mse_ensemble(net, np.vstack([X, X[:1]]), np.ones(6), X)


def test_repeated_and_opposite_inputs():
    """At ρ = ±1 the kernels have square-root singularities: a repeated input gives
    its row again to √ε (the product of different rows is rounded differently), the
    diagonal is exact, and ρ = −1 is finite and symmetric."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 6))
    X[1], X[2] = X[0], -X[0]
    for net in (fastntk.MLP.uniform(6, 10, 3, bias="normal"), fastntk.MLP.uniform(6, 10, 4)):
        k = infinite.kernels(net, X)
        for K in (k.ntk, k.nngp):
            assert np.isfinite(K).all()
            np.testing.assert_allclose(K[1], K[0], rtol=0, atol=1e-7 * np.abs(K).max())
            np.testing.assert_array_equal(np.diag(K)[:2], [K[0, 0]] * 2)
