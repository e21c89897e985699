"""The GPU backend's code run on the host (tests/gpu_emulation.py) against the CPU
core: every operation, random shapes, both dtypes. On a GPU the same comparisons
run with CuPy in test_cuda.py."""
import numpy as np
import pytest
from conftest import assert_close
from gpu_emulation import host_backend
from hypothesis import given
from hypothesis import strategies as st
from strategies import problems

import fastntk
from fastntk._gpu import api, runtime

BE = host_backend()


@given(problems(), st.integers(1, 7))
def test_forward_ntk_jacobian_match_cpu(case, tile):
    net, params, X, X2 = case
    theta = net.flatten(params)
    assert_close(api.apply(BE, net, theta, X), net.apply(theta, X), net.dtype)
    K = fastntk.ntk(net, theta, X)
    assert_close(api.ntk(BE, net, theta, X, tile=tile), K, net.dtype, scale=1 + np.abs(K).max())
    K2 = fastntk.ntk(net, theta, X, X2)
    assert_close(api.ntk(BE, net, theta, X, X2, tile=tile), K2, net.dtype, scale=1 + np.abs(K2).max())
    assert_close(api.jacobian(BE, net, theta, X), fastntk.jacobian(net, theta, X), net.dtype)


@given(problems(), st.integers(0, 100))
def test_jvp_vjp_adaptive_match_cpu(case, seed):
    net, params, X, X2 = case
    theta = net.flatten(params)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal(X.shape[0]).astype(net.dtype)
    assert_close(api.jvp(BE, net, theta, X, v), fastntk.jvp(net, theta, X, v), net.dtype,
                 scale=1 + np.abs(v).sum())
    assert_close(api.vjp(BE, net, theta, X, r), fastntk.vjp(net, theta, X, r), net.dtype,
                 scale=1 + np.abs(r).sum())
    d = rng.uniform(0.1, 2, net.num_params).astype(net.dtype)
    Kd = fastntk.adaptive_ntk(net, theta, X, X2, d=d)
    assert_close(api.adaptive_ntk(BE, net, theta, X, X2, d=d, max_bytes=1), Kd, net.dtype,
                 scale=1 + np.abs(Kd).max())


@given(problems(), st.integers(0, 100))
def test_feature_products_equal_passes(case, seed):
    """φv and φᵀr from cached features equal the tangent/cotangent passes."""
    from fastntk._gpu import network as nw
    net, params, X, _ = case
    theta = net.flatten(params)
    lay = api.layout(net)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal(X.shape[0]).astype(net.dtype)
    feat = nw.features(BE, lay, theta, X)
    assert_close(nw.jvp_features(BE, lay, feat, v), nw.jvp(BE, lay, theta, feat, v), net.dtype,
                 scale=1 + np.abs(v).sum())
    assert_close(nw.vjp_features(BE, lay, feat, r), nw.vjp(BE, lay, theta, feat, r), net.dtype,
                 scale=1 + np.abs(r).sum())


def test_bad_device_input():
    net = fastntk.MLP.uniform(3, 5, 2)
    theta = net.flatten(net.init(0))
    X = np.ones((4, 3))
    with pytest.raises(TypeError, match="X1: expected dtype float64.*astype"):
        api.ntk(BE, net, theta, X.astype(np.float32))
    with pytest.raises(ValueError, match=r"X1: expected shape \(N, 3\)"):
        api.ntk(BE, net, theta, np.ones((4, 2)))
    with pytest.raises(ValueError, match="X: contains NaN"):
        api.jacobian(BE, net, theta, np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match=r"v: expected shape"):
        api.jvp(BE, net, theta, X, np.ones(3))


class _FakeDevice:
    def __init__(self, i):
        self.id = i


def _fake_cupy_array(device):
    cls = type("ndarray", (), {"__module__": "cupy._core.core"})
    a = cls()
    a.device = _FakeDevice(device)
    return a


def test_placement_errors_name_the_arguments():
    g0, g1 = _fake_cupy_array(0), _fake_cupy_array(1)
    assert runtime.placement(X=np.ones(2), Y=None) == "cpu"
    assert runtime.placement(X=g0, params=[g0, g0]) == "gpu"
    with pytest.raises(TypeError, match=r"Y: expected CuPy arrays like X .*numpy ndarray"):
        runtime.placement(X=g0, Y=np.ones(3))
    with pytest.raises(TypeError, match=r"params\[1\]"):
        runtime.placement(X=g0, params=[g0, np.ones(2)])
    with pytest.raises(ValueError, match="X on device 0, Y on device 1"):
        runtime.placement(X=g0, Y=g1)
    with pytest.raises(TypeError, match="CuPy"):
        fastntk.ntk(fastntk.MLP.uniform(3, 4, 2), fastntk.MLP.uniform(3, 4, 2).init(0), g0)


def test_cuda_sources_found():
    src = runtime.cuda_source_dir()
    assert (src / "kernels.cu").exists() and (src / "elementwise.cuh").exists()
