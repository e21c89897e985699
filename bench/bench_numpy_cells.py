"""fastntk against twenty lines of NumPy on the cells of issue #28, in one run.

The NumPy side is peerbench's own (the project's peer harness, ``--peerbench DIR``): ``numpy_structured`` (the
structured Gram K = Σ_l (Δ_l Δ_l′ᵀ) ⊙ (c_l² A A′ᵀ + β_l²)) and ``numpy_manual`` (one GD step
by hand-written backprop), so the figures are the ones the issue's table was measured with.
Each round runs peerbench once over the four cells — every implementation in a fresh worker
process, ≥ 5 timed calls, the median — and the rounds are interleaved; the table gives, per
cell, the minimum over rounds of each median (the least disturbed), the ratio NumPy/fastntk
(≥ 1: fastntk is as fast or faster), the spread of the ratio over the rounds, and the GEMM
bound of the cell's flops at this machine's measured SGEMM peak.

    python bench/bench_numpy_cells.py --peerbench PEERBENCH               # this interpreter's NumPy
    python bench/bench_numpy_cells.py --peerbench PEERBENCH --python PEERS_VENV/bin/python --coretype SkylakeX

The interpreter given must have fastntk installed (``pip install --no-deps .``). Run it on a
quiet machine (``uptime`` first); it unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE itself.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import save_rows, unset_openblas_env  # noqa: E402

# (peerbench config, quantity, the NumPy implementation it is compared with)
CELLS = [("N1000_m1024_L3", "cross", "numpy_structured"), ("N100_m4000_L2", "gram", "numpy_structured"),
         ("N1000_m1024_L3", "gram", "numpy_structured"), ("N1000_m1024_L3", "net_step", "numpy_manual")]


def one_round(python, peerbench, coretype, out, gemm):
    cmd = [python, "-m", "peerbench.run", "--impls", "fastntk,numpy_structured,numpy_manual",
           "--configs", ",".join(sorted({c for c, _, _ in CELLS})), "--quantities",
           ",".join(sorted({q for _, q, _ in CELLS})), "--dtypes", "float32", "--no-check", "--out", out]
    if not gemm:
        cmd.append("--no-gemm")
    if coretype:
        cmd += ["--coretype", coretype]
    subprocess.run(cmd, cwd=peerbench, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "results.csv"), newline="") as f:
        return list(csv.DictReader(f))


def seconds(row):
    """A cell's time per call: the median call, or one step of a step quantity."""
    if row.get("median_s"):
        return float(row["median_s"])
    return 1.0 / float(row["steps_per_s"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter with fastntk and the NumPy to compare")
    ap.add_argument("--peerbench", required=True, help="the folder of a peerbench checkout (its README: the harness "
                    "the peers are compared in)")
    ap.add_argument("--coretype", default="", help="OPENBLAS_CORETYPE for the workers (NumPy 1.26 on a new Xeon)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    unset_openblas_env()
    best, ratios, bound = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            rows = one_round(args.python, os.path.abspath(args.peerbench), args.coretype,
                             os.path.join(tmp, str(k)), gemm=k == 0)
            got = {(r["config"], r["quantity"], r["impl"]): r for r in rows if r["kind"] == "bench" and r["status"] == "ok"}
            for cfg, q, peer in CELLS:
                a, b = got.get((cfg, q, "fastntk")), got.get((cfg, q, peer))
                if a is None or b is None:
                    continue
                for name, r in (("fastntk", a), (peer, b)):
                    key = (cfg, q, name)
                    best[key] = min(best.get(key, float("inf")), seconds(r))
                    if r.get("gemm_bound_s"):
                        bound[(cfg, q)] = float(r["gemm_bound_s"])  # per call, or per step
                ratios.setdefault((cfg, q), []).append(seconds(b) / seconds(a))
    print(f"{args.python}: {args.rounds} interleaved rounds of peerbench, float32, 2 threads; min over rounds of "
          "each median")
    print(f"{'cell':34s} {'fastntk':>10s} {'NumPy':>10s} {'NumPy/fastntk':>14s} {'per round':>18s} {'GEMM bound':>11s}")
    out = []
    for cfg, q, peer in CELLS:
        f, n = best.get((cfg, q, "fastntk")), best.get((cfg, q, peer))
        if f is None or n is None:
            print(f"{cfg + ' ' + q:34s} (not measured)")
            continue
        r = ratios[(cfg, q)]
        gb = bound.get((cfg, q))
        print(f"{cfg + ' ' + q:34s} {f * 1e3:8.2f} ms {n * 1e3:8.2f} ms {n / f:13.2f}× "
              f"{min(r):7.2f}–{max(r):.2f}× {'' if gb is None else f'{gb * 1e3:8.2f} ms':>11s}")
        out.append(dict(config=cfg, quantity=q, peer=peer, fastntk_s=f, numpy_s=n, ratio=n / f,
                        ratio_min=min(r), ratio_max=max(r), gemm_bound_s=gb))
    save_rows("numpy_cells", out)


if __name__ == "__main__":
    main()
