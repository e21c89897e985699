"""Training-step benchmark: steps per second of fastntk next to the GEMMs of the same
step alone and a plain NumPy version (manual backprop; matrix-free JVP + VJP through
the cached θ₀ pass), in one process.

    python bench/bench_dynamics.py [--quick] [--dtype float32|float64|both]

Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself; appends JSON lines to
bench/results/dynamics.jsonl.
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


def timed(fn, repeat=3):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


class NumpyNet:
    """One full-batch step in careful NumPy: forward, manual backprop, update."""

    def __init__(self, net, params):
        self.L = net.depth
        self.W = [p.copy() for p in params[0::2]]
        self.b = [p.copy() for p in params[1::2]]
        self.c = list(net.layout.c[1:])
        self.beta = list(net.layout.beta[1:])
        self.acc = [np.zeros_like(w) for w in self.W] + [np.zeros_like(b) for b in self.b]

    def grads(self, X, Y):
        A = [X]
        for l in range(self.L - 1):
            h = A[-1] @ self.W[l].T
            h *= self.c[l]
            h += self.beta[l] * self.b[l]
            np.maximum(h, 0, out=h)
            A.append(h)
        f = (A[-1] @ self.W[-1].T)[:, 0] * self.c[-1] + self.beta[-1] * self.b[-1][0]
        d = ((f - Y) / X.shape[0])[:, None].astype(X.dtype)
        gW, gb = [None] * self.L, [None] * self.L
        for l in range(self.L - 1, -1, -1):
            gW[l] = d.T @ A[l]
            gW[l] *= self.c[l]
            gb[l] = self.beta[l] * d.sum(0)
            if l > 0:
                d = d @ self.W[l]
                d *= self.c[l]
                d *= A[l] > 0
        return gW, gb

    def gd_step(self, X, Y, lr):
        gW, gb = self.grads(X, Y)
        for w, g in zip(self.W + self.b, gW + gb):
            w -= lr * g

    def adagrad_step(self, X, Y, lr, eps=1e-10):
        gW, gb = self.grads(X, Y)
        for w, g, s in zip(self.W + self.b, gW + gb, self.acc):
            s += g * g
            w -= lr * g / (np.sqrt(s) + eps)

    def gemm_time(self, X):
        """The GEMMs of one step alone: forward, backward and weight-gradient products."""
        A = [X]
        for l in range(self.L - 1):
            A.append(np.maximum(A[-1] @ self.W[l].T, 0))
        N = X.shape[0]
        calls = [(a, w.T) for a, w in zip(A, self.W)]
        calls += [(np.ones((N, w.shape[0]), X.dtype), w) for w in self.W[1:]]
        # Weight gradients as the core calls them: Δᵀ A with Δ stored N × m (transposed operand).
        calls += [(np.ones((N, w.shape[0]), X.dtype).T, a) for w, a in zip(self.W, A)]
        # Back to back, as in a step (isolated calls timed one by one, each at its best,
        # understate what the same sequence costs).
        outs = [np.empty((a.shape[0], b.shape[1]), X.dtype) for a, b in calls]

        def sequence():
            for (a, b), o in zip(calls, outs):
                np.matmul(a, b, out=o)

        return timed(lambda: [sequence() for _ in range(10)], 3) / 10


class NumpyLinearized:
    """Matrix-free linearized AdaGrad step through the cached θ₀ pass (JVP + VJP)."""

    def __init__(self, net, params, X):
        self.n = NumpyNet(net, params)
        L, c = self.n.L, self.n.c
        self.A = [X]
        for l in range(L - 1):
            self.A.append(np.maximum(c[l] * (self.A[-1] @ self.n.W[l].T) + self.n.beta[l] * self.n.b[l], 0))
        self.masks = [a > 0 for a in self.A[1:]]
        self.f0 = (self.A[-1] @ self.n.W[-1].T)[:, 0] * c[-1]
        self.dW = [np.zeros_like(w) for w in self.n.W]
        self.acc = [np.zeros_like(w) for w in self.n.W]

    def step(self, Y, lr, eps=1e-10):
        n, L, c, A = self.n, self.n.L, self.n.c, self.A
        t = None
        for l in range(L):
            h = A[l] @ self.dW[l].T
            if t is not None:
                h += t @ n.W[l].T
            h *= c[l]
            if l < L - 1:
                h *= self.masks[l]
            t = h
        d = ((self.f0 + t[:, 0] - Y) / Y.shape[0])[:, None].astype(Y.dtype)
        for l in range(L - 1, -1, -1):
            g = d.T @ A[l]
            g *= c[l]
            if l > 0:
                d = d @ n.W[l]
                d *= c[l]
                d *= self.masks[l - 1]
            self.acc[l] += g * g
            self.dW[l] -= lr * g / (np.sqrt(self.acc[l]) + eps)


class NumpyLinearizedFactored(NumpyLinearized):
    """The same step by fastntk's algorithm: row i of φ₀ is c_l Δ^l_i ⊗ A_{l−1,i} per
    layer, so φ₀v and φ₀ᵀr need one product per layer and no pass through W."""

    def __init__(self, net, params, X):
        super().__init__(net, params, X)
        n, L, c = self.n, self.n.L, self.n.c
        self.D = [None] * L
        d = np.ones((X.shape[0], 1), X.dtype)
        for l in range(L - 1, -1, -1):
            self.D[l] = d
            if l > 0:
                d = (d @ n.W[l]) * c[l] * self.masks[l - 1]

    def step(self, Y, lr, eps=1e-10):
        c, A, D = self.n.c, self.A, self.D
        u = self.f0.copy()
        for l in range(self.n.L):
            u += c[l] * np.einsum("ij,ij->i", A[l] @ self.dW[l].T, D[l])
        r = ((u - Y) / Y.shape[0]).astype(Y.dtype)
        for l in range(self.n.L):
            g = (D[l] * r[:, None]).T @ A[l]
            g *= c[l]
            self.acc[l] += g * g
            self.dW[l] -= lr * g / (np.sqrt(self.acc[l]) + eps)


def per_step(fn, steps):
    """Seconds per step of fn (which runs `steps` steps), best of three."""
    return timed(fn) / steps


def per_train_step(net, params, X, Y, k, **kw):
    """Seconds per step of fastntk.train: a k-step run less a 0-step run (setup,
    records and the copy of θ are not steps), each the best of three."""
    common = dict(tol=1e-300, record_every=10**9, lr=1e-3)
    setup = timed(lambda: fastntk.train(net, params, X, Y, max_steps=0, **common, **kw))
    return (timed(lambda: fastntk.train(net, params, X, Y, max_steps=k, **common, **kw)) - setup) / k


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64", "both"])
    args = p.parse_args()
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [getattr(np, args.dtype)]
    sizes = [(100, 784, 4000, 2)] if args.quick else [(100, 784, 4000, 2), (1000, 784, 4096, 2), (1000, 784, 1024, 3)]
    fastntk.show_config()
    rows = []
    for dt in dtypes:
        for N, d, m, L in sizes:
            net = fastntk.MLP.uniform(d, m, L, dtype=dt)
            params = net.init(0)
            rng = np.random.default_rng(0)
            X = rng.standard_normal((N, d)).astype(dt)
            X /= np.linalg.norm(X, axis=1, keepdims=True)
            Y = rng.standard_normal(N).astype(dt)
            k = 30 if N <= 100 else 10
            row = dict(N=N, d=d, m=m, L=L, dtype=np.dtype(dt).name)
            common = dict(tol=1e-300, record_every=10**9, lr=1e-3)
            # The direct path, whose GEMMs are the ones timed below (N < d would take the
            # row space: bench_row_space.py measures that).
            row["gd_step_s"] = per_train_step(net, params, X, Y, k, path="direct")
            row["adagrad_step_s"] = per_train_step(net, params, X, Y, k, optimizer="adagrad")
            row["rmsprop_step_s"] = per_train_step(net, params, X, Y, k, optimizer="rmsprop")
            row["adam_step_s"] = per_train_step(net, params, X, Y, k, optimizer="adam")
            # One pass over θ, g and the optimizer state at the fill rate of this machine:
            # AdaGrad and RMSprop read θ, g, s and write θ, s (5 streams), Adam 7.
            buf = np.empty(max(net.num_params, 2**24 // np.dtype(dt).itemsize), dt)
            fill_rate = buf.nbytes / timed(lambda: buf.fill(1.0))
            row["pass_s"] = {n: streams * net.num_params * np.dtype(dt).itemsize / fill_rate
                             for n, streams in (("adagrad", 5), ("rmsprop", 5), ("adam", 7))}
            row["lin_adaptive_step_s"] = per_train_step(net, params, X, Y, k, model="linearized",
                                                        optimizer="adagrad", path="matrix-free")
            ref = NumpyNet(net, params)
            row["gemm_s"] = ref.gemm_time(X)
            row["numpy_gd_step_s"] = per_step(lambda: [ref.gd_step(X, Y, 1e-3) for _ in range(k)], k)
            row["numpy_adagrad_step_s"] = per_step(lambda: [ref.adagrad_step(X, Y, 1e-3) for _ in range(k)], k)
            lin = NumpyLinearized(net, params, X)
            row["numpy_lin_adaptive_step_s"] = per_step(lambda: [lin.step(Y, 1e-3) for _ in range(k)], k)
            fac = NumpyLinearizedFactored(net, params, X)
            row["numpy_lin_factored_step_s"] = per_step(lambda: [fac.step(Y, 1e-3) for _ in range(k)], k)
            if N <= 100:
                setup = per_step(lambda: fastntk.train(net, params, X, Y, model="linearized", max_steps=0, **common), 1)
                total = per_step(lambda: fastntk.train(net, params, X, Y, model="linearized", max_steps=20000,
                                                       **common), 1)
                row["fs_20000_steps_s"] = total - setup
                row["fs_setup_s"] = setup
            rows.append(row)
    # Ensembles: 8 small runs side by side against one after another.
    net = fastntk.MLP.uniform(64, 1024, 2, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((100, 64)).astype(np.float32)
    Y = np.random.default_rng(1).standard_normal(100).astype(np.float32)
    runs = [dict(net=net, params=net.init(s), lr=1e-3, max_steps=300, tol=1e-300, record_every=10**9) for s in range(8)]
    seq = per_step(lambda: [fastntk.train(X=X, Y=Y, **r) for r in runs], 1)
    par = per_step(lambda: fastntk.train_many(runs, X, Y), 1)
    rows.append(dict(kind="ensemble", runs=8, N=100, d=64, m=1024, L=2, sequential_s=seq, ensemble_s=par,
                     speedup=seq / par))
    print()
    for r in rows:
        if r.get("kind") == "ensemble":
            print(f"ensemble of 8 (N=100 d=64 m=1024 L=2 float32, 300 steps each): one by one {r['sequential_s']:.2f} s, "
                  f"train_many {r['ensemble_s']:.2f} s → {r['speedup']:.2f}×")
            continue
        shape = f"N={r['N']} d={r['d']} m={r['m']} L={r['L']} {r['dtype']}"
        sps = lambda s: 1.0 / s  # noqa: E731
        print(f"{shape}: steps/s  GD {sps(r['gd_step_s']):7.1f} | GEMMs alone {sps(r['gemm_s']):7.1f} "
              f"({r['gemm_s'] / r['gd_step_s'] * 100:.0f}%) | NumPy GD {sps(r['numpy_gd_step_s']):7.1f} || AdaGrad "
              f"{sps(r['adagrad_step_s']):7.1f} | NumPy {sps(r['numpy_adagrad_step_s']):7.1f} || linearized AdaGrad "
              f"{sps(r['lin_adaptive_step_s']):7.1f} | NumPy matrix-free {sps(r['numpy_lin_adaptive_step_s']):7.1f} "
              f"({r['numpy_lin_adaptive_step_s'] / r['lin_adaptive_step_s']:.2f}×) | NumPy, same algorithm "
              f"{sps(r['numpy_lin_factored_step_s']):7.1f}")
        bound = {n: r["gemm_s"] + r["pass_s"][n] for n in ("adagrad", "rmsprop", "adam")}
        print(f"{'':{len(shape)}}  adaptive steps (ms) vs its GEMMs + one pass over θ, g and state at the fill "
              "rate: " + ", ".join(f"{n} {r[n + '_step_s'] * 1e3:.1f} vs {bound[n] * 1e3:.1f}"
                                   for n in ("adagrad", "rmsprop", "adam")))
        if "fs_20000_steps_s" in r:
            print(f"{'':{len(shape)}}  20,000 function-space GD steps: {r['fs_20000_steps_s'] * 1e3:.1f} ms "
                  f"(+ {r['fs_setup_s'] * 1e3:.1f} ms for K, K(X_T, X) and f₀ once)")
    save_rows("dynamics", rows)


if __name__ == "__main__":
    main()
