"""004 Fig. 4: an ensemble of finite networks trained by GD against the infinite-width
prediction (the NTK-GD ensemble's mean and ±2σ band) on the paper's 1-D sine data:
x ~ U(−π, π), y = sin x + ε on 5 training points, 50 test points on a grid.

The comparison is at equal training time, as neural-tangents' (the paper's tool)
makes it: every member takes ``steps`` GD steps of one learning rate η (a share of
the stability limit 2N/λ_max(Θ∞)), and the prediction is the infinite-width ensemble
after the same t steps of the same η.
"""
from __future__ import annotations

import numpy as np

from .. import infinite, plots
from ..datasets import Dataset
from ..model import MLP
from ._base import Experiment, save_figure
from ..dynamics import train
from ._verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, too_few

BAND = 0.95       # share of test points where the ensemble mean must lie in the ±2σ band
STD_RATIO = 0.25  # the ensemble's spread against the predicted one: median ratio within 1 ± this


def sine_data(n_train: int, n_test: int, noise: float, seed: int) -> Dataset:
    """The paper's data (its N(0, 1) noise is ``noise`` = 1; neural-tangents' cookbook uses 0.5)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, n_train)
    y = np.sin(x) + noise * rng.standard_normal(n_train)
    xt = np.linspace(-np.pi, np.pi, n_test)
    return Dataset(x[:, None], y, xt[:, None], np.sin(xt), "1-D sine")


class InfiniteEnsemble(Experiment):
    name = "infinite-ensemble"
    title = "An ensemble of trained finite nets against the infinite-width prediction"
    paper = "Kondracki, Roy, Dwarakanath (004 Fig. 4)"
    presets = {
        "quick": dict(n_train=5, n_test=50, noise=0.5, data_seed=0, depth=3, width=256, sigma=1.5,
                      bias="normal", members=list(range(20)), steps=2000, lr_share=0.5),
        "standard": dict(n_train=5, n_test=50, noise=0.5, data_seed=0, depth=3, width=1024, sigma=1.5,
                         bias="normal", members=list(range(50)), steps=10000, lr_share=0.5),
        "paper": dict(n_train=5, n_test=50, noise=1.0, data_seed=0, depth=3, width=512, sigma=1.5,
                      bias="normal", members=list(range(100)), steps=10000, lr_share=0.5),
    }

    def _data(self, cfg):
        return sine_data(cfg["n_train"], cfg["n_test"], cfg["noise"], cfg["data_seed"])

    def _net(self, cfg):
        return MLP.uniform(1, cfg["width"], cfg["depth"], sigma=cfg["sigma"], bias=cfg["bias"])

    def _lr(self, cfg, ds, net):
        lam = np.linalg.eigvalsh(infinite.kernels(net, ds.X, get="ntk").ntk)[-1]
        return cfg["lr_share"] * 2.0 * ds.X.shape[0] / lam

    def jobs(self, cfg):
        return [dict(member=s) for s in cfg["members"]]

    def run_job(self, cfg, job, ctx):
        ds, net = self._data(cfg), self._net(cfg)
        res = ctx.check(train(net, net.init(job["member"]), ds.X, ds.Y, X_test=ds.X_test, lr=self._lr(cfg, ds, net),
                              max_steps=cfg["steps"], tol=1e-300, record_every=cfg["steps"],
                              callback=ctx.callback))
        return dict(status=res.status, steps=res.steps, train_loss=float(res.history["train_loss"][-1]),
                    pred=[float(v) for v in res.history["test_pred"][-1]])

    def _compare(self, cfg, records):
        ds, net = self._data(cfg), self._net(cfg)
        inf = infinite.gd_mse_ensemble(net, ds.X, ds.Y, ds.X_test, steps=cfg["steps"], lr=self._lr(cfg, ds, net))
        # Equal training time: every member that ran its steps (none diverged).
        runs = [r for r in records if r.get("status") == "max_steps" and np.all(np.isfinite(r["pred"]))]
        P = np.array([r["pred"] for r in runs]) if runs else np.zeros((0, cfg["n_test"]))
        return ds, inf, P

    def plot(self, cfg, records, out):
        ds, inf, P = self._compare(cfg, records)
        x = ds.X_test[:, 0]
        std = np.sqrt(np.maximum(np.diag(inf.cov), 0))
        fig, axes = plots.figure(1, width=5.5)
        ax = axes[0]
        ax.fill_between(x, inf.mean - 2 * std, inf.mean + 2 * std, color="C1", alpha=0.25,
                        label="infinite width ±2σ")
        ax.plot(x, inf.mean, "C1", label=f"infinite width (NTK, {cfg['steps']} GD steps)")
        if len(P):
            ax.plot(x, P.mean(0), "C0--", label=f"ensemble of {len(P)} (m = {cfg['width']})")
            ax.plot(x, P.mean(0) - 2 * P.std(0), "C0:", lw=0.8)
            ax.plot(x, P.mean(0) + 2 * P.std(0), "C0:", lw=0.8)
        ax.plot(x, ds.Y_test, "k", lw=0.6, label="sin x")
        ax.plot(ds.X[:, 0], ds.Y, "ko", ms=4, label="training points")
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.legend(fontsize=7)
        return save_figure(fig, out, "infinite_ensemble")

    def _stats(self, cfg, records):
        ds, inf, P = self._compare(cfg, records)
        std = np.sqrt(np.maximum(np.diag(inf.cov), 0))
        if len(P) < 2:
            return None
        inside = float(np.mean(np.abs(P.mean(0) - inf.mean) <= 2 * std))
        ratio = float(np.median(P.std(0, ddof=1) / np.maximum(std, 1e-12)))
        return dict(inside=inside, ratio=ratio, n=len(P),
                    rms=float(np.sqrt(np.mean((P.mean(0) - inf.mean) ** 2))))

    def summary(self, cfg, records):
        s = self._stats(cfg, records)
        if s is None:
            return ["- Too few members to compare."]
        return [f"- {s['n']} members after {cfg['steps']} GD steps, of width {cfg['width']}, L = {cfg['depth']}: the ensemble mean lies "
                f"in the infinite-width ±2σ band at {s['inside']:.0%} of the {cfg['n_test']} test points (RMS "
                f"distance of the means {s['rms']:.3g}); the ensemble's spread is {s['ratio']:.2f}× the predicted "
                "standard deviation (median over the test points).",
                "- Expected (004 Fig. 4): the trained ensemble and the infinite-width prediction agree."]

    def claims(self, cfg, records):
        made = len(cfg["members"])
        s = self._stats(cfg, records)
        n = 0 if s is None else s["n"]
        reason = too_few(n, made, "members")
        if reason:
            reason = reason.replace("reached the training-loss tolerance", "ran their steps")
        mean_verdict = reason or (REPRODUCED if s["inside"] >= BAND else NOT_REPRODUCED)
        spread_verdict = reason or (REPRODUCED if abs(s["ratio"] - 1) <= STD_RATIO else
                                    NOT_REPRODUCED if s["ratio"] > 0 else f"{INCONCLUSIVE}: no spread")
        return [
            Claim("the trained ensemble's mean follows the infinite-width prediction", "004 Fig. 4 (curves agree)",
                  "not measured" if s is None else f"inside the ±2σ band at {s['inside']:.0%} of test points "
                  f"({n} members)", mean_verdict),
            Claim("the ensemble's spread matches the infinite-width ±2σ band", "004 Fig. 4 (bands agree)",
                  "not measured" if s is None else f"spread {s['ratio']:.2f}× the predicted σ (median)",
                  spread_verdict),
        ]
