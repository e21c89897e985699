"""Sweeps that save each finished run at once and resume where they stopped.

An experiment names its jobs (one training run each), runs one job, and draws
plots and a summary from the saved records. ``run`` appends one JSON line per
finished job to ``records.jsonl`` (flushed and fsynced), skips jobs already there,
and writes plots and ``summary.md`` atomically, marked partial until every job is in.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import datasets
from .._validate import UsageError
from ._verdict import ALPHA, INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, direction

# What each preset key (an experiment's knob, `fastntk run NAME --KEY`) means: the one place.
KNOBS: dict[str, str] = {
    "activations": "the hidden activations compared, each its own ensemble (erf, relu)",
    "alpha_widths": "the widths m of the output-scale sweep (004 Fig. 7)",
    "alphas": "the output scales α of 004 Figs. 7–8 (f = α·g, trained on targets y/α)",
    "base_lr": "the fixed learning rate of every optimizer (004's base rate)",
    "batch_ratio": "the SGD runs' mini-batch size as a share of N",
    "batch_size": "the mini-batch size of SGD training and of the mini-batch gradients compared",
    "bias": "the biases: zero (trainable, initialized at 0), normal (drawn with scale σ_b) or none",
    "biases": "the bias modes compared (zero, normal or none; normal-biases: normal against the zero-bias control)",
    "curve_seeds": "the seeds (split and initialization) of the per-epoch curves at every width (004 Figs. 10–11)",
    "data": "the dataset: digits, mnist[:PATH], fashion[:PATH], bump, sphere:d, gaussian:d or classification:d",
    "data_seed": "the seed of the dataset's draw (which training and test points)",
    "decades": "the T's linearized at: where the training loss first falls to 10⁻ᵏ of θ₀'s, per k",
    "depth": "the depth L, the number of layers (L = 2: one hidden layer)",
    "depth_width": "the width m of the depth sweep (004 Fig. 8)",
    "depths": "the depths L swept (L = 2: one hidden layer), paired with widths in initialization, bump, adaptive, "
              "normal-biases, ridge and last-layer",
    "dims": "the input dimensions d compared (d < N under-, d > N over-parameterized)",
    "early_epoch": "the last epoch of the window 1…early_epoch over which the widest net's lead is read, and the "
                   "epoch the convergence row starts from (004 Fig. 10: initially, past epoch 5)",
    "epochs": "the epochs a converged trained-stage run trains on to before its end figures (003 Sect. 8); in "
              "classifier-widths the epochs of the curve runs",
    "fixed_depth": "the depth L of the width sweep",
    "fixed_width": "the width m of the depth sweep",
    "gap_bound": "the largest training–validation error gap 004 Fig. 9 reports (0.07)",
    "gap_epochs": "the epochs of each generalization-gap trial (004 Fig. 9: 1000)",
    "gap_seeds": "the seeds (split and initialization) of the generalization-gap trials (004 Fig. 9: 20 trials)",
    "gap_width": "the hidden width m of the generalization-gap trials (004 Fig. 9: 1000)",
    "hidden_layers": "the numbers of hidden layers of the depth sweep (004 Fig. 8)",
    "init": "how the weights are drawn: glorot (Glorot-uniform) or normal (W¹ ~ N(0, 1), a = ±1)",
    "init_scales": "the factors the initial first-layer weights are scaled by (init-scale sweep)",
    "kappa": "Strategy 4.1's κ: deeper weights ~ N(0, 1/(κ·m)) (κ = 1/2: He initialization)",
    "late_epoch": "the epoch by which the widest net's validation loss should have joined the others' (004 Fig. 10)",
    "lin_tol": "the training loss the linearized model trains to",
    "loss": "the loss whose gradients are compared: squared or logistic (training: squared)",
    "lr": "the constant learning rate of SGD; in classifier-widths Adam's (Keras's 10⁻³)",
    "lr_share": "the GD rate η as a share of the stability limit 2N/λ_max(Θ∞)",
    "margin": "the relative validation-loss gain a smaller σ must bring to go on shrinking",
    "max_rounds": "the most rounds (σ values tried) of the σ-selection algorithm",
    "max_steps": "the step cap of a run",
    "members": "the initialization seeds of the ensemble's members, one net each",
    "models": "what is trained: the network and/or its linearization",
    "n_sizes": "the training-set sizes N swept (nested subsets, one test set)",
    "n_test": "the number of test points",
    "n_train": "the number of training points N",
    "n_val": "the number of validation points σ is selected on",
    "noise": "the label noise's standard deviation (y = sin x + ε)",
    "optimizers": "the optimizers compared (gd, sgd, adagrad, adam, rmsprop)",
    "over_width": "the width m of the over-parameterized (P ≥ N) net",
    "ratios": "the mini-batch sizes swept, as a share of N (1.0: full batch)",
    "record_every": "the steps between the recorded points of the loss curves",
    "rhos": "the ridge strengths ρ, relative: λ = ρ·λ_max(φᵀφ/N), the same ridge at every σ",
    "rmsprop_gamma": "RMSprop's decay rate γ of the squared-gradient average",
    "scale_width": "the width m of the init-scale sweep",
    "seed": "the seed of θ₀, the same for every run",
    "seeds": "the seeds, one run each per setting: θ₀, SGD's batches (linear-regression: the data too)",
    "shrink": "the factor σ is multiplied by each round of the σ-selection algorithm",
    "shuffles": "whether mini-batches are reshuffled every epoch (false: one fixed order)",
    "sigma": "the initialization scale σ (the weights' W_std)",
    "sigma_b": "the bias scale σ_b (b_std)",
    "sigma_starts": "the starting scales σ′ of the σ-selection algorithm",
    "sigmas": "the initialization scales σ swept",
    "stages": "where gradient confusion is measured: init (at θ₀) and/or trained",
    "steps": "the fixed number of training steps of every run (no tolerance)",
    "theory_data": "the dataset of the theory rows (003's unit-sphere setting), e.g. sphere:100",
    "tol": "the training loss a run trains to (underparameterized, P < N: its excess over least squares)",
    "tol_share": "the training tolerance as a share of the null loss ½·mean(y²)",
    "trend_widths": "widths m at which only the full-batch runs are made, for a width trend (stochastic)",
    "under_max_steps": "the step cap of the under-parameterized (P < N) runs",
    "under_width": "the width m of the under-parameterized (P < N) net",
    "width": "the hidden-layer width m",
    "widths": "the hidden-layer widths m swept, paired with depths in initialization, bump, adaptive, normal-biases, "
              "ridge and last-layer",
}


class ExperimentError(ValueError):
    """A bad experiment request: unknown name or preset, unusable output directory."""


class SettingsError(ExperimentError, UsageError):
    """An experiment request wrong as written: an unknown name, preset or setting, a
    value out of range."""


class Interrupted(Exception):
    """The user stopped the sweep (Ctrl-C); finished runs are saved."""


@dataclass
class Context:
    cfg: dict
    callback: Callable[[int, float], Any] | None = None
    _data: dict = field(default_factory=dict)

    def dataset(self, spec=None, n_train=None, n_test=None, seed=None) -> datasets.Dataset:
        spec = spec or self.cfg["data"]
        n_train = self.cfg["n_train"] if n_train is None else n_train
        n_test = self.cfg["n_test"] if n_test is None else n_test
        seed = self.cfg.get("data_seed", 0) if seed is None else seed
        key = (spec, n_train, n_test, seed)
        if key not in self._data:
            self._data[key] = datasets.load(spec, n_train, n_test, seed=seed)
        return self._data[key]

    def check(self, res):
        if res.status == "interrupted":
            raise Interrupted()
        return res


class Experiment:
    name = ""
    title = ""
    paper = ""
    presets: dict[str, dict] = {}
    paired: tuple = ()  # list settings the jobs zip element by element (one length)

    def jobs(self, cfg: dict) -> list[dict]:
        raise NotImplementedError

    def run_job(self, cfg: dict, job: dict, ctx: Context) -> dict:
        raise NotImplementedError

    def plot(self, cfg: dict, records: list[dict], out: str) -> list[str]:
        raise NotImplementedError

    def summary(self, cfg: dict, records: list[dict]) -> list[str]:
        raise NotImplementedError

    def curve_floor(self, record: dict) -> float | None:
        """The least training loss the record's run can reach where that is not 0 (drawn as the
        loss above it in loss_curves), or None: the loss curves are drawn as recorded."""
        return None

    def claims(self, cfg: dict, records: list[dict]) -> list:
        """The paper's claims this experiment tests, each with its verdict
        (_verdict.Claim), computed from all the preset's records."""
        raise NotImplementedError


def half_mse(pred, y) -> float:
    pred, y = np.asarray(pred, np.float64), np.asarray(y, np.float64)
    return float(0.5 * np.mean((pred - y) ** 2))


def loglog_slope(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = (x > 0) & (y > 0) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def falling_trend(values, seeds, xs) -> list[float]:
    """Per seed with a value at every x ({(seed, x): value}): −(Spearman rank correlation of
    x and the value, ties at their mean rank), positive when the value falls as x grows; a
    seed whose values all tie gives none (no trend to judge)."""
    def ranks(v):  # ties share their mean rank
        v = np.asarray(v, float)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        for u in np.unique(v):
            r[v == u] = r[v == u].mean()
        return r

    out = []
    for s in seeds:
        if all((s, x) in values for x in xs):
            ry = ranks([values[(s, x)] for x in xs])
            if np.ptp(ry) > 0:
                out.append(-float(np.corrcoef(ranks(xs), ry)[0, 1]))
    return out


def trend_direction(trends, n_made: int, what: str = "seeds") -> str:
    """:func:`_verdict.direction` for per-seed rank trends (from :func:`falling_trend`, the
    claimed sign made positive): a seed whose rank correlation is exactly 0 shows no trend,
    an observation against either sign, not a tie the metric cannot resolve. So a *reproduced*
    needs the claimed sign significant among all seeds and a *not reproduced* the opposite
    sign, the no-trend seeds counted as showing neither (next27: a review of
    gradient-confusion's 330–337 found the opposite side dropping them, 6 of 6 where counted
    it is 6 of 8, p = 0.145)."""
    verdict = direction(trends, n_made, what)
    flat = sum(t == 0 for t in trends)
    if not flat or verdict not in (REPRODUCED, NOT_REPRODUCED):
        return verdict
    n = len(trends)
    shown = sum(t > 0 for t in trends) if verdict == REPRODUCED else sum(t < 0 for t in trends)
    p = sum(math.comb(n, j) for j in range(shown, n + 1)) / 2.0**n
    if p <= ALPHA:
        return verdict
    side = "claimed" if verdict == REPRODUCED else "opposite"
    return (f"{INCONCLUSIVE}: the {side} trend in {shown} of {n} {what}, none in {flat} (p = {p:.3g} with those "
            "counted as not showing it)")


def group(records, keys, value):
    """{tuple(keys): (mean, std, n)} of record[value] over records sharing the keys."""
    out: dict = {}
    for r in records:
        v = r.get(value)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        out.setdefault(tuple(r[k] for k in keys), []).append(v)
    return {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in out.items()}


def job_key(job: dict) -> str:
    return json.dumps(job, sort_keys=True)


class Records:
    def __init__(self, path: str):
        self.path = path

    def load(self) -> list[dict]:
        if not os.path.exists(self.path):
            return []
        out = []
        # Bytes that are not UTF-8 (a damaged file) spoil their line only.
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: that run is simply redone
                if isinstance(record, dict):
                    out.append(record)
        return out

    def append(self, record: dict) -> None:
        line = json.dumps(record, default=_jsonable) + "\n"
        # A line cut short by a crash must not swallow the next record.
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = "\n" + line
        with open(self.path, "a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    raise TypeError(f"cannot save {type(x).__name__} in a record")


def atomic_write(path: str, text: str) -> None:
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def save_figure(fig, out: str, stem: str) -> list[str]:
    """PNG, SVG and PDF, each written to a temporary name and renamed."""
    paths = []
    for ext in ("png", "svg", "pdf"):
        path = os.path.join(out, f"{stem}.{ext}")
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=f".{ext}")
        os.close(fd)
        fig.savefig(tmp, dpi=150 if ext == "png" else None, bbox_inches="tight", format=ext)
        os.replace(tmp, path)
        paths.append(path)
    return paths


def plot_grouped(ax, records, x_key, value, label, color=None, trained=True, **kw):
    """Mean ± standard deviation of record[value] over the converged records sharing
    record[x_key], as error bars labelled with what they are and over how many runs; runs
    that did not converge (a ``status`` other than "converged") are drawn one by one as
    crosses and counted in their own legend entry, never averaged in. ``trained=False``
    for a value that does not depend on the run's training (a closed form from θ₀, such as
    f_int's test loss): every record counts."""
    from .. import plots
    done = [r for r in records if not trained or r.get("status", "converged") == "converged"]
    other = [r for r in records if trained and r.get("status", "converged") != "converged"]
    g = group(done, [x_key], value)
    ks = sorted(g)
    if ks:
        n = sorted({g[k][2] for k in ks})
        runs = f"{n[0]}" if len(n) == 1 else f"{n[0]}–{n[-1]}"
        plots.errorbar(ax, [k[0] for k in ks], [g[k][0] for k in ks], [g[k][1] for k in ks],
                       f"{label} (mean ± s.d., {runs} runs)", color, **kw)
    pts = [(r[x_key], r[value]) for r in other
           if isinstance(r.get(value), (int, float)) and math.isfinite(r[value])]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], ls="none", marker="x", ms=4, color=color,
                label=f"{label}: not converged ({len(pts)})")


def legend(ax, **kw):
    """A legend when something in the axes has a label (a sweep may have nothing to show)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def log_axes(ax, xlabel, ylabel, title=None, xbase=10):
    ax.set_xscale("log", base=xbase)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    legend(ax)
