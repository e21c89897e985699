"""Run an experiment's sweep into a directory, resumably; redraw its report."""
from __future__ import annotations

import json
import os
import re
import sys
import time

from ._base import Context, ExperimentError, Interrupted, Records, SettingsError, atomic_write, job_key
from ._provenance import procedure_fingerprint, rules_fingerprint, session
from ._verdict import table


def _registry():
    from . import REGISTRY
    return REGISTRY


def get(name: str):
    reg = _registry()
    if name not in reg:
        raise SettingsError(f"unknown experiment {name!r}; `fastntk list` shows {sorted(reg)}")
    return reg[name]


def resolve_config(name: str, preset: str = "quick", overrides: dict | None = None) -> dict:
    exp = get(name)
    if preset not in exp.presets:
        raise SettingsError(f"{name}: unknown preset {preset!r}; expected one of {sorted(exp.presets)}")
    cfg = dict(exp.presets[preset])
    for k, v in (overrides or {}).items():
        if k not in cfg:
            raise SettingsError(f"{name}: unknown setting {k!r}; settings are {sorted(cfg)}")
        cfg[k] = v
    check_settings(name, cfg, getattr(exp, "paired", ()))
    cfg["experiment"] = name
    cfg["preset"] = preset
    return cfg


# What every experiment setting must be, by name: one place for the command line's
# values (--seeds -1, --sigmas nan, --widths 0 are errors before anything runs).
_NONNEG_INT = ("seed", "seeds", "data_seed", "members", "curve_seeds", "gap_seeds")
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
            raise SettingsError(f"{flag}: expected at least one value, got none")
        for v in values:
            if isinstance(v, bool) or isinstance(v, str):
                continue
            if isinstance(v, int):
                low = 0 if key in _NONNEG_INT else 1
                if v < low:
                    raise SettingsError(f"{flag}: expected integers >= {low}, got {v}")
            elif isinstance(v, float):
                ok = math.isfinite(v) and (v >= 0 if key in _NONNEG_REAL else v > 0)
                if key in _UNIT_OPEN:
                    ok = ok and v < 1
                if key in _UNIT_HALF:
                    ok = ok and v <= 1
                if not ok:
                    where = ("in (0, 1)" if key in _UNIT_OPEN else "in (0, 1]" if key in _UNIT_HALF
                             else ">= 0" if key in _NONNEG_REAL else "> 0")
                    raise SettingsError(f"{flag}: expected finite values {where}, got {v}")
    if paired:
        lengths = {k: len(cfg[k]) for k in paired if isinstance(cfg.get(k), list)}
        if len(set(lengths.values())) > 1:
            raise SettingsError(f"{name}: {', '.join('--' + k for k in lengths)} are paired element by element "
                                  f"and must have one length, got {lengths}")


def recorded_settings(cfg: dict) -> dict:
    """The settings as a results folder records them: the data by name, without the
    path of the machine that ran it (its files are named and hashed in the provenance)."""
    from ..datasets import spec_name
    out = dict(cfg)
    for key in ("data", "theory_data"):
        if isinstance(out.get(key), str):
            out[key] = spec_name(out[key])
    return json.loads(json.dumps(out))


def settings_of(cfg: dict) -> dict:
    """A config.json's settings proper: without what it records about rules and provenance."""
    return {k: v for k, v in recorded_settings(cfg).items() if k not in ("rules", "procedure", "provenance")}


def _write_config(path: str, cfg: dict) -> None:
    atomic_write(path, json.dumps(cfg, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _load_config(out: str) -> dict:
    cfg_path = os.path.join(out, "config.json")
    if not os.path.isfile(cfg_path):
        raise ExperimentError(f"{out}: no config.json; not a fastntk run directory")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        if not isinstance(cfg, dict) or not isinstance(cfg["experiment"], str):
            raise TypeError("not a settings object")
    except (ValueError, OSError, KeyError, TypeError) as e:
        raise ExperimentError(f"--out {out}: {cfg_path} is damaged ({e}); remove it to start over, "
                              "or use another --out") from None
    return cfg


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
    exp = get(name)
    cfg_path = os.path.join(out, "config.json")
    stored = recorded_settings(cfg)
    stored["rules"] = dict(fingerprint=rules_fingerprint(exp), source="fastntk.experiments._verdict and "
                           f"{type(exp).__name__}.claims with the methods it calls")
    stored["procedure"] = dict(fingerprint=procedure_fingerprint(exp), source=f"{type(exp).__name__}.run_job and "
                               "jobs with the experiments package's code they reach (the training rules)")
    this = session(cfg, workers)
    rec_path = os.path.join(out, "records.jsonl")
    # a config.json (readable: a damaged one is an error) without a single record is a
    # start that failed before its first run: nothing to keep, so it does not bind the folder
    if os.path.exists(cfg_path) and (_load_config(out) is None or os.path.isfile(rec_path)
                                     and os.path.getsize(rec_path) > 0):
        old = _load_config(out)
        if settings_of(old) != settings_of(stored):
            raise ExperimentError(
                f"--out {out}: holds records of different settings ({cfg_path}); use another --out "
                "or the same settings to resume")
        if old.get("rules", {}).get("fingerprint") != stored["rules"]["fingerprint"]:
            raise ExperimentError(
                f"--out {out}: was started under other claim rules (fingerprint "
                f"{old.get('rules', {}).get('fingerprint')}, now {stored['rules']['fingerprint']}); its verdicts "
                "would mix them: use another --out (and new seeds)")
        was = old.get("procedure", {}).get("fingerprint")
        if was != stored["procedure"]["fingerprint"]:
            raise ExperimentError(
                f"--out {out}: its runs were made by another training procedure (fingerprint {was}, now "
                f"{stored['procedure']['fingerprint']}); its records would mix them: use another --out (and new seeds)")
        sessions = old.get("provenance", {}).get("sessions", [])
        if sessions and sessions[0].get("data") != this["data"]:
            raise ExperimentError(f"--out {out}: was started on other data files (SHA-256 differ); use another --out")
        stored["provenance"] = dict(sessions=sessions + [this])
    else:
        stored["provenance"] = dict(sessions=[this])
    _write_config(cfg_path, stored)
    started = time.monotonic()
    records = Records(os.path.join(out, "records.jsonl"))
    done = {r.get("key") for r in records.load()}
    jobs = exp.jobs(cfg)
    todo = [j for j in jobs if job_key(j) not in done]
    bar = None
    if progress:
        from .._optional import require
        tqdm = require("tqdm.auto", "a progress bar (--no-progress runs without one)").tqdm
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
    this["wall_s"] = round(time.monotonic() - started, 1)
    _write_config(cfg_path, stored)
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


def _judged(out: str):
    """(experiment, config, the records of its jobs, the verdict table's lines)."""
    cfg = _load_config(out)
    exp = get(cfg["experiment"])
    want = resolve_config(cfg["experiment"], cfg["preset"]) if cfg.get("preset") in exp.presets else {}
    missing = sorted(k for k in want if k not in cfg and k not in ("data",))
    if missing:
        raise ExperimentError(f"{out}: config.json lacks the settings {missing}; not the config of a "
                              f"{cfg['experiment']} run")
    records = Records(os.path.join(out, "records.jsonl")).load()
    keys = {job_key(j) for j in exp.jobs(cfg)}
    records = [r for r in records if r.get("key") in keys]
    return exp, cfg, records, keys, table(exp.claims(cfg, records))


def load(out: str, *, frame: bool = False):
    """The records of a run folder (``fastntk run``'s ``--out``, or a committed
    ``docs/results/NAME``): one dict per finished training run, with its job's settings
    (``key``) and what it measured, in the order they finished. ``frame=True`` returns a
    pandas DataFrame instead (pandas is not a dependency: ImportError naming it)."""
    _load_config(out)  # a folder without a readable config.json is not a run folder
    records = Records(os.path.join(out, "records.jsonl")).load()
    if not frame:
        return records
    from .._optional import require
    return require("pandas", "load(frame=True)").DataFrame.from_records(records)


def report(out: str) -> str:
    """Redraw plots and summary.md from out/records.jsonl and out/config.json."""
    exp, cfg, records, keys, lines = _judged(out)
    # The verdict table comes first (issue #15): claim | paper | measured | verdict.
    lines = lines + ["", f"# {exp.title}", "", f"Paper: {exp.paper}. Preset `{cfg['preset']}`, "
                     f"{len(records)} of {len(keys)} runs."]
    if len(records) < len(keys):
        lines += ["", f"**Partial: {len(keys) - len(records)} runs missing** — run the same command "
                  "again to resume."]
    figures = []
    if records:
        from .. import plots
        from ._curves import plot_loss_curves
        with plots.style():
            figures = exp.plot(cfg, records, out) + plot_loss_curves(exp, cfg, records, out)
        lines += ["", "## Claims and measurements", ""] + exp.summary(cfg, records)
    lines += ["", "## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                      for p in figures if p.endswith(".png")]
    settings = ", ".join(f"{k}={v}" for k, v in sorted(settings_of(cfg).items()) if k not in ("experiment", "preset"))
    lines += ["", "## Settings", "", settings, ""] + _provenance_lines(cfg)
    text = "\n".join(lines)
    atomic_write(os.path.join(out, "summary.md"), text)
    return text


def _provenance_lines(cfg: dict) -> list[str]:
    rules = cfg.get("rules", {}).get("fingerprint")
    sessions = cfg.get("provenance", {}).get("sessions", [])
    if not rules and not sessions:
        return []
    lines = ["## Provenance", ""]
    if rules:
        lines.append(f"- Claim rules: fingerprint `{rules}` (registered before the runs; "
                     "`fastntk report DIR --check` recomputes the table).")
    procedure = cfg.get("procedure", {}).get("fingerprint")
    if procedure:
        lines.append(f"- Training procedure (run_job and the training rules it reaches): fingerprint `{procedure}`.")
    elif rules:
        lines.append("- Training procedure: not fingerprinted (these runs predate the procedure fingerprint).")
    for s in sessions:
        blas = s.get("blas") or {}
        wall = f", wall time {s['wall_s']:.0f} s" if isinstance(s.get("wall_s"), (int, float)) else ""
        lines.append(f"- {s.get('start')}: fastntk {s.get('fastntk')} (commit {s.get('commit')}), Python "
                     f"{s.get('python')}, NumPy {s.get('numpy')}, BLAS {blas.get('internal_api')} {blas.get('version')} "
                     f"({blas.get('architecture')}), {s.get('cpu')}, {s.get('cores')} cores, {s.get('workers')} "
                     f"worker(s){wall}.")
    data = sessions[0].get("data") if sessions else None
    if data:
        lines.append("- Data files (SHA-256): " + ", ".join(f"{k} `{v[:16]}…`" for k, v in sorted(data.items())) + ".")
    return lines + [""]


def _table_of(text: str) -> list[str]:
    """The verdict table a summary.md opens with: its lines up to the first blank one."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            break
        out.append(line)
    return out


def check(out: str, preset: bool = False) -> list[str]:
    """What differs between out/summary.md's verdict table and the table recomputed from
    out/records.jsonl and out/config.json alone, and whether the rules that judged it are
    the code's now; with ``preset``, also whether its settings are its preset's in the code
    now (no overrides: what committed results must be). [] when the verdicts stand."""
    exp, cfg, records, keys, lines = _judged(out)
    problems = []
    if preset:
        want = settings_of(resolve_config(cfg["experiment"], cfg.get("preset", "")))
        have = settings_of(cfg)
        for k in sorted(set(want) | set(have)):
            if want.get(k) != have.get(k):
                problems.append(f"setting {k}: the runs used {have.get(k)!r}, the {cfg.get('preset')} preset is now "
                                f"{want.get(k)!r} — a preset changed after the runs; rerun with new seeds")
    path = os.path.join(out, "summary.md")
    try:
        with open(path, encoding="utf-8") as f:
            written = _table_of(f.read())
    except OSError as e:
        return [f"{path}: cannot read ({e.strerror})"]
    if written[:2] != lines[:2]:
        return [f"{path}: does not open with a verdict table"]
    have, want = written[2:], lines[2:]
    for i in range(max(len(have), len(want))):
        a = have[i] if i < len(have) else "(missing)"
        b = want[i] if i < len(want) else "(none)"
        if a != b:
            problems.append(f"row {i + 1}: summary.md says {a}\n        the records give {b}")
    registered = cfg.get("rules", {}).get("fingerprint")
    now = rules_fingerprint(exp)
    if registered != now:
        problems.append(f"claim rules: the runs were registered under {registered}, the code's rules are {now} — "
                        "a rule changed after the runs; rerun with new seeds")
    made_by = cfg.get("procedure", {}).get("fingerprint")
    if made_by is not None and made_by != procedure_fingerprint(exp):
        problems.append(f"training procedure: the runs were made under {made_by}, the code's is "
                        f"{procedure_fingerprint(exp)} — how the runs train changed after them; rerun with new seeds")
    if len(records) < len(keys):
        problems.append(f"{len(keys) - len(records)} of {len(keys)} runs missing from records.jsonl")
    return problems


def verdict_table(folders, link_base: str | None = None) -> list[str]:
    """One Markdown table of the verdicts in several run folders (each summary.md's own
    table, recomputed by :func:`check` beforehand), an experiment column first, and a
    line counting the verdicts — what docs/results.md shows."""
    rows, counts = [], {}
    for out in folders:
        path = os.path.join(out, "summary.md")
        try:
            with open(path, encoding="utf-8") as f:
                lines = _table_of(f.read())[2:]
        except OSError as e:
            raise ExperimentError(f"{path}: cannot read ({e.strerror})") from None
        name = os.path.basename(os.path.normpath(out))
        cell = f"[{name}]({link_base}/{name}/summary.md)" if link_base else name
        for line in lines:
            rows.append(f"| {cell} {line}")
            verdict = line.rstrip(" |").rsplit("|", 1)[-1].strip()
            kind = ("inconclusive: premise not met" if verdict.startswith("inconclusive: premise not met")
                    else verdict.split(":")[0])
            if "an extra check" in line.split("|")[1]:
                kind = "extra checks, not claims of the papers"
            counts[kind] = counts.get(kind, 0) + 1
    order = ["reproduced", "not reproduced", "inconclusive", "inconclusive: premise not met",
             "extra checks, not claims of the papers"]
    tally = ", ".join(f"{counts[k]} {k}" for k in order + sorted(set(counts) - set(order)) if counts.get(k))
    # The rows cite the papers by key ("000 Fig. 2"); the table says once which paper each key is
    # (the registry loads here, where a table is drawn, not when the experiments are imported).
    from ..claims import PAPERS
    keys = sorted({k for row in rows for k in re.findall(r"(?<![\w.])(00\d)(?![\w.])", row) if k in PAPERS})
    legend = (["", "The papers, by the keys the rows cite:", ""] + [f"- {k}: {PAPERS[k]}" for k in keys]
              if keys else [])
    return ([f"{len(rows)} rows from {len(folders)} experiments: {tally}.", "",
             "| experiment | claim | paper (figure, number) | measured | verdict |", "|---|---|---|---|---|"]
            + rows + legend)
