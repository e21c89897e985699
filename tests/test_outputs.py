"""k-output networks (k ∈ {1, 2, 5}): every kernel against the NumPy reference, both
``trace_axes``, the shapes of neural-tangents' conventions, and the Dask Gram traced."""
import numpy as np
import pytest
from conftest import assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import problems

import fastntk
from fastntk import reference as ref

OUTPUTS = (1, 2, 5)


@given(problems(outputs=OUTPUTS))
def test_apply_and_jacobian(p):
    net, theta, X1, _ = p
    n, k = X1.shape[0], net.outputs
    f = net.apply(theta, X1)
    assert f.shape == ((n,) if k == 1 else (n, k)) and f.dtype == net.dtype
    assert_close(f, ref.forward(net, theta, X1)[0], net.dtype)
    J = fastntk.jacobian(net, theta, X1)
    assert J.shape == ((n, net.num_params) if k == 1 else (n, k, net.num_params))
    assert_close(J, ref.jacobian(net, theta, X1), net.dtype)


@given(problems(outputs=OUTPUTS), st.integers(1, 12))
def test_ntk_both_trace_axes_symmetric(p, tile):
    net, theta, X1, _ = p
    n, k = X1.shape[0], net.outputs
    for trace_axes in ((-1,), ()):
        expected = ref.ntk(net, theta, X1, trace_axes=trace_axes)
        for t in (tile, 2048):
            K = fastntk.ntk(net, theta, X1, trace_axes=trace_axes, tile=t)
            assert K.shape == ((n, n) if trace_axes else (n, n, k, k)) and K.dtype == net.dtype
            assert_close(K, expected, net.dtype)
            # exactly symmetric: K(x_i, x_j)_{ab} = K(x_j, x_i)_{ba}
            np.testing.assert_array_equal(K, K.T if trace_axes else K.transpose(1, 0, 3, 2))


@given(problems(outputs=OUTPUTS), st.integers(1, 12))
def test_ntk_both_trace_axes_cross(p, tile):
    net, theta, X1, X2 = p
    full = fastntk.ntk(net, theta, X1, X2, trace_axes=(), tile=tile)
    assert_close(full, ref.ntk(net, theta, X1, X2, trace_axes=()), net.dtype)
    traced = fastntk.ntk(net, theta, X1, X2, tile=tile)
    assert_close(traced, ref.ntk(net, theta, X1, X2), net.dtype)
    # neural-tangents' trace: the mean over the outputs (its empirical_ntk_fn divides by k)
    assert_close(traced, np.einsum("ijaa->ij", full) / net.outputs, net.dtype)


@given(problems(outputs=OUTPUTS), st.integers(0, 2**16))
def test_jvp_vjp(p, seed):
    net, theta, X1, _ = p
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal((X1.shape[0], net.outputs)).astype(net.dtype)
    out = fastntk.jvp(net, theta, X1, v)
    assert out.shape == net.apply(theta, X1).shape
    assert_close(out, ref.jvp(net, theta, X1, v), net.dtype)
    assert_close(fastntk.vjp(net, theta, X1, r), ref.vjp(net, theta, X1, r), net.dtype)


@given(problems(outputs=OUTPUTS), st.integers(0, 2**16))
def test_adaptive_ntk(p, seed):
    net, theta, X1, X2 = p
    d = np.random.default_rng(seed).uniform(0.1, 2.0, net.num_params).astype(net.dtype)
    for trace_axes in ((-1,), ()):
        assert_close(fastntk.adaptive_ntk(net, theta, X1, X2, d=d, trace_axes=trace_axes),
                     ref.adaptive_ntk(net, theta, X1, X2, d=d, trace_axes=trace_axes), net.dtype)


def test_jacobian_matches_finite_differences():
    """The k-output Jacobian against central differences of f itself (float64), independent of
    any backpropagation."""
    net = fastntk.MLP([3, 6, 5, 4], sigma=1.3, bias="normal", activation="tanh")
    theta = net.flatten(net.init(1))
    X = np.random.default_rng(2).standard_normal((4, 3))
    J = fastntk.jacobian(net, theta, X)
    eps = 1e-6
    for p_ in np.random.default_rng(3).choice(net.num_params, 12, replace=False):
        e = np.zeros(net.num_params)
        e[p_] = eps
        fd = (net.apply(theta + e, X) - net.apply(theta - e, X)) / (2 * eps)
        np.testing.assert_allclose(J[:, :, p_], fd, rtol=1e-6, atol=1e-8)


def test_single_output_column_is_accepted_and_shapes_follow_neural_tangents():
    net = fastntk.MLP([3, 4, 1])
    theta = net.init(0)
    X = np.random.default_rng(0).standard_normal((5, 3))
    r = np.arange(5.0)
    np.testing.assert_array_equal(fastntk.vjp(net, theta, X, r), fastntk.vjp(net, theta, X, r[:, None]))
    assert fastntk.ntk(net, theta, X, trace_axes=()).shape == (5, 5, 1, 1)
    np.testing.assert_array_equal(fastntk.ntk(net, theta, X, trace_axes=())[..., 0, 0], fastntk.ntk(net, theta, X))


def test_errors_name_the_argument():
    net = fastntk.MLP([3, 4, 2])
    theta = net.init(0)
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"r: expected shape \(5, 2\)"):
        fastntk.vjp(net, theta, X, np.ones(5))
    with pytest.raises(ValueError, match="trace_axes"):
        fastntk.ntk(net, theta, X, trace_axes=(0,))


def test_traced_gram_of_the_tiled_store_equals_ntk(tmp_path):
    """fastntk.distributed's tiles read the k-output features (N·k rows of Δ) in place."""
    pytest.importorskip("dask")
    from fastntk import distributed
    net = fastntk.MLP([4, 7, 6, 3], sigma=1.2, bias="normal")
    theta = net.init(0)
    X = np.random.default_rng(1).standard_normal((23, 4))
    K = distributed.ntk(net, theta, X, chunks=8).compute(scheduler="synchronous")
    assert_close(K, fastntk.ntk(net, theta, X), net.dtype)


# --- training k-output networks ----------------------------------------------------------

OPTS = ["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]


def _targets(n, k, loss, seed):
    rng = np.random.default_rng(seed)
    if loss == "cross_entropy":
        return rng.integers(0, k, n)
    return rng.standard_normal((n, k))


@given(st.sampled_from(OPTS), st.sampled_from(["network", "linearized"]), st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["zero", "normal", "none"]), st.integers(1, 3), st.sampled_from([2, 5]),
       st.sampled_from(["squared", "cross_entropy", "logistic"]), st.integers(0, 1000))
def test_training_matches_the_reference_step_for_step(optimizer, model, dtype, bias, depth, k, loss, seed):
    """Every optimizer, model and path on k outputs, for the squared loss over the outputs, the
    softmax cross-entropy (integer labels) and the per-output logistic loss."""
    from conftest import make_data
    net = fastntk.MLP.uniform(4, 6, depth, outputs=k, bias=bias, dtype=dtype, sigma=1.2)
    X, _, _ = make_data(8, 4, seed, 5)
    X = X.astype(dtype)
    Y = _targets(8, k, loss, seed)
    if loss == "logistic":
        Y = (Y > 0).astype(float)
    theta = net.flatten(net.init(seed))
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(
        optimizer, min(0.3, fastntk.default_lr(net, theta, X) / 1.9))
    bs = 3 if optimizer in ("sgd", "momentum") else None
    gd_like = optimizer in ("gd", "sgd", "momentum")
    paths = (["direct", "row-space"] if gd_like else ["direct"]) if model == "network" else (
        ["function", "matrix-free", "materialized"] if gd_like else ["matrix-free", "materialized"])
    Yref = np.eye(k)[Y] if loss == "cross_entropy" else Y
    sched = fastntk.batch_schedule(8, bs, 6, shuffle=bs is not None, seed=3)
    thetas, losses = ref.train(net, theta.astype(np.float64), X.astype(np.float64), Yref, model=model,
                               optimizer=optimizer, lr=lr, schedule=sched, loss=loss)
    for path in paths:
        res = fastntk.train(net, theta, X, Y, model=model, optimizer=optimizer, lr=lr, max_steps=6, tol=1e-300,
                            record_every=1, batch_size=bs, shuffle=bs is not None, seed=3, path=path, loss=loss)
        assert res.steps == 6 and res.status == "max_steps" and res.path == path
        scale = 1.0 if gd_like else 1e3 if dtype == np.float32 else 1e2
        assert_close(res.theta, thetas[-1], dtype, scale=scale * (1 + np.abs(thetas[-1]).max()))
        assert_close(res.history["train_loss"], losses, dtype, scale=scale * (1 + losses.max()))


def test_cross_entropy_gradient_matches_finite_differences():
    """One GD step of the core from θ₀ is −η∇L(θ₀); ∇L by central differences of the
    softmax cross-entropy of the network itself (float64)."""
    net = fastntk.MLP([3, 7, 6, 4], sigma=1.4, bias="normal", activation="tanh")
    theta = net.flatten(net.init(5))
    rng = np.random.default_rng(6)
    X, labels = rng.standard_normal((9, 3)), rng.integers(0, 4, 9)
    lr = 0.01
    res = fastntk.train(net, theta, X, labels, loss="cross_entropy", optimizer="gd", lr=lr, max_steps=1,
                        tol=1e-300, path="direct")
    grad = (theta - res.theta) / lr
    onehot = np.eye(4)[labels]

    def loss(th):
        return ref.loss_value("cross_entropy", net.apply(th, X), onehot)

    eps = 1e-6
    for p_ in rng.choice(net.num_params, 15, replace=False):
        e = np.zeros(net.num_params)
        e[p_] = eps
        np.testing.assert_allclose(grad[p_], (loss(theta + e) - loss(theta - e)) / (2 * eps), rtol=1e-5, atol=1e-9)


def test_closed_form_learning_rate_and_records_use_the_block_kernel():
    net = fastntk.MLP([5, 12, 3], sigma=1.1, bias="normal")
    theta = net.flatten(net.init(0))
    rng = np.random.default_rng(1)
    X, Xt, Y = rng.standard_normal((7, 5)), rng.standard_normal((4, 5)), rng.standard_normal((7, 3))
    K = fastntk.ntk(net, theta, X, trace_axes=()).transpose(0, 2, 1, 3).reshape(21, 21)
    lr = fastntk.default_lr(net, theta, X)
    assert lr == pytest.approx(1.9 * 7 / np.linalg.eigvalsh(K)[-1], rel=1e-12)
    res = fastntk.train(net, theta, X, Y, X_test=Xt, model="linearized", optimizer="gd", lr=lr, max_steps=40,
                        tol=1e-300, record_every=20, path="function")
    assert res.history["test_pred"].shape == (3, 4, 3)
    closed = fastntk.gd_closed_form(net, theta, X, Y, Xt, [0, 20, 40], lr=lr)
    assert closed.shape == (3, 4, 3)
    assert_close(res.history["test_pred"], closed, np.float64, scale=1 + np.abs(closed).max())
    # labels and their one-hot rows are the same targets
    labels = rng.integers(0, 3, 7)
    a = fastntk.train(net, theta, X, labels, loss="cross_entropy", lr=0.1, max_steps=3)
    b = fastntk.train(net, theta, X, np.eye(3)[labels], loss="cross_entropy", lr=0.1, max_steps=3)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_training_errors_name_the_argument():
    net = fastntk.MLP([3, 4, 2])
    theta = net.init(0)
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"Y: expected shape \(5, 2\)"):
        fastntk.train(net, theta, X, np.ones(5), lr=0.1)
    with pytest.raises(ValueError, match="Y: the cross_entropy loss takes class labels 0 … 1"):
        fastntk.train(net, theta, X, np.array([0, 1, 2, 0, 1]), loss="cross_entropy", lr=0.1)
    with pytest.raises(ValueError, match="Y: the cross_entropy loss takes one-hot rows"):
        fastntk.train(net, theta, X, np.ones((5, 2)), loss="cross_entropy", lr=0.1)
    one = fastntk.MLP([3, 4, 1])
    with pytest.raises(ValueError, match="loss: 'cross_entropy'"):
        fastntk.train(one, one.init(0), X, np.ones(5), loss="cross_entropy", lr=0.1)


def test_infinite_width_predictions_are_per_output():
    """At infinite width the outputs are independent: the k-output prediction's mean is each
    output's own, and the covariance is every output's."""
    net, one = fastntk.MLP([3, 8, 2], sigma=1.3), fastntk.MLP([3, 8, 1], sigma=1.3)
    rng = np.random.default_rng(0)
    X, Xt, Y = rng.standard_normal((6, 3)), rng.standard_normal((4, 3)), rng.standard_normal((6, 2))
    for predict in (fastntk.infinite.gd_mse_ensemble, fastntk.infinite.nngp_posterior):
        both = predict(net, X, Y, Xt)
        assert both.mean.shape == (4, 2)
        for a in range(2):
            alone = predict(one, X, Y[:, a], Xt)
            assert_close(both.mean[:, a], alone.mean, np.float64)
            assert_close(both.cov, alone.cov, np.float64)
