"""The NTK Gram on Dask (fastntk.distributed) against the in-process fastntk.ntk.

    python bench/bench_distributed.py [--quick]                 # N = 10,000: Dask against ntk
    python bench/bench_distributed.py --n 60000 --store DIR     # into a zarr store, out of core

The N = 10,000 mode times, interleaved (minimum of --repeats): fastntk.ntk in this
process (all cores), distributed.ntk(...).compute() on Dask's threads, gram_to_zarr on
those threads into a temporary store, and gram_to_zarr on a LocalCluster of worker
processes (one thread each). The store mode writes K of N inputs into DIR on a
LocalCluster (resumable: rerun to finish), reports the wall time, every worker's peak
memory, the efficiency (in-process single-thread time of the same tiles) / (wall time ×
workers ÷ cores), one pass of K·v over the store, and projects N = 10⁶ from the
measured tile rates. Inputs: N points on the unit sphere in d = 784 (synthetic), m =
1024, L = 3, float32. Unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for itself;
appends JSON lines to bench/results/distributed.jsonl.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, timed, unset_openblas_env  # noqa: E402

unset_openblas_env()

import numpy as np  # noqa: E402

import fastntk  # noqa: E402
from fastntk import distributed  # noqa: E402


def tile_flops(c1, c2, widths, symmetric=False):
    """Flops of one tile by the structured formula (docs/design.md §2): a forward and
    a backward pass of each row block, and per layer A_{l−1}A′ᵀ_{l−1} and ΔˡΔ′ˡᵀ
    (half of it for a diagonal tile, SYRK)."""
    L = len(widths) - 1
    passes = sum(2 * widths[l - 1] * widths[l] for l in range(1, L + 1))
    passes += sum(2 * widths[l] * widths[l + 1] for l in range(1, L - 1))  # backward Δ, no first layer
    blocks = (1 if symmetric else 2)
    gram = sum(2 * (widths[l - 1] + (widths[l] if l < L else 0)) for l in range(1, L + 1))
    return blocks * max(c1, c2) * passes + (0.5 if symmetric else 1.0) * c1 * c2 * gram


def sphere(n, d, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    X = np.empty((n, d), dtype)
    for lo in range(0, n, 8192):  # in blocks, so that N = 10⁶ never needs float64 X at once
        block = rng.standard_normal((min(8192, n - lo), d))
        X[lo:lo + block.shape[0]] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return X


def single_thread_tiles(net, theta, X, chunks):
    """At one thread, in this process: fastntk.ntk of one off-diagonal and one diagonal
    tile (each with its blocks' passes), one block's passes alone, and the two tiles
    from passes already made (what the Dask tasks do)."""
    from threadpoolctl import threadpool_limits
    from fastntk._dispatch import cpu
    omp = fastntk._core.openmp_threads()
    fastntk._core.set_openmp_threads(1)
    try:
        with threadpool_limits(1):
            a, b = X[:chunks], X[chunks:2 * chunks]
            fastntk.ntk(net, theta, a[:256], b[:256])
            t = dict(off=min(timed(lambda: fastntk.ntk(net, theta, a, b))[0] for _ in range(2)),
                     diag=min(timed(lambda: fastntk.ntk(net, theta, a))[0] for _ in range(2)))
            t["pass"], fa = timed(lambda: cpu().features(net, theta, a))
            fb = cpu().features(net, theta, b)
            t["feat_off"] = min(timed(lambda: cpu().ntk_from_features(net, fa, fb))[0] for _ in range(2))
            t["feat_diag"] = min(timed(lambda: cpu().ntk_from_features(net, fa))[0] for _ in range(2))
    finally:
        fastntk._core.set_openmp_threads(omp)
    return t


def worker_peaks(client):
    import resource
    return sorted(v / 2**20 for v in client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
                  .values())


def compare_in_process(args, net, theta, X):
    from distributed import Client, LocalCluster
    chunks = args.chunks or math.ceil(X.shape[0] / 4)
    tmp = tempfile.mkdtemp(prefix="fastntk-bench-")
    x_path = os.path.join(tmp, "X.npy")  # the cluster's workers read their row blocks from it
    np.save(x_path, X)
    best = dict(ntk=np.inf, dask_threads=np.inf, zarr_threads=np.inf, zarr_cluster=np.inf)
    try:
        for rep in range(args.repeats):
            t, K = timed(lambda: fastntk.ntk(net, theta, X))
            best["ntk"] = min(best["ntk"], t)
            t, Kd = timed(lambda: distributed.ntk(net, theta, X, chunks=chunks).compute())
            best["dask_threads"] = min(best["dask_threads"], t)
            err = float(np.abs(Kd - K).max() / np.abs(K).max())
            del Kd
            path = os.path.join(tmp, f"t{rep}.zarr")
            t, _ = timed(lambda: distributed.gram_to_zarr(net, theta, X, path, chunks=chunks))
            best["zarr_threads"] = min(best["zarr_threads"], t)
            shutil.rmtree(path)
            # a cluster only while it is timed: its idle processes slowed the runs above by up to 40%
            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                client.run(lambda: fastntk.ntk(net, theta, X[:64]))  # imports and BLAS start-up
                path = os.path.join(tmp, f"c{rep}.zarr")
                t, _ = timed(lambda: distributed.gram_to_zarr(net, theta, x_path, path, chunks=chunks))
                best["zarr_cluster"] = min(best["zarr_cluster"], t)
                shutil.rmtree(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = X.shape[0]
    print(f"N = {n}, chunks = {chunks} ({math.ceil(n / chunks)} row blocks), {args.workers} workers, "
          f"max rel. difference Dask/ntk {err:.1e}")
    for k, v in best.items():
        print(f"  {k:14s} {v:8.2f} s   {v / best['ntk']:.2f}× fastntk.ntk")
    return dict(mode="in-process", N=n, chunks=chunks, workers=args.workers, rel_err=err,
                **{f"{k}_s": v for k, v in best.items()})


def store_gram(args, net, theta, X):
    from distributed import Client, LocalCluster
    n, chunks = X.shape[0], args.chunks or 4096
    os.makedirs(args.store, exist_ok=True)
    x_path = os.path.join(args.store, f"X-{n}.npy")
    if not os.path.exists(x_path):
        np.save(x_path, X)
    k_path = os.path.join(args.store, f"K-{n}.zarr")
    t = single_thread_tiles(net, theta, X, chunks)
    T = math.ceil(n / chunks)
    sizes = [min(chunks, n - i * chunks) for i in range(T)]

    def area_sum(off, diag):  # the time of exactly these tiles, partial tiles by their area
        return sum(off * sizes[i] * sizes[j] / chunks**2 for i in range(T) for j in range(i)) + \
            sum(diag * (sizes[i] / chunks) ** 2 for i in range(T))

    from fastntk.distributed.store import _waves
    from fastntk.distributed.tiles import feature_bytes
    waves = _waves([(i, j) for i in range(T) for j in range(i + 1)], 2**30 // feature_bytes(net, chunks))
    passes = sum(len({i for i, _ in w} | {j for _, j in w}) for w in waves)
    t_ntk = area_sum(t["off"], t["diag"])  # fastntk.ntk per tile, passes included
    t_work = area_sum(t["feat_off"], t["feat_diag"]) + passes * t["pass"]  # what the tasks do
    cores = os.cpu_count()
    if args.fresh and os.path.exists(k_path):
        shutil.rmtree(k_path)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster, Client(cluster) as client:
        base = worker_peaks(client)
        info = distributed.gram_to_zarr(net, theta, x_path, k_path, chunks=chunks, progress=True)
        peaks = worker_peaks(client)
    share = info.seconds * args.workers / cores
    eff = t_ntk / share if info.computed == info.tiles else float("nan")
    eff_work = t_work / share if info.computed == info.tiles else float("nan")
    K = distributed.open_gram(k_path)
    v = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    t_mv, _ = timed(lambda: (K @ v).compute())
    flops_off = tile_flops(chunks, chunks, net.widths)
    print(f"N = {n}: K {n}×{n} float32 ({n * n * 4 / 1e9:.1f} GB) into {k_path}")
    print(f"  {info.computed} tiles computed, {info.resumed} resumed, wall {info.seconds:.1f} s on "
          f"{args.workers} workers × 1 thread ({cores} cores); {len(waves)} waves, {passes} block passes")
    print(f"  worker peak RSS: {', '.join(f'{p:.0f}' for p in peaks)} MiB (at start {', '.join(f'{p:.0f}' for p in base)})")
    print(f"  in-process, 1 thread: fastntk.ntk of a tile {t['off']:.2f} s off-diagonal, {t['diag']:.2f} s diagonal "
          f"(≈ {flops_off / t['off'] / 1e9:.0f} GFLOP/s by the structured formula's count); a block's passes "
          f"{t['pass']:.2f} s; a tile from passes made {t['feat_off']:.2f} / {t['feat_diag']:.2f} s")
    print(f"  efficiency: {t_ntk:.1f} s of fastntk.ntk tiles / ({info.seconds:.1f} s × {args.workers}/{cores}) = "
          f"{eff:.0%}; against the tasks' own work ({t_work:.1f} s, passes shared): {eff_work:.0%}")
    print(f"  one K·v over the store (Dask threads): {t_mv:.1f} s ({n * n * 4 / t_mv / 1e9:.2f} GB/s)")
    project(chunks, net, t)
    reg = regress(args, K, X) if args.regress else {}
    return dict(mode="store", **reg, N=n, chunks=chunks, workers=args.workers, cores=cores, wall_s=info.seconds,
                computed=info.computed, resumed=info.resumed, worker_peak_mib=peaks, tile_s=t, ntk_tiles_s=t_ntk,
                work_s=t_work, efficiency=eff, efficiency_work=eff_work, waves=len(waves), passes=passes,
                matvec_s=t_mv)


def regress(args, K, X):
    """(K + λI)α = Y on the stored K, CG and Nyström-PCG side by side for --regress
    iterations each (labels: the sign of the first coordinate; λ = 10⁻²·mean diag K;
    Nyström rank 1000)."""
    Y = np.sign(X[:, 0]).astype(np.float64)
    ridge = 1e-2 * float(np.mean(np.diag(K[:2048, :2048].compute())))
    out = {}
    for name, pre in (("cg", None), ("pcg", "nystrom")):
        t, (_, info) = timed(lambda: distributed.cg_solve(K, Y, ridge=ridge, tol=1e-8, max_iter=args.regress,
                                                          precondition=pre, rank=1000))
        res = info["residuals"]
        print(f"  {name:4s}: {info['iterations']} iterations in {t:.0f} s, relative residual "
              + " ".join(f"{r:.1e}" for r in res[:: max(1, len(res) // 6)]) + f" … {res[-1]:.1e}")
        out[f"{name}_residuals"], out[f"{name}_s"] = res, t
    return out


def project(chunks, net, t):
    """N = 10⁶ on a cluster, from the measured single-thread times (bench/README.md has
    the assumptions)."""
    N = 10**6
    T = math.ceil(N / chunks)
    tiles = T * (T + 1) // 2
    core_s = (T * (T - 1) // 2) * t["feat_off"] + T * t["feat_diag"]
    print(f"  projection N = 10⁶, chunks {chunks}: {T} row blocks, {tiles:,} tiles of "
          f"{tile_flops(chunks, chunks, net.widths):.2e} flops, {core_s / 3600:.1f} core-hours of tiles "
          f"at the measured {t['feat_off']:.2f} s per tile; K = {N * N * 4 / 1e12:.1f} TB float32")
    for nodes, cores in ((8, 32), (64, 32)):
        print(f"    {nodes} nodes × {cores} cores: tiles {core_s / (nodes * cores) / 60:.1f} min; writing K at "
              f"1 GB/s per node {N * N * 4 / (nodes * 1e9) / 60:.1f} min")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="N = 3000")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--d", type=int, default=784)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--chunks", type=int, default=None, help="rows per tile (default N/4; 4096 with --store)")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--store", default=None, help="write K into DIR/K-N.zarr on a LocalCluster (resumes one there)")
    p.add_argument("--fresh", action="store_true", help="with --store: delete an existing K-N.zarr first")
    p.add_argument("--regress", type=int, default=0, metavar="ITERS",
                   help="with --store: CG and Nyström-PCG on the stored K for ITERS iterations each")
    args = p.parse_args()
    n = 3000 if args.quick else args.n
    fastntk.show_config()
    net = fastntk.MLP.uniform(args.d, args.width, args.depth, dtype=np.float32)
    theta = net.flatten(net.init(0))
    X = sphere(n, args.d)
    row = store_gram(args, net, theta, X) if args.store else compare_in_process(args, net, theta, X)
    save_rows("distributed", [dict(d=args.d, m=args.width, L=args.depth, **row)])


if __name__ == "__main__":
    main()
