"""Every kernel against the NumPy reference, over drawn shapes, depths, σ, σ_b, bias
modes, parametrizations, activations and dtypes."""
import numpy as np
import pytest
from conftest import assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import problems

import fastntk
from fastntk import reference as ref


@given(problems())
def test_forward(p):
    net, theta, X1, _ = p
    assert_close(net.apply(theta, X1), ref.forward(net, theta, X1)[0], net.dtype)
    assert net.apply(theta, X1).dtype == net.dtype


@given(problems())
def test_jacobian(p):
    net, theta, X1, _ = p
    J = fastntk.jacobian(net, theta, X1)
    assert J.dtype == net.dtype and J.shape == (X1.shape[0], net.num_params)
    assert_close(J, ref.jacobian(net, theta, X1), net.dtype)


@given(problems(), st.booleans())
def test_per_layer_params_read_in_place(p, fortran):
    """A list of separate per-layer arrays (not views into one θ; in another memory order or
    dtype where drawn) gives exactly what the flat θ gives: the core reads the layers in place."""
    net, theta, X1, X2 = p
    layers = [np.array(a, order="F" if fortran else "C") for a in net.unflatten(theta)]
    if fortran:
        layers = [a.astype(np.float64) for a in layers]
    if not fortran:  # already C-contiguous in the network's dtype: passed on as they are
        assert all(a is b for a, b in zip(net.params_in_place(layers), layers))
    np.testing.assert_array_equal(net.apply(layers, X1), net.apply(theta, X1))
    np.testing.assert_array_equal(fastntk.jacobian(net, layers, X1), fastntk.jacobian(net, theta, X1))
    np.testing.assert_array_equal(fastntk.ntk(net, layers, X1), fastntk.ntk(net, theta, X1))
    np.testing.assert_array_equal(fastntk.ntk(net, layers, X1, X2), fastntk.ntk(net, theta, X1, X2))


@given(problems(), st.integers(1, 40))
def test_jacobian_chunks(p, max_rows):
    net, theta, X1, _ = p
    itemsize = np.dtype(net.dtype).itemsize
    parts = list(fastntk.jacobian_chunks(net, theta, X1, max_bytes=max_rows * net.num_params * itemsize))
    assert all(sl.stop - sl.start <= max_rows for sl, _ in parts)
    J = np.concatenate([c for _, c in parts])
    # Not bit-equal: OpenBLAS hands a one-row product to GEMV, which sums in another order.
    assert_close(J, fastntk.jacobian(net, theta, X1), net.dtype)


@given(problems(), st.integers(1, 5))
def test_ntk_symmetric(p, tile):
    net, theta, X1, _ = p
    expected = ref.ntk(net, theta, X1)
    for t in (tile, 2048):
        K = fastntk.ntk(net, theta, X1, tile=t)
        assert K.dtype == net.dtype
        assert_close(K, expected, net.dtype)
        np.testing.assert_array_equal(K, K.T)


@given(problems(), st.integers(1, 5))
def test_ntk_cross(p, tile):
    net, theta, X1, X2 = p
    expected = ref.ntk(net, theta, X1, X2)
    for t in (tile, 2048):
        assert_close(fastntk.ntk(net, theta, X1, X2, tile=t), expected, net.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
def test_ntk_parametrization_bias_multiplier_is_sigma_b(dtype, activation):
    """NTK parametrization with σ_b ≠ σ: f, φ and K equal the reference's with
    β_l = σ_b; and with b = 0 the weight columns of φ do not depend on σ_b while the
    bias columns scale by σ_b/σ against the default σ_b = σ."""
    rng = np.random.default_rng(7)
    net = fastntk.MLP([4, 6, 5, 1], sigma=1.3, sigma_b=0.4, bias="normal", activation=activation, dtype=dtype)
    assert net.layout.beta[1:] == (0.4, 0.4, 0.4)
    theta = net.flatten(net.init(3))
    X1, X2 = rng.standard_normal((7, 4)).astype(dtype), rng.standard_normal((3, 4)).astype(dtype)
    assert_close(net.apply(theta, X1), ref.forward(net, theta, X1)[0], dtype)
    assert_close(fastntk.jacobian(net, theta, X1), ref.jacobian(net, theta, X1), dtype)
    assert_close(fastntk.ntk(net, theta, X1), ref.ntk(net, theta, X1), dtype)
    assert_close(fastntk.ntk(net, theta, X1, X2), ref.ntk(net, theta, X1, X2), dtype)
    zero, default = net.replace(bias="zero"), net.replace(bias="zero", sigma_b=None)
    theta0 = zero.flatten(zero.init(3))
    J, J1 = fastntk.jacobian(zero, theta0, X1), fastntk.jacobian(default, theta0, X1)
    bias = np.zeros(net.num_params, bool)
    for l in range(1, net.depth + 1):
        bias[net.layout.bias_offset[l]:net.layout.bias_offset[l] + net.widths[l]] = True
    np.testing.assert_array_equal(J[:, ~bias], J1[:, ~bias])
    assert_close(J[:, bias], J1[:, bias].astype(np.float64) * 0.4 / 1.3, dtype)


@given(problems())
def test_structured_reference_equals_phi_phiT(p):
    net, theta, X1, X2 = p
    assert_close(ref.structured_ntk(net, theta, X1, X2), ref.ntk(net, theta, X1, X2), np.float64)


@given(problems(), st.integers(0, 2**16))
def test_jvp_vjp(p, seed):
    net, theta, X1, _ = p
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal(X1.shape[0]).astype(net.dtype)
    J = ref.jacobian(net, theta, X1)
    assert_close(fastntk.jvp(net, theta, X1, v), J @ v, net.dtype, scale=np.abs(J).sum(1).max() * np.abs(v).max() + 1)
    assert_close(fastntk.vjp(net, theta, X1, r), J.T @ r, net.dtype, scale=np.abs(J).sum(0).max() * np.abs(r).max() + 1)


@given(problems(), st.integers(0, 2**16), st.booleans(), st.sampled_from([1, 3, 10**9]))
def test_adaptive_ntk(p, seed, signed, rows):
    net, theta, X1, X2 = p
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.1, 2.0, net.num_params)
    if signed:
        d *= rng.choice([-1.0, 1.0], net.num_params)
    d = d.astype(net.dtype)
    max_bytes = rows * net.num_params * np.dtype(net.dtype).itemsize
    J1, J2 = ref.jacobian(net, theta, X1), ref.jacobian(net, theta, X2)
    scale = (np.abs(J1) * np.abs(d)) @ np.abs(J1).T
    assert_close(fastntk.adaptive_ntk(net, theta, X1, d=d, max_bytes=max_bytes),
                 (J1 * d) @ J1.T, net.dtype, scale=scale.max() + 1)
    scale = (np.abs(J1) * np.abs(d)) @ np.abs(J2).T
    assert_close(fastntk.adaptive_ntk(net, theta, X1, X2, d=d, max_bytes=max_bytes),
                 (J1 * d) @ J2.T, net.dtype, scale=scale.max() + 1)


def test_large_tiled_gram_matches_single_tile():
    net = fastntk.MLP.uniform(20, 64, 3, bias="normal", dtype=np.float64)
    params = net.init(3)
    X = np.random.default_rng(0).standard_normal((300, 20))
    assert_close(fastntk.ntk(net, params, X, tile=64), fastntk.ntk(net, params, X), np.float64)
    assert_close(fastntk.ntk(net, params, X[:70], X, tile=32), fastntk.ntk(net, params, X)[:70], np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 2])
def test_outputs_in_row_blocks(dtype, k):
    """apply, the training loop's full loss and its test predictions run the forward pass in
    blocks of rows (about 2²⁰ entries over a block's layers, at least 64 rows: 64 at m = 20,000),
    which must give what the whole pass gives, across every block boundary (64 + 64 + 5 rows), and
    name a non-finite input in the last block as in the first."""
    net = fastntk.MLP([4, 20_000, k], bias="normal", dtype=dtype)
    theta = net.flatten(net.init(3))
    n = 2 * 64 + 5
    X = np.random.default_rng(0).standard_normal((n, 4)).astype(dtype)
    f = net.apply(theta, X)
    assert_close(f, ref.forward(net, theta, X)[0], dtype)
    # Row by row, to the dtype's rounding (the BLAS may round a product of another shape differently).
    assert_close(np.concatenate([net.apply(theta, X[i:i + 1]) for i in range(n)]), f, dtype)
    y = np.linspace(-1, 1, n * k).reshape(f.shape).astype(dtype)
    # Mini-batches, so that record 0's training loss is the loop's own full-loss pass, not the batch's.
    r = fastntk.train(net, theta, X, y, X_test=X[::-1].copy(), lr=1e-3, max_steps=1, record_every=1, optimizer="sgd",
                      batch_size=3)
    assert_close(r.history["test_pred"][0], f[::-1], dtype)
    assert_close(r.history["train_loss"][0], ref.loss_value("squared", f.astype(np.float64), y), dtype)
    bad = X.copy()
    bad[n - 1, 2] = np.nan
    with pytest.raises(ValueError, match="X: contains NaN or Inf"):
        net.apply(theta, bad)


def test_reference_has_a_rule_for_every_core_activation_and_refuses_others():
    """The oracle states each activation the core knows (its names, aliases included), and a name
    without a rule is an error, not the identity: a new core activation cannot be compared against
    a silent stand-in."""
    from fastntk import _core
    h = np.linspace(-2, 2, 9)
    for name in _core.ACTIVATIONS:
        net = fastntk.MLP([3, 4, 1], activation=name)
        assert np.all(np.isfinite(ref._act(net.layout.activation, h)))
        assert np.all(np.isfinite(ref._dact(net.layout.activation, h)))
    for rule in (ref._act, ref._dact):
        with pytest.raises(ValueError, match="activation"):
            rule("softplus", h)
    with pytest.raises(ValueError, match="activation"):
        ref.infinite_kernels(fastntk.MLP([3, 4, 1], activation="tanh"), np.ones((2, 3)))
