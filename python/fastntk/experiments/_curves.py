"""The loss curves of an experiment's runs (issue 31): every record that kept its curve
(``curve``: the training loss at log-spaced steps, experiments/_training.py) on log-log
axes, coloured by the last job setting that varies, one panel per value of the others;
runs that did not converge dashed and counted in the legend.

Drawing only: nothing here reaches a verdict, and a results folder made before the
curves were recorded draws no curve figure.
"""
from __future__ import annotations

import textwrap

from ._base import legend, save_figure

COLUMNS = 4  # panels per row
MAX_PANELS = 12  # more would be unreadable at the default size: the first are drawn, the title says so
TITLE_CHARS = 40  # a panel's title wraps at this width, so that neighbours' titles stay apart


def _label(key, value) -> str:
    return f"{key} = {value:g}" if isinstance(value, float) else f"{key} = {value}"


ROUND = "round σ"  # the colour key of the curves kept per round of a record's path (sigma-selection)


def _has_curve(r) -> bool:
    return isinstance(r, dict) and isinstance(r.get("curve"), dict) and bool(r["curve"].get("step"))


def _runs(records: list[dict]) -> list[dict]:
    """The records that kept a curve, and one run per round of a record's ``path`` that kept
    one (the job's settings, the round's σ under ROUND, its status and curve)."""
    out = []
    for r in (r for r in records if isinstance(r, dict)):
        if _has_curve(r):
            out.append(r)
        path = r.get("path")
        for p in path if isinstance(path, list) else []:
            if _has_curve(p):
                out.append({**{k: v for k, v in r.items() if k not in ("curve", "path", "status")},
                            ROUND: p.get("sigma"), "status": p.get("status"), "curve": p["curve"]})
    return out


def plot_loss_curves(exp, cfg: dict, records: list[dict], out: str) -> list[str]:
    """loss_curves.{png,svg,pdf}: each run's training loss against its step (step + 1 on
    the log axis, so that θ₀ is drawn), coloured by the last of ``exp.jobs(cfg)``'s settings
    that varies over the runs (the seed aside), one panel per value of the others (four to a row); the
    preset's tolerance dotted. A record whose ``path`` holds rounds that kept their curves
    (sigma-selection) draws one curve per round, coloured by the round's σ. Returns the paths
    written ([] where no record kept a curve)."""
    runs = _runs(records)
    if not runs:
        return []
    from .. import plots
    keys = [k for k in exp.jobs(cfg)[0] if k != "seed"] + ([ROUND] if any(ROUND in r for r in runs) else [])
    varying = [k for k in keys if len({repr(r.get(k)) for r in runs}) > 1]
    colour_key, panel_keys = (varying[-1], varying[:-1]) if varying else (None, [])
    order = lambda values: sorted(values, key=lambda v: (str(type(v)), v))  # noqa: E731
    panels = order({tuple(r.get(k) for k in panel_keys) for r in runs})
    shown = panels[:MAX_PANELS]
    colours = order({r.get(colour_key) for r in runs}) if colour_key else [None]
    ncols = min(COLUMNS, len(shown))
    nrows = -(-len(shown) // ncols)
    fig, axes = plots.figure(ncols, nrows=nrows)
    for ax in axes[len(shown):]:
        fig.delaxes(ax)
    # A preset without a tolerance trains every run a fixed number of steps (infinite-ensemble's
    # equal-time members): none "converges", and stopping at the step count is the protocol.
    tol = cfg.get("tol")
    has_tol = isinstance(tol, (int, float)) and not isinstance(tol, bool)
    unfinished = "not converged" if has_tol else "trained the preset's steps"
    for ax, panel in zip(axes, shown):
        at = [r for r in runs if tuple(r.get(k) for k in panel_keys) == panel]
        for i, value in enumerate(colours):
            colour = plots.viridis(i / max(1, len(colours) - 1) * 0.9)
            group = [r for r in at if colour_key is None or r.get(colour_key) == value]
            name = _label(colour_key, value) if colour_key else "runs"
            done = [r for r in group if r.get("status") == "converged"]
            other = [r for r in group if r.get("status") != "converged"]
            for runs_of, ls, label in ((done, "-", f"{name} ({len(done)} runs)"),
                                       (other, "--", f"{name}: {unfinished} ({len(other)})")):
                for j, r in enumerate(runs_of):
                    ax.plot([t + 1 for t in r["curve"]["step"]], r["curve"]["train_loss"], color=colour, lw=0.8,
                            ls=ls, alpha=0.8, label=label if j == 0 else None)
        if has_tol:
            ax.axhline(tol, color="0.5", ls=":", lw=0.8, label="tolerance")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step + 1")
        ax.set_ylabel("training loss")
        ax.set_title(textwrap.fill(", ".join(_label(k, v) for k, v in zip(panel_keys, panel)), TITLE_CHARS)
                     or "every run")
        legend(ax, fontsize="x-small")
    if len(panels) > len(shown):
        fig.suptitle(f"the first {len(shown)} of {len(panels)} panels", fontsize="small")
    return save_figure(fig, out, "loss_curves")
