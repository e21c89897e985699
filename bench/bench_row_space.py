"""The network's GD step in the row space of X (path "row-space", docs/design.md §1) against
the direct path, against its own BLAS products, and against plain NumPy steps in both
forms, in one process; optionally a long GD run on real MNIST before and after.

    python bench/bench_row_space.py [--quick] [--dtype float32|float64] [--mnist DIR [--steps 60000]]

W¹(t) = W¹(0) + C(t)X: the first layer's forward product X W¹ᵀ = X W¹(0)ᵀ + (X Xᵀ)Cᵀ
costs N²·m₁ instead of N·d·m₁ and its weight gradient needs no product at all.
Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself; appends JSON lines to
bench/results/row_space.jsonl.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

import fastntk  # noqa: E402
from fastntk import datasets  # noqa: E402
from bench_dynamics import NumpyNet, per_step, per_train_step, timed  # noqa: E402


class NumpyRowSpaceNet(NumpyNet):
    """The same GD step as NumpyNet.gd_step, with W¹ = W¹(0) + C X kept as C."""

    def __init__(self, net, params, X):
        super().__init__(net, params)
        self.z0 = X @ self.W[0].T
        self.G = X @ X.T
        self.Ct = np.zeros((X.shape[0], self.W[0].shape[0]), X.dtype)

    def gd_step(self, X, Y, lr):
        c, beta = self.c, self.beta
        h = self.z0 + self.G @ self.Ct
        h *= c[0]
        h += beta[0] * self.b[0]
        np.maximum(h, 0, out=h)
        A = [X, h]
        for l in range(1, self.L - 1):
            h = A[-1] @ self.W[l].T
            h *= c[l]
            h += beta[l] * self.b[l]
            np.maximum(h, 0, out=h)
            A.append(h)
        f = (A[-1] @ self.W[-1].T)[:, 0] * c[-1] + beta[-1] * self.b[-1][0]
        d = ((f - Y) / X.shape[0])[:, None].astype(X.dtype)
        for l in range(self.L - 1, -1, -1):
            gb = beta[l] * d.sum(0)
            if l > 0:
                gW = d.T @ A[l]
                gW *= c[l]
                d_next = d @ self.W[l]
                d_next *= c[l]
                d_next *= A[l] > 0
                self.W[l] -= lr * gW
                d = d_next
            else:
                self.Ct -= (lr * c[0]) * d
            self.b[l] -= lr * gb

    def gemm_time(self, X):
        """The products of one row-space step alone, back to back: (X Xᵀ)Cᵀ, the
        forward and backward products of layers ≥ 2 and their weight gradients."""
        N = X.shape[0]
        A = [X, np.maximum(self.z0, 0)]
        for l in range(1, self.L - 1):
            A.append(np.maximum(A[-1] @ self.W[l].T, 0))
        calls = [(self.G, self.Ct)]
        calls += [(a, w.T) for a, w in zip(A[1:], self.W[1:])]
        calls += [(np.ones((N, w.shape[0]), X.dtype), w) for w in self.W[1:]]
        calls += [(np.ones((N, w.shape[0]), X.dtype).T, a) for w, a in zip(self.W[1:], A[1:])]
        outs = [np.empty((a.shape[0], b.shape[1]), X.dtype) for a, b in calls]

        def sequence():
            for (a, b), o in zip(calls, outs):
                np.matmul(a, b, out=o)

        return timed(lambda: [sequence() for _ in range(10)], 3) / 10


def step_rows(dtype, sizes, k):
    rows = []
    for N, d, m, L in sizes:
        net = fastntk.MLP.uniform(d, m, L, dtype=dtype)
        params = net.init(0)
        rng = np.random.default_rng(0)
        X = rng.random((N, d)).astype(dtype)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        Y = rng.standard_normal(N).astype(dtype)
        row = dict(kind="step", N=N, d=d, m=m, L=L, dtype=np.dtype(dtype).name)
        # Interleaved repeats, the minimum of each: the machine is shared.
        for key in ("direct_s", "row_space_s", "numpy_s", "numpy_row_space_s", "gemm_direct_s", "gemm_row_space_s"):
            row[key] = float("inf")
        for _ in range(2):
            row["direct_s"] = min(row["direct_s"], per_train_step(net, params, X, Y, k, path="direct"))
            row["row_space_s"] = min(row["row_space_s"], per_train_step(net, params, X, Y, k, path="row-space"))
            ref = NumpyNet(net, params)
            row["numpy_s"] = min(row["numpy_s"], per_step(lambda: [ref.gd_step(X, Y, 1e-3) for _ in range(k)], k))
            row["gemm_direct_s"] = min(row["gemm_direct_s"], ref.gemm_time(X))
            rs = NumpyRowSpaceNet(net, params, X)
            row["numpy_row_space_s"] = min(row["numpy_row_space_s"],
                                           per_step(lambda: [rs.gd_step(X, Y, 1e-3) for _ in range(k)], k))
            row["gemm_row_space_s"] = min(row["gemm_row_space_s"], rs.gemm_time(X))
        rows.append(row)
    return rows


def mnist_rows(folder, steps, m):
    """One GD run of `steps` steps on MNIST 0 vs 1 (N = 100, the papers' setting, L = 2)
    at the default η, recorded every 100 steps with test predictions, on each path."""
    ds = datasets.load(f"mnist:{folder}", 100, 100, seed=0)
    net = fastntk.MLP([ds.X.shape[1], m, 1], sigma=1.0, dtype=np.float32)
    params = net.init(0)
    X, Y, Xt = (a.astype(np.float32) for a in (ds.X, ds.Y, ds.X_test))
    rows, results = [], {}
    for path in ("row-space", "direct"):
        t = time.perf_counter()
        r = fastntk.train(net, params, X, Y, X_test=Xt, max_steps=steps, tol=1e-300, path=path)
        rows.append(dict(kind="mnist", path=path, steps=r.steps, m=m, seconds=time.perf_counter() - t,
                         final_loss=float(r.history["train_loss"][-1])))
        results[path] = r
    a, b = results["direct"], results["row-space"]
    rows.append(dict(kind="mnist-agreement", max_test_pred_diff=float(np.abs(a.history["test_pred"] - b.history["test_pred"]).max()),
                     max_theta_diff=float(np.abs(a.theta - b.theta).max())))
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--mnist", metavar="DIR", help="a folder of the four MNIST IDX files for the long run "
                                                  "(e.g. ~/.cache/fastntk/mnist after `fastntk data fetch mnist`)")
    p.add_argument("--steps", type=int, default=60000)
    p.add_argument("--width", type=int, default=2000)
    args = p.parse_args()
    fastntk.show_config()
    sizes = [(100, 784, 4000, 2)] if args.quick else [(100, 784, 4000, 2), (100, 784, 2000, 3)]
    rows = step_rows(getattr(np, args.dtype), sizes, 10 if args.quick else 30)
    if args.mnist:
        rows += mnist_rows(args.mnist, args.steps, args.width)
    print()
    for r in rows:
        if r["kind"] == "step":
            ms = lambda s: f"{s * 1e3:6.2f} ms"  # noqa: E731
            print(f"N={r['N']} d={r['d']} m={r['m']} L={r['L']} {r['dtype']}: GD step direct {ms(r['direct_s'])} "
                  f"(its GEMMs {ms(r['gemm_direct_s'])}) | row space {ms(r['row_space_s'])} (its GEMMs "
                  f"{ms(r['gemm_row_space_s'])}, {r['gemm_row_space_s'] / r['row_space_s'] * 100:.0f}%) | NumPy step "
                  f"{ms(r['numpy_s'])}, NumPy row-space step {ms(r['numpy_row_space_s'])} || row space vs direct "
                  f"{r['direct_s'] / r['row_space_s']:.2f}×, vs the NumPy step {r['numpy_s'] / r['row_space_s']:.2f}×")
        elif r["kind"] == "mnist":
            print(f"MNIST 0 vs 1, N = 100, m = {r['m']}, L = 2, {r['steps']} GD steps on path {r['path']}: "
                  f"{r['seconds']:.1f} s (final loss {r['final_loss']:.3e})")
        else:
            print(f"  the two paths agree: max |Δ test prediction| {r['max_test_pred_diff']:.2e}, "
                  f"max |Δθ| {r['max_theta_diff']:.2e}")
    save_rows("row_space", rows)


if __name__ == "__main__":
    main()
