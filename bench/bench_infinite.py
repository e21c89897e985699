"""The infinite-width kernels: fastntk.infinite.kernels next to the NumPy recursion
(fastntk.reference.infinite_kernels, whole-matrix NumPy) and the one GEMM X Xᵀ both
need, in one process (docs/design.md §4).

    python bench/bench_infinite.py [--quick] [--n N] [--depth L]

Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself (re-executing once); prints
times and ratios and appends JSON lines to bench/results/infinite.jsonl.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, timed, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

import fastntk  # noqa: E402
from fastntk import reference  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="N = 3000")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--d", type=int, default=784)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    n = 3000 if args.quick else args.n
    fastntk.show_config()
    net = fastntk.MLP.uniform(args.d, 1000, args.depth, bias="normal")
    X = np.random.default_rng(0).standard_normal((n, args.d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    best = dict(fastntk=np.inf, numpy=np.inf, gemm=np.inf)
    for _ in range(args.repeats):  # interleaved; the minimum of each
        t, k = timed(lambda: fastntk.infinite.kernels(net, X))
        best["fastntk"] = min(best["fastntk"], t)
        t, (nngp, ntk) = timed(lambda: reference.infinite_kernels(net, X))
        best["numpy"] = min(best["numpy"], t)
        t, _ = timed(lambda: X @ X.T)
        best["gemm"] = min(best["gemm"], t)
    err = max(np.abs(k.ntk - ntk).max() / np.abs(ntk).max(), np.abs(k.nngp - nngp).max() / np.abs(nngp).max())
    # The element-wise passes at the memory rate: writing the two N × N outputs and
    # reading/writing one N × N matrix per layer.
    out = np.empty((n, n))
    t_fill, _ = timed(lambda: out.fill(1.0))
    row = dict(kernel="infinite", N=n, d=args.d, L=args.depth, fastntk_s=best["fastntk"], numpy_s=best["numpy"],
               gemm_s=best["gemm"], fill_s=t_fill, numpy_vs_fastntk=best["numpy"] / best["fastntk"],
               fastntk_vs_gemm_and_passes=best["fastntk"] / (best["gemm"] + (2 + args.depth) * t_fill), rel_err=err)
    print(f"\ninfinite-width NNGP + NTK, N={n} d={args.d} L={args.depth} float64: fastntk {row['fastntk_s']:.2f} s | "
          f"NumPy recursion {row['numpy_s']:.2f} s | X Xᵀ alone {row['gemm_s']:.2f} s | one N×N fill "
          f"{t_fill:.3f} s\n  NumPy/fastntk {row['numpy_vs_fastntk']:.2f}× | fastntk/(GEMM + {2 + args.depth} "
          f"N×N passes) {row['fastntk_vs_gemm_and_passes']:.2f}× | max rel. difference {err:.1e}")
    save_rows("infinite", [row])


if __name__ == "__main__":
    main()
