"""The GPU backend against the CPU core: every operation, random shapes (hypothesis),
both dtypes. Each test runs twice: on the host (tests/gpu_emulation.py: NumPy arrays,
kernels.cu compiled for the CPU) and, where CuPy sees a GPU, on the GPU with CuPy
arrays (skipped with the reason elsewhere)."""
import numpy as np
import pytest
from conftest import assert_close, cupy_with_gpu
from gpu_emulation import host_backend
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import problems

import fastntk
from fastntk._arrays import placement
from fastntk._dispatch import cpu
from fastntk._footprint import training_bytes
from fastntk._protocol import Problem
from fastntk._gpu import runtime
from fastntk._gpu import train as gtrain
from fastntk._gpu.backend import GpuBackend
from fastntk.config import make_config



@pytest.fixture(scope="module", params=["host", "cuda"])
def be(request):
    if request.param == "host":
        return host_backend()
    cupy_with_gpu("GPU run of the backend tests")
    return runtime.cuda_device()


def _on(be, *arrays):
    out = tuple(None if a is None else be.xp.asarray(a) for a in arrays)
    return out if len(out) > 1 else out[0]


host = runtime.to_host


@given(problems(), st.integers(1, 7))
def test_forward_ntk_jacobian_match_cpu(be, case, tile):
    net, params, X, X2 = case
    theta = net.flatten(params)
    gtheta, gX, gX2 = _on(be, theta, X, X2)
    assert_close(GpuBackend(be).apply(net, gtheta, gX), net.apply(theta, X), net.dtype)
    K = fastntk.ntk(net, theta, X)
    assert_close(GpuBackend(be).ntk(net, gtheta, gX, None, tile=tile), K, net.dtype, scale=1 + np.abs(K).max())
    K2 = fastntk.ntk(net, theta, X, X2)
    assert_close(GpuBackend(be).ntk(net, gtheta, gX, gX2, tile=tile), K2, net.dtype, scale=1 + np.abs(K2).max())
    assert_close(GpuBackend(be).jacobian(net, gtheta, gX), fastntk.jacobian(net, theta, X), net.dtype)


@given(problems(), st.integers(0, 100))
def test_jvp_vjp_adaptive_match_cpu(be, case, seed):
    net, params, X, X2 = case
    theta = net.flatten(params)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal(X.shape[0]).astype(net.dtype)
    d = rng.uniform(0.1, 2, net.num_params).astype(net.dtype)
    gtheta, gX, gX2, gv, gr, gd = _on(be, theta, X, X2, v, r, d)
    assert_close(GpuBackend(be).jvp(net, gtheta, gX, gv), fastntk.jvp(net, theta, X, v), net.dtype,
                 scale=1 + np.abs(v).sum())
    assert_close(GpuBackend(be).vjp(net, gtheta, gX, gr), fastntk.vjp(net, theta, X, r), net.dtype,
                 scale=1 + np.abs(r).sum())
    Kd = fastntk.adaptive_ntk(net, theta, X, X2, d=d)
    assert_close(GpuBackend(be).adaptive_ntk(net, gtheta, gX, gX2, d=gd, max_bytes=1), Kd, net.dtype,
                 scale=1 + np.abs(Kd).max())


@given(problems(outputs=(2, 3)), st.integers(1, 7), st.integers(0, 100))
def test_k_output_kernels_match_cpu(be, case, tile, seed):
    """A network of k > 1 outputs on the device: apply (N, k), the traced and the full NTK,
    the Jacobian (N, k, P), φv (N, k), φᵀr for (N, k) cotangents and the adaptive kernel in
    both forms equal the core's."""
    net, theta, X, X2 = case
    rng = np.random.default_rng(seed)
    k = net.outputs
    v = rng.standard_normal(net.num_params).astype(net.dtype)
    r = rng.standard_normal((X.shape[0], k)).astype(net.dtype)
    d = rng.uniform(0.1, 2, net.num_params).astype(net.dtype)
    gtheta, gX, gX2, gv, gr, gd = _on(be, theta, X, X2, v, r, d)
    g = GpuBackend(be)
    assert_close(g.apply(net, gtheta, gX), net.apply(theta, X), net.dtype)
    for full, axes in ((False, (-1,)), (True, ())):
        for other, gother in ((None, None), (X2, gX2)):
            K = fastntk.ntk(net, theta, X, other, trace_axes=axes)
            got = host(g.ntk(net, gtheta, gX, gother, tile=tile, full=full))
            assert got.shape == K.shape
            assert_close(got, K, net.dtype, scale=1 + np.abs(K).max())
    J = fastntk.jacobian(net, theta, X)
    assert host(g.jacobian(net, gtheta, gX)).shape == J.shape == (X.shape[0], k, net.num_params)
    assert_close(g.jacobian(net, gtheta, gX), J, net.dtype)
    assert_close(g.jvp(net, gtheta, gX, gv), fastntk.jvp(net, theta, X, v), net.dtype, scale=1 + np.abs(v).sum())
    assert_close(g.vjp(net, gtheta, gX, gr), fastntk.vjp(net, theta, X, r), net.dtype, scale=1 + np.abs(r).sum())
    for axes in ((-1,), ()):
        # the backend's (N1·k, N2·k) layout, folded as kernels.adaptive_ntk folds it
        Kd = fastntk.adaptive_ntk(net, theta, X, X2, d=d, trace_axes=axes)
        flat = host(g.adaptive_ntk(net, gtheta, gX, gX2, d=gd, max_bytes=1))
        blocks = flat.reshape(X.shape[0], k, X2.shape[0], k).transpose(0, 2, 1, 3)
        assert_close(blocks if axes == () else blocks.trace(axis1=2, axis2=3) / k, Kd, net.dtype,
                     scale=1 + np.abs(Kd).max())
    with pytest.raises(ValueError, match=r"Y: expected shape"):
        g.problem(net, gtheta, gX, _on(be, np.zeros(X.shape[0], net.dtype)), None)  # k outputs need (N, k) targets


@given(problems(), st.integers(0, 100), st.floats(0.5, 2.0))
def test_stacked_passes_equal_the_core_run_by_run(be, case, seed, sigma2):
    """The passes of three stacked networks (σ, σ_b and θ differing) — forward, φv and
    φᵀr from cached features, φᵀr by the backward pass, the Gram of each run — equal
    the core's for each network alone."""
    from fastntk._gpu import network as nw
    net, params, X, _ = case
    nets = [net, net.replace(sigma=sigma2), net.replace(sigma_b=0.5 * sigma2)]
    rng = np.random.default_rng(seed)
    thetas = [net.flatten(params)] + [rng.standard_normal(net.num_params).astype(net.dtype) for _ in range(2)]
    V = rng.standard_normal((3, net.num_params)).astype(net.dtype)
    Rr = rng.standard_normal((3, X.shape[0])).astype(net.dtype)
    st_ = nw.Stack(be, [n.layout for n in nets])
    theta_s, Xd, Vd, Rd = _on(be, np.stack(thetas), X, V, Rr)
    feat = st_.features(theta_s, Xd)
    jv, vj = host(st_.jvp_features(feat, Vd)), host(st_.vjp_features(feat, Rd))
    back = host(st_.vjp(theta_s, st_.forward(theta_s, Xd), Rd))
    for i, (n, th) in enumerate(zip(nets, thetas)):
        assert_close(host(feat.f[i]), n.apply(th, X), net.dtype)
        assert_close(jv[i], fastntk.jvp(n, th, X, V[i]), net.dtype, scale=1 + float(np.abs(V[i]).sum()))
        want = fastntk.vjp(n, th, X, Rr[i])
        for got in (vj[i], back[i]):
            assert_close(got, want, net.dtype, scale=1 + float(np.abs(Rr[i]).sum()))
        K = fastntk.ntk(n, th, X)
        assert_close(nw.gram(be, n.layout, feat.run(i)), K, net.dtype, scale=1 + np.abs(K).max())


def test_bad_device_input(be):
    net = fastntk.MLP.uniform(3, 5, 2)
    theta, X = _on(be, net.flatten(net.init(0)), np.ones((4, 3)))
    with pytest.raises(TypeError, match="X1: expected dtype float64.*astype"):
        GpuBackend(be).ntk(net, theta, X.astype(np.float32), None, tile=8)
    with pytest.raises(ValueError, match=r"X1: expected shape \(N, 3\)"):
        GpuBackend(be).ntk(net, theta, _on(be, np.ones((4, 2))), None, tile=8)
    with pytest.raises(ValueError, match="X: contains NaN"):
        GpuBackend(be).jacobian(net, theta, _on(be, np.full((2, 3), np.nan)))
    with pytest.raises(ValueError, match=r"v: expected shape"):
        GpuBackend(be).jvp(net, theta, X, _on(be, np.ones(3)))


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
    assert placement(X=np.ones(2), Y=None) == "cpu"
    assert placement(X=g0, params=[g0, g0]) == "gpu"
    with pytest.raises(TypeError, match=r"Y: expected CuPy arrays like X .*numpy ndarray"):
        placement(X=g0, Y=np.ones(3))
    with pytest.raises(TypeError, match=r"params\[1\]"):
        placement(X=g0, params=[g0, np.ones(2)])
    with pytest.raises(ValueError, match="X on device 0, Y on device 1"):
        placement(X=g0, Y=g1)
    with pytest.raises(TypeError, match="CuPy"):
        fastntk.ntk(fastntk.MLP.uniform(3, 4, 2), fastntk.MLP.uniform(3, 4, 2).init(0), g0)


def test_cpu_only_operations_refuse_device_arrays_by_name():
    """The analytic kernels and the tiled Gram run on the CPU only: one place
    (_dispatch.host_backend_for) decides, and names the argument."""
    net, g = fastntk.MLP.uniform(3, 4, 2), _fake_cupy_array(0)
    with pytest.raises(TypeError, match=r"X2: the infinite-width kernels are computed on the CPU"):
        fastntk.infinite.kernels(net, np.ones((2, 3)), g)
    with pytest.raises(TypeError, match=r"X_test: the infinite-width kernels"):
        fastntk.infinite.gd_mse_ensemble(net, np.ones((2, 3)), np.ones(2), g)


def test_cuda_sources_found():
    src = runtime.cuda_source_dir()
    assert (src / "kernels.cu").exists()
    assert (runtime.cuda_include_dir(src) / "fastntk" / "elementwise.hpp").exists()


def _cfg(net, X, **kw):
    return make_config(X.shape[0], net.depth, **kw)


def _core_train(net, theta, X, Y, Xt, cfg):
    """The CPU core's run, the reference of every GPU loop test."""
    return cpu().train(net, Problem(theta, X, Y, Xt), cfg, None)


def _gpu_train(be, nets, thetas, X, Y, Xt, cfgs, progress=None):
    return gtrain.train(be, [n.layout for n in nets], [_on(be, t) for t in thetas], *_on(be, X, Y), _on(be, Xt),
                        cfgs, progress=progress)


@given(st.sampled_from(["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]),
       st.sampled_from(["network", "linearized"]), st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["zero", "normal", "none"]), st.integers(1, 3), st.booleans(), st.integers(0, 100),
       st.sampled_from([1, 2, 3]), st.sampled_from(["squared", "logistic"]), st.sampled_from([4, 12]))
@example("sgd", "linearized", np.float64, "zero", 2, True, 0, 2, "squared", 12)  # mini-batches on the block kernel
@example("momentum", "network", np.float32, "none", 3, False, 1, 3, "squared", 12)  # row space, k outputs, batches
def test_training_loop_matches_core(be, optimizer, model, dtype, bias, depth, shuffle, seed, k, loss, d):
    """The GPU training loop (run on the host) and the core's: same batches, records,
    stopping step and final parameters, on every path — the network directly and in the row
    space (N = 9 < d = 12), the linearization in function space (the block kernel for k
    outputs), matrix-free and materialized — for one output or k, with the element-wise losses."""
    from conftest import make_data
    net = fastntk.MLP.uniform(d, 6, depth, outputs=k, bias=bias, dtype=dtype, sigma=1.2)
    X, Y, Xt = make_data(9, d, seed, 4)
    if k > 1:
        Y = np.stack([Y * (a + 1) / k for a in range(k)], axis=1)
    if loss == "logistic":
        Y = (Y > np.median(Y, axis=0)).astype(dtype)
    X, Y, Xt = X.astype(dtype), Y.astype(dtype), Xt.astype(dtype)
    theta = net.flatten(net.init(seed))
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    bs = 4 if optimizer in ("sgd", "momentum") else None
    paths = ["auto"] if model == "network" else (
        ["function", "matrix-free", "materialized"] if optimizer in ("gd", "sgd", "momentum")
        else ["matrix-free", "materialized"])
    # settings that move the core's per-update scalars off 1 (a swap of them would show)
    extra = {"momentum": dict(dampening=0.3), "adagrad": dict(lr_decay=0.1)}.get(optimizer, {})
    for path in paths:
        cfg = _cfg(net, X, model=model, optimizer=optimizer, lr=lr, batch_size=bs, shuffle=shuffle, seed=seed,
                   max_steps=13, record_every=3, tol=1e-300, path=path, record_D=path != "materialized", loss=loss,
                   **extra)
        ref = _core_train(net, theta, X, Y, Xt, cfg)
        got = _gpu_train(be, [net], [theta], X, Y, Xt, [cfg])[0]
        assert (got["status"], got["steps"], got["path"]) == (ref["status"], ref["steps"], ref["path"])
        # one result schema: the same keys from both loops (the GPU's adds the signal it caught, which dynamics raises)
        assert set(got) - {"signal_error"} == set(ref) and set(got["history"]) == set(ref["history"])
        h, hr = got["history"], ref["history"]
        np.testing.assert_array_equal(h["step"], hr["step"])
        assert host(h["test_pred"]).shape == hr["test_pred"].shape
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


def test_k_output_cross_entropy_is_refused_on_the_device(be):
    net = fastntk.MLP([4, 6, 3])
    X = np.random.default_rng(0).standard_normal((5, 4))
    cfg = _cfg(net, X, loss="cross_entropy", lr=0.1, max_steps=3)
    with pytest.raises(ValueError, match="loss: the GPU backend trains the element-wise losses"):
        GpuBackend(be).train_many([net], [_on(be, net.flatten(net.init(0)))], [cfg],
                                  Problem(*_on(be, net.flatten(net.init(0)), X, np.eye(3)[[0, 1, 2, 0, 1]], None)), None)


def test_layer_subsets_are_refused_on_the_device_by_name(be):
    """train_layers is CPU-only: the GPU backend's error names the argument, says what it
    expects (None: every layer) and what was given, and where a subset trains."""
    net = fastntk.MLP.uniform(4, 6, 2)
    X = np.random.default_rng(0).standard_normal((5, 4))
    theta = net.flatten(net.init(0))
    cfg = _cfg(net, X, train_layers=[1], lr=0.1, max_steps=3)
    problem = Problem(*_on(be, theta, X, X[:, 0], None))
    with pytest.raises(ValueError, match=r"^train_layers: expected None on the GPU, which trains every layer "
                                         r"\(got \[1\]\); train a subset of layers on the CPU"):
        GpuBackend(be).train_many([net], [problem.theta], [cfg], problem, None)
    with pytest.raises(ValueError, match=r"^train_layers: expected None"):
        GpuBackend(be).train(net, problem, cfg, None)


def test_gpu_capabilities_are_decided_in_one_place():
    """GpuBackend.check_trainable alone decides what the GPU loop trains, and every
    refusal names the setting, the expected values and the given one."""
    net = fastntk.MLP([4, 6, 3])
    X = np.ones((5, 4))
    GpuBackend.check_trainable(_cfg(net, X, loss="logistic", lr=0.1))
    GpuBackend.check_trainable(_cfg(net, X, lr=0.1))
    with pytest.raises(ValueError, match=r"^loss: .*expected one of 'squared', 'logistic', got 'cross_entropy'"):
        GpuBackend.check_trainable(_cfg(net, X, loss="cross_entropy", lr=0.1))
    with pytest.raises(ValueError, match=r"^train_layers: expected None on the GPU.*got \[1, 2\]"):
        GpuBackend.check_trainable(_cfg(net, X, train_layers=[2, 1], lr=0.1))


def test_training_loop_stops_like_core(be):
    from conftest import make_data
    net = fastntk.MLP.uniform(4, 20, 2)
    X, Y, Xt = make_data(8, 4, 0, 3)
    theta = net.flatten(net.init(0))
    for kw in (dict(tol=1e-3), dict(lr=1e3, tol=1e-300), dict(model="linearized", tol=1e-6)):
        model = kw.pop("model", "network")
        cfg = _cfg(net, X, model=model, max_steps=5000, lr=kw.pop("lr", 0.5), **kw)
        ref = _core_train(net, theta, X, Y, Xt, cfg)
        got = _gpu_train(be, [net], [theta], X, Y, Xt, [cfg])[0]
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        assert got["status"] in ("converged", "diverged")
    # The monotone rule is the controller's: the device loop stops at the core's step.
    lam = np.linalg.eigvalsh(fastntk.ntk(net, net.unflatten(theta), X))[-1]
    for model in ("network", "linearized"):
        cfg = _cfg(net, X, model=model, max_steps=400, lr=1.2 * fastntk.linalg.gd_rate(X.shape[0], lam),
                   tol=1e-300, monotone=0.0)
        ref = _core_train(net, theta, X, Y, Xt, cfg)
        got = _gpu_train(be, [net], [theta], X, Y, Xt, [cfg])[0]
        assert ref["status"] == "not monotone" and (got["status"], got["steps"]) == (ref["status"], ref["steps"])
    # A callback that says stop: status interrupted, the loss of that step recorded.
    cfg = _cfg(net, X, max_steps=10**6, tol=1e-300, lr=0.1, progress_seconds=0.0)
    got = _gpu_train(be, [net], [theta], X, Y, None, [cfg], progress=lambda step, loss: step < 7)[0]
    assert got["status"] == "interrupted" and got["steps"] == 7 and got["history"]["step"][-1] == 7


@given(st.sampled_from(["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]),
       st.sampled_from(["network", "materialized", "matrix-free", "function"]),
       st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["zero", "normal", "none"]), st.integers(1, 3), st.booleans(), st.integers(0, 100),
       st.sampled_from([1, 2]))
def test_stacked_ensemble_matches_core_run_by_run(be, optimizer, model, dtype, bias, depth, shuffle, seed, k):
    """Runs stacked on the device (σ, θ₀ and lr differing) = each run alone in the core,
    networks and linearizations on the matrix-free, materialized and function-space paths (the
    core on its own path; function space for gd, sgd and momentum), of one output or of k."""
    assume(model != "function" or optimizer in ("gd", "sgd", "momentum"))
    path = "auto" if model == "network" else model
    model = "network" if model == "network" else "linearized"
    from conftest import make_data
    X, Y, Xt = make_data(9, 4, seed, 4)
    if k > 1:
        Y = np.stack([Y, 0.5 - Y], axis=1)
    X, Y, Xt = X.astype(dtype), Y.astype(dtype), Xt.astype(dtype)
    base = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    bs = 4 if optimizer in ("sgd", "momentum") else None
    nets, thetas, cfgs = [], [], []
    for i, sigma in enumerate([0.8, 1.0, 1.3]):
        net = fastntk.MLP.uniform(4, 6, depth, outputs=k, bias=bias, dtype=dtype, sigma=sigma)
        theta = net.flatten(net.init(seed + i))
        cfg = _cfg(net, X, model=model, optimizer=optimizer, lr=base * (1 + 0.2 * i), batch_size=bs,
                   shuffle=shuffle, seed=seed, max_steps=12, record_every=4, tol=1e-300, path=path,
                   record_D=model == "network")
        nets.append(net), thetas.append(theta), cfgs.append(cfg)
    outs = _gpu_train(be, nets, thetas, X, Y, Xt, cfgs)
    scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
    for net, theta, cfg, got in zip(nets, thetas, cfgs, outs):
        assert got["path"] == ("direct" if model == "network" else path)
        ref = _core_train(net, theta, X, Y, Xt, cfg)
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
        if "D" in hr:
            assert_close(h["D"], hr["D"], dtype, scale=scale * (1 + np.abs(hr["D"]).max()))


def test_stacked_runs_stop_on_their_own(be):
    from conftest import make_data
    X, Y, _ = make_data(8, 4, 0, 3)
    nets = [fastntk.MLP.uniform(4, 20, 2, sigma=s) for s in (1.0, 1.0, 2.0)]
    thetas = [n.flatten(n.init(i)) for i, n in enumerate(nets)]
    cfgs = [_cfg(n, X, lr=lr, tol=1e-3, max_steps=3000) for n, lr in zip(nets, (0.5, 1e4, 0.2))]
    outs = _gpu_train(be, nets, thetas, X, Y, None, cfgs)
    for net, theta, cfg, got in zip(nets, thetas, cfgs, outs):
        ref = _core_train(net, theta, X, Y, None, cfg)
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        assert_close(got["theta"], ref["theta"], np.float64, scale=1 + np.abs(ref["theta"]).max())
    assert outs[1]["status"] == "diverged" and outs[0]["status"] == "converged"
    # The monotone rule per stacked run: a calm rate and one past the stability edge, one δ
    edge = fastntk.linalg.gd_rate(X.shape[0], np.linalg.eigvalsh(fastntk.ntk(nets[0], thetas[0], X))[-1])
    cfgs = [_cfg(nets[0], X, lr=lr, tol=1e-300, max_steps=400, monotone=0.0) for lr in (0.5 * edge, 1.2 * edge)]
    outs = _gpu_train(be, nets[:2], [thetas[0], thetas[0]], X, Y, None, cfgs)
    for got, cfg in zip(outs, cfgs):
        ref = _core_train(nets[0], thetas[0], X, Y, None, cfg)
        assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
        assert got["max_climb"] == pytest.approx(ref["max_climb"], rel=1e-9)
    assert [o["status"] for o in outs] == ["max_steps", "not monotone"]
    # record_D="ends" per stacked run: each run's own last update, though the runs stop apart, and each
    # coordinate's first update a gradient above eps reached (input 0 is 0 in the first batch; the second batch
    # reaches it, the update at step 1, which the GPU loop once skipped); 2 updates too
    from conftest import make_data as _make
    X, Y, _ = _make(12, 4, 0, 3)
    X[:4, 0] = 0.0
    for steps in (60, 2):
        cfgs = [_cfg(n, X, optimizer="adagrad", lr=lr, tol=1e-2, max_steps=steps, record_D="ends", batch_size=4)
                for n, lr in zip(nets, (0.05, 0.2, 0.1))]
        outs = _gpu_train(be, nets, thetas, X, Y, None, cfgs)
        for net, theta, cfg, got in zip(nets, thetas, cfgs, outs):
            ref = _core_train(net, theta, X, Y, None, cfg)
            assert (got["status"], got["steps"]) == (ref["status"], ref["steps"])
            D, Dr = np.asarray(got["history"]["D"]), ref["history"]["D"]
            assert D.shape == Dr.shape == (2, net.num_params)
            # the first-layer weights on input 0 (every 4th entry of W¹, row-major), reached after the first batch
            assert (Dr[0, :20 * 4:4] < 0.5 / cfg.eps).sum() >= 15, Dr[0, :20 * 4:4]
            unreached = ~(Dr < 0.5 / cfg.eps)
            np.testing.assert_array_equal(~(D < 0.5 / cfg.eps), unreached)
            np.testing.assert_allclose(D[~unreached], Dr[~unreached], rtol=1e-9)


def test_import_does_not_load_cupy():
    """CuPy is looked for only when a CuPy array arrives (or show_config asks)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import sys, fastntk, numpy as np; "
                          "net = fastntk.MLP.uniform(2, 3, 2); fastntk.ntk(net, net.init(0), np.ones((2, 2))); "
                          "print('cupy' in sys.modules)"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def _every_launch(k, dtype, rng, xp=np):
    """Calls each launcher of k once or more on random data (xp arrays); returns the arrays."""
    def rnd(*shape):
        return xp.asarray(rng.standard_normal(shape).astype(dtype))
    a, b = rnd(5, 7), rnd(7)
    pos = xp.asarray(rng.uniform(0.1, 2, 35).astype(dtype))
    state = dict(h=a.copy(), h2=a.copy(), m=rnd(5, 7), K=rnd(9, 9), K2=rnd(9, 9), J=rnd(5, 80),
                 th=[rnd(35) for _ in range(7)], st=[pos.copy() for _ in range(9)], d=[rnd(35) for _ in range(3)])
    gd, ga, g, delta, act = rnd(5, 7), rnd(5, 7), rnd(35), rnd(5, 4), rnd(5, 5)
    k.bias_activation(state["h"], b, 0.7, 0)
    k.bias_activation(state["h2"], None, 0.0, 2)
    k.activation_grad(0, a, state["m"])
    k.gram_accumulate(state["K"][2:7, 1:8], gd, ga, 0.5, False)
    k.gram_accumulate(state["K2"][2:7, 2:9], gd, ga, 0.5, True)
    k.jacobian_block(state["J"], 3, 60, delta, act, 1.3, 0.4)
    # Residuals and squared errors of 3 runs' outputs (and of one run, loss only).
    f3, y = rnd(3, 7), rnd(7)
    state.update(res=rnd(3, 7), sq=xp.asarray(np.array([0.5, 0.0, 2.0])), sq1=xp.zeros(1), res_l=rnd(3, 7),
                 sq_l=xp.zeros(3))
    k.residual_loss(0, f3, y, 4.0, state["res"], state["sq"])
    k.residual_loss(0, f3[1], y, 1.0, None, state["sq1"])
    k.residual_loss(1, 3 * f3, y, 2.0, state["res_l"], state["sq_l"])  # logistic, margins of both signs
    # Stacked runs: 3 runs of 5 × 4 with per-run multipliers; biases and gradient rows
    # as rows of a (3, 30) parameter stack.
    scale, beta = (xp.asarray(rng.uniform(0.5, 2, 3).astype(dtype)) for _ in range(2))
    theta = rnd(3, 30)
    state.update(sh=rnd(3, 5, 4), sh2=rnd(3, 5, 4), sm=rnd(3, 5, 4), stack=rnd(3, 30))
    k.stacked_bias_activation(state["sh"], scale, beta, theta[:, 10:14], 0)
    k.stacked_bias_activation(state["sh2"], scale, beta, None, 1)
    k.stacked_activation_grad(0, state["sh"], state["sm"], scale)
    k.stacked_scale_copy(state["stack"][:, 4:24], rnd(3, 4, 5), scale)
    # Optimizers on 5 runs stacked as rows of 7, rows 1, 3 and 4 updated.
    th, st = state["th"], state["st"]
    lr, rows = xp.asarray(rng.uniform(0.05, 0.2, 5).astype(dtype)), xp.asarray(np.array([1, 3, 4]))
    g = g.reshape(5, 7)
    th[:] = [x.reshape(5, 7) for x in th]
    st[:] = [x.reshape(5, 7) for x in st]
    state["d"] = [x.reshape(5, 7) for x in state["d"]]
    k.sgd(th[0], g, lr, 1.0, rows)
    k.momentum(th[1], st[0], g, lr, 1.0, 0.9, 0.3, True, False, rows)
    k.momentum(th[2], st[1], g, lr, 1.0, 0.9, 0.3, False, True, rows)
    k.adagrad(th[3], st[2], g, lr, 0.5, 1e-10, None, rows)
    k.adagrad(th[3], st[3], g, lr, 0.5, 1e-10, state["d"][0], rows)
    k.rmsprop(th[4], st[4], g, lr, 1.0, 0.99, 1e-8, state["d"][1], rows)
    # Adam at step 3: its bias corrections 1 − β₁³ and √(1 − β₂³).
    bc1, sqrt_bc2 = 1 - 0.9**3, (1 - 0.999**3) ** 0.5
    k.adam(th[5], st[5], st[6], g, lr, 1.0, 0.9, 0.999, bc1, sqrt_bc2, 1e-8, state["d"][2], rows)
    k.adam(th[6], st[7], st[8], g, lr, 1.0, 0.9, 0.999, bc1, sqrt_bc2, 1e-8, None, rows)
    # record_D="ends" on rows 1, 3 and 4 of 5: a first row holding 1/eps in some entries (unreached) and
    # D_t in the others, eps = 0.01 so that both sides of 1/(2·eps) = 50 occur.
    first = xp.asarray(np.where(rng.random((5, 7)) < 0.5, 100.0, rng.uniform(0.1, 2, (5, 7))).astype(dtype))
    state.update(first=first, last=rnd(5, 7))
    k.record_D_ends(state["first"], state["last"], state["d"][1], 0.01, rows)
    return state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_equal_their_numpy_statement(be, dtype):
    """Every kernel of kernels.cu, launched through CudaKernels' launch glue, has the
    effect its NumPy twin states (strided Gram tiles, triangle-only tiles, stacked
    optimizer rows with some rows left out, null optional outputs included)."""
    from gpu_emulation import HostKernels, kernel_signatures
    k = be.cuda_kernels(dtype)
    first = len(k.module.launched) if be.xp is np else 0
    got = _every_launch(k, dtype, np.random.default_rng(1), be.xp)
    want = _every_launch(HostKernels(dtype), dtype, np.random.default_rng(1))
    if be.xp is np:
        suffix = "f32" if dtype == np.float32 else "f64"
        assert set(k.module.launched[first:]) == {f"fastntk_{n}_{suffix}" for n in kernel_signatures()}
    for key in got:
        for x, y in zip(*((v if isinstance(v, list) else [v]) for v in (got[key], want[key]))):
            assert_close(x, y, dtype, scale=1 + np.abs(y).max())


def test_host_launches_are_checked_like_a_gpu_would_need():
    """The stand-in for CuPy's RawModule rejects what a GPU launch would get wrong."""
    from gpu_emulation import HostModule
    fn = HostModule().get_function("fastntk_sgd_f32")
    theta, g, lr, rows = np.zeros(8, np.float32), np.ones(8, np.float32), np.full(1, 0.5, np.float32), np.zeros(1, int)
    tail = (rows, np.int64(1), np.int64(8))
    fn((1,), (256,), (theta, g, lr, np.float32(1)) + tail)
    np.testing.assert_array_equal(theta, -0.5)
    with pytest.raises(TypeError, match=r"argument 3 \(T lr_scale\): expected float32, got float64"):
        fn((1,), (256,), (theta, g, lr, np.float64(1)) + tail)
    with pytest.raises(TypeError, match="6 arguments for 7"):
        fn((1,), (256,), (theta, g, lr, np.float32(1)) + tail[:2])
    with pytest.raises(TypeError, match="expected float32 data, got float64"):
        fn((1,), (256,), (theta.astype(np.float64), g, lr, np.float32(1)) + tail)
    with pytest.raises(TypeError, match=r"\(const i64\* rows\): expected int64 data, got int32"):
        fn((1,), (256,), (theta, g, lr, np.float32(1), rows.astype(np.int32)) + tail[1:])
    with pytest.raises(ValueError, match="not C-contiguous"):
        fn((1,), (256,), (np.zeros(16, np.float32)[::2], g, lr, np.float32(1)) + tail)
    with pytest.raises(ValueError, match="read-only"):
        ro = theta.copy()
        ro.flags.writeable = False
        fn((1,), (256,), (ro, g, lr, np.float32(1)) + tail)
    with pytest.raises(ValueError, match="block"):
        fn((1,), (2048,), (theta, g, lr, np.float32(1)) + tail)
    # An index out of bounds (row 1 of a one-row stack) is reported, not a corruption.
    with pytest.raises(AssertionError, match="wrote 8 element"):
        fn((1,), (256,), (theta, g, lr, np.float32(1), np.ones(1, np.int64), np.int64(1), np.int64(8)))


def test_flatten_unflatten_on_the_device_path(be):
    net = fastntk.MLP([3, 4, 2, 1], bias="normal")
    params = net.init(0)
    theta = GpuBackend(be).flatten(net, [_on(be, p.copy()) for p in params])
    np.testing.assert_array_equal(host(theta), net.flatten(params))
    for a, b in zip(net.unflatten(theta), params):
        np.testing.assert_array_equal(host(a), b)
        assert a.base is theta or a.base is theta.base
    with pytest.raises(ValueError, match=r"params\[1\]: expected shape \(4,\)"):
        GpuBackend(be).flatten(net, [_on(be, p) for p in [params[0], params[0]] + params[2:]])


def test_training_memory_estimate_counts_the_large_allocations():
    """The bytes named when a run runs out of (device or host) memory include its largest
    arrays: one estimate, _footprint.training_bytes, for both backends."""
    net = fastntk.MLP.uniform(10, 64, 3, dtype=np.float32)
    lay, n, nt = net.layout, 1000, 100
    X = np.ones((n, 10), np.float32)

    def est(model, optimizer, path="auto", runs=1, **kw):
        cfg = _cfg(net, X, model=model, optimizer=optimizer, lr=0.1, path=path, **kw)
        return training_bytes(cfg, net.widths, lay.P, 4, n, nt, runs=runs)

    features = n * sum(net.widths[1:]) * 4
    assert est("network", "gd") >= features + 3 * lay.P * 4
    assert est("network", "adam") - est("network", "gd") == 3 * lay.P * 4
    assert est("linearized", "gd", "function") >= n * (n + nt) * 4 + features
    assert est("linearized", "adam", "materialized") >= n * lay.P * 4
    assert est("network", "adam", runs=5) == 5 * est("network", "adam")
    assert est("network", "gd", record_D=True, max_steps=99) - est("network", "gd") == 100 * lay.P * 4
    assert est("network", "gd", record_D="ends", max_steps=99) - est("network", "gd") == 2 * lay.P * 4
