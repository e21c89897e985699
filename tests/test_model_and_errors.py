"""Parameters, layout, determinism, and clear errors for bad input."""
import numpy as np
import pytest

import fastntk
from conftest import TOL


def test_layout_and_roundtrip():
    net = fastntk.MLP([3, 4, 2, 1], bias="normal")
    assert net.num_params == (3 + 1) * 4 + (4 + 1) * 2 + (2 + 1) * 1
    params = net.init(7)
    assert [p.shape for p in params] == [(4, 3), (4,), (2, 4), (2,), (1, 2), (1,)]
    theta = net.flatten(params)
    np.testing.assert_array_equal(theta[:12], params[0].ravel())
    np.testing.assert_array_equal(theta[12:16], params[1])
    for a, b in zip(net.unflatten(theta), params):
        np.testing.assert_array_equal(a, b)
    # init's list is views of one θ: flatten returns it without a copy; other lists are copied.
    assert theta is params[0].base
    copied = [p.copy() for p in params]
    np.testing.assert_array_equal(net.flatten(copied), theta)
    assert net.flatten(copied).base is not params[0].base
    swapped = [params[2], params[1], params[0]] + params[3:]
    with pytest.raises(ValueError, match="params"):
        net.flatten(swapped)
    none = fastntk.MLP([3, 4, 1], bias="none")
    assert none.num_params == 3 * 4 + 4 and len(none.init(0)) == 2


def test_init_deterministic_and_dtype_consistent():
    n64 = fastntk.MLP([5, 8, 1], bias="normal")
    n32 = n64.replace(dtype=np.float32)
    a, b = n64.flatten(n64.init(3)), n64.flatten(n64.init(3))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(n32.flatten(n32.init(3)), a, rtol=TOL["float32_cast"])
    assert not np.array_equal(a, n64.flatten(n64.init(4)))
    zero = fastntk.MLP([5, 8, 1], bias="zero").init(0)
    assert not zero[1].any() and not zero[3].any()


def test_standard_init_scale():
    net = fastntk.MLP([400, 300, 1], sigma=2.0, parametrization="standard")
    W = net.init(0)[0]
    assert abs(W.std() - 2.0 / np.sqrt(400)) < 0.01 * 2.0 / np.sqrt(400) * 3


@pytest.mark.parametrize("kwargs, match", [
    (dict(widths=[3, 0, 1]), "widths"),
    (dict(widths=[3]), "widths"),
    (dict(widths=[3, 4, 1], sigma=0.0), "sigma"),
    (dict(widths=[3, 4, 1], sigma=float("nan")), "sigma"),
    (dict(widths=[3, 4, 1], sigma_b=-0.1), "sigma_b"),
    (dict(widths=[3, 4, 1], sigma_b=float("inf")), "sigma_b"),
    (dict(widths=[3, 4, 1], parametrization="mup"), "parametrization"),
    (dict(widths=[3, 4, 1], bias="uniform"), "bias"),
    (dict(widths=[3, 4, 1], activation="gelu"), "activation"),
])
def test_bad_model(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastntk.MLP(**kwargs)


def test_sigma_b_defaults_to_sigma_and_is_kept_apart_from_it():
    """σ_b = σ unless given (β_l = σ, the papers'); a σ_b given apart from σ survives
    replace(sigma=…), repr and the core's Spec; one left at its default follows σ."""
    from fastntk import _core
    default = fastntk.MLP([3, 4, 1], sigma=1.5, bias="normal")
    assert default.sigma_b == 1.5 and default.layout.beta[1:] == (1.5, 1.5) and "sigma_b" not in repr(default)
    assert default.replace(sigma=2.0).layout.beta[1:] == (2.0, 2.0)
    net = default.replace(sigma_b=0.25)
    assert net.sigma_b == 0.25 and net.layout.beta[1:] == (0.25, 0.25)
    assert net.replace(sigma=2.0).sigma_b == 0.25 and net.replace(sigma_b=None).sigma_b == 1.5
    assert repr(net).endswith("dtype=np.float64, sigma_b=0.25)")
    assert eval(repr(net), {"MLP": fastntk.MLP, "np": np}).layout == net.layout
    spec = _core.Spec(net.widths, net.sigma, net.sigma_b, net.parametrization, net.bias, net.activation)
    assert spec.sigma_b == 0.25 and spec.bias_multiplier(1) == spec.bias_multiplier(2) == 0.25
    assert fastntk.MLP([3, 4, 1], sigma_b=0.0).layout.beta[1:] == (0.0, 0.0)
    standard = net.replace(parametrization="standard")
    assert standard.layout.beta[1:] == (1.0, 1.0)
    assert fastntk.MLP([3, 4, 1], sigma_b=0.5, bias="none").layout.beta[1:] == (0.0, 0.0)
    with pytest.raises(ValueError, match="sigma_b"):
        _core.Spec([3, 4, 1], 1.0, -1.0, "ntk", "zero", "relu")


def test_mlp_is_immutable():
    """Its layout (multipliers, offsets) is computed once: a changed σ on the same object
    would silently keep the old one, so setting a field is an error naming replace()."""
    import pickle
    net = fastntk.MLP.uniform(3, 8, 2, sigma=2.0)
    for name, value in (("sigma", 4.0), ("widths", (3, 9, 1)), ("bias", "none"), ("_layout", None)):
        with pytest.raises(AttributeError, match="replace"):
            setattr(net, name, value)
    with pytest.raises(AttributeError, match="immutable"):
        del net.sigma
    with pytest.raises(TypeError):
        net.widths[1] = 9
    assert net.sigma == 2.0 and net.layout.c[1] == pytest.approx(2.0 / np.sqrt(3))
    assert net.replace(sigma=4.0).layout.c[1] == pytest.approx(4.0 / np.sqrt(3))
    back = pickle.loads(pickle.dumps(net))
    assert repr(back) == repr(net) and back.widths == (3, 8, 1)
    with pytest.raises(AttributeError, match="replace"):
        back.sigma = 1.0


def test_bad_dtype_model():
    with pytest.raises(TypeError, match="dtype"):
        fastntk.MLP([3, 4, 1], dtype=np.int32)


def test_bad_inputs():
    net = fastntk.MLP([3, 4, 1])
    params = net.init(0)
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 3\)"):
        net.apply(params, np.ones((5, 2)))
    with pytest.raises(ValueError, match="X: expected a 2-D"):
        fastntk.jacobian(net, params, np.ones(3))
    with pytest.raises(ValueError, match="X1: contains NaN"):
        fastntk.ntk(net, params, np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="X2: contains NaN"):
        fastntk.ntk(net, params, X, np.full((2, 3), np.inf))
    with pytest.raises(TypeError, match="X: expected a real numeric"):
        net.apply(params, np.ones((2, 3), complex))
    with pytest.raises(ValueError, match="params"):
        net.apply(params[:-1], X)
    with pytest.raises(ValueError, match=r"params\[0\]: expected shape \(4, 3\)"):
        net.apply([np.ones((3, 4))] + params[1:], X)
    bad = [p.copy() for p in params]
    bad[0][0, 0] = np.nan
    # A list of per-layer arrays is read in place, so the error names the array.
    with pytest.raises(ValueError, match=r"params\[0\]: contains NaN"):
        net.apply(bad, X)
    with pytest.raises(ValueError, match="params: contains NaN"):
        net.apply(net.flatten(bad, check_finite=False), X)
    with pytest.raises(ValueError, match=r"v: expected shape \(%d,\)" % net.num_params):
        fastntk.jvp(net, params, X, np.ones(3))
    with pytest.raises(ValueError, match=r"r: expected shape \(5,\)"):
        fastntk.vjp(net, params, X, np.ones(4))
    with pytest.raises(ValueError, match="tile"):
        fastntk.ntk(net, params, X, tile=0)
    with pytest.raises(ValueError, match="d: expected shape"):
        fastntk.adaptive_ntk(net, params, X, d=np.ones(2))
    with pytest.raises(TypeError, match="net"):
        fastntk.ntk("net", params, X)


def test_impossible_size_fails_up_front():
    net = fastntk.MLP([10, 100000, 1], dtype=np.float32)
    params = np.zeros(net.num_params, np.float32)
    X = np.zeros((200000, 10), np.float32)  # φ would need ~800 GB
    with pytest.raises(fastntk.InsufficientMemoryError, match="GiB"):
        fastntk.jacobian(net, params, X)
    with pytest.raises(MemoryError):
        fastntk.ntk(net.replace(widths=[10, 4, 1]), np.zeros(49, np.float32), np.zeros((400000, 10), np.float32))


def test_int_inputs_are_converted():
    net = fastntk.MLP([2, 3, 1], dtype=np.float32)
    f = net.apply(net.init(0), np.array([[1, 2], [3, 4]]))
    assert f.dtype == np.float32


def test_show_config_says_what_a_bug_report_needs(capsys):
    import platform
    fastntk.show_config()
    out = capsys.readouterr().out
    assert "BLAS" in out and "OpenMP" in out
    assert fastntk.__version__ in out and platform.python_version() in out and np.__version__ in out
    assert "dask" in out and "cupy" in out


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.integers(1, 3), st.sampled_from(["zero", "normal", "none"]), st.sampled_from(["relu", "tanh", "identity"]),
       st.sampled_from([np.float32, np.float64]), st.sampled_from([np.nan, np.inf, -np.inf]), st.data())
def test_non_finite_params_are_named_by_every_kernel(depth, bias, activation, dtype, bad, data):
    """The kernels find NaN/Inf in θ in their own forward pass (no separate scan of θ):
    any position — a dead ReLU unit's weight included — is reported as params."""
    net = fastntk.MLP.uniform(3, 5, depth, bias=bias, activation=activation, dtype=dtype)
    theta = net.flatten(net.init(1))
    theta[data.draw(st.integers(0, net.num_params - 1))] = bad
    X = np.random.default_rng(0).standard_normal((4, 3)).astype(dtype)
    ops = [lambda: net.apply(theta, X), lambda: fastntk.ntk(net, theta, X), lambda: fastntk.ntk(net, theta, X, X[:2]),
           lambda: fastntk.jacobian(net, theta, X), lambda: fastntk.jvp(net, theta, X, np.ones(net.num_params, dtype)),
           lambda: fastntk.vjp(net, theta, X, np.ones(4, dtype)),
           lambda: fastntk.adaptive_ntk(net, theta, X, d=np.ones(net.num_params, dtype)),
           lambda: fastntk.train(net, theta, X, X[:, 0], lr=0.1, max_steps=1)]
    for op in ops:
        with pytest.raises(ValueError, match="params: contains NaN or Inf"):
            op()


def test_overflow_with_finite_params_is_an_error_not_garbage():
    net = fastntk.MLP.uniform(3, 8, 3, sigma=1e25, dtype=np.float32)
    with pytest.raises(FloatingPointError, match="overflowed.*params and the inputs are finite"):
        fastntk.ntk(net, net.init(0), np.ones((2, 3), np.float32))


@given(st.sampled_from(["X1", "X2"]), st.integers(0, 3), st.integers(0, 2), st.sampled_from([np.nan, np.inf]),
       st.sampled_from(["relu", "tanh"]))
def test_non_finite_inputs_are_named_by_the_kernels(which, row, col, bad, activation):
    net = fastntk.MLP.uniform(3, 4, 2, activation=activation)
    theta = net.init(0)
    X = {k: np.random.default_rng(i).standard_normal((4, 3)) for i, k in enumerate(("X1", "X2"))}
    X[which][row, col] = bad
    with pytest.raises(ValueError, match=f"{which}: contains NaN or Inf"):
        fastntk.ntk(net, theta, X["X1"], X["X2"])
    with pytest.raises(ValueError, match=f"{which}: contains NaN or Inf"):
        fastntk.adaptive_ntk(net, theta, X["X1"], X["X2"], d=np.ones(net.num_params))
    if which == "X1":
        for op in (lambda: net.apply(theta, X["X1"]), lambda: fastntk.jacobian(net, theta, X["X1"]),
                   lambda: fastntk.vjp(net, theta, X["X1"], np.ones(4))):
            with pytest.raises(ValueError, match="X: contains NaN or Inf"):
                op()


def test_strided_and_unaligned_views_give_the_same_numbers():
    """Views at an odd byte offset or with strides are copied at the boundary (the core
    reads T* directly); results are bitwise those of contiguous arrays."""
    net = fastntk.MLP.uniform(3, 6, 2, bias="normal")
    theta = net.flatten(net.init(0))
    X = np.random.default_rng(0).standard_normal((5, 3))
    raw = np.zeros(X.size * 8 + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np.float64, count=X.size, offset=1).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    strided = np.repeat(X, 2, axis=0)[::2]
    traw = np.zeros(theta.size * 8 + 3, np.uint8)
    theta_u = np.frombuffer(traw.data, dtype=np.float64, count=theta.size, offset=3)
    theta_u[...] = theta
    want = fastntk.ntk(net, theta, X)
    for th, x in ((theta, unaligned), (theta, strided), (theta_u, X), (np.repeat(theta, 2)[::2], X)):
        np.testing.assert_array_equal(fastntk.ntk(net, th, x), want)
        np.testing.assert_array_equal(fastntk.vjp(net, th, x, np.ones(5)), fastntk.vjp(net, theta, X, np.ones(5)))


def test_apply_needs_one_block_of_activations_not_all(monkeypatch):
    """apply runs f(X) in blocks of rows (64 at m = 10⁵): its memory check counts one block's
    activations and the outputs, so 20,000 rows pass under 1 GiB where the whole pass (8 GB of
    activations) would not; jvp, which keeps every row's activations, is still refused."""
    from fastntk import _validate
    monkeypatch.setattr(_validate, "available_memory", lambda: 2**30)
    net = fastntk.MLP([10, 100_000, 1], dtype=np.float32)
    theta = net.flatten(net.init(0))
    X = np.random.default_rng(0).standard_normal((20_000, 10)).astype(np.float32)
    f = net.apply(theta, X[:5])
    np.testing.assert_allclose(net.apply(theta, X)[:5], f, rtol=1e-5, atol=1e-6)
    with pytest.raises(fastntk.InsufficientMemoryError, match="jvp of 20000 rows"):
        fastntk.jvp(net, theta, X, np.zeros(net.num_params, np.float32))
