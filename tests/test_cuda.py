"""CUDA sources: compiled with nvcc wherever it exists; run against the CPU rules
wherever CuPy sees a GPU (skipped with the reason elsewhere)."""
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from fastntk import reference as ref

CUDA = pathlib.Path(__file__).resolve().parents[1] / "cuda"


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found: CUDA sources not compile-checked")
@pytest.mark.parametrize("source", sorted(p.name for p in CUDA.glob("*.cu")))
def test_cuda_source_compiles(source, tmp_path):
    out = subprocess.run(["nvcc", "-std=c++17", "-arch=sm_80", f"-I{CUDA}", "-c", str(CUDA / source),
                          "-o", str(tmp_path / "k.o")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


def _gpu_module():
    cp = pytest.importorskip("cupy", reason="CuPy not installed: GPU tests skipped")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA GPU visible")
    except cp.cuda.runtime.CUDARuntimeError as e:
        pytest.skip(f"no CUDA GPU visible ({e})")
    code = (CUDA / "kernels.cu").read_text()
    return cp, cp.RawModule(code=code, options=("--std=c++17", f"-I{CUDA}"))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, suffix", [(np.float32, "f32"), (np.float64, "f64")])
def test_gpu_optimizer_kernels_match_reference(dtype, suffix):
    cp, mod = _gpu_module()
    rng = np.random.default_rng(0)
    n = 1000
    theta0 = rng.standard_normal(n)
    grads = [rng.standard_normal(n) for _ in range(3)]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for name in ("adagrad", "rmsprop", "adam"):
        th = cp.asarray(theta0, dtype)
        s1, s2, diag = cp.zeros(n, dtype), cp.zeros(n, dtype), cp.zeros(n, dtype)
        state, expected = {}, theta0.copy()
        for t, g in enumerate(grads, start=1):
            gg = cp.asarray(g, dtype)
            k = mod.get_function(f"fastntk_{name}_{suffix}")
            T = dtype
            if name == "adagrad":
                k((8,), (128,), (th, s1, gg, T(0.1), T(1e-10), diag, np.int64(n)))
            elif name == "rmsprop":
                k((8,), (128,), (th, s1, gg, T(0.01), T(0.99), T(1e-8), diag, np.int64(n)))
            else:
                k((8,), (128,), (th, s1, s2, gg, T(0.01), T(0.9), T(0.999), T(1 - 0.9**t),
                                 T(np.sqrt(1 - 0.999**t)), T(1e-8), diag, np.int64(n)))
            lr = {"adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01}[name]
            expected = ref.optimizer_step(name, state, expected, g, lr, t, {})
        np.testing.assert_allclose(cp.asnumpy(th), expected, rtol=tol, atol=tol)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, suffix", [(np.float32, "f32"), (np.float64, "f64")])
def test_gpu_gram_accumulate(dtype, suffix):
    cp, mod = _gpu_module()
    rng = np.random.default_rng(1)
    K, GD, GA = (rng.standard_normal((37, 29)).astype(dtype) for _ in range(3))
    k = cp.asarray(K)
    mod.get_function(f"fastntk_gram_accumulate_{suffix}")(
        (2, 3), (16, 16), (k, np.int64(29), cp.asarray(GD), cp.asarray(GA), np.int64(29), np.int64(37),
                           np.int64(29), dtype(0.5), np.int32(0)))
    np.testing.assert_allclose(cp.asnumpy(k), K + GD * (GA + 0.5), rtol=1e-6)
