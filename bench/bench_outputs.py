"""k-output kernels: the traced (N, N) and the full (N, N, k, k) empirical NTK of a network
with k outputs, beside the same network with one output, the BLAS time of the same
products and a plain NumPy version of the structured formula — each case in its own
process, so that its peak memory (ru_maxrss above the process's baseline) is its own.

    python bench/bench_outputs.py [--quick] [--large] [--dtype float32|float64]

The issue's case (google/neural-tangents#100): one hidden layer of width 1024, k = 10
outputs, d = 784, N = 64 and 1,000 (--large adds the traced kernel at N = 10,000; the
full block there is 10⁴·10⁴·10·10 entries, 40 GB in float32, more than this machine
has, and is refused by name). Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself,
prints a table and appends JSON lines to bench/results/outputs.jsonl.

    python bench/bench_outputs.py --peers PEERS_VENV/bin/python

adds the peers in the same run, each case in a process of the peers' interpreter (whose
NumPy 1.26 is not the one timed for fastntk): neural-tangents' ``empirical_ntk_fn`` (its
three implementations, jitted, of the same stax network) and torch.func (``vmap`` of
``jacrev`` over the samples, then the contraction), both float32 on the CPU. Both form the
per-sample Jacobian, N·k·P entries (P = 814,090 here); a case whose Jacobian alone would
pass PEER_JACOBIAN_GIB is not started, and says so.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

D, M, K = 784, 1024, 10
PEER_JACOBIAN_GIB = 6.0  # the peers' per-sample Jacobian beyond which a case is not started (24 GiB machine)
PEERS = ("nt1_traced", "nt2_traced", "nt3_traced", "nt1_full", "nt2_full", "nt3_full", "torch_traced", "torch_full")


def _peer(case, n, k, X):
    """A peer's kernel call for ``case`` (a thunk that returns a host array), compiled and
    warmed up once outside the timing."""
    if case.startswith("nt"):
        import jax
        import neural_tangents as nt
        from neural_tangents import stax
        init_fn, apply_fn, _ = stax.serial(stax.Dense(M, W_std=1.0, b_std=1.0, parameterization="ntk"), stax.Relu(),
                                           stax.Dense(k, W_std=1.0, b_std=1.0, parameterization="ntk"))
        _, params = init_fn(jax.random.PRNGKey(0), (-1, D))
        fn = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(-1,) if case.endswith("traced") else (),
                                         vmap_axes=0, implementation=int(case[2])))
        x = jax.numpy.asarray(X)
        call = lambda: np.asarray(fn(x, None, params).block_until_ready())  # noqa: E731
    else:
        import torch
        from torch.func import functional_call, jacrev, vmap
        torch.set_num_threads(os.cpu_count() or 1)
        model = torch.nn.Sequential(torch.nn.Linear(D, M), torch.nn.ReLU(), torch.nn.Linear(M, k))
        params = {name: p.detach() for name, p in model.named_parameters()}
        x = torch.from_numpy(X)
        full = case.endswith("full")

        def call():
            J = vmap(jacrev(lambda p, xi: functional_call(model, p, (xi[None],))[0]), in_dims=(None, 0))(params, x)
            J = torch.cat([J[name].reshape(n, k, -1) for name in params], 2)
            return (torch.einsum("iap,jbp->ijab", J, J) if full else torch.einsum("iap,jap->ij", J, J) / k).numpy()
    call()
    return call


def _peer_jacobian_gib(n, k):
    return n * k * (D * M + M + M * k + k) * 4 / 2**30


def _net(k, dtype):
    import fastntk
    return fastntk.MLP([D, M, k], sigma=1.0, bias="normal", dtype=dtype)


def _inputs(n, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, D))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(dtype)


def _numpy_structured(net, theta, X, full):
    """The structured formula in plain NumPy for one hidden layer and k outputs (the
    baseline a user could write in twenty lines)."""
    W1, b1, W2, b2 = net.unflatten(theta)
    c1, c2, beta = net.layout.c[1], net.layout.c[2], net.layout.beta[1]
    H = c1 * (X @ W1.T) + beta * b1
    A = np.maximum(H, 0)
    G0 = c1 * c1 * (X @ X.T) + beta * beta
    last = c2 * c2 * (A @ A.T) + beta * beta
    Dk = (c2 * W2)[None, :, :] * (H > 0)[:, None, :]  # (N, k, m)
    n, k = X.shape[0], W2.shape[0]
    if not full:
        return ((Dk.reshape(n, k * M) @ Dk.reshape(n, k * M).T) * G0) / k + last  # the mean over the outputs
    blocks = (Dk.reshape(n * k, M) @ Dk.reshape(n * k, M).T).reshape(n, k, n, k) * G0[:, None, :, None]
    return blocks.transpose(0, 2, 1, 3) + last[:, :, None, None] * np.eye(k, dtype=X.dtype)


def _blas(n, k, dtype, full):
    """The GEMMs the structured formula needs, timed alone: the forward product, the
    backward product (k rows a sample), and the Gram products of each layer."""
    rng = np.random.default_rng(1)
    X, W1 = rng.standard_normal((n, D)).astype(dtype), rng.standard_normal((M, D)).astype(dtype)
    A = rng.standard_normal((n, M)).astype(dtype)
    Dk = rng.standard_normal((n * k, M)).astype(dtype)
    Dw = rng.standard_normal((n, M)).astype(dtype)
    E = rng.standard_normal((n * k, k)).astype(dtype)
    W2 = rng.standard_normal((k, M)).astype(dtype)
    t = time.perf_counter()
    X @ W1.T
    E @ W2
    X @ X.T
    A @ A.T
    (Dk @ Dk.T) if full else (Dw @ Dw.T)
    return time.perf_counter() - t


def one(case, n, k, dtype):
    """Runs one case in this process: (seconds, peak MiB above the baseline)."""
    dtype = np.dtype(dtype).type
    X = _inputs(n, dtype)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if case in PEERS:
        fn = _peer(case, n, k, X)
    else:
        import fastntk
        net = _net(k, dtype)
        theta = net.flatten(net.init(0))
    calls = {} if case in PEERS else {
        "traced": lambda: fastntk.ntk(net, theta, X),
        "full": lambda: fastntk.ntk(net, theta, X, trace_axes=()),
        "numpy_traced": lambda: _numpy_structured(net, theta, X, False),
        "numpy_full": lambda: _numpy_structured(net, theta, X, True),
        "blas_traced": lambda: _blas(n, k, dtype, False),
        "blas_full": lambda: _blas(n, k, dtype, True),
    }
    fn = fn if case in PEERS else calls[case]
    times = []
    for _ in range(3 if n <= 1000 else 1):
        out = None  # the previous result's memory is freed before the next call allocates its own
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t if not case.startswith("blas") else out)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return min(times), peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 64 and 300 only")
    ap.add_argument("--large", action="store_true", help="add the traced kernel at N = 10,000")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--peers", metavar="PYTHON", help="the peers venv's python: neural-tangents and torch.func "
                    "beside fastntk, each in its own process")
    ap.add_argument("--one", nargs=4, metavar=("CASE", "N", "K", "DTYPE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        case, n, k, dtype = args.one
        print(json.dumps(dict(zip(("seconds", "peak_mib"), one(case, int(n), int(k), dtype)))))
        return
    print(f"load: {os.getloadavg()}")
    sizes = [64, 300] if args.quick else [64, 1000] + ([10000] if args.large else [])
    rows = []
    for n in sizes:
        cases = [("traced", K), ("traced", 1), ("blas_traced", K)]
        if n <= 1000:
            cases += [("full", K), ("blas_full", K), ("numpy_traced", K), ("numpy_full", K)]
        if args.peers and args.dtype == "float32":
            for case in PEERS:
                if _peer_jacobian_gib(n, K) > PEER_JACOBIAN_GIB:
                    print(f"N={n:>6} k={K:>2} {case:>13}: not run: its per-sample Jacobian alone is "
                          f"{_peer_jacobian_gib(n, K):.0f} GiB")
                else:
                    cases.append((case, K))
        for case, k in cases:
            py = args.peers if case in PEERS else sys.executable
            out = subprocess.run([py, __file__, "--one", case, str(n), str(k), args.dtype],
                                 capture_output=True, text=True)
            if out.returncode:
                print(f"{case} N={n} k={k}: failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = dict(json.loads(out.stdout), case=case, n=n, k=k, dtype=args.dtype)
            rows.append(r)
            print(f"N={n:>6} k={k:>2} {case:>13}: {r['seconds'] * 1e3:10.1f} ms  peak {r['peak_mib']:8.1f} MiB")
        if n > 1000:
            print(f"N={n:>6} k={K:>2}          full: not run: {n * n * K * K * np.dtype(args.dtype).itemsize / 2**30:.0f}"
                  " GiB for the block alone")
    by = {(r["case"], r["n"], r["k"]): r["seconds"] for r in rows}
    for n in sizes:
        t = by.get(("traced", n, K))
        if t and by.get(("traced", n, 1)) and by.get(("blas_traced", n, K)):
            print(f"N={n}: traced k={K} / k=1: {t / by[('traced', n, 1)]:.2f}; / its GEMMs: "
                  f"{t / by[('blas_traced', n, K)]:.2f}"
                  + (f"; NumPy / fastntk: {by[('numpy_traced', n, K)] / t:.2f}" if ("numpy_traced", n, K) in by else ""))
        for mode, ours in (("traced", t), ("full", by.get(("full", n, K)))):
            peers = {c: by[(c, n, K)] for c in PEERS if c.endswith(mode) and (c, n, K) in by}
            if ours and peers:
                print(f"N={n}: {mode}: peer / fastntk " + ", ".join(f"{c.rsplit('_', 1)[0]} {v / ours:.1f}"
                                                                  for c, v in peers.items()))
        f = by.get(("full", n, K))
        if f and by.get(("blas_full", n, K)):
            print(f"N={n}: full / its GEMMs: {f / by[('blas_full', n, K)]:.2f}"
                  + (f"; NumPy / fastntk: {by[('numpy_full', n, K)] / f:.2f}" if ("numpy_full", n, K) in by else ""))
    save_rows("outputs", rows)


if __name__ == "__main__":
    main()
