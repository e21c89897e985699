"""003: gradient confusion versus width and depth, at initialization and after training."""
from __future__ import annotations

import numpy as np

from .. import plots, theory
from ..dynamics import train
from ..model import MLP
from ._base import Experiment, save_figure

BINS = np.linspace(-1, 1, 41)


class GradientConfusion(Experiment):
    name = "gradient-confusion"
    title = "Gradient confusion versus width and depth"
    paper = "Sankararaman, De, Xu, Huang, Goldstein (003 Figs. 2–3)"
    presets = {
        "quick": dict(data="digits", n_train=100, n_test=10, data_seed=0, widths=[50, 200, 1000, 4000],
                      fixed_depth=3, depths=[2, 3, 5, 8], fixed_width=500, stages=["init", "trained"],
                      seeds=[0, 1], kappa=0.5, loss="squared", train_steps=200, batch_size=10),
        "paper": dict(data="digits", n_train=300, n_test=10, data_seed=0, widths=[50, 100, 200, 500, 1000, 2000, 4000],
                      fixed_depth=5, depths=[2, 3, 5, 8, 12, 16], fixed_width=1000, stages=["init", "trained"],
                      seeds=list(range(5)), kappa=0.5, loss="squared", train_steps=1000, batch_size=10),
    }

    def jobs(self, cfg):
        jobs = [dict(sweep="width", width=m, depth=cfg["fixed_depth"], stage=st, seed=s)
                for m in cfg["widths"] for st in cfg["stages"] for s in cfg["seeds"]]
        jobs += [dict(sweep="depth", width=cfg["fixed_width"], depth=L, stage=st, seed=s)
                 for L in cfg["depths"] for st in cfg["stages"] for s in cfg["seeds"]]
        return jobs

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        # 003's setting: standard parametrization, Strategy 4.1 initialization (κ = 1/2: He).
        net = MLP.uniform(ds.d, job["width"], job["depth"], parametrization="standard", bias="zero")
        params = theory.strategy41_params(net, cfg["kappa"], job["seed"])
        steps = 0
        if job["stage"] == "trained":
            res = ctx.check(train(net, params, ds.X, ds.Y, optimizer="sgd", batch_size=cfg["batch_size"],
                                  shuffle=True, seed=job["seed"], max_steps=cfg["train_steps"], tol=1e-12,
                                  record_every=cfg["train_steps"], callback=ctx.callback))
            params, steps = res.params, res.steps
        gc = theory.gradient_confusion(net, params, ds.X, ds.Y, loss=cfg["loss"], batch_size=cfg["batch_size"],
                                       seed=job["seed"])
        hist, _ = np.histogram(gc.offdiagonal_cosines(), bins=BINS, density=True)
        return dict(min_cosine=gc.min_cosine, mean_cosine=gc.mean_cosine, batch_min_cosine=gc.batch_min_cosine,
                    batch_mean_cosine=gc.batch_mean_cosine, hist=hist, steps=steps,
                    abs_mean_cosine=float(np.mean(np.abs(gc.offdiagonal_cosines()))))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(4, width=3.4)
        centers = 0.5 * (BINS[1:] + BINS[:-1])
        for sweep, key, ax_line, ax_hist in (("width", "width", axes[0], axes[1]), ("depth", "depth", axes[2], axes[3])):
            for stage, ls in (("init", "-"), ("trained", "--")):
                rs = [r for r in records if r["sweep"] == sweep and r["stage"] == stage]
                xs = sorted({r[key] for r in rs})
                if not xs:
                    continue
                ax_line.plot(xs, [np.mean([r["min_cosine"] for r in rs if r[key] == x]) for x in xs], marker="o",
                             ms=3, ls=ls, color="C3", label=f"min cosine ({stage})")
                ax_line.plot(xs, [np.mean([r["abs_mean_cosine"] for r in rs if r[key] == x]) for x in xs],
                             marker="s", ms=3, ls=ls, color="C0", label=f"mean |cosine| ({stage})")
                if stage == "init":
                    for i, x in enumerate(xs):
                        h = np.mean([r["hist"] for r in rs if r[key] == x], axis=0)
                        ax_hist.plot(centers, h, color=plots.plt.cm.viridis(i / max(1, len(xs) - 1)), label=f"{key} {x}")
            ax_line.set_xscale("log" if sweep == "width" else "linear")
            ax_line.set_xlabel(key)
            ax_line.set_ylabel("pairwise gradient cosine")
            ax_line.legend()
            ax_hist.set_xlabel("cosine similarity (at init)")
            ax_hist.set_ylabel("density")
            ax_hist.legend()
        paths = save_figure(fig, out, "gradient_confusion")
        return paths

    def summary(self, cfg, records):
        lines = []
        for sweep, key in (("width", "width"), ("depth", "depth")):
            rs = [r for r in records if r["sweep"] == sweep and r["stage"] == "init"]
            xs = sorted({r[key] for r in rs})
            if len(xs) < 2:
                continue
            mins = [np.mean([r["min_cosine"] for r in rs if r[key] == x]) for x in xs]
            spread = [np.mean([r["abs_mean_cosine"] for r in rs if r[key] == x]) for x in xs]
            lines.append(f"- {key} {xs[0]} → {xs[-1]} (at init): min cosine {mins[0]:.3f} → {mins[-1]:.3f}, "
                         f"mean |cosine| {spread[0]:.3f} → {spread[-1]:.3f}.")
        lines.append("- 003's claims: wider networks have less gradient confusion (cosines concentrate near "
                     "0, min cosine rises); deeper ones more (min cosine falls).")
        return lines
