"""fastntk.distributed: the NTK Gram as tiles on Dask equals fastntk.ntk."""
import pickle
import sys

import numpy as np
import pytest
from conftest import TOL, assert_close

import fastntk

da = pytest.importorskip("dask.array", reason="dask not installed: the distributed Gram is not tested")
from fastntk import distributed  # noqa: E402


def test_mlp_and_parameters_pickle():
    """Workers receive the network and θ by pickling."""
    net = fastntk.MLP.uniform(3, 5, 3, bias="normal", dtype=np.float32, sigma=1.3)
    again = pickle.loads(pickle.dumps(net))
    assert again.layout == net.layout and repr(again) == repr(net)
    X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(fastntk.ntk(again, net.init(1), X), fastntk.ntk(net, net.init(1), X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunks", [1, 3, 7, 50])
def test_tiled_gram_equals_ntk(dtype, chunks):
    rng = np.random.default_rng(chunks)
    net = fastntk.MLP.uniform(5, 16, 3, bias="normal", dtype=dtype)
    theta = net.init(2)
    X1, X2 = rng.standard_normal((11, 5)), rng.standard_normal((6, 5))
    K = distributed.ntk(net, theta, X1, chunks=chunks)
    assert isinstance(K, da.Array) and K.shape == (11, 11)
    got = K.compute()
    assert_close(got, fastntk.ntk(net, theta, X1.astype(dtype)), dtype)
    np.testing.assert_array_equal(got, got.T)  # mirrored tiles: exactly symmetric
    cross = distributed.ntk(net, theta, X1, da.from_array(X2, chunks=(2, 5)), chunks=chunks).compute()
    assert_close(cross, fastntk.ntk(net, theta, X1.astype(dtype), X2.astype(dtype)), dtype)


def test_symmetric_tiles_are_computed_once_and_theta_enters_once():
    net = fastntk.MLP.uniform(3, 8, 2)
    K = distributed.ntk(net, net.init(0), np.ones((10, 3)), chunks=3)  # 4 row blocks
    keys = [k for k in dict(K.__dask_graph__()) if isinstance(k, str)]
    assert len([k for k in keys if k.startswith("_tile")]) == 4 * 5 // 2  # the lower triangle with the diagonal
    assert len([k for k in keys if k.startswith("ndarray")]) == 1  # θ: one node every tile depends on


def test_errors(monkeypatch):
    net = fastntk.MLP.uniform(3, 8, 2)
    with pytest.raises(ValueError, match=r"X1: expected shape \(N, 3\)"):
        distributed.ntk(net, net.init(0), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"X2: expected shape \(N, 3\)"):
        distributed.ntk(net, net.init(0), np.ones((4, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="chunks: expected an integer >= 1"):
        distributed.ntk(net, net.init(0), np.ones((4, 3)), chunks=0)
    with pytest.raises(TypeError, match="net: expected a fastntk.MLP"):
        distributed.ntk(None, net.init(0), np.ones((4, 3)))
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"fastntk\[distributed\]"):
        distributed.ntk(net, net.init(0), np.ones((4, 3)))


def test_tiles_leave_the_thread_settings_as_they_were():
    """The synchronous scheduler runs tiles on the caller's thread: its OpenMP and BLAS
    thread counts are back afterwards."""
    import dask

    from fastntk import _core
    from fastntk._backend import blas_info
    net = fastntk.MLP.uniform(3, 8, 2)
    before = (_core.openmp_threads(), (blas_info() or {}).get("num_threads"))
    with dask.config.set(scheduler="sync"):
        distributed.ntk(net, net.init(0), np.ones((6, 3)), chunks=2).compute()
    assert (_core.openmp_threads(), (blas_info() or {}).get("num_threads")) == before


def test_cg_kernel_regression_equals_the_dense_solve():
    rng = np.random.default_rng(3)
    X, Xt = rng.standard_normal((40, 5)), rng.standard_normal((7, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = rng.standard_normal(40)
    net = fastntk.MLP.uniform(5, 64, 3, bias="normal")
    theta = net.init(0)
    pred, info = distributed.kernel_regression(net, theta, X, Y, Xt, ridge=1e-3, chunks=9, tol=1e-12)
    K, Kt = fastntk.ntk(net, theta, X), fastntk.ntk(net, theta, Xt, X)
    want = Kt @ np.linalg.solve(K + 1e-3 * np.eye(40), Y)
    assert info["converged"] and info["iterations"] <= 40 * 10 and info["residuals"][-1] <= 1e-12
    np.testing.assert_allclose(pred, want, rtol=0, atol=TOL["solve"] * (1 + np.abs(want).max()))
    x, info = distributed.cg_solve(K, Y, ridge=1e-3, max_iter=3)
    assert not info["converged"] and len(info["residuals"]) == 3
    with pytest.raises(ValueError, match=r"K: expected shape \(40, 40\)"):
        distributed.cg_solve(K[:5, :5], Y)
