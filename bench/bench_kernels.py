"""Kernel benchmark: fastntk next to the BLAS time of the same products and a plain
NumPy version of the same algorithm, in one process (docs/design.md §4).

    python bench/bench_kernels.py [--quick] [--dtype float32|float64|both] [--large]

Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself (re-executing once), prints a
table of times and ratios and appends JSON lines to bench/results/kernels.jsonl.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

import fastntk  # noqa: E402


def best_time(fn, repeat=5, min_time=0.2):
    fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < repeat or time.perf_counter() < t_end:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) >= 50:
            break
    return min(times)


class NumpyMLP:
    """The structured Gram, Jacobian, JVP and VJP in careful plain NumPy (in-place
    updates, Python-float scalars so float32 stays float32)."""

    def __init__(self, net, params):
        self.L = net.depth
        self.Ws = params[0::2]
        self.c = list(net.layout.c[1:])
        self.beta = list(net.layout.beta[1:])

    def forward(self, X):
        A = [X]
        for l in range(self.L - 1):
            h = A[-1] @ self.Ws[l].T
            h *= self.c[l]
            np.maximum(h, 0, out=h)
            A.append(h)
        f = (A[-1] @ self.Ws[-1].T)[:, 0] * self.c[-1]
        return A, f

    def deltas(self, A):
        D = [None] * self.L
        d = self.c[-1] * np.broadcast_to(self.Ws[-1], (A[0].shape[0], self.Ws[-1].shape[1]))
        d = d * (A[-1] > 0)
        D[self.L - 2] = d
        for l in range(self.L - 2, 0, -1):
            d = d @ self.Ws[l]
            d *= self.c[l]
            d *= A[l] > 0
            D[l - 1] = d
        return D

    def gram(self, X):
        A, _ = self.forward(X)
        D = self.deltas(A)
        K = A[-1] @ A[-1].T
        K *= self.c[-1] ** 2
        K += self.beta[-1] ** 2
        for l in range(self.L - 1):
            G = A[l] @ A[l].T
            G *= self.c[l] ** 2
            G += self.beta[l] ** 2
            G *= D[l] @ D[l].T
            K += G
        return K

    def jacobian(self, X):
        A, _ = self.forward(X)
        N = X.shape[0]
        D = self.deltas(A)
        D[-1] = np.ones((N, 1), X.dtype)
        blocks = []
        for l in range(self.L):
            g = (self.c[l] * D[l])[:, :, None] * A[l][:, None, :]
            blocks.append(g.reshape(N, -1))
            blocks.append(self.beta[l] * D[l])
        return np.concatenate(blocks, axis=1)

    def gemm_time(self, X, repeat=5):
        """The BLAS calls alone: forward GEMMs, backward GEMMs, A Aᵀ and Δ Δᵀ."""
        A, _ = self.forward(X)
        D = self.deltas(A)
        calls = [(a, w.T) for a, w in zip(A, self.Ws)]
        calls += [(D[l], self.Ws[l]) for l in range(1, self.L - 1)]
        calls += [(a, a.T) for a in A] + [(d, d.T) for d in D[:-1] if d is not None]
        return sum(best_time(lambda a=a, b=b: a @ b, repeat) for a, b in calls)


def bench_gram(N, d, m, L, dtype, rows, quick):
    net = fastntk.MLP.uniform(d, m, L, dtype=dtype)
    params = net.init(0)
    X = np.random.default_rng(0).standard_normal((N, d)).astype(dtype)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    ref = NumpyMLP(net, params)
    t_fast = best_time(lambda: fastntk.ntk(net, params, X))
    t_np = best_time(lambda: ref.gram(X))
    t_blas = ref.gemm_time(X)
    err = np.abs(fastntk.ntk(net, params, X).astype(np.float64) - ref.gram(X)).max() / np.abs(ref.gram(X)).max()
    rows.append(dict(kernel="ntk", N=N, d=d, m=m, L=L, dtype=np.dtype(dtype).name, fastntk_s=t_fast,
                     numpy_s=t_np, blas_s=t_blas, vs_blas=t_fast / t_blas, vs_numpy=t_np / t_fast, rel_err=err))


def bench_package_overhead(rows, rounds=40, N=100, d=784, m=4000, L=2, dtype=np.float32):
    """fastntk.ntk against the core call it makes (the same arguments, already checked)
    and the NumPy version, interleaved round by round, the minimum of each: what the
    package adds per call (checks, conversions, dispatch) at a small N, where it weighs most."""
    from fastntk import _core
    from fastntk._dispatch import cpu
    net = fastntk.MLP.uniform(d, m, L, dtype=dtype)
    params = net.init(0)
    theta = net.flatten(params)
    X = np.random.default_rng(0).standard_normal((N, d)).astype(dtype)
    spec = cpu().spec(net)
    ref = NumpyMLP(net, params)
    calls = dict(package=lambda: fastntk.ntk(net, params, X), core=lambda: _core.ntk(spec, theta, X, None, 2048),
                 numpy=lambda: ref.gram(X),
                 # what the package did before the core's pass found a non-finite θ itself
                 scan_and_core=lambda: (np.isfinite(theta).all(), _core.ntk(spec, theta, X, None, 2048)))
    best = {k: float("inf") for k in calls}
    names = list(calls)
    ratios = {k: [] for k in names}
    for fn in calls.values():
        fn()
    for i in range(rounds):
        # The order rotates: a call right after another that read θ finds it in cache.
        times = {}
        for k in names[i % len(names):] + names[:i % len(names)]:
            t = time.perf_counter()
            calls[k]()
            times[k] = time.perf_counter() - t
            best[k] = min(best[k], times[k])
        for k in names:
            ratios[k].append(times[k] / times["core"])
    # Besides the minima, the median of the ratios within a round: robust to the
    # machine's drift, which moves both calls of a round together.
    med = {k: float(np.median(v)) for k, v in ratios.items()}
    rows.append(dict(kernel="ntk-overhead", N=N, d=d, m=m, L=L, dtype=np.dtype(dtype).name, rounds=rounds,
                     package_s=best["package"], core_s=best["core"], numpy_s=best["numpy"],
                     scan_and_core_s=best["scan_and_core"], package_vs_core=med["package"],
                     scan_vs_core=med["scan_and_core"], numpy_vs_package=med["numpy"] / med["package"]))


def bench_jacobian(N, d, m, L, dtype, rows):
    net = fastntk.MLP.uniform(d, m, L, dtype=dtype)
    params = net.init(0)
    X = np.random.default_rng(0).standard_normal((N, d)).astype(dtype)
    ref = NumpyMLP(net, params)
    out = np.empty((N, net.num_params), dtype)
    t_fill = best_time(lambda: out.fill(1.0), repeat=3)
    t_fast = best_time(lambda: fastntk.jacobian(net, params, X), repeat=3)
    t_np = best_time(lambda: ref.jacobian(X), repeat=3)
    gb = out.nbytes / 1e9
    rows.append(dict(kernel="jacobian", N=N, d=d, m=m, L=L, dtype=np.dtype(dtype).name, fastntk_s=t_fast,
                     numpy_s=t_np, fill_s=t_fill, GB=gb, fastntk_GBps=gb / t_fast, fill_GBps=gb / t_fill,
                     vs_fill=t_fill / t_fast, vs_numpy=t_np / t_fast))


def bench_jvp_vjp(N, d, m, L, dtype, rows):
    net = fastntk.MLP.uniform(d, m, L, dtype=dtype)
    params = net.init(0)
    theta = net.flatten(params)
    X = np.random.default_rng(0).standard_normal((N, d)).astype(dtype)
    v = np.random.default_rng(1).standard_normal(net.num_params).astype(dtype)
    r = np.random.default_rng(2).standard_normal(N).astype(dtype)
    t_jvp = best_time(lambda: fastntk.jvp(net, theta, X, v))
    t_vjp = best_time(lambda: fastntk.vjp(net, theta, X, r))
    ref = NumpyMLP(net, params)
    t_fwd_np = best_time(lambda: ref.forward(X))
    rows.append(dict(kernel="jvp/vjp", N=N, d=d, m=m, L=L, dtype=np.dtype(dtype).name, jvp_s=t_jvp,
                     vjp_s=t_vjp, numpy_forward_s=t_fwd_np, jvp_vs_forward=t_jvp / t_fwd_np,
                     vjp_vs_forward=t_vjp / t_fwd_np))


def bench_large_gram(rows):
    """N = 40,000, d = 784, m = 1024, L = 3, float32: K alone is 6.4 GB."""
    N, d, m, L = 40000, 784, 1024, 3
    net = fastntk.MLP.uniform(d, m, L, dtype=np.float32)
    params = net.init(0)
    X = np.random.default_rng(0).standard_normal((N, d)).astype(np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t = time.perf_counter()
    K = fastntk.ntk(net, params, X)
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows.append(dict(kernel="ntk-large", N=N, d=d, m=m, L=L, dtype="float32", fastntk_s=elapsed,
                     K_GB=K.nbytes / 1e9, peak_GB=peak / 1e9, peak_before_GB=before / 1e9,
                     peak_over_K=(peak - before + X.nbytes) / K.nbytes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="small sizes only")
    p.add_argument("--dtype", default="both", choices=["float32", "float64", "both"])
    p.add_argument("--large", action="store_true", help="also the N = 40,000 Gram (minutes, ~9 GB)")
    args = p.parse_args()
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [getattr(np, args.dtype)]
    fastntk.show_config()
    rows = []
    sizes = [(100, 784, 4000, 2), (200, 784, 2000, 3)] if args.quick else \
        [(100, 784, 4000, 2), (1000, 784, 4096, 2), (1000, 784, 1024, 3)]
    for dt in dtypes:
        for N, d, m, L in sizes:
            bench_gram(N, d, m, L, dt, rows, args.quick)
            bench_jvp_vjp(N, d, m, L, dt, rows)
        bench_jacobian(100, 784, 4000 if not args.quick else 1000, 2, dt, rows)
    bench_package_overhead(rows)
    if args.large:
        bench_large_gram(rows)
    print()
    for r in rows:
        shape = f"N={r['N']} d={r['d']} m={r['m']} L={r['L']} {r['dtype']}"
        if r["kernel"] == "ntk":
            print(f"ntk       {shape:34s} fastntk {r['fastntk_s'] * 1e3:8.2f} ms | BLAS calls {r['blas_s'] * 1e3:8.2f} ms "
                  f"| NumPy {r['numpy_s'] * 1e3:8.2f} ms | fastntk/BLAS {r['vs_blas']:.2f}× | NumPy/fastntk {r['vs_numpy']:.2f}× | rel.err {r['rel_err']:.1e}")
        elif r["kernel"] == "jacobian":
            print(f"jacobian  {shape:34s} fastntk {r['fastntk_s'] * 1e3:8.2f} ms ({r['fastntk_GBps']:.1f} GB/s) | fill "
                  f"{r['fill_GBps']:.1f} GB/s | fastntk/fill {r['vs_fill']:.2f} | NumPy/fastntk {r['vs_numpy']:.2f}×")
        elif r["kernel"] == "jvp/vjp":
            print(f"jvp/vjp   {shape:34s} jvp {r['jvp_s'] * 1e3:7.2f} ms | vjp {r['vjp_s'] * 1e3:7.2f} ms | NumPy forward "
                  f"{r['numpy_forward_s'] * 1e3:7.2f} ms")
        elif r["kernel"] == "ntk-overhead":
            print(f"ntk call  {shape:34s} package {r['package_s'] * 1e3:7.2f} ms | core alone {r['core_s'] * 1e3:7.2f} ms "
                  f"| NumPy {r['numpy_s'] * 1e3:7.2f} ms | package/core {r['package_vs_core']:.3f}× "
                  f"(with a NumPy scan of θ {r['scan_vs_core']:.3f}×) | "
                  f"NumPy/package {r['numpy_vs_package']:.2f}× (times: min of {r['rounds']} interleaved rounds; "
                  "ratios: median within rounds)")
        else:
            print(f"ntk-large {shape:34s} {r['fastntk_s']:.1f} s | K {r['K_GB']:.1f} GB | peak RSS {r['peak_GB']:.1f} GB "
                  f"| (peak − before + X)/K = {r['peak_over_K']:.2f}")
    save_rows("kernels", rows)


if __name__ == "__main__":
    main()
