"""Sect. 3's algorithm: shrink σ with the same θ₀ while the validation loss improves.

000 starts it at a standard σ′ ≃ O(1) — here √2, He's scale — and that row is the claim;
the same from a large σ′ = 16, where Thm 2's init term dominates, is an extra check."""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..dynamics import train
from ..model import MLP
from ._base import Experiment, Interrupted, half_mse, save_figure
from ._verdict import Claim, direction, premise_not_met, spread


SQRT2 = 1.4142135623730951   # He et al.'s scale: 000's "standard scaling σ′ ≃ O(1)"
STANDARD_MAX = 2.0            # a σ′ up to this is "O(1)", the paper's start; a larger one is an extra check


class SigmaSelection(Experiment):
    name = "sigma-selection"
    title = "Choosing the initialization scale on a validation set (Sect. 3)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Sect. 3)"
    presets = {
        "quick": dict(data="digits", n_train=50, n_val=100, n_test=100, data_seed=0, depth=2, width=1000,
                      sigma_starts=[SQRT2, 16.0], shrink=0.5, margin=0.01, max_rounds=6, seeds=[0, 1, 2, 3, 4],
                      tol=1e-4, max_steps=20000),
        # Seeds 70–74: new for the rerun that starts at 000's σ′ ≃ O(1) (2026-12-04 used 10–14,
        # σ′ = 16 only). Seeds 80–84 and 6 rounds: a review of 70–74 found every σ′ = 16 run
        # stopped by the 3-round cap while its validation loss still fell tenfold a round, so
        # the row judged σ = 4 against 16, not the algorithm; the row now needs the algorithm
        # to stop by its own rule.
        "standard": dict(data="mnist", n_train=100, n_val=50, n_test=50, data_seed=0, depth=2, width=2000,
                         sigma_starts=[SQRT2, 16.0], shrink=0.5, margin=0.01, max_rounds=6, seeds=[80, 81, 82, 83, 84],
                         tol=1e-5, max_steps=20000),
        "paper": dict(data="mnist", n_train=100, n_val=100, n_test=100, data_seed=0, depth=2, width=4000,
                      sigma_starts=[SQRT2, 16.0], shrink=0.7, margin=0.01, max_rounds=12, seeds=list(range(5)),
                      tol=1e-5, max_steps=200000),
    }

    def jobs(self, cfg):
        return [dict(sigma_start=a, seed=s) for a in cfg["sigma_starts"] for s in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset(n_test=cfg["n_val"] + cfg["n_test"])
        Xv, Yv = ds.X_test[:cfg["n_val"]], ds.Y_test[:cfg["n_val"]]
        Xt, Yt = ds.X_test[cfg["n_val"]:], ds.Y_test[cfg["n_val"]:]
        net = MLP.uniform(ds.d, cfg["width"], cfg["depth"], sigma=job["sigma_start"])
        theta = net.init(job["seed"])
        sel = theory.select_sigma(net, theta, ds.X, ds.Y, Xv, Yv, sigma_start=job["sigma_start"],
                                  shrink=cfg["shrink"], margin=cfg["margin"], max_rounds=cfg["max_rounds"],
                                  max_steps=cfg["max_steps"], tol=cfg["tol"], callback=ctx.callback)
        if any(p["status"] == "interrupted" for p in sel.path):
            raise Interrupted()
        chosen = net.replace(sigma=sel.sigma)
        # Equal training loss: the net the algorithm returns and the one it started from both
        # converged (a later round that did not is the algorithm's signal to stop). The
        # start is trained again only to test it on the test set (selection saw the
        # validation set), and not at all when its first round did not converge.
        chosen_status = next(p["status"] for p in sel.path if p["sigma"] == sel.sigma)
        if sel.path[0]["status"] != "converged":
            return dict(sigma=sel.sigma, path=sel.path, status="not converged", test_loss_chosen=math.nan,
                        test_loss_start=math.nan)
        start = ctx.check(train(net, theta, ds.X, ds.Y, X_test=Xt, tol=cfg["tol"], max_steps=cfg["max_steps"],
                                record_every=cfg["max_steps"]))
        return dict(sigma=sel.sigma, path=sel.path,
                    status="converged" if chosen_status == start.status == "converged" else "not converged",
                    test_loss_chosen=half_mse(chosen.apply(sel.params, Xt), Yt),
                    test_loss_start=half_mse(start.history["test_pred"][-1], Yt))

    def plot(self, cfg, records, out):
        starts = cfg["sigma_starts"]
        fig, axes = plots.figure(len(starts))
        for ax, a in zip(axes, starts):
            for r in [r for r in records if r["sigma_start"] == a]:
                path = r["path"]
                ax.plot([p["sigma"] for p in path], [p["val_loss"] for p in path], marker="o", ms=3,
                        label=f"seed {r['seed']} (chose σ = {r['sigma']:.3g})")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("σ (shrinking →)")
            ax.invert_xaxis()
            ax.set_ylabel("validation loss")
            ax.set_title(f"σ′ = {a:.3g}")
            ax.legend(fontsize=7)
        paths = save_figure(fig, out, "sigma_selection")
        return paths

    def summary(self, cfg, records):
        lines = []
        for a0 in cfg["sigma_starts"]:
            rs = [r for r in records if r["sigma_start"] == a0]
            ok = [r for r in rs if r.get("status") == "converged"]
            if not ok:
                lines.append(f"- σ′ = {a0:.3g}: no seed whose start and chosen runs both converged ({len(rs)} made).")
                continue
            a = np.mean([r["test_loss_start"] for r in ok])
            b = np.mean([r["test_loss_chosen"] for r in ok])
            sig = ", ".join(f"{r['sigma']:.3g}" for r in ok)
            lines.append(f"- Starting at σ′ = {a0:.3g} ({len(ok)} of {len(rs)} seeds usable): mean test loss "
                         f"**{a:.4g}**; after the σ-selection algorithm (chosen σ: {sig}): **{b:.4g}**.")
        lines.append("- Sect. 3: the algorithm mitigates the initialization's harm — it should not make the test "
                     "loss worse, and lowers it where σ′'s init term matters.")
        return lines

    def claims(self, cfg, records):
        out = []
        for a0 in cfg["sigma_starts"]:
            rs = [r for r in records if r["sigma_start"] == a0]
            ok = [r for r in rs if r.get("status") == "converged"]
            d = [r["test_loss_start"] - r["test_loss_chosen"] for r in ok]
            chosen = ", ".join(f"{r['sigma']:.3g}" for r in ok)
            floor = spread([r["test_loss_start"] for r in ok])
            extra = ("" if a0 <= STANDARD_MAX
                     else " (an extra check, not a claim of the paper: 000 starts at σ′ ≃ O(1))")
            capped = [r for r in ok if not self._stopped_by_rule(r["path"], cfg["margin"])]
            premise = (premise_not_met(f"{len(capped)} of {len(ok)} usable seeds stopped at the {cfg['max_rounds']}-round "
                                       "cap, not by the algorithm's rule") if capped else None)
            out.append(Claim(f"σ-selection from σ′ = {a0:.3g}{extra} lowers the test loss",
                             "000 Sect. 3 (the algorithm Thm 2 motivates; it starts at a standard σ′ ≃ O(1))",
                             f"lower after selection in {sum(v > 0 for v in d)} of {len(d)} seeds whose start and "
                             f"chosen runs converged (chosen σ: {chosen or '—'}; seed spread at σ′ {floor:.3g}); "
                             f"{sum(r['path'][0]['status'] != 'converged' for r in rs)} of {len(rs)} starts did not "
                             f"reach training loss {cfg['tol']} within {cfg['max_steps']} steps",
                             premise or direction(d, len(cfg["seeds"]), "seeds", floor)))
        return out

    @staticmethod
    def _stopped_by_rule(path, margin) -> bool:
        """Whether select_sigma stopped by Sect. 3's rule — its last round did not converge
        (training too slow) or did not improve the best validation loss by the margin — rather
        than at its round cap."""
        last = path[-1]
        if last["status"] != "converged":
            return True
        if len(path) < 2:
            return False
        best = min(p["val_loss"] for p in path[:-1] if p["status"] == "converged") if any(
            p["status"] == "converged" for p in path[:-1]) else math.inf
        return not last["val_loss"] < best * (1 - margin)
