"""000 Fig. 4: mini-batch split ratio, with and without shuffling — SGD keeps the GD
minimizer (Thm 4a), adaptive mini-batch training does not (Thm 4b)."""
from __future__ import annotations

import numpy as np

from .. import plots
from ..dynamics import find_lr, train
from ..model import MLP
from ._base import Experiment, half_mse, save_figure


class Stochastic(Experiment):
    name = "stochastic"
    title = "Mini-batch SGD vs GD, plain and adaptive (Thm 4)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Fig. 4)"
    presets = {
        "quick": dict(data="digits", n_train=50, n_test=100, data_seed=0, depth=2, widths=[1000],
                      ratios=[0.1, 0.2, 0.5, 1.0], optimizers=["sgd", "adagrad"], shuffles=[False, True],
                      seeds=[0], sigma=1.0, tol=1e-4, max_steps=40000),
        "paper": dict(data="digits", n_train=100, n_test=100, data_seed=0, depth=2, widths=[1000, 4000],
                      ratios=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], optimizers=["sgd", "adagrad"],
                      shuffles=[False, True], seeds=list(range(3)), sigma=1.0, tol=1e-5, max_steps=400000),
    }

    def jobs(self, cfg):
        return [dict(width=m, optimizer=o, shuffle=sh, ratio=r, seed=s) for m in cfg["widths"]
                for o in cfg["optimizers"] for sh in cfg["shuffles"] for r in cfg["ratios"]
                for s in cfg["seeds"] if not (r == 1.0 and sh)]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], cfg["depth"], sigma=cfg["sigma"])
        theta = net.init(job["seed"])
        opt = job["optimizer"]
        full = job["ratio"] == 1.0
        if opt == "sgd":
            opt = "gd" if full else "sgd"
            lr = None
        else:
            lr = find_lr(net, theta, ds.X, ds.Y, optimizer=opt)
        kw = {} if full else dict(split_ratio=job["ratio"], shuffle=job["shuffle"], seed=job["seed"])
        res = ctx.check(train(net, theta, ds.X, ds.Y, optimizer=opt, lr=lr, X_test=ds.X_test, tol=cfg["tol"],
                              max_steps=cfg["max_steps"], record_every=cfg["max_steps"],
                              callback=ctx.callback, **kw))
        pred = res.history["test_pred"][-1]
        return dict(status=res.status, steps=res.steps, lr=res.lr, train_loss=float(res.history["train_loss"][-1]),
                    test_loss=half_mse(pred, ds.Y_test), test_pred=np.asarray(pred, float))

    def _distances(self, records):
        """RMS distance of each run's test predictions from the full-batch run's (same m, optimizer, seed)."""
        full = {(r["width"], r["optimizer"], r["seed"]): np.array(r["test_pred"]) for r in records if r["ratio"] == 1.0}
        out = []
        for r in records:
            ref = full.get((r["width"], r["optimizer"], r["seed"]))
            if ref is not None:
                out.append({**r, "distance": float(np.sqrt(np.mean((np.array(r["test_pred"]) - ref) ** 2)))})
        return out

    def plot(self, cfg, records, out):
        rs = self._distances(records)
        fig, axes = plots.figure(2)
        for opt in cfg["optimizers"]:
            for sh in cfg["shuffles"]:
                pts = sorted((r["ratio"], r["distance"], r["test_loss"]) for r in rs
                             if r["optimizer"] == opt and (r["shuffle"] == sh or r["ratio"] == 1.0))
                if not pts:
                    continue
                ratios = sorted({p[0] for p in pts})
                d = [np.mean([p[1] for p in pts if p[0] == q]) for q in ratios]
                t = [np.mean([p[2] for p in pts if p[0] == q]) for q in ratios]
                label = f"{opt}{' shuffled' if sh else ''}"
                ls = "--" if sh else "-"
                axes[0].plot(ratios, d, marker="o", ms=3, ls=ls, color=plots.COLORS.get(opt), label=label)
                axes[1].plot(ratios, t, marker="o", ms=3, ls=ls, color=plots.COLORS.get(opt), label=label)
        axes[0].set_ylabel("RMS distance to full-batch predictions")
        axes[1].set_ylabel("test loss")
        for ax in axes:
            ax.set_xlabel("mini-batch split ratio")
            ax.legend()
        paths = save_figure(fig, out, "stochastic")
        return paths

    def summary(self, cfg, records):
        rs = [r for r in self._distances(records) if r["ratio"] < 1.0]
        lines = [f"- Runs that reached training loss < {cfg['tol']}: "
                 f"{sum(r['status'] == 'converged' for r in records)} of {len(records)} (distances between "
                 "runs stopped at different losses mix optimization error into the comparison)."]
        for opt in cfg["optimizers"]:
            d = [r["distance"] for r in rs if r["optimizer"] == opt]
            if d:
                lines.append(f"- {opt}: mean RMS distance of mini-batch test predictions from full batch "
                             f"**{np.mean(d):.3g}** (max {np.max(d):.3g}) over {len(d)} runs.")
        if len(lines) == 2:
            lines.append("- Thm 4: with plain SGD the distance should be small (weak dependence, limited only by "
                         "finite width and the stopping tolerance); with AdaGrad larger.")
        return lines
