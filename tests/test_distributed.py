"""fastntk.distributed: the NTK Gram as tiles on Dask equals fastntk.ntk."""
import pickle
import sys

import numpy as np
import pytest
from conftest import TOL, assert_close

import fastntk

da = pytest.importorskip("dask.array", reason="dask not installed: the distributed Gram is not tested")
from fastntk import distributed  # noqa: E402


@pytest.mark.parametrize("sigma_b", [None, 0.4])
def test_mlp_and_parameters_pickle(sigma_b):
    """Workers receive the network and θ by pickling."""
    net = fastntk.MLP.uniform(3, 5, 3, bias="normal", dtype=np.float32, sigma=1.3, sigma_b=sigma_b)
    again = pickle.loads(pickle.dumps(net))
    assert again.layout == net.layout and repr(again) == repr(net) and again.sigma_b == net.sigma_b
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
    assert len([k for k in keys if k.startswith("_features")]) == 4  # each block's passes once, shared


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
    from fastntk._blas import blas_info
    net = fastntk.MLP.uniform(3, 8, 2)
    before = (_core.openmp_threads(), (blas_info() or {}).get("num_threads"))
    with dask.config.set(scheduler="sync"):
        distributed.ntk(net, net.init(0), np.ones((6, 3)), chunks=2).compute()
    assert (_core.openmp_threads(), (blas_info() or {}).get("num_threads")) == before


def test_cg_kernel_regression_equals_the_dense_solve(tmp_path):
    rng = np.random.default_rng(3)
    X, Xt = rng.standard_normal((40, 5)), rng.standard_normal((7, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = rng.standard_normal(40)
    net = fastntk.MLP.uniform(5, 64, 3, bias="normal")
    theta = net.init(0)
    pred, info = distributed.kernel_regression(net, theta, X, Y, Xt, ridge=1e-3, method="cg", chunks=9, tol=1e-12)
    K, Kt = fastntk.ntk(net, theta, X), fastntk.ntk(net, theta, Xt, X)
    want = Kt @ np.linalg.solve(K + 1e-3 * np.eye(40), Y)
    assert info["converged"] and info["iterations"] <= 40 * 10 and info["residuals"][-1] <= 1e-12
    np.testing.assert_allclose(pred, want, rtol=0, atol=TOL["solve"] * (1 + np.abs(want).max()))
    auto, dinfo = distributed.kernel_regression(net, theta, X, Y, Xt, ridge=1e-3)  # K fits: dense
    assert dinfo["method"] == "dense" and dinfo["residuals"][-1] <= TOL["solve"]
    pytest.importorskip("zarr", reason="zarr not installed: the Gram store is not tested")
    stored, sinfo = distributed.kernel_regression(net, theta, X, Y, Xt, ridge=1e-3, method="cg",
                                                  store=tmp_path / "k.zarr", chunks=16, tol=1e-12)
    assert sinfo["method"] == "cg" and sinfo["converged"] and distributed.tiles_done(tmp_path / "k.zarr") == (6, 6)
    for other in (auto, stored):
        np.testing.assert_allclose(other, want, rtol=0, atol=TOL["solve"] * (1 + np.abs(want).max()))
    with pytest.raises(ValueError, match="store: the dense method"):
        distributed.kernel_regression(net, theta, X, Y, Xt, method="dense", store=tmp_path / "d.zarr")
    with pytest.raises(ValueError, match="method"):
        distributed.kernel_regression(net, theta, X, Y, Xt, method="qr")
    x, info = distributed.cg_solve(K, Y, ridge=1e-3, max_iter=3)
    assert not info["converged"] and len(info["residuals"]) == 3
    with pytest.raises(ValueError, match=r"K: expected shape \(40, 40\)"):
        distributed.cg_solve(K[:5, :5], Y)


zarr = pytest.importorskip("zarr", reason="zarr not installed: the Gram store is not tested")
from fastntk.distributed import store as store_module  # noqa: E402


def _problem(dtype=np.float64, n=23, d=5, seed=0):
    rng = np.random.default_rng(seed)
    net = fastntk.MLP.uniform(d, 16, 3, bias="normal", dtype=dtype)
    return net, net.init(1), rng.standard_normal((n, d)), rng.standard_normal((9, d))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunks", [4, 10, 64])
def test_store_holds_the_gram(tmp_path, dtype, chunks):
    net, theta, X, X2 = _problem(dtype)
    np.save(tmp_path / "x.npy", X)
    zarr.save_array(str(tmp_path / "x2.zarr"), X2)
    for source in (X, str(tmp_path / "x.npy"), da.from_array(X, chunks=(5, 5))):
        path = tmp_path / f"k{id(source)}.zarr"
        info = distributed.gram_to_zarr(net, theta, source, path, chunks=chunks)
        t = -(-23 // chunks)
        assert (info.tiles, info.computed, info.resumed) == (t * (t + 1) // 2, t * (t + 1) // 2, 0)
        K = distributed.open_gram(path).compute()
        assert K.dtype == dtype
        assert_close(K, fastntk.ntk(net, theta, X.astype(dtype)), dtype)
        np.testing.assert_array_equal(K, K.T)
    cross = distributed.gram_to_zarr(net, theta, X, tmp_path / "c.zarr", X2=str(tmp_path / "x2.zarr"), chunks=chunks)
    assert cross.shape == (23, 9)
    assert_close(distributed.open_gram(tmp_path / "c.zarr").compute(),
                 fastntk.ntk(net, theta, X.astype(dtype), X2.astype(dtype)), dtype)


@pytest.mark.parametrize("budget_blocks, passes", [(2, 4 * 1 + 6 * 2), (4, 2 + 4 + 2), (8, 4), (100, 4)])
def test_store_in_waves_bounds_the_features_held(tmp_path, monkeypatch, budget_blocks, passes):
    """With room for the features of ``budget_blocks`` blocks a wave pairs groups of half
    as many; every block's passes run once per wave that uses it, and K is the same."""
    net, theta, X, _ = _problem(n=20)  # chunks 5: 4 row blocks, 10 tiles
    counted = []
    from fastntk.distributed import tiles as tiles_module
    real = tiles_module._features
    monkeypatch.setattr(tiles_module, "_features", lambda *a: (counted.append(1), real(*a))[1])
    from fastntk.distributed.tiles import feature_bytes
    distributed.gram_to_zarr(net, theta, X, tmp_path / "k.zarr", chunks=5,
                             max_feature_bytes=budget_blocks * feature_bytes(net, 5))
    assert len(counted) == passes
    assert_close(distributed.open_gram(tmp_path / "k.zarr").compute(), fastntk.ntk(net, theta, X), np.float64)


def test_interrupted_store_resumes_without_redoing_tiles(tmp_path, monkeypatch):
    import dask
    net, theta, X, _ = _problem()
    calls = []
    real = store_module._store_tile

    def stop_after_four(*args):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(args[5:7])
        return real(*args)

    monkeypatch.setattr(store_module, "_store_tile", stop_after_four)
    path = tmp_path / "k.zarr"
    with dask.config.set(scheduler="sync"), pytest.raises(KeyboardInterrupt):
        distributed.gram_to_zarr(net, theta, X, path, chunks=5)  # 5 row blocks: 15 tiles
    assert distributed.tiles_done(path) == (4, 15)
    with pytest.raises(ValueError, match="lacks"):
        distributed.open_gram(path)
    partial = distributed.open_gram(path, require_complete=False).compute()
    assert np.isnan(partial).any() and not np.isnan(partial).all()
    first = list(calls)
    calls.clear()
    monkeypatch.setattr(store_module, "_store_tile", lambda *a: (calls.append(a[5:7]), real(*a))[1])
    info = distributed.gram_to_zarr(net, theta, X, path, chunks=5)
    assert (info.computed, info.resumed) == (11, 4) and not set(first) & set(calls)
    assert_close(distributed.open_gram(path).compute(), fastntk.ntk(net, theta, X), np.float64)


def test_store_of_another_gram_is_refused(tmp_path):
    net, theta, X, _ = _problem()
    path = tmp_path / "k.zarr"
    distributed.gram_to_zarr(net, theta, X, path, chunks=8)
    for kwargs, what in ((dict(X1=X + 1), "X1_sha256"), (dict(params=net.init(2)), "theta_sha256"),
                         (dict(net=net.replace(sigma=2.0)), "network"), (dict(net=net.replace(sigma_b=0.5)), "network"),
                         (dict(chunks=4), "chunks")):
        args = dict(net=net, params=theta, X1=X, chunks=8) | kwargs
        with pytest.raises(ValueError, match=f"another problem .*{what}"):
            distributed.gram_to_zarr(args.pop("net"), args.pop("params"), args.pop("X1"), path, **args)
    info = distributed.gram_to_zarr(net, net.init(2), X, path, chunks=8, overwrite=True)
    assert info.resumed == 0
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="not a fastntk Gram store"):
        distributed.gram_to_zarr(net, theta, X, tmp_path / "plain", chunks=8)
    with pytest.raises(ValueError, match="not a fastntk Gram store"):
        distributed.open_gram(tmp_path / "plain")
    with pytest.raises(TypeError, match="store: expected a directory path"):
        distributed.gram_to_zarr(net, theta, X, 3)
    with pytest.raises(ValueError, match="X1: expected a .npy file or a zarr array"):
        distributed.gram_to_zarr(net, theta, str(tmp_path / "missing"), tmp_path / "m.zarr")


def test_analytic_kernels_out_of_core_equal_the_infinite_kernels(tmp_path):
    """kernel="ntk" | "nngp": the same tiles, store and resume serve the infinite-width
    kernels (float64 whatever the network's dtype), equal to fastntk.infinite.kernels."""
    net = fastntk.MLP.uniform(5, 16, 3, bias="normal", dtype=np.float32, sigma=1.3, sigma_b=0.4)
    rng = np.random.default_rng(4)
    X, X2 = rng.standard_normal((23, 5)), rng.standard_normal((9, 5))
    for kind in ("ntk", "nngp"):
        want = getattr(fastntk.infinite.kernels(net, X, get=kind), kind)
        path = tmp_path / f"{kind}.zarr"
        info = distributed.gram_to_zarr(net, None, X, path, chunks=7, kernel=kind)
        assert (info.tiles, info.computed) == (10, 10)
        K = distributed.open_gram(path).compute()
        assert K.dtype == np.float64
        assert_close(K, want, np.float64)
        np.testing.assert_array_equal(K, K.T)
        assert distributed.gram_to_zarr(net, None, X, path, chunks=7, kernel=kind).resumed == 10
        lazy = distributed.ntk(net, None, X, X2, chunks=4, kernel=kind).compute()
        assert_close(lazy, getattr(fastntk.infinite.kernels(net, X, X2, get=kind), kind), np.float64)
    with pytest.raises(ValueError, match="another problem .*kernel"):
        distributed.gram_to_zarr(net, None, X, tmp_path / "ntk.zarr", chunks=7, kernel="nngp")
    with pytest.raises(ValueError, match="another problem .*kernel"):
        distributed.gram_to_zarr(net, net.init(0), X, tmp_path / "ntk.zarr", chunks=7)
    with pytest.raises(ValueError, match="kernel"):
        distributed.gram_to_zarr(net, None, X, tmp_path / "x.zarr", kernel="gp")


def test_command_line_stores_the_analytic_and_the_k_output_grams(tmp_path, capsys):
    from fastntk.cli import main
    X = np.random.default_rng(5).standard_normal((13, 6))
    np.save(tmp_path / "x.npy", X)
    net = fastntk.MLP.uniform(6, 8, 2, outputs=3, sigma=1.2)
    assert main(["gram", str(tmp_path / "x.npy"), str(tmp_path / "n.zarr"), "--kernel", "nngp", "--width", "8",
                 "--depth", "2", "--sigma", "1.2", "--chunks", "5", "--no-progress"]) == 0
    assert "(nngp, float64)" in capsys.readouterr().out
    assert_close(distributed.open_gram(tmp_path / "n.zarr").compute(), fastntk.infinite.kernels(net, X, get="nngp").nngp,
                 np.float64)
    assert main(["gram", str(tmp_path / "x.npy"), str(tmp_path / "e.zarr"), "--outputs", "3", "--width", "8",
                 "--depth", "2", "--sigma", "1.2", "--dtype", "float64", "--chunks", "5", "--no-progress"]) == 0
    assert_close(distributed.open_gram(tmp_path / "e.zarr").compute(), fastntk.ntk(net, net.init(0), X), np.float64)


def test_npy_rows_pickle_as_their_path(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "x.npy", X)
    rows = distributed.NpyRows(tmp_path / "x.npy")
    blob = pickle.dumps(rows)
    assert len(blob) < 400 and rows.shape == (4, 3)
    np.testing.assert_array_equal(pickle.loads(blob)[1:3], X[1:3])


def test_nystrom_preconditioned_cg_equals_the_dense_solve_in_fewer_iterations():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 10))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    net = fastntk.MLP.uniform(10, 256, 3)
    K = fastntk.ntk(net, net.init(0), X)
    Y = rng.standard_normal(200)
    want = np.linalg.solve(K + 1e-6 * np.eye(200), Y)
    plain = distributed.cg_solve(K, Y, ridge=1e-6, tol=1e-10)
    pre = distributed.cg_solve(da.from_array(K, chunks=64), Y, ridge=1e-6, tol=1e-10, precondition="nystrom",
                               rank=40)
    for x, info in (plain, pre):
        assert info["converged"]
        np.testing.assert_allclose(x, want, rtol=0, atol=TOL["solve"] * np.abs(want).max())
    assert pre[1]["iterations"] < plain[1]["iterations"]
    with pytest.raises(ValueError, match="precondition"):
        distributed.cg_solve(K, Y, precondition="jacobi")
    with pytest.raises(TypeError, match="precondition"):
        distributed.cg_solve(K, Y, precondition=3)


def test_missing_zarr_and_bad_store_arguments_are_named(tmp_path, monkeypatch):
    net, theta, X, X2 = _problem()
    with pytest.raises(ValueError, match="chunks: expected an integer >= 1"):
        distributed.gram_to_zarr(net, theta, X, tmp_path / "k.zarr", chunks=0)
    with pytest.raises(ValueError, match=r"X2: expected shape \(N, 5\)"):
        distributed.gram_to_zarr(net, theta, X, tmp_path / "k.zarr", X2=np.ones((3, 4)))
    with pytest.raises(ValueError, match="max_feature_bytes"):
        distributed.gram_to_zarr(net, theta, X, tmp_path / "k.zarr", max_feature_bytes=0)
    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(ImportError, match=r"fastntk\[distributed\]"):
        distributed.gram_to_zarr(net, theta, X, tmp_path / "k.zarr")


def test_float32_numpy_K_is_widened_block_by_block_like_a_dask_K():
    """cg_solve's products accumulate in float64 for a float32 K without a float64 copy of
    it: the NumPy path (rows in blocks) and the dask path (tile by tile) give one answer."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((300, 40))
    K = (A @ A.T + 300 * np.eye(300)).astype(np.float32)
    y = rng.standard_normal(300)
    x_np, _ = distributed.cg_solve(K, y, tol=1e-12, precondition="nystrom", rank=20)
    x_da, _ = distributed.cg_solve(da.from_array(K, chunks=64), y, tol=1e-12, precondition="nystrom", rank=20)
    np.testing.assert_allclose(x_np, x_da, rtol=0, atol=TOL["solve"] * np.abs(x_da).max())
    np.testing.assert_allclose(x_np, np.linalg.solve(K.astype(np.float64), y), rtol=0,
                               atol=TOL["solve"] * np.abs(x_da).max())
