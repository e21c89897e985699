"""PyTorch (and JAX, where installed) arrays in and out of the kernel functions: results of the
caller's kind, equal to the NumPy ones; a tensor that requires grad or lives off the CPU is a
named error."""
import numpy as np
import pytest
from conftest import RTOL

import fastntk
from fastntk._arrays import from_framework

torch = pytest.importorskip("torch", reason="PyTorch not installed: the framework arrays are not tested")


def _setup(dtype=np.float64):
    net = fastntk.MLP.uniform(3, 7, 3, dtype=dtype)
    theta = net.flatten(net.init(1))
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
    return net, theta, X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_in_torch_out(dtype):
    net, theta, X = _setup(dtype)
    tX, ttheta = torch.from_numpy(X), torch.from_numpy(theta)
    v, r = np.linspace(-1, 1, net.num_params).astype(dtype), np.arange(5.0).astype(dtype)
    calls = {
        "ntk": (lambda a, t, x: fastntk.ntk(net, t, x), ()),
        "ntk cross": (lambda a, t, x: fastntk.ntk(net, t, x, x[:2]), ()),
        "jacobian": (lambda a, t, x: fastntk.jacobian(net, t, x), ()),
        "jvp": (lambda a, t, x: fastntk.jvp(net, t, x, a), (v,)),
        "vjp": (lambda a, t, x: fastntk.vjp(net, t, x, a), (r,)),
        "apply": (lambda a, t, x: net.apply(t, x), ()),
        "adaptive_ntk": (lambda a, t, x: fastntk.adaptive_ntk(net, t, x, d=a), (np.abs(v) + 0.1,)),
    }
    for name, (call, extra) in calls.items():
        a = extra[0] if extra else None
        want = call(a, theta, X)
        got = call(torch.from_numpy(a) if a is not None else None, ttheta, tX)
        assert isinstance(got, torch.Tensor), name
        scale = max(1.0, float(np.abs(want).max()))
        assert float(np.abs(got.numpy() - want).max()) <= RTOL[np.dtype(dtype).type] * scale, name
    chunks = list(fastntk.jacobian_chunks(net, ttheta, tX, max_bytes=8 * net.num_params))
    assert all(isinstance(c, torch.Tensor) for _, c in chunks)


def test_parameter_lists_of_tensors_and_mixed_numpy():
    net, theta, X = _setup()
    params = [torch.from_numpy(p) for p in net.unflatten(theta)]
    K = fastntk.ntk(net, params, X)  # one torch argument is enough for torch results
    assert isinstance(K, torch.Tensor)
    np.testing.assert_allclose(K.numpy(), fastntk.ntk(net, theta, X), atol=RTOL[np.float64])


def test_cpu_tensors_are_viewed_not_copied():
    t = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
    assert np.shares_memory(from_framework(t), t.numpy())


def test_tensor_that_requires_grad_is_a_named_error():
    net, theta, X = _setup()
    with pytest.raises(TypeError, match=r"X1: a torch tensor that requires grad"):
        fastntk.ntk(net, theta, torch.from_numpy(X).requires_grad_())
    with pytest.raises(TypeError, match=r"params\[0\]: a torch tensor that requires grad"):
        net.apply([torch.from_numpy(p).requires_grad_() for p in net.unflatten(theta)], X)


def test_training_takes_tensors_and_refuses_one_that_requires_grad():
    net, theta, X = _setup()
    Y = torch.linspace(-1, 1, 5, dtype=torch.float64)
    res = fastntk.train(net, theta, torch.from_numpy(X), Y, lr=0.1, max_steps=3, tol=1e-300)
    assert res.steps == 3 and isinstance(res.params[0], np.ndarray)
    with pytest.raises(TypeError, match=r"Y: a torch tensor that requires grad"):
        fastntk.train(net, theta, X, Y.clone().requires_grad_(), lr=0.1, max_steps=3, tol=1e-300)


def test_tensor_off_the_cpu_is_a_named_error():
    net, theta, X = _setup()
    with pytest.raises(TypeError, match=r"X: a torch tensor on meta"):
        fastntk.jacobian(net, theta, torch.empty((5, 3), dtype=torch.float64, device="meta"))


def test_two_frameworks_in_one_call_is_an_error():
    jnp = pytest.importorskip("jax.numpy", reason="JAX not installed")
    net, theta, X = _setup()
    with pytest.raises(TypeError, match="two frameworks"):
        fastntk.ntk(net, torch.from_numpy(theta), jnp.asarray(X))


def test_jax_in_jax_out():
    jnp = pytest.importorskip("jax.numpy", reason="JAX not installed")
    net, theta, X = _setup(np.float32)
    K = fastntk.ntk(net, theta, jnp.asarray(X))
    assert type(K).__module__.split(".")[0] in ("jax", "jaxlib")
    np.testing.assert_allclose(np.asarray(K), fastntk.ntk(net, theta, X), atol=RTOL[np.float32])
