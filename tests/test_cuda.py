"""CUDA sources: compiled with nvcc wherever it exists. The public API with CuPy
arrays against the CPU core: on a GPU wherever CuPy sees one (skipped with the
reason elsewhere), and everywhere with the fake CuPy of tests/fake_cupy.py, which
runs the same dispatch, backend and kernels.cu on the host."""
import glob
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest


CUDA = pathlib.Path(__file__).resolve().parents[1] / "cuda"
INCLUDE = CUDA.parent / "cpp" / "include"


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found: CUDA sources not compile-checked")
@pytest.mark.parametrize("source", sorted(p.name for p in CUDA.glob("*.cu")))
def test_cuda_source_compiles(source, tmp_path):
    out = subprocess.run(["nvcc", "-std=c++17", "-arch=sm_80", f"-I{CUDA}", f"-I{INCLUDE}", "-c", str(CUDA / source),
                          "-o", str(tmp_path / "k.o")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(shutil.which("nvcc") is None or shutil.which("cmake") is None,
                    reason="nvcc or cmake not found: the FASTNTK_CUDA build not checked")
def test_cmake_builds_the_cuda_library(tmp_path):
    """The build-time check: -DFASTNTK_CUDA=ON compiles kernels.cu for the listed architectures."""
    root = CUDA.parent
    cfg = subprocess.run(["cmake", "-S", str(root), "-B", str(tmp_path), "-DFASTNTK_CUDA=ON",
                          "-DCMAKE_CUDA_ARCHITECTURES=80", "-DCMAKE_CUDA_COMPILER=" + shutil.which("nvcc")],
                         capture_output=True, text=True, timeout=300)
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    build = subprocess.run(["cmake", "--build", str(tmp_path), "--target", "fastntk_kernels_check"],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    assert list(tmp_path.rglob("kernels.cu.o"))


def _cublas_include():
    """A directory with cublas_v2.h: the CUDA toolkit's, or NVIDIA's pip wheel's."""
    dirs = ["/usr/local/cuda/include"]
    for p in sys.path:
        dirs += glob.glob(f"{p}/nvidia/cu*/include") + glob.glob(f"{p}/nvidia/cublas/include")
    return next((d for d in dirs if pathlib.Path(d, "cublas_v2.h").exists()), None)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found: GPU benchmark not compile-checked")
def test_gpu_benchmark_compiles(tmp_path):
    include = _cublas_include()
    if include is None:
        pytest.skip("cublas_v2.h not found: GPU benchmark not compile-checked")
    bench = CUDA.parent / "bench" / "bench_gpu.cu"
    out = subprocess.run(["nvcc", "-std=c++17", "-arch=sm_80", f"-I{CUDA}", f"-I{INCLUDE}", f"-I{include}", "-c", str(bench),
                          "-o", str(tmp_path / "b.o")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


@pytest.fixture(params=["fake", pytest.param("cuda", marks=pytest.mark.gpu)])
def cp(request):
    """CuPy on a GPU, or the host stand-in (fake_cupy) for the same tests."""
    if request.param == "fake":
        import fake_cupy
        with fake_cupy.install() as fake:
            yield fake
        return
    from conftest import cupy_with_gpu
    yield cupy_with_gpu("GPU tests")


def _nvrtc():
    pytest.importorskip("cupy", reason="CuPy not installed: NVRTC compile check skipped")
    try:
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()
    except Exception as e:  # the library is found lazily; any failure means no NVRTC here
        pytest.skip(f"NVRTC not loadable ({type(e).__name__}): run-time compile check skipped")
    return nvrtc


def test_kernels_compile_with_nvrtc_as_at_run_time():
    """The exact source and options the package hands to CuPy's RawModule; needs NVRTC, not a GPU."""
    from fastntk._gpu.runtime import cuda_source_dir, nvrtc_options
    nvrtc = _nvrtc()
    src = cuda_source_dir()
    prog = nvrtc.createProgram((src / "kernels.cu").read_text(), "kernels.cu", [], [])
    try:
        nvrtc.compileProgram(prog, list(nvrtc_options(src)) + ["-arch=compute_80"])
    except Exception:
        pytest.fail(nvrtc.getProgramLog(prog))
    from gpu_emulation import kernel_signatures
    ptx = nvrtc.getPTX(prog)
    names = kernel_signatures()
    assert len(names) >= 13
    for name in names:
        for suffix in ("f32", "f64"):
            assert f"fastntk_{name}_{suffix}".encode() in ptx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gpu_api_matches_cpu(cp, dtype):
    import fastntk
    from conftest import assert_close
    rng = np.random.default_rng(0)
    for depth, bias, act, param, sigma_b in [(1, "zero", "relu", "ntk", None), (3, "normal", "relu", "standard", None),
                                             (2, "none", "tanh", "ntk", None), (4, "zero", "identity", "ntk", None),
                                             (3, "normal", "erf", "ntk", 0.4), (2, "zero", "relu", "ntk", 2.5)]:
        net = fastntk.MLP.uniform(7, 33, depth, bias=bias, activation=act, parametrization=param, dtype=dtype,
                                  sigma_b=sigma_b)
        theta = net.flatten(net.init(1))
        X, X2 = (rng.standard_normal((n, 7)).astype(dtype) for n in (45, 13))
        v = rng.standard_normal(net.num_params).astype(dtype)
        r = rng.standard_normal(45).astype(dtype)
        d = rng.uniform(0.5, 2, net.num_params).astype(dtype)
        g = [cp.asarray(a) for a in (theta, X, X2, v, r, d)]
        pairs = [
            (net.apply(g[0], g[1]), net.apply(theta, X)),
            (fastntk.ntk(net, g[0], g[1], tile=16), fastntk.ntk(net, theta, X)),
            (fastntk.ntk(net, g[0], g[1], g[2], tile=16), fastntk.ntk(net, theta, X, X2)),
            (fastntk.jacobian(net, g[0], g[1]), fastntk.jacobian(net, theta, X)),
            (fastntk.jvp(net, g[0], g[1], g[3]), fastntk.jvp(net, theta, X, v)),
            (fastntk.vjp(net, g[0], g[1], g[4]), fastntk.vjp(net, theta, X, r)),
            (fastntk.adaptive_ntk(net, g[0], g[1], g[2], d=g[5]), fastntk.adaptive_ntk(net, theta, X, X2, d=d)),
        ]
        for got, want in pairs:
            assert isinstance(got, cp.ndarray)
            assert_close(cp.asnumpy(got), want, dtype, scale=10 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("model", ["network", "linearized"])
def test_gpu_training_matches_cpu(cp, optimizer, model):
    import fastntk
    from conftest import assert_close, make_data
    net = fastntk.MLP.uniform(4, 64, 3, bias="normal")
    X, Y, Xt = make_data(16, 4, 0, 5)
    theta = net.flatten(net.init(0))
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    kw = dict(model=model, optimizer=optimizer, lr=lr, max_steps=50, tol=1e-300, record_every=10,
              batch_size=5 if optimizer in ("sgd", "momentum") else None, shuffle=True)
    cpu = fastntk.train(net, theta, X, Y, X_test=Xt, **kw)
    gpu = fastntk.train(net, cp.asarray(theta), cp.asarray(X), cp.asarray(Y), X_test=cp.asarray(Xt), **kw)
    assert isinstance(gpu.theta, cp.ndarray) and gpu.status == cpu.status and gpu.steps == cpu.steps
    assert_close(cp.asnumpy(gpu.theta), cpu.theta, np.float64, scale=1e3)
    assert_close(cp.asnumpy(gpu.history["test_pred"]), cpu.history["test_pred"], np.float64, scale=1e3)


@pytest.mark.parametrize("optimizer, batch", [("gd", None), ("sgd", 4), ("momentum", None), ("momentum", 5)])
def test_gpu_row_space_path_matches_cpu(cp, optimizer, batch):
    """N < d: the GPU network takes the row space like the core (W¹ = W¹(0) + CX), with
    the same trajectory, records and final θ; one host read per step there too."""
    import fastntk
    from conftest import assert_close, make_data
    net = fastntk.MLP.uniform(20, 32, 3, bias="normal")
    X, Y, Xt = make_data(12, 20, 0, 5)
    theta = net.flatten(net.init(0))
    kw = dict(optimizer=optimizer, lr=0.2, max_steps=40, tol=1e-300, record_every=10, batch_size=batch,
              shuffle=batch is not None, nesterov=True) if optimizer == "momentum" else \
        dict(optimizer=optimizer, lr=0.2, max_steps=40, tol=1e-300, record_every=10, batch_size=batch,
             shuffle=batch is not None)
    cpu = fastntk.train(net, theta, X, Y, X_test=Xt, **kw)
    gpu = fastntk.train(net, cp.asarray(theta), cp.asarray(X), cp.asarray(Y), X_test=cp.asarray(Xt), **kw)
    assert cpu.path == gpu.path == "row-space"
    assert_close(cp.asnumpy(gpu.theta), cpu.theta, np.float64, scale=10 * (1 + np.abs(cpu.theta).max()))
    for key in ("train_loss", "param_distance", "max_unit_movement"):
        assert_close(gpu.history[key], cpu.history[key], np.float64, scale=10 * (1 + np.abs(cpu.history[key]).max()))
    assert_close(cp.asnumpy(gpu.history["test_pred"]), cpu.history["test_pred"], np.float64, scale=10)
    direct = fastntk.train(net, cp.asarray(theta), cp.asarray(X), cp.asarray(Y), path="direct", **kw)
    assert direct.path == "direct"
    assert_close(cp.asnumpy(direct.theta), cpu.theta, np.float64, scale=10 * (1 + np.abs(cpu.theta).max()))


def test_gpu_bad_input(cp):
    import fastntk
    net = fastntk.MLP.uniform(3, 5, 2, dtype=np.float32)
    theta = cp.asarray(net.flatten(net.init(0)))
    with pytest.raises(TypeError, match="X1: expected CuPy arrays like params"):
        fastntk.ntk(net, theta, np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match="X1: expected dtype float32"):
        fastntk.ntk(net, theta, cp.ones((4, 3), cp.float64))
    # K of 2·10⁶ × 2·10⁶ float32 is 16 TB: the device's out-of-memory, reported with the size.
    with pytest.raises(fastntk.InsufficientMemoryError, match=r"ntk of shape \(2000000, 2000000\) on the GPU"):
        fastntk.ntk(net, theta, cp.ones((2 * 10**6, 3), cp.float32))
    # Training whose θ₀ features alone (2·10⁶ rows × 2·10⁴ units) exceed any device.
    big = fastntk.MLP.uniform(3, 20000, 2, dtype=np.float32)
    X = cp.ones((2 * 10**6, 3), cp.float32)
    with pytest.raises(fastntk.InsufficientMemoryError, match=r"training \(linearized, adam.*needs about"):
        fastntk.train(big, cp.asarray(big.flatten(big.init(0))), X, X[:, 0], model="linearized", optimizer="adam",
                      lr=0.01, max_steps=1, path="materialized")


def test_gpu_training_refuses_cpu_only_settings_by_name(cp):
    """train_layers and the cross_entropy loss train on the CPU only: the public calls
    with device arrays raise the GPU backend's error, naming the setting and what it takes."""
    import fastntk
    net = fastntk.MLP.uniform(4, 6, 2, outputs=3)
    X = np.random.default_rng(0).standard_normal((5, 4))
    theta, Xg, Yg = cp.asarray(net.flatten(net.init(0))), cp.asarray(X), cp.asarray(np.eye(3)[[0, 1, 2, 0, 1]])
    with pytest.raises(ValueError, match=r"^train_layers: expected None on the GPU, which trains every layer"):
        fastntk.train(net, theta, Xg, Yg, train_layers=[2], lr=0.1, max_steps=2)
    with pytest.raises(ValueError, match=r"^train_layers: expected None on the GPU"):
        fastntk.train_many([dict(net=net, params=theta, train_layers=[1], lr=0.1, max_steps=2)], Xg, Yg)
    with pytest.raises(ValueError, match=r"^train_layers: expected None on the GPU"):
        fastntk.find_lr(net, theta, Xg, Yg, optimizer="gd", train_layers=[1])
    with pytest.raises(ValueError, match=r"^loss: the GPU backend trains the element-wise losses \(expected one of "
                                         r"'squared', 'logistic', got 'cross_entropy'\)"):
        fastntk.train(net, theta, Xg, Yg, loss="cross_entropy", lr=0.1, max_steps=2)
    # class labels (N,) become one-hot rows on the device, so the loss's error is the one raised
    with pytest.raises(ValueError, match=r"^loss: the GPU backend trains the element-wise losses"):
        fastntk.train(net, theta, Xg, cp.asarray(np.array([0, 1, 2, 0, 1])), loss="cross_entropy", lr=0.1,
                      max_steps=2)


def test_unflatten_and_to_torch_ask_the_backend_where_theta_lives(cp):
    """MLP.unflatten and to_torch do not test where θ lives: the backend gives θ (views of a
    CuPy θ stay on the device, checked like every device argument) and brings θ or a list
    [W1, b1, …] to the host for PyTorch."""
    import fastntk
    from fastntk._dispatch import backend_for
    net = fastntk.MLP([3, 4, 2], bias="normal")
    theta = net.flatten(net.init(0))
    g = cp.asarray(theta)
    for v, w in zip(net.unflatten(g), net.unflatten(theta)):
        assert type(v) is type(g)
        np.testing.assert_array_equal(cp.asnumpy(v), w)
    with pytest.raises(TypeError, match="theta: expected dtype float64"):
        net.unflatten(g.astype(cp.float32))
    with pytest.raises(ValueError, match=r"theta: expected shape \(26,\), got \(25,\)"):
        net.unflatten(g[:-1])
    glist = [cp.asarray(p) for p in net.init(0)]
    for params in (g, glist):
        host = backend_for(params=params).host(params)
        np.testing.assert_array_equal(net.flatten(host), theta)
    torch = pytest.importorskip("torch")
    from conftest import assert_close
    X = np.random.default_rng(0).standard_normal((5, 3))
    for params in (g, glist):
        module = fastntk.to_torch(net, params)
        assert_close(module(torch.from_numpy(X)).detach().numpy(), net.apply(theta, X), np.float64)


def test_gpu_train_many_matches_cpu(cp):
    import fastntk
    from conftest import assert_close, make_data
    X, Y, Xt = make_data(16, 4, 0, 5)
    # stacked runs whose multipliers differ in σ and in σ_b
    nets = [fastntk.MLP.uniform(4, 64, 2, sigma=s, sigma_b=b, bias="normal")
            for s, b in ((0.5, None), (1.0, 0.3), (2.0, None), (1.0, None))]
    runs = [dict(net=n, params=n.flatten(n.init(i)), optimizer=opt, lr=lr, max_steps=40, tol=1e-300, model=model)
            for model in ("network", "linearized")
            for i, (n, opt, lr) in enumerate(zip(nets, ["adam", "adam", "adam", "gd"], [0.01, 0.01, 0.02, 0.3]))]
    cpu = fastntk.train_many(runs, X, Y, X_test=Xt)
    gruns = [dict(r, params=cp.asarray(r["params"])) for r in runs]
    gpu = fastntk.train_many(gruns, cp.asarray(X), cp.asarray(Y), X_test=cp.asarray(Xt))
    for c, g in zip(cpu, gpu):
        assert (g.status, g.steps) == (c.status, c.steps)
        assert_close(cp.asnumpy(g.theta), c.theta, np.float64, scale=1e3)
        assert_close(cp.asnumpy(g.history["test_pred"]), c.history["test_pred"], np.float64, scale=1e3)


def test_gpu_learning_rates_closed_form_and_grouping(cp):
    """default_lr, find_lr and gd_closed_form with device arrays equal the CPU's; in
    train_many, runs that cannot be stacked (D recorded, a path chosen by hand) run
    alone and still come back in order, with CuPy arrays."""
    import fastntk
    from conftest import TOL, assert_close, make_data
    net = fastntk.MLP.uniform(4, 32, 2)
    X, Y, Xt = make_data(12, 4, 1, 5)
    theta = net.flatten(net.init(0))
    g = [cp.asarray(a) for a in (theta, X, Y, Xt)]
    assert fastntk.default_lr(net, g[0], g[1]) == pytest.approx(fastntk.default_lr(net, theta, X), rel=TOL["routes"])
    assert fastntk.find_lr(net, g[0], g[1], g[2], optimizer="adam") == pytest.approx(
        fastntk.find_lr(net, theta, X, Y, optimizer="adam"), rel=TOL["lr"])
    closed = fastntk.gd_closed_form(net, g[0], g[1], g[2], g[3], [0, 5, np.inf])
    assert isinstance(closed, cp.ndarray)
    assert_close(closed, fastntk.gd_closed_form(net, theta, X, Y, Xt, [0, 5, np.inf]), np.float64)
    common = dict(max_steps=20, tol=1e-300, record_every=5)
    runs = [dict(net=net, params=theta, optimizer="adagrad", lr=0.05, **common),
            dict(net=net, params=theta, optimizer="adagrad", lr=0.05, record_D=True, **common),
            dict(net=net, params=theta, model="linearized", path="function", lr=0.3, **common),
            dict(net=net, params=theta, optimizer="adagrad", lr=0.1, **common)]
    cpu = fastntk.train_many(runs, X, Y, X_test=Xt)
    gpu = fastntk.train_many([dict(r, params=g[0]) for r in runs], g[1], g[2], X_test=g[3])
    for c, d in zip(cpu, gpu):
        assert (d.status, d.steps, d.path) == (c.status, c.steps, c.path)
        assert isinstance(d.theta, cp.ndarray) and isinstance(d.params[0], cp.ndarray)
        assert_close(d.theta, c.theta, np.float64, scale=10)
        assert_close(d.history["test_pred"], c.history["test_pred"], np.float64, scale=10)
    assert_close(gpu[1].history["D"], cpu[1].history["D"], np.float64, scale=1e3 * np.abs(cpu[1].history["D"]).max())


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("model", ["network", "linearized"])
def test_gpu_k_output_training_and_closed_form_match_cpu(cp, optimizer, model):
    """A network of k = 3 outputs through the public API with device arrays: train (squared
    loss, (N, k) targets), default_lr, find_lr and gd_closed_form equal the CPU's; the
    cross-entropy is refused by name (it trains on the CPU)."""
    import fastntk
    from conftest import TOL, assert_close, make_data
    net = fastntk.MLP.uniform(4, 32, 2, outputs=3)
    X, y, Xt = make_data(12, 4, 2, 5)
    Y = np.stack([y, 1 - y, 0.5 * y], axis=1)
    theta = net.flatten(net.init(0))
    g = [cp.asarray(a) for a in (theta, X, Y, Xt)]
    kw = dict(model=model, optimizer=optimizer, max_steps=30, tol=1e-300, record_every=10,
              batch_size=4 if optimizer == "sgd" else None, shuffle=True)
    cpu = fastntk.train(net, theta, X, Y, X_test=Xt, **kw)
    gpu = fastntk.train(net, g[0], g[1], g[2], X_test=g[3], **kw)
    assert isinstance(gpu.theta, cp.ndarray) and (gpu.status, gpu.steps, gpu.path) == (cpu.status, cpu.steps, cpu.path)
    assert gpu.history["test_pred"].shape == cpu.history["test_pred"].shape == (4, 5, 3)
    assert_close(cp.asnumpy(gpu.theta), cpu.theta, np.float64, scale=1e3)
    assert_close(cp.asnumpy(gpu.history["test_pred"]), cpu.history["test_pred"], np.float64, scale=1e3)
    assert fastntk.default_lr(net, g[0], g[1]) == pytest.approx(fastntk.default_lr(net, theta, X), rel=TOL["routes"])
    if optimizer == "adam":
        assert fastntk.find_lr(net, g[0], g[1], g[2], optimizer="adam") == pytest.approx(
            fastntk.find_lr(net, theta, X, Y, optimizer="adam"), rel=TOL["lr"])
    closed = fastntk.gd_closed_form(net, g[0], g[1], g[2], g[3], [0, 5, np.inf])
    assert isinstance(closed, cp.ndarray) and closed.shape == (3, 5, 3)
    assert_close(closed, fastntk.gd_closed_form(net, theta, X, Y, Xt, [0, 5, np.inf]), np.float64)
    with pytest.raises(ValueError, match="'cross_entropy' trains on the CPU"):
        fastntk.train(net, g[0], g[1], cp.asarray(np.eye(3)[np.arange(12) % 3]), loss="cross_entropy", lr=0.1,
                      max_steps=3)


def test_fake_cupy_refuses_host_arrays_like_cupy():
    """The host stand-in is only useful if it rejects what CuPy rejects."""
    import fake_cupy
    with fake_cupy.install() as cp:
        a = cp.asarray(np.ones(3))
        host = np.ones(3)
        assert cp.asarray(host) is not host and isinstance(a + 1, cp.ndarray)
        for op in (lambda: a + host, lambda: np.concatenate([a, host]), lambda: a.__setitem__(slice(None), host)):
            with pytest.raises(TypeError, match="NumPy array among CuPy arrays"):
                op()
        with pytest.raises(cp.cuda.memory.OutOfMemoryError):
            cp.empty((2**40, 2**20), cp.float32)


def test_gpu_benchmark_script_runs_on_the_fake_cupy():
    """bench/bench_gpu.py end to end at toy sizes, so that a lent GPU's minutes go to
    measuring, not to fixing the script."""
    import os
    tests, bench = pathlib.Path(__file__).parent, CUDA.parent / "bench"
    code = (f"import sys; sys.path[:0] = [{str(tests)!r}, {str(bench)!r}]\n"
            "import fake_cupy\n"
            "with fake_cupy.install():\n"
            "    import bench_gpu\n"
            "    print(sorted(r['kind'] for r in bench_gpu.main(['--smoke'])))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "['ensemble', 'ensemble_linearized', 'gd_step', 'gram']" in out.stdout, out.stdout


def _device_calls_per_step(fake, run):
    """Device calls (cuBLAS, kernels, CuPy operations) and host reads per training step,
    counted by the fake CuPy: a 12-step run minus a 4-step one (both record at the
    first and last step), divided by 8."""
    counts = []
    for k in (4, 12):
        fake.counts.clear()
        run(k)
        counts.append(dict(fake.counts))
    calls = sum(counts[1].get(key, 0) - counts[0].get(key, 0) for key in ("gemm", "kernel", "op")) / 8
    return calls, (counts[1].get("read", 0) - counts[0].get("read", 0)) / 8


@pytest.mark.parametrize("model, optimizer", [("network", "gd"), ("network", "adam"), ("linearized", "gd"),
                                              ("linearized", "adam")])
def test_gpu_step_reads_the_host_once_and_ensembles_launch_once_for_all_runs(model, optimizer):
    """On the GPU the per-step cost of a small net is its launches and host reads: a
    step reads one value to the host (the loss for the stopping rule), and a stacked
    ensemble issues the same device calls per step whether it holds 2 runs or 6."""
    import fake_cupy
    import fastntk
    from conftest import make_data
    X, Y, _ = make_data(12, 4, 0, 3)
    net = fastntk.MLP.uniform(4, 16, 3, bias="normal")
    common = dict(model=model, optimizer=optimizer, lr=0.01, tol=1e-300, record_every=10**6)
    with fake_cupy.install() as cp:
        theta, Xg, Yg = (cp.asarray(a) for a in (net.flatten(net.init(0)), X, Y))
        calls, reads = _device_calls_per_step(
            fake_cupy, lambda k: fastntk.train(net, theta, Xg, Yg, max_steps=k, **common))
        assert reads == 1, reads
        assert calls < 20, calls
        per_R = {}
        for R in (2, 6):
            runs = [dict(net=net, params=theta, **common) for _ in range(R)]
            per_R[R] = _device_calls_per_step(
                fake_cupy, lambda k: fastntk.train_many([dict(r, max_steps=k) for r in runs], Xg, Yg))
        (c2, r2), (c6, r6) = per_R[2], per_R[6]
        assert c2 == c6, per_R
        assert r2 == r6 == 1, per_R


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("model", ["network", "linearized"])
def test_gpu_logistic_training_matches_cpu(cp, optimizer, model):
    import fastntk
    from conftest import assert_close, make_data
    net = fastntk.MLP.uniform(4, 32, 3, bias="normal")
    X, Y, Xt = make_data(12, 4, 0, 5)
    theta = net.flatten(net.init(0))
    kw = dict(model=model, optimizer=optimizer, lr=0.01 if optimizer == "adam" else 0.3, max_steps=30, tol=1e-300,
              record_every=10, loss="logistic", batch_size=5 if optimizer == "sgd" else None, shuffle=True)
    cpu = fastntk.train(net, theta, X, Y, X_test=Xt, **kw)
    gpu = fastntk.train(net, cp.asarray(theta), cp.asarray(X), cp.asarray(Y), X_test=cp.asarray(Xt), **kw)
    assert (gpu.status, gpu.steps, gpu.path) == (cpu.status, cpu.steps, cpu.path)
    assert_close(gpu.history["train_loss"], cpu.history["train_loss"], np.float64, scale=10)
    assert_close(cp.asnumpy(gpu.theta), cpu.theta, np.float64, scale=1e3)


def test_gpu_logistic_large_margins_stay_finite():
    """At a rate far past stability (margins in the thousands), the GPU residual −ỹσ(−ỹf) neither overflows nor
    differs from the core's (the fake CuPy turns NumPy's overflow warning into an error
    under the suite's filterwarnings)."""
    import fake_cupy
    import fastntk
    from conftest import assert_close, make_data
    X, Y, _ = make_data(10, 12, 0, 4)
    net = fastntk.MLP.uniform(12, 16, 3, bias="normal")
    theta = net.flatten(net.init(0))
    kw = dict(loss="logistic", lr=500.0, max_steps=20, tol=1e-300, divergence_factor=1e300)
    cpu = fastntk.train(net, theta, X, Y, **kw)
    with fake_cupy.install() as cp:
        gpu = fastntk.train(net, cp.asarray(theta), cp.asarray(X), cp.asarray(Y), **kw)
        assert_close(cp.asnumpy(gpu.theta), cpu.theta, np.float64, scale=10 * (1 + np.abs(cpu.theta).max()))
    assert np.isfinite(cpu.theta).all() and np.abs(cpu.theta).max() > 1e5  # margins far past e^709
