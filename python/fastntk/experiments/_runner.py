"""Run an experiment's sweep into a directory, resumably; redraw its report."""
from __future__ import annotations

import json
import os
import sys
import time

from ._base import Context, ExperimentError, Interrupted, Records, atomic_write, job_key
from ._verdict import table


def _registry():
    from . import REGISTRY
    return REGISTRY


def get(name: str):
    reg = _registry()
    if name not in reg:
        raise ExperimentError(f"unknown experiment {name!r}; `fastntk list` shows {sorted(reg)}")
    return reg[name]


def resolve_config(name: str, preset: str = "quick", overrides: dict | None = None) -> dict:
    exp = get(name)
    if preset not in exp.presets:
        raise ExperimentError(f"{name}: unknown preset {preset!r}; expected one of {sorted(exp.presets)}")
    cfg = dict(exp.presets[preset])
    for k, v in (overrides or {}).items():
        if k not in cfg:
            raise ExperimentError(f"{name}: unknown setting {k!r}; settings are {sorted(cfg)}")
        cfg[k] = v
    check_settings(name, cfg, getattr(exp, "paired", ()))
    cfg["experiment"] = name
    cfg["preset"] = preset
    return cfg


# What every experiment setting must be, by name: one place for the command line's
# values (--seeds -1, --sigmas nan, --widths 0 are errors before anything runs).
_NONNEG_INT = ("seed", "seeds", "data_seed", "members")
_UNIT_OPEN = ("shrink", "rmsprop_gamma")         # in (0, 1)
_UNIT_HALF = ("ratios", "batch_ratio")           # in (0, 1]
_NONNEG_REAL = ("margin",)


def check_settings(name: str, cfg: dict, paired=()) -> None:
    """Every setting of an experiment, checked by its name and type: integers ≥ 1 (seeds
    ≥ 0), reals finite and > 0 (some in (0, 1]), lists non-empty; lists the experiment
    pairs element by element (``paired``) of one length."""
    import math
    for key, value in cfg.items():
        flag = "--" + key.replace("_", "-")
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            raise ExperimentError(f"{flag}: expected at least one value, got none")
        for v in values:
            if isinstance(v, bool) or isinstance(v, str):
                continue
            if isinstance(v, int):
                low = 0 if key in _NONNEG_INT else 1
                if v < low:
                    raise ExperimentError(f"{flag}: expected integers >= {low}, got {v}")
            elif isinstance(v, float):
                ok = math.isfinite(v) and (v >= 0 if key in _NONNEG_REAL else v > 0)
                if key in _UNIT_OPEN:
                    ok = ok and v < 1
                if key in _UNIT_HALF:
                    ok = ok and v <= 1
                if not ok:
                    where = ("in (0, 1)" if key in _UNIT_OPEN else "in (0, 1]" if key in _UNIT_HALF
                             else ">= 0" if key in _NONNEG_REAL else "> 0")
                    raise ExperimentError(f"{flag}: expected finite values {where}, got {v}")
    if paired:
        lengths = {k: len(cfg[k]) for k in paired if isinstance(cfg.get(k), list)}
        if len(set(lengths.values())) > 1:
            raise ExperimentError(f"{name}: {', '.join('--' + k for k in lengths)} are paired element by element "
                                  f"and must have one length, got {lengths}")


def prepare_out(out: str) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise ExperimentError(f"--out {out}: exists and is not a directory")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise ExperimentError(f"--out {out}: cannot create ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExperimentError(f"--out {out}: not writable")


def run(name: str, preset: str = "quick", out: str | None = None, overrides: dict | None = None,
        progress: bool = True, workers: int = 1) -> dict:
    """Run (or resume) an experiment into ``out``; returns {'out', 'done', 'total', 'summary'}.

    Each finished training run is appended to out/records.jsonl as soon as it
    finishes; a second call with the same settings skips those runs. Settings that
    differ from the ones the directory was started with are refused. ``workers`` > 1
    runs that many training runs at once in worker processes with one thread each
    (small nets use the cores better side by side than with threaded GEMMs).
    """
    cfg = resolve_config(name, preset, overrides)
    out = out or os.path.join("runs", f"{name}-{preset}")
    prepare_out(out)
    cfg_path = os.path.join(out, "config.json")
    if os.path.exists(cfg_path):
        try:
            with open(cfg_path, encoding="utf-8") as f:
                old = json.load(f)
        except (ValueError, OSError) as e:
            raise ExperimentError(f"--out {out}: {cfg_path} is damaged ({e}); remove it to start over, "
                                  "or use another --out") from None
        if old != json.loads(json.dumps(cfg)):
            raise ExperimentError(
                f"--out {out}: holds records of different settings ({cfg_path}); use another --out "
                "or the same settings to resume")
    else:
        atomic_write(cfg_path, json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    exp = get(name)
    records = Records(os.path.join(out, "records.jsonl"))
    done = {r.get("key") for r in records.load()}
    jobs = exp.jobs(cfg)
    todo = [j for j in jobs if job_key(j) not in done]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc=name, unit="run")

    def callback(step, loss):
        if bar is not None:
            bar.set_postfix_str(f"step {step} loss {loss:.2e}")
        return True

    ctx = Context(cfg=cfg, callback=callback)
    estimate = _Estimate(len(todo), workers, preset != "quick")
    interrupted = False
    if workers > 1 and len(todo) > 1:
        try:
            interrupted = _run_parallel(exp, cfg, todo, records, bar, workers, estimate)
        finally:
            if bar is not None:
                bar.close()
        todo = []
    try:
        for job in todo:
            if bar is not None:
                bar.set_description(f"{name} {_describe(job)}")
            try:
                result = exp.run_job(cfg, job, ctx)
            except (Interrupted, KeyboardInterrupt):
                interrupted = True
                break
            records.append({"key": job_key(job), **job, **result})
            estimate.done()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    summary = report(out)
    done = len({r.get("key") for r in records.load()} & {job_key(j) for j in jobs})
    return dict(out=out, done=done, total=len(jobs), summary=summary, interrupted=interrupted)


def _worker_init(parent: int):
    from .. import set_num_threads
    set_num_threads(1)
    _end_with_parent(parent)


def _end_with_parent(parent: int, every: float = 0.5) -> None:
    """A worker ends when its parent is gone — SIGKILL of the parent included, which no
    handler sees: a thread polls the parent's pid (portable, unlike Linux's
    PR_SET_PDEATHSIG, which also fires when merely the forking thread ends)."""
    import threading

    def watch():
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="fastntk-parent-watch", daemon=True).start()


def _worker_run(name, cfg, job):
    exp = get(name)
    return exp.run_job(cfg, job, Context(cfg=cfg))


class _Estimate:
    """Prints, once the first run has finished, how long the whole sweep will take at
    that pace (the paper presets run for hours), before going on."""

    def __init__(self, total: int, workers: int, show: bool):
        self.total, self.workers, self.show = total, max(1, workers), show
        self.start, self.count = time.monotonic(), 0

    def done(self):
        self.count += 1
        if self.show and self.count == 1 and self.total > 1:
            per = time.monotonic() - self.start
            left = per * (self.total - 1) / self.workers
            print(f"first run took {per:.0f} s; the remaining {self.total - 1} runs will take about "
                  f"{_duration(left)} at that pace ({self.workers} at a time)", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _run_parallel(exp, cfg, todo, records, bar, workers, estimate) -> bool:
    """Runs jobs in worker processes, appending each record as it arrives; returns
    whether the sweep was interrupted."""
    import concurrent.futures as cf
    import multiprocessing as mp

    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_worker_init, initargs=(os.getpid(),))
    futures = {pool.submit(_worker_run, exp.name, cfg, job): job for job in todo}
    try:
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                result = fut.result()
            except (Interrupted, KeyboardInterrupt, cf.process.BrokenProcessPool):
                return True
            records.append({"key": job_key(job), **job, **result})
            estimate.done()
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        return True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return False


def _describe(job):
    return " ".join(f"{k}={v}" for k, v in job.items())


def report(out: str) -> str:
    """Redraw plots and summary.md from out/records.jsonl and out/config.json."""
    cfg_path = os.path.join(out, "config.json")
    if not os.path.isfile(cfg_path):
        raise ExperimentError(f"{out}: no config.json; not a fastntk run directory")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        exp_name = cfg["experiment"]
    except (ValueError, OSError, KeyError, TypeError) as e:
        raise ExperimentError(f"{out}: {cfg_path} is damaged ({e})") from None
    exp = get(exp_name)
    records = Records(os.path.join(out, "records.jsonl")).load()
    keys = {job_key(j) for j in exp.jobs(cfg)}
    records = [r for r in records if r.get("key") in keys]
    # The verdict table comes first (issue #15): claim | paper | measured | verdict.
    lines = table(exp.claims(cfg, records)) + ["", f"# {exp.title}", "", f"Paper: {exp.paper}. Preset "
                                              f"`{cfg['preset']}`, {len(records)} of {len(keys)} runs."]
    if len(records) < len(keys):
        lines += ["", f"**Partial: {len(keys) - len(records)} runs missing** — run the same command "
                  "again to resume."]
    figures = []
    if records:
        import matplotlib
        matplotlib.use("Agg")
        figures = exp.plot(cfg, records, out)
        lines += ["", "## Claims and measurements", ""] + exp.summary(cfg, records)
    lines += ["", "## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                      for p in figures if p.endswith(".png")]
    settings = ", ".join(f"{k}={v}" for k, v in sorted(cfg.items()) if k not in ("experiment", "preset"))
    lines += ["", "## Settings", "", settings, ""]
    text = "\n".join(lines)
    atomic_write(os.path.join(out, "summary.md"), text)
    return text
