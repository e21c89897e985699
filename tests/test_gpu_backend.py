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


def _cfg(net, theta, X, Y, **kw):
    from fastntk.dynamics import _TRAIN_DEFAULTS, _make_config
    args = dict(_TRAIN_DEFAULTS)
    hyper = {k: v for k, v in kw.items() if k not in args}
    args.update({k: v for k, v in kw.items() if k in args})
    return _make_config(net, theta, X, Y, hyper=hyper, **args), args


@given(st.sampled_from(["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]),
       st.sampled_from(["network", "linearized"]), st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["zero", "normal", "none"]), st.integers(1, 3), st.booleans(), st.integers(0, 100))
def test_training_loop_matches_core(optimizer, model, dtype, bias, depth, shuffle, seed):
    """The GPU training loop (run on the host) and the core's: same batches, records,
    stopping step and final parameters, on every path of the linearization."""
    from fastntk._gpu import train as gtrain
    from conftest import make_data
    net = fastntk.MLP.uniform(4, 6, depth, bias=bias, dtype=dtype, sigma=1.2)
    X, Y, Xt = make_data(9, 4, seed, 4)
    X, Y, Xt = X.astype(dtype), Y.astype(dtype), Xt.astype(dtype)
    theta = net.flatten(net.init(seed))
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    bs = 4 if optimizer in ("sgd", "momentum") else None
    paths = ["auto"] if model == "network" else (
        ["function", "matrix-free", "materialized"] if optimizer in ("gd", "sgd", "momentum")
        else ["matrix-free", "materialized"])
    for path in paths:
        cfg, _ = _cfg(net, theta, X, Y, model=model, optimizer=optimizer, lr=lr, batch_size=bs,
                      shuffle=shuffle, seed=seed, max_steps=13, record_every=3, tol=1e-300, path=path,
                      record_D=model == "network")
        ref = fastntk._core.train(net._spec, theta, X, Y, Xt, cfg, None)
        got = gtrain.train(BE, api.layout(net), theta, X, Y, Xt, cfg, model=model, optimizer=optimizer)
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        if model == "linearized":
            assert got["path"] == ref["path"]
        h, hr = got["history"], ref["history"]
        np.testing.assert_array_equal(h["step"], hr["step"])
        scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
        for key in ("train_loss", "param_distance", "max_unit_movement", "test_pred"):
            assert_close(h[key], hr[key], dtype, scale=scale * (1 + np.abs(hr[key]).max()))
        np.testing.assert_array_equal(np.isnan(h["effective_lr"]), np.isnan(hr["effective_lr"]))
        ok = ~np.isnan(hr["effective_lr"])
        assert_close(h["effective_lr"][ok], hr["effective_lr"][ok], dtype,
                     scale=scale * (1 + np.abs(hr["effective_lr"][ok]).max(initial=0)))
        assert_close(got["theta"], ref["theta"], dtype, scale=scale * (1 + np.abs(ref["theta"]).max()))
        if "D" in hr:
            assert_close(h["D"], hr["D"], dtype, scale=scale * (1 + np.abs(hr["D"]).max()))


def test_training_loop_stops_like_core():
    from fastntk._gpu import train as gtrain
    from conftest import make_data
    net = fastntk.MLP.uniform(4, 20, 2)
    X, Y, Xt = make_data(8, 4, 0, 3)
    theta = net.flatten(net.init(0))
    for kw in (dict(tol=1e-3), dict(lr=1e3, tol=1e-300), dict(model="linearized", tol=1e-6)):
        model = kw.pop("model", "network")
        cfg, _ = _cfg(net, theta, X, Y, model=model, max_steps=5000, **kw)
        ref = fastntk._core.train(net._spec, theta, X, Y, Xt, cfg, None)
        got = gtrain.train(BE, api.layout(net), theta, X, Y, Xt, cfg, model=model, optimizer="gd")
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        assert got["status"] in ("converged", "diverged")
    # A callback that says stop: status interrupted, the loss of that step recorded.
    cfg, _ = _cfg(net, theta, X, Y, max_steps=10**6, tol=1e-300, lr=0.1)
    cfg.progress_seconds = 0.0
    got = gtrain.train(BE, api.layout(net), theta, X, Y, None, cfg, model="network", optimizer="gd",
                       progress=lambda step, loss: step < 7)
    assert got["status"] == "interrupted" and got["steps"] == 7 and got["history"]["step"][-1] == 7


@given(st.sampled_from(["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]),
       st.sampled_from([np.float32, np.float64]), st.sampled_from(["zero", "normal", "none"]),
       st.integers(1, 3), st.booleans(), st.integers(0, 100))
def test_stacked_ensemble_matches_core_run_by_run(optimizer, dtype, bias, depth, shuffle, seed):
    """Runs stacked on the device (σ, θ₀ and lr differing) = each run alone in the core."""
    from fastntk._gpu import ensemble
    from conftest import make_data
    X, Y, Xt = make_data(9, 4, seed, 4)
    X, Y, Xt = X.astype(dtype), Y.astype(dtype), Xt.astype(dtype)
    base = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    bs = 4 if optimizer in ("sgd", "momentum") else None
    nets, thetas, cfgs = [], [], []
    for i, sigma in enumerate([0.8, 1.0, 1.3]):
        net = fastntk.MLP.uniform(4, 6, depth, bias=bias, dtype=dtype, sigma=sigma)
        theta = net.flatten(net.init(seed + i))
        cfg, _ = _cfg(net, theta, X, Y, optimizer=optimizer, lr=base * (1 + 0.2 * i), batch_size=bs,
                      shuffle=shuffle, seed=seed, max_steps=12, record_every=4, tol=1e-300)
        nets.append(net), thetas.append(theta), cfgs.append(cfg)
    outs = ensemble.train_group(BE, [api.layout(n) for n in nets], thetas, X, Y, Xt, cfgs, optimizer=optimizer)
    scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
    for net, theta, cfg, got in zip(nets, thetas, cfgs, outs):
        ref = fastntk._core.train(net._spec, theta, X, Y, Xt, cfg, None)
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        h, hr = got["history"], ref["history"]
        np.testing.assert_array_equal(h["step"], hr["step"])
        for key in ("train_loss", "param_distance", "max_unit_movement", "test_pred"):
            assert_close(h[key], hr[key], dtype, scale=scale * (1 + np.abs(hr[key]).max()))
        ok = ~np.isnan(hr["effective_lr"])
        np.testing.assert_array_equal(np.isnan(h["effective_lr"]), ~ok)
        assert_close(h["effective_lr"][ok], hr["effective_lr"][ok], dtype,
                     scale=scale * (1 + np.abs(hr["effective_lr"][ok]).max(initial=0)))
        assert_close(got["theta"], ref["theta"], dtype, scale=scale * (1 + np.abs(ref["theta"]).max()))


def test_stacked_runs_stop_on_their_own():
    from fastntk._gpu import ensemble
    from conftest import make_data
    X, Y, _ = make_data(8, 4, 0, 3)
    nets = [fastntk.MLP.uniform(4, 20, 2, sigma=s) for s in (1.0, 1.0, 2.0)]
    thetas = [n.flatten(n.init(i)) for i, n in enumerate(nets)]
    cfgs = [_cfg(n, th, X, Y, lr=lr, tol=1e-3, max_steps=3000)[0]
            for n, th, lr in zip(nets, thetas, (0.5, 1e4, 0.2))]
    outs = ensemble.train_group(BE, [api.layout(n) for n in nets], thetas, X, Y, None, cfgs, optimizer="gd")
    for net, theta, cfg, got in zip(nets, thetas, cfgs, outs):
        ref = fastntk._core.train(net._spec, theta, X, Y, None, cfg, None)
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        assert_close(got["theta"], ref["theta"], np.float64, scale=1 + np.abs(ref["theta"]).max())
    assert outs[1]["status"] == "diverged" and outs[0]["status"] == "converged"


def test_import_does_not_load_cupy():
    """CuPy is looked for only when a CuPy array arrives (or show_config asks)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import sys, fastntk, numpy as np; "
                          "net = fastntk.MLP.uniform(2, 3, 2); fastntk.ntk(net, net.init(0), np.ones((2, 2))); "
                          "print('cupy' in sys.modules)"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def _kernel_signatures():
    """{name: [parameter type, …]} of the extern "C" kernels, read from kernels.cu."""
    import re
    text = (runtime.cuda_source_dir() / "kernels.cu").read_text().replace("\\\n", " ")
    sigs = {}
    for name, params in re.findall(r'extern "C" __global__ void fastntk_(\w+)_##S\(([^)]*)\)', text):
        sigs[name] = [" ".join(p.split()[:-1]) for p in params.split(",")]
    return sigs


class _RecordingKernel:
    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def __call__(self, grid, block, args):
        self.calls.append((self.name, grid, block, args))


class _RecordingModule:
    def __init__(self):
        self.calls = []

    def get_function(self, name):
        return _RecordingKernel(name, self.calls)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_launch_arguments_match_the_cuda_signatures(dtype):
    """The launch glue of CudaKernels, the one part the host twins cannot check: every
    launch passes as many arguments as its kernel declares, of the declared types
    (arrays for pointers, the dtype's scalar for T, int64 for i64, int32 for int),
    with launch shapes CUDA accepts."""
    sigs = _kernel_signatures()
    assert len(sigs) == 9
    k = object.__new__(runtime.CudaKernels)
    k._T, k._suffix = dtype, "f32" if dtype == np.float32 else "f64"
    module = _RecordingModule()
    k._fn = lambda name: module.get_function(f"fastntk_{name}_{k._suffix}")
    k._module = module
    a = np.zeros((5, 7), dtype)
    v, w = np.zeros(35, dtype), np.zeros(35, dtype)
    k.bias_activation(a, np.zeros(7, dtype), 1.0, 0)
    k.bias_activation(a, None, 0.0, 2)
    k.activation_grad(0, a, a)
    k.gram_accumulate(np.zeros((9, 9), dtype)[2:7, 1:8], a, a, 0.5, False)
    k.jacobian_block(np.zeros((5, 80), dtype), 3, -1, a, np.zeros((5, 2), dtype), 1.0, 0.0)
    k.sgd(v, w, 0.1)
    k.momentum(v, w, w, 0.1, 0.9, 1.0, True, False)
    for diag in (None, np.zeros(35, dtype)):
        k.adagrad(v, w, w, 0.1, 1e-10, diag)
        k.rmsprop(v, w, w, 0.1, 0.99, 1e-8, diag)
        k.adam(v, w, w, w, 0.1, 0.9, 0.999, 0.1, 0.05, 1e-8, diag)
    launched = {name for name, *_ in k._module.calls}
    assert launched == {f"fastntk_{n}_{k._suffix}" for n in sigs}
    for name, grid, block, args in k._module.calls:
        params = sigs[name[len("fastntk_"):-4]]
        assert len(args) == len(params), (name, len(args), params)
        for arg, ptype in zip(args, params):
            if ptype.endswith("*"):
                assert isinstance(arg, np.ndarray) or (isinstance(arg, np.generic) and arg == 0
                                                       and arg.dtype.itemsize == 8), (name, ptype, arg)
            elif ptype == "T":
                assert type(arg) is dtype, (name, ptype, type(arg))
            elif ptype == "i64":
                assert type(arg) is np.int64, (name, ptype, type(arg))
            elif ptype == "int":
                assert type(arg) is np.int32, (name, ptype, type(arg))
            else:
                raise AssertionError(f"{name}: parameter type {ptype!r} not handled")
        assert all(1 <= g <= 65535 for g in grid) and np.prod(block) <= 1024, (name, grid, block)
    # The Gram tile is a strided view of K: its leading dimension is K's row length.
    gram = next(c for c in k._module.calls if "gram_accumulate" in c[0])
    assert gram[3][1] == 9


def test_flatten_unflatten_on_the_device_path():
    net = fastntk.MLP([3, 4, 2, 1], bias="normal")
    params = net.init(0)
    theta = api.flatten(BE, net, [p.copy() for p in params])
    np.testing.assert_array_equal(theta, net.flatten(params))
    for a, b in zip(api.unflatten(BE, net, theta), params):
        np.testing.assert_array_equal(a, b)
        assert a.base is theta or a.base is theta.base
    with pytest.raises(ValueError, match=r"params\[1\]: expected shape \(4,\)"):
        api.flatten(BE, net, [params[0], params[0]] + params[2:])
