"""GPU benchmark (issue #4): the structured Gram against the card's SGEMM rate, one
full-batch network step against its GEMMs, and ensembles against one-by-one runs —
with the same step on the CPU core in the same run for scale.

    python bench/bench_gpu.py [--quick | --smoke] [--no-save]

Needs CuPy and a visible GPU (exits with the reason otherwise). Appends JSON lines
to bench/results/gpu.jsonl. ``--smoke`` runs every measurement at toy sizes (the
tests run it that way against the host stand-in for CuPy, so that the script is
known to work before a GPU is at hand).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

import fastntk  # noqa: E402
from fastntk._gpu.runtime import gpu_status  # noqa: E402


def gpu_time(cp, fn, repeat=5):
    """Seconds of fn on the device (CUDA events), best of ``repeat`` after a warm-up."""
    fn()
    cp.cuda.Device().synchronize()
    best = float("inf")
    for _ in range(repeat):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        best = min(best, cp.cuda.get_elapsed_time(start, end) / 1e3)
    return best


def sgemm_rate(cp, n):
    """The card's float32 GEMM rate (flop/s) on n × n × n."""
    a = cp.random.standard_normal((n, n), dtype=cp.float32)
    b = cp.random.standard_normal((n, n), dtype=cp.float32)
    return 2 * n**3 / gpu_time(cp, lambda: a @ b)


def structured_gram_flops(N, widths):
    """Forward + backward of N rows and the symmetric Gram's products (half of the
    N × N products of each layer's A Aᵀ and Δ Δᵀ)."""
    L = len(widths) - 1
    passes = 2 * N * sum(widths[l - 1] * widths[l] for l in range(1, L + 1))
    passes += 2 * N * sum(widths[l - 1] * widths[l] for l in range(2, L + 1))
    gram = N * N * (sum(widths[l - 1] for l in range(1, L + 1)) + sum(widths[l] for l in range(1, L)))
    return passes + gram


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--smoke", action="store_true", help="toy sizes: checks the script, measures nothing")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    status = gpu_status()
    print("GPU:", status)
    if status.startswith("off"):
        sys.exit("bench_gpu: no usable GPU here")
    import cupy as cp
    rows = []

    smoke = args.smoke
    n_gemm = 64 if smoke else 8192
    sgemm = sgemm_rate(cp, n_gemm)
    print(f"SGEMM {n_gemm}³: {sgemm / 1e12:.1f} TFLOP/s")

    N, d, m, L = (40, 20, 16, 3) if smoke else (2000, 784, 1024, 3) if args.quick else (10000, 784, 4096, 3)
    net = fastntk.MLP.uniform(d, m, L, dtype=np.float32)
    theta = cp.asarray(net.flatten(net.init(0)))
    X = cp.random.standard_normal((N, d), dtype=cp.float32)
    X /= cp.linalg.norm(X, axis=1, keepdims=True)
    t = gpu_time(cp, lambda: fastntk.ntk(net, theta, X), repeat=3)
    flops = structured_gram_flops(N, net.widths)
    print(f"Gram N={N} d={d} m={m} L={L} float32: {t:.3f} s, {flops / t / 1e12:.1f} TFLOP/s = "
          f"{flops / t / sgemm * 100:.0f}% of SGEMM (target ≥ 50%)")
    rows.append(dict(kind="gram", N=N, d=d, m=m, L=L, seconds=t, flops=flops, sgemm_flops=sgemm))

    N, d, m, L = (20, 10, 16, 2) if smoke else (100, 784, 4000, 2)
    net = fastntk.MLP.uniform(d, m, L, dtype=np.float32)
    params = net.flatten(net.init(0))
    rng = np.random.default_rng(0)
    Xh = rng.standard_normal((N, d)).astype(np.float32)
    Xh /= np.linalg.norm(Xh, axis=1, keepdims=True)
    Yh = rng.standard_normal(N).astype(np.float32)
    theta, X, Y = cp.asarray(params), cp.asarray(Xh), cp.asarray(Yh)
    k = 5 if smoke else 200
    common = dict(tol=1e-300, record_every=10**9, lr=1e-3)
    setup = gpu_time(cp, lambda: fastntk.train(net, theta, X, Y, max_steps=0, **common), 3)
    run = gpu_time(cp, lambda: fastntk.train(net, theta, X, Y, max_steps=k, **common), 3)
    step = (run - setup) / k
    W1 = theta[:m * d].reshape(m, d)
    G = cp.ones((N, m), cp.float32)
    gemms = gpu_time(cp, lambda: (X @ W1.T, G.T @ X))
    print(f"network GD step N={N} d={d} m={m} L={L} float32: {step * 1e6:.0f} µs "
          f"(its two GEMMs alone {gemms * 1e6:.0f} µs; target well under 1000 µs)")
    rows.append(dict(kind="gd_step", N=N, d=d, m=m, L=L, seconds=step, gemm_seconds=gemms))

    n_small, m_small, steps = (10, 8, 5) if smoke else (100, 1024, 300)
    small = fastntk.MLP.uniform(64, m_small, 2, dtype=np.float32)
    Xs = cp.asarray(rng.standard_normal((n_small, 64)).astype(np.float32))
    Ys = cp.asarray(rng.standard_normal(n_small).astype(np.float32))
    runs = [dict(net=small, params=cp.asarray(small.flatten(small.init(s))), max_steps=steps, **common)
            for s in range(10)]
    one = gpu_time(cp, lambda: [fastntk.train(X=Xs, Y=Ys, **r) for r in runs], 2)
    many = gpu_time(cp, lambda: fastntk.train_many(runs, Xs, Ys), 2)
    print(f"ensemble of 10 (N={n_small} d=64 m={m_small} L=2, {steps} steps): one by one {one:.2f} s, train_many "
          f"{many:.2f} s → {one / many:.2f}× (target ≥ 5×)")
    rows.append(dict(kind="ensemble", runs=10, one_by_one_s=one, train_many_s=many))
    lin = [dict(r, model="linearized", optimizer="adam", lr=1e-3) for r in runs]
    one = gpu_time(cp, lambda: [fastntk.train(X=Xs, Y=Ys, **r) for r in lin], 2)
    many = gpu_time(cp, lambda: fastntk.train_many(lin, Xs, Ys), 2)
    print(f"ensemble of 10 linearizations (Adam, same sizes): one by one {one:.2f} s, train_many "
          f"{many:.2f} s → {one / many:.2f}×")
    rows.append(dict(kind="ensemble_linearized", runs=10, one_by_one_s=one, train_many_s=many))
    if not (args.no_save or smoke):
        save_rows("gpu", rows)
    return rows


if __name__ == "__main__":
    main()
