"""Estimated time of every `paper` preset on 2 cores with --jobs 2, from the committed
standard runs (issue #26). Reads records and counts jobs; trains nothing.

Model. A training step of an L-layer MLP (widths m, input dimension d, one output, no
biases) costs ∝ n·P, with n the rows it touches (N for a full batch, the mini-batch
size for SGD) and P = d·m + (L − 2)·m² + m. A run's work is Σ steps·n·P. Each
experiment's standard run gives its rate (work per second of its recorded wall time
under --jobs 2); the paper preset's work over that rate is its estimate. A paper run
takes the step count of the standard run with the same setting (the mean over seeds of
a record's `steps_total`, else `steps_tried`, else `steps`, plus any `*_steps` fields of
the record, such as a second stage's; for sigma-selection the sum over its σ path), or
the paper's step cap where the setting has no standard counterpart, where the standard
run stopped at its cap, or where the paper trains to a tighter tolerance; fixed-step
experiments take the paper's step count. A setting has no standard counterpart when no
standard job has its keys, or when the two presets differ in any scalar config value
other than seeds, tolerances, step caps and output keys (σ, a fixed width, n_train,
…): then every job of the experiment takes the cap. A floor beside it takes the steps
of the standard setting with the same keys, else of those sharing most of its values.
Everything else a job does (kernels, evaluation, start-up) is assumed to scale with the
same work.

    python bench/paper_estimates.py [--results docs/results] [--cpu-gflops 48.5]
        [--gpu-tflops 30] [--gpu-step-us 50]
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import sys

from fastntk import datasets

REPLICATE = ("seed", "member")  # keys that only repeat a setting
TOL_KEYS = ("tol", "tol_share", "lin_tol")
# config keys whose differing between the presets leaves a job's standard counterpart valid
SAME_SETTING_KEYS = frozenset(("seed", "data_seed") + TOL_KEYS
                              + ("max_steps", "under_max_steps", "max_rounds", "steps")
                              + ("preset", "experiment", "record_every", "threads", "jobs", "out"))
# fastntk.datasets.load_mnist_arrays requires every MNIST / Fashion-MNIST image to be 28 × 28
MNIST_IMAGE = (28, 28)


@functools.lru_cache(maxsize=None)
def input_dim(spec: str) -> int:
    """The input dimension of a data spec, from fastntk.datasets (two points loaded;
    MNIST and Fashion-MNIST from the cache when it holds them, else their declared
    image shape). ValueError naming the dataset for one fastntk.datasets does not know."""
    name = spec.partition(":")[0]
    try:
        return datasets.load(spec, 1, 1).d
    except datasets.DataSpecError as e:
        raise ValueError(f"input_dim: unknown dataset {name!r} ({e})") from None
    except datasets.DatasetError:
        if name in datasets.CACHED:  # not fetched here
            return math.prod(MNIST_IMAGE)
        raise


def params(d: int, m: int, L: int) -> int:
    """Weights of an L-layer MLP of width m on d inputs with one output, no biases."""
    return d * m + max(L - 2, 0) * m * m + m


def shape(name: str, cfg: dict, job: dict) -> tuple[int, int]:
    """(rows a step touches, parameter count) of one job."""
    N = job.get("n_train", cfg.get("n_train", 100))
    if name == "linear-regression":
        return N, job["d"]
    data = cfg.get("data")
    if job.get("data") == "theory":
        data = cfg.get("theory_data")
    if data is None and name == "infinite-ensemble":  # its own 1-D sine data
        from fastntk.experiments.infinite_ensemble import sine_data
        d = sine_data(1, 1, 0.0, 0).d
    else:
        d = input_dim(data)
    if "hidden" in job:
        L = job["hidden"] + 1
    else:
        L = job.get("depth", cfg.get("depth", cfg.get("fixed_depth", 2)))
    if "regime" in job:
        m = cfg["under_width"] if job["regime"] == "under" else cfg["over_width"]
    else:
        m = job.get("width", cfg.get("width", cfg.get("fixed_width", 1)))
    n = N
    if name in CLOSED_FORM:
        n = N * N  # an empirical NTK Gram: N² rows of Jacobian products
    elif "ratio" in job:
        n = max(1, round(job["ratio"] * N))
    elif job.get("optimizer") == "sgd":
        n = max(1, round(cfg.get("batch_ratio", 1.0) * N))
    elif job.get("stage") == "trained":
        n = cfg["batch_size"]
    return n, params(d, m, L)


# Experiments that train nothing (kernels and closed forms from θ₀): one unit of work per job.
CLOSED_FORM = ("kernel-convergence", "normal-biases", "ridge")


def cap(cfg: dict, job: dict) -> int:
    """The paper preset's most steps for a job."""
    if "steps" in cfg:
        return cfg["steps"]
    if job.get("stage") == "init":
        return 0
    c = cfg.get("under_max_steps") if job.get("regime") == "under" else cfg.get("max_steps", 1)
    if job.get("stage") == "trained":  # 003: to the tolerance or `epochs` epochs, whichever is longer
        c = max(c, cfg["epochs"] * math.ceil(cfg["n_train"] / cfg["batch_size"]))
    if "max_rounds" in cfg:
        c *= cfg["max_rounds"]
    return c


def record_steps(name: str, rec: dict, cfg: dict) -> float:
    """The steps a standard run took (retries, sub-runs and σ rounds included)."""
    if "steps" in cfg:  # fixed-step experiments
        return float(cfg["steps"])
    if name == "sigma-selection":
        return float(sum(r.get("steps", 0) for r in rec.get("path", [])))
    if name in CLOSED_FORM:
        return 1.0
    s = rec.get("steps_total") or rec.get("steps_tried") or rec.get("steps") or 0
    s += sum(v for k, v in rec.items() if k.endswith("_steps") and isinstance(v, (int, float)))
    return float(s)


def setting(job: dict) -> tuple:
    return tuple(sorted((k, json.dumps(v)) for k, v in job.items() if k not in REPLICATE))


def config_mismatch(scfg: dict, pcfg: dict) -> list[str]:
    """The scalar config values, other than seeds, tolerances, step caps and output keys,
    in which the paper preset differs from the standard one, as "key a → b"."""
    out = []
    for k in sorted(set(scfg) | set(pcfg)):
        a, b = scfg.get(k), pcfg.get(k)
        if k in SAME_SETTING_KEYS or isinstance(a, (list, tuple, dict)) or isinstance(b, (list, tuple, dict)):
            continue
        if a != b:
            out.append(f"{k} {a:g} → {b:g}" if isinstance(a, float) and isinstance(b, float) else f"{k} {a} → {b}")
    return out


def is_capped(name: str, rec: dict, steps: float, std_cap: int) -> bool:
    """Whether a standard record stopped at a step cap (sigma-selection: any round of its path)."""
    if name == "sigma-selection":
        return any(r.get("status") == "max_steps" for r in rec.get("path", []))
    return rec.get("status") not in (None, "converged", "done") and steps >= std_cap > 0


def paper_steps(name, pcfg, scfg, job, by_setting, mismatch=False):
    """(steps, floor steps, source) of one paper job; ``mismatch``: the presets differ in a
    config value (config_mismatch), so no standard job is its counterpart."""
    if "steps" in pcfg or name in CLOSED_FORM:
        s = 1 if name in CLOSED_FORM else pcfg["steps"]
        return s, s, "fixed"
    c = cap(pcfg, job)
    tighter = any(k in pcfg and k in scfg and pcfg[k] < scfg[k] for k in TOL_KEYS)
    key = setting(job)
    if key in by_setting:
        near = by_setting[key]
    else:  # the standard setting(s) sharing most values
        items = set(key)
        best, near = -1, []
        for k, runs in by_setting.items():
            o = len(items & set(k))
            if o > best:
                best, near = o, list(runs)
            elif o == best:
                near += runs
    if not near:
        return c, c, "cap (no standard counterpart)"
    mean = sum(s for s, _ in near) / len(near)
    if name == "sigma-selection":  # rounds to reach the same σ: ln 0.5 / ln 0.7 as many
        mean *= math.log(scfg["shrink"]) / math.log(pcfg["shrink"])
    floor = min(mean, c)
    if mismatch:
        return c, floor, "cap (presets' configs differ)"
    if key not in by_setting:
        return c, floor, "cap (no standard counterpart)"
    if tighter:
        return c, floor, "cap (tighter tolerance)"
    if any(hit for _, hit in near) and c > mean:
        return c, floor, "cap (standard hit its cap)"
    return floor, floor, "standard"


def wall_time(folder: str, cfg: dict) -> tuple[float | None, str]:
    sessions = cfg.get("provenance", {}).get("sessions", [])
    walls = [s.get("wall_s") for s in sessions]
    note = ""
    if len(sessions) > 1:
        note = f"{len(sessions)} sessions"
        if any(w is None for w in walls):
            note += f", {sum(w is None for w in walls)} without a wall time (a lower bound)"
    known = [w for w in walls if w is not None]
    if known:
        return sum(known), note
    try:
        with open(os.path.join(folder, "summary.md"), encoding="utf-8") as f:
            m = re.search(r"wall time ([\d.]+) s", f.read())
        if m:
            return float(m.group(1)), (note + "; " if note else "") + "wall time from summary.md"
    except OSError:
        pass
    return None, "no wall time recorded"


def estimate(name: str, exp, pcfg: dict, scfg: dict, records: list[dict], wall: float) -> dict:
    """The paper preset's estimated seconds from the standard run's records and wall time."""
    by_setting: dict = {}
    work_std = 0.0
    for r in records:
        job = json.loads(r["key"]) if isinstance(r.get("key"), str) else r["key"]
        s = record_steps(name, r, scfg)
        n, P = shape(name, scfg, job)
        work_std += s * n * P
        hit = is_capped(name, r, s, cap(scfg, job))
        by_setting.setdefault(setting(job), []).append((s, hit))
    jobs = exp.jobs(pcfg)
    mismatch = config_mismatch(scfg, pcfg)
    work, floor, steps_total, sources, dominant = 0.0, 0.0, 0.0, {}, {}
    for job in jobs:
        s, f, src = paper_steps(name, pcfg, scfg, job, by_setting, bool(mismatch))
        n, P = shape(name, pcfg, job)
        work += s * n * P
        floor += f * n * P
        steps_total += s
        sources[src] = sources.get(src, 0) + 1
        tag = ", ".join(f"{k}={v}" for k, v in job.items() if k in ("width", "depth", "hidden", "n_train",
                                                                    "optimizer", "model", "stage", "regime"))
        dominant[tag] = dominant.get(tag, 0.0) + s * n * P
    rate = work_std / wall if wall and work_std > 0 else None
    top = max(dominant, key=dominant.get) if dominant else ""
    return dict(jobs=len(jobs), work=work, floor_work=floor, steps=steps_total, rate=rate,
                seconds=work / rate if rate else None, floor_seconds=floor / rate if rate else None,
                sources=sources, mismatch=mismatch, dominant=top, dominant_share=dominant.get(top, 0.0) / work if work else 0.0)


def hms(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1:
        return "< 1 s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 86400 * 2:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} d"


def rows(results: str, cpu_gflops: float, gpu_tflops: float, gpu_step_us: float) -> list[dict]:
    from fastntk import experiments
    out = []
    for name, exp in experiments.REGISTRY.items():
        if "paper" not in exp.presets:
            continue
        pcfg = experiments.resolve_config(name, "paper")
        scfg = experiments.resolve_config(name, "standard")
        folder = os.path.join(results, name)
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            committed = json.load(f)
        with open(os.path.join(folder, "records.jsonl"), encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        wall, note = wall_time(folder, committed)
        cpus = sorted({s.get("cpu", "?") for s in committed.get("provenance", {}).get("sessions", [])})
        e = estimate(name, exp, pcfg, scfg, records, wall)
        gpu = None
        if e["seconds"] is not None:  # the same flops at the GPU's rate, plus a launch floor per step
            gpu = e["seconds"] * cpu_gflops / (gpu_tflops * 1000) + e["steps"] * gpu_step_us * 1e-6
        out.append(dict(name=name, std_runs=len(records), std_jobs=len(exp.jobs(scfg)), wall=wall,
                        wall_note=note, cpus=cpus, gpu=gpu, **e))
    return out


def table(rs: list[dict], cpu_gflops: float, gpu_tflops: float, gpu_step_us: float) -> str:
    lines = ["| experiment | paper runs | standard runs, wall time | estimate, 2 cores, --jobs 2 (floor) "
             "| fits 60 min | what dominates | GPU, never run (see below) |",
             "|---|---|---|---|---|---|---|"]
    for r in rs:
        fits = "—" if r["seconds"] is None else ("yes" if r["seconds"] <= 3600 else "no")
        wall = hms(r["wall"]) + (f" ({r['wall_note']})" if r["wall_note"] else "")
        lines.append(f"| {r['name']} | {r['jobs']} | {r['std_runs']}, {wall} | {hms(r['seconds'])} "
                     f"({hms(r['floor_seconds'])}) | {fits} | {r['dominant'] or 'all runs alike'} "
                     f"({100 * r['dominant_share']:.0f} %) | {hms(r['gpu'])} |")
    lines += ["", "What each estimate assumes (step counts per paper run; the standard run's CPU):", ""]
    for r in rs:
        src = "; ".join(f"{n} runs: {k}" for k, n in r["sources"].items())
        differ = ""
        if r["mismatch"]:
            differ = (f"the presets differ in {', '.join(r['mismatch'])}, so no standard run is a counterpart"
                      + (" (steps fixed regardless)" if "fixed" in r["sources"] else "") + "; ")
        lines.append(f"- **{r['name']}**: {differ}{src}; {r['steps']:.3g} steps in all; standard run on "
                     f"{', '.join(r['cpus'])}.")
    lines += ["", f"GPU column, in float64 as the experiments train (MLP's default dtype): the CPU estimate's "
              f"work at {gpu_tflops:g} TFLOP/s sustained (an H100's FP64 Tensor Core peak is 67 TFLOP/s SXM, "
              f"51 PCIe) against {cpu_gflops:g} GFLOP/s DGEMM on this machine's 2 cores — an assumption, not "
              "measured: half its measured 97 GFLOP/s SGEMM (bench/README.md), as AVX-512 FMA holds half as "
              f"many float64 lanes — plus {gpu_step_us:g} µs per step for the 12–19 device calls a small net's "
              "step makes (bench/README.md, counted, not timed), runs one after another. **fastntk's GPU "
              "backend has never run on a GPU**: these figures are arithmetic, not measurements."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--results", default=os.path.join(here, "..", "docs", "results"))
    ap.add_argument("--cpu-gflops", type=float, default=48.5)
    ap.add_argument("--gpu-tflops", type=float, default=30.0)
    ap.add_argument("--gpu-step-us", type=float, default=50.0)
    a = ap.parse_args(argv)
    rs = rows(a.results, a.cpu_gflops, a.gpu_tflops, a.gpu_step_us)
    print(table(rs, a.cpu_gflops, a.gpu_tflops, a.gpu_step_us))
    return 0


if __name__ == "__main__":
    sys.exit(main())
