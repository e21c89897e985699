"""The empirical NTK converges to the infinite-width one: ‖K_m − K∞‖_F/‖K∞‖_F against
the width m for L = 2, 3, 4 (Jacot et al.; the O(1/√m) rate of Arora et al. 2019)."""
from __future__ import annotations

import math

import numpy as np

from .. import infinite, plots
from ..kernels import ntk
from ..model import MLP
from ._base import Experiment, group, log_axes, loglog_slope, plot_grouped, save_figure
from ._verdict import Claim, jackknife_error, within

RATE = -0.5
RATE_TOL = 0.15


class KernelConvergence(Experiment):
    name = "kernel-convergence"
    title = "The empirical NTK against the infinite-width NTK, by width and depth"
    paper = "Jacot et al. 2018 (the infinite-width limit behind 000 Thms 1–4 and 004 Fig. 4)"
    presets = {
        "quick": dict(data="digits", n_train=50, n_test=1, data_seed=0, depths=[2, 3, 4],
                      widths=[64, 256, 1024, 4096], seeds=[0, 1, 2], bias="zero", sigma=1.0),
        # Seeds 10–17: new for the rerun under the registered rules (the 2026-12-02 run used 0–4).
        # 2026-12-05: seeds 70–77, new for the rerun under the revised rules (a direction claim fails only on
        # evidence against it, a value claim carries its standard error); earlier seeds are named above.
        "standard": dict(data="mnist", n_train=100, n_test=1, data_seed=0, depths=[2, 3, 4],
                         widths=[64, 256, 1024, 4096], seeds=list(range(70, 78)), bias="zero", sigma=1.0),
        "paper": dict(data="mnist", n_train=100, n_test=1, data_seed=0, depths=[2, 3, 4],
                      widths=[64, 128, 256, 512, 1024, 2048, 4096, 8192], seeds=list(range(10)),
                      bias="zero", sigma=1.0),
    }

    def jobs(self, cfg):
        return [dict(depth=L, width=m, seed=s) for L in cfg["depths"] for m in cfg["widths"] for s in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], job["depth"], sigma=cfg["sigma"], bias=cfg["bias"])
        K_inf = infinite.kernels(net, ds.X, get="ntk").ntk
        K = ntk(net, net.init(job["seed"]), ds.X).astype(np.float64)
        return dict(status="converged", train_loss=0.0,
                    rel_error=float(np.linalg.norm(K - K_inf) / np.linalg.norm(K_inf)))

    def _slope(self, records, L):
        g = group([r for r in records if r["depth"] == L], ["width"], "rel_error")
        ks = sorted(g)
        return loglog_slope([k[0] for k in ks], [g[k][0] for k in ks]), sum(g[k][2] for k in ks)

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(1)
        ax = axes[0]
        for i, L in enumerate(cfg["depths"]):
            plot_grouped(ax, [r for r in records if r["depth"] == L], "width", "rel_error", f"L = {L}", f"C{i}")
        w = np.array(cfg["widths"], float)
        ax.plot(w, 0.5 * (w / w[0]) ** RATE, "k:", label="∝ m^(−1/2)")
        log_axes(ax, "width m", "‖K_m − K∞‖_F / ‖K∞‖_F", f"σ = {cfg['sigma']}, N = {cfg['n_train']}", xbase=2)
        return save_figure(fig, out, "kernel_convergence")

    def summary(self, cfg, records):
        lines = []
        for L in cfg["depths"]:
            slope, n = self._slope(records, L)
            lines.append(f"- L = {L}: log-log slope of the relative error over m = {min(cfg['widths'])} … "
                         f"{max(cfg['widths'])}: {slope:.3f} ({n} kernels; theory −1/2).")
        lines.append("- Expected: the empirical NTK at initialization deviates from K∞ by O(1/√m), more so "
                     "for deeper nets (the constant grows with L).")
        return lines

    def claims(self, cfg, records):
        out = []
        for L in cfg["depths"]:
            slope, n = self._slope(records, L)
            made = len(cfg["widths"]) * len(cfg["seeds"])
            # The slope's standard error, jackknifed over θ₀ (each seed's kernels left out in turn).
            rs = [r for r in records if r["depth"] == L]
            err = jackknife_error(lambda keep: self._slope([r for r in rs if r["seed"] in keep], L)[0],
                                  sorted({r["seed"] for r in rs}))
            measured = (f"slope {slope:.3f} ± {err:.3f} (jackknife over θ₀) over widths {cfg['widths']} "
                        f"({n} kernels)"
                        if math.isfinite(slope) else "not measured")
            out.append(Claim(f"L = {L}: the empirical NTK converges to K∞ like m^(−1/2) (an extra check, not a claim "
                             "of the five papers)",
                             f"Jacot et al. 2018; rate −1/2 (± {RATE_TOL})", measured,
                             within(slope, RATE, RATE_TOL, n, made, "kernels", err=err)))
        return out
