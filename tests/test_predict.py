"""fastntk.predict: kernel-level predictions with neural-tangents' signatures, against an
independent route (the gradient-flow ODE integrated by RK4), the closed forms of
fastntk.infinite and fastntk.gd_closed_form, and by their identities."""
import numpy as np
import pytest
from conftest import TOL, make_data
from hypothesis import given, settings
from hypothesis import strategies as st

import fastntk
from fastntk import infinite, predict


def _psd(n, seed, floor=0.1):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return a @ a.T / n + floor * np.eye(n)


def _rk4(k, y, f0, t, lr, steps=4000):
    """df/dt = −lr·K(f − y)/y.size, integrated by RK4 (error O(h⁴) ≈ 1e-13 here)."""
    size, h, f = y.size, t / steps, f0.astype(float).copy()

    def rhs(v):
        return -lr * k @ (v - y) / size

    for _ in range(steps):
        a = rhs(f)
        b = rhs(f + h / 2 * a)
        c = rhs(f + h / 2 * b)
        d = rhs(f + h * c)
        f = f + h / 6 * (a + 2 * b + 2 * c + d)
    return f


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 7), st.sampled_from([1, 3]), st.floats(0.1, 5.0), st.sampled_from([0.5, 2.0]),
       st.integers(0, 1000))
def test_gradient_flow_matches_the_integrated_ode(n, outputs, t, lr, seed):
    rng = np.random.default_rng(seed)
    k = _psd(n, seed)
    y = rng.standard_normal((n, outputs))
    f0 = rng.standard_normal((n, outputs))
    fx = predict.gradient_descent_mse(k, y, learning_rate=lr)(t, fx_train_0=f0)
    np.testing.assert_allclose(fx, _rk4(k, y, f0, t, lr), atol=TOL["routes"])


def test_test_outputs_follow_the_training_residual():
    """f_test(t) − f_test(0) = Θ(X_T, X)Θ⁻¹(f_train(t) − f_train(0)) at every t, and at t = ∞
    the kernel regressor Θ(X_T, X)Θ⁻¹(y − f₀)."""
    rng = np.random.default_rng(1)
    k_all = _psd(9, 2)
    k, kt = k_all[:6, :6], k_all[6:, :6]
    y, f0, ft0 = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)), rng.standard_normal((3, 2))
    fn = predict.gradient_descent_mse(k, y)
    for t in (0.3, 7.0):
        tr, te = fn(t, f0, ft0, kt)
        np.testing.assert_allclose(te - ft0, kt @ np.linalg.solve(k, tr - f0), atol=TOL["solve"])
    tr, te = fn(None, f0, ft0, kt)
    np.testing.assert_allclose(tr, y, atol=TOL["solve"])
    np.testing.assert_allclose(te, ft0 + kt @ np.linalg.solve(k, y - f0), atol=TOL["solve"])
    np.testing.assert_allclose(fn(0.0, f0), f0, atol=TOL["exact"])


def test_times_stack_in_front_and_shapes_follow_y():
    k, y = _psd(5, 3), np.arange(5.0)
    fn = predict.gradient_descent_mse(k, y)
    ts = np.array([[0.1, 1.0], [2.0, 4.0]])
    tr, te = fn(ts, 0.0, None, k[:2])
    assert tr.shape == (2, 2, 5) and te.shape == (2, 2, 2)
    np.testing.assert_allclose(tr[1, 0], fn(2.0), atol=TOL["exact"])
    assert predict.gradient_descent_mse(k, y[:, None])(1.0).shape == (5, 1)


def test_block_kernel_of_independent_outputs_is_the_traced_one():
    """Θ ⊗ I_k as an (N, N, k, k) block (trace_axes=()) predicts what Θ does per output."""
    rng = np.random.default_rng(4)
    k, kt = _psd(6, 5), rng.standard_normal((2, 6))
    y, f0 = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    block = np.einsum("ij,ab->ijab", k, np.eye(3))
    block_t = np.einsum("ij,ab->ijab", kt, np.eye(3))
    a = predict.gradient_descent_mse(k, y, learning_rate=0.7)(2.5, f0, None, kt)
    b = predict.gradient_descent_mse(block, y, learning_rate=0.7, trace_axes=())(2.5, f0, None, block_t)
    # y.size is the same, so the time scale is too.
    np.testing.assert_allclose(a[0], b[0], atol=TOL["solve"])
    np.testing.assert_allclose(a[1], b[1], atol=TOL["solve"])


def test_diag_reg_scales_by_the_mean_diagonal():
    k, y = _psd(4, 6), np.ones(4)
    rel = predict.gradient_descent_mse(k, y, diag_reg=0.3)(1.0)
    absolute = predict.gradient_descent_mse(k, y, diag_reg=0.3 * np.trace(k) / 4, diag_reg_absolute_scale=True)(1.0)
    np.testing.assert_allclose(rel, absolute, atol=TOL["exact"])


def test_infinite_width_limit_is_infinite_gd_mse_ensemble():
    """With the analytic NTK, t = ∞: fastntk.infinite.gd_mse_ensemble's mean (a zero-mean
    f₀ over initializations)."""
    net = fastntk.MLP.uniform(4, 1, 3, sigma=1.3)
    X, Y, Xt = make_data(8, 4, 0, 5)
    k = infinite.kernels(net, X, get="ntk").ntk
    kt = infinite.kernels(net, Xt, X, get="ntk").ntk
    _, mean = predict.gradient_descent_mse(k, Y)(None, 0.0, None, kt)
    np.testing.assert_allclose(mean, infinite.gd_mse_ensemble(net, X, Y, Xt, compute_cov=False).mean,
                               atol=TOL["solve"])


def test_empirical_ntk_flow_is_the_limit_of_gd_on_the_linearization():
    """fastntk.gd_closed_form (discrete GD on (1/2N)‖f − Y‖², N = y.size) after s steps of η
    approaches the flow at t = sη as η → 0, the gap shrinking like η."""
    net = fastntk.MLP.uniform(4, 64, 2, sigma=1.0)
    X, Y, Xt = make_data(6, 4, 1, 4)
    theta = net.init(0)
    k, kt = fastntk.ntk(net, theta, X), fastntk.ntk(net, theta, Xt, X)
    f0, ft0 = net.apply(theta, X), net.apply(theta, Xt)
    gaps = []
    for eta in (1e-2, 5e-3):
        s = int(round(2.0 / eta))
        disc = fastntk.gd_closed_form(net, theta, X, Y, Xt, [s], lr=eta)[0]
        _, flow = predict.gradient_descent_mse(k, Y)(s * eta, f0, ft0, kt)
        gaps.append(np.abs(disc - flow).max())
    assert gaps[1] < 0.6 * gaps[0] and gaps[1] < 1e-2


def test_gp_inference_is_the_posterior():
    net = fastntk.MLP.uniform(3, 1, 2, sigma=1.1, bias="normal")
    X, Y, Xt = make_data(7, 3, 2, 4)
    K = infinite.kernels(net, X, get="nngp").nngp
    Kt = infinite.kernels(net, Xt, X, get="nngp").nngp
    Ktt = infinite.kernels(net, Xt, get="nngp").nngp
    post = predict.gp_inference(K, Y, diag_reg=0.01, diag_reg_absolute_scale=True)(Kt, Ktt)
    ref = infinite.nngp_posterior(net, X, Y, Xt, noise=0.01)
    np.testing.assert_allclose(post.mean, ref.mean, atol=TOL["solve"])
    np.testing.assert_allclose(post.covariance, ref.cov, atol=TOL["solve"])
    np.testing.assert_allclose(predict.gp_inference(K, Y)(), Y, atol=TOL["solve"])  # on the training points


@pytest.mark.parametrize("call, match", [
    (lambda: predict.gradient_descent_mse(np.ones((3, 2)), np.ones(3)), "square"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(4)), "y_train"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(3), learning_rate=-1), "learning_rate"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(3), trace_axes=(0,)), "trace_axes"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(3))(-1.0), "t"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(3))(1.0, np.ones(4)), "fx_train_0"),
    (lambda: predict.gradient_descent_mse(np.eye(3), np.ones(3))(1.0, 0.0, None, np.ones((2, 4))), "k_test_train"),
    (lambda: predict.gradient_descent_mse(np.full((2, 2), np.nan), np.ones(2)), "NaN"),
    (lambda: predict.gp_inference(np.eye(3), np.ones(3))(np.ones((2, 3)), np.ones((3, 3))), "k_test_test"),
    (lambda: predict.gp_inference(np.eye(3), "abc"), "y_train"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_gd_closed_form_lives_beside_the_other_closed_forms():
    """gd_closed_form is fastntk.predict's (fastntk.gd_closed_form and the old
    fastntk.dynamics.gd_closed_form are the same function), and its default rate is
    fastntk.default_lr's, read from the closed form's own eigendecomposition."""
    import fastntk.dynamics
    assert fastntk.gd_closed_form is predict.gd_closed_form is fastntk.dynamics.gd_closed_form
    assert predict.gd_closed_form.__module__ == "fastntk.predict"
    net = fastntk.MLP.uniform(4, 32, 2, outputs=2, bias="normal")
    X, Y, Xt = make_data(7, 4, 2, 3)
    Y = np.stack([Y, -0.5 * Y], axis=1)
    theta = net.init(0)
    steps = [0, 3, 40, np.inf]
    got = fastntk.gd_closed_form(net, theta, X, Y, Xt, steps)
    want = fastntk.gd_closed_form(net, theta, X, Y, Xt, steps, lr=fastntk.default_lr(net, theta, X))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="lr: expected"):
        fastntk.gd_closed_form(net, theta, X, Y, Xt, steps, lr=-1.0)
