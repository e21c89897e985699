"""Sect. 3's algorithm: shrink σ with the same θ₀ while the validation loss improves.

000 starts it at a standard σ′ ≃ O(1) — here √2, He's scale — and that row is the claim:
the algorithm mitigates the initialization's harm "as much as possible" and finishes at
once when a smaller σ does not help (step (c)); fastntk reads this as "from σ′ ≃ O(1) it
does not make the test loss worse", judged on the seeds where it chose a smaller σ (a
seed that returns σ′ cannot be worse). The same from a large σ′ = 16, where Thm 2's init
term dominates, is an extra check that it lowers it. Both rest on Thm 2's decomposition,
a kernel-regime result: their premise is a lazy start. Every round trains under the GD
rules of every other GD run here (``_training.fit``: the papers' rate, halved only where
the run diverges), and records its starting and final rate, its largest climb, its loss
curve and λ_max(K_T)/λ_max(K₀)."""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..kernels import ntk
from ..model import MLP
from ._base import Experiment, Interrupted, half_mse, save_figure
from ._rate import KERNEL_MOVE
from ._training import fit
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
        # Seeds 150–154: new after a review of 100–104 found the √2 starts capped with neither laziness nor starting
        # rate recorded, the √2 row unable to fail on seeds returning σ′, and σ′ = 16's choice made by the cap.
        # Seeds 100–104 and 60,000 steps: new after a review of 80–84 found every σ′ = √2 start capped at
        # 20,000 steps at a rate select_sigma did not halve (every round now trains by _training.fit),
        # the √2 row claiming more than Sect. 3 says, and the σ′ = 16 row's choice made by that cap.
        # Seeds 70–74: new for the rerun that starts at 000's σ′ ≃ O(1) (2026-12-04 used 10–14,
        # σ′ = 16 only). Seeds 80–84 and 6 rounds: a review of 70–74 found every σ′ = 16 run
        # stopped by the 3-round cap while its validation loss still fell tenfold a round, so
        # the row judged σ = 4 against 16, not the algorithm; the row now needs the algorithm
        # to stop by its own rule.
        # 2026-12-06: seeds 300–304, new for the rerun under next19's training procedure (the core judges a
        # full-batch run's monotone loss at every step, was every 20; records keep loss curves).
        # Seeds 310–314 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–324 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried.
        "standard": dict(data="mnist", n_train=100, n_val=50, n_test=50, data_seed=0, depth=2, width=2000,
                         sigma_starts=[SQRT2, 16.0], shrink=0.5, margin=0.01, max_rounds=6,
                         seeds=[320, 321, 322, 323, 324], tol=1e-5, max_steps=60000),
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
        rounds = []   # select_sigma's path keeps the final rate only: what fit and the kernel add, one per round

        def trainer(n, th, X, Y, X_val, max_steps):
            res, info = fit(n, th, X, Y, X_test=X_val, tol=cfg["tol"], max_steps=max_steps, callback=ctx.callback)
            rounds.append(dict(lr_first=float(info["lr_first"]), retries=int(info["retries"]),
                               max_climb=info["max_climb"], curve=info["curve"],
                               kernel_ratio=_kernel_ratio(n, th, res, X)))
            return res

        sel = theory.select_sigma(net, theta, ds.X, ds.Y, Xv, Yv, sigma_start=job["sigma_start"],
                                  shrink=cfg["shrink"], margin=cfg["margin"], max_rounds=cfg["max_rounds"],
                                  max_steps=cfg["max_steps"], trainer=trainer)
        for p, extra in zip(sel.path, rounds):
            p.update(extra)
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
        start, _ = fit(net, theta, ds.X, ds.Y, X_test=Xt, tol=cfg["tol"], max_steps=cfg["max_steps"],
                       callback=ctx.callback)
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
                lines.append(f"- σ′ = {a0:.3g}: no seed whose start and chosen runs both converged ({len(rs)} made): "
                             f"nothing to compare; {self._start_note(rs, cfg)}.")
                continue
            a = np.mean([r["test_loss_start"] for r in ok])
            b = np.mean([r["test_loss_chosen"] for r in ok])
            sig = ", ".join(f"{r['sigma']:.3g}" for r in ok)
            lines.append(f"- Starting at σ′ = {a0:.3g} ({len(ok)} of {len(rs)} seeds usable, "
                         f"{sum(r['sigma'] < a0 for r in ok)} of them chose a smaller σ): mean test loss "
                         f"**{a:.4g}**; after the σ-selection algorithm (chosen σ: {sig}): **{b:.4g}**; "
                         f"{self._start_note(rs, cfg)}.")
        lines.append("- Sect. 3: the algorithm mitigates the initialization's harm \"as much as possible\" — fastntk reads "
                     "this as: from σ′ ≃ O(1) it does not make the test loss worse, judged on the seeds where it chose a "
                     "smaller σ (the row's claim); from a large σ′ it lowers it (the extra check). Both need a lazy start "
                     f"(median |λ_max(K_T)/λ_max(K₀) − 1| ≤ {KERNEL_MOVE}): Thm 2's decomposition is a kernel-regime result.")
        lines.append(f"- Deviations from 000 App. D: {cfg['n_val']} validation and {cfg['n_test']} test points (the "
                     f"subset has 100 test images), width {cfg['width']}, {len(cfg['seeds'])} seeds, "
                     f"{cfg['max_steps']} steps a round, σ shrunk ×{cfg['shrink']}.")
        return lines

    def claims(self, cfg, records):
        out = []
        for a0 in cfg["sigma_starts"]:
            rs = [r for r in records if r["sigma_start"] == a0]
            ok = [r for r in rs if r.get("status") == "converged"]
            chosen = ", ".join(f"{r['sigma']:.3g}" for r in ok)
            floor = spread([r["test_loss_start"] for r in ok])
            standard = a0 <= STANDARD_MAX
            capped = [r for r in ok if not self._stopped_by_rule(r["path"], cfg["margin"])]
            premise = self._lazy_start(rs, a0) or (
                premise_not_met(f"{len(capped)} of {len(ok)} usable seeds stopped at the {cfg['max_rounds']}-round "
                                "cap, not by the algorithm's rule") if capped else None)
            stops = self._stops(ok, cfg) + self._cap_note(ok, cfg)
            start = self._start_note(rs, cfg)
            if standard:
                # Not worse: per seed, the start's test loss plus the seed spread above the chosen one's. A seed
                # that returns σ′ is the start itself and cannot be worse: it is named, not judged.
                judged = [r for r in ok if r["sigma"] < a0]
                kept = [r["seed"] for r in ok if not r["sigma"] < a0]
                d = [r["test_loss_start"] + floor - r["test_loss_chosen"] for r in judged]
                returned = (f"{len(kept)} returned σ′ itself, not judged (seed{'s' if len(kept) > 1 else ''} "
                            f"{', '.join(map(str, kept))})" if kept else
                            "none returned σ′ itself" if ok else "no seed's start and chosen runs both converged")
                out.append(Claim(f"σ-selection from σ′ = {a0:.3g} does not make the test loss worse (fastntk's reading "
                                 "of Sect. 3's \"as much as possible\")",
                                 "000 Sect. 3 (mitigate the initialization's influence \"as much as possible\"; step (c) "
                                 "finishes when a smaller σ does not help; from a standard σ′ ≃ O(1))",
                                 f"not above the start's by more than the seed spread ({floor:.3g} over {len(ok)} seeds) in "
                                 f"{sum(v > 0 for v in d)} of {len(d)} seeds whose start and chosen runs converged and "
                                 f"whose chosen σ < σ′; {returned} (chosen σ: {chosen or 'n/a'}; {stops}); {start}",
                                 premise or direction(d, len(cfg["seeds"]), "seeds")))
            else:
                d = [r["test_loss_start"] - r["test_loss_chosen"] for r in ok]
                out.append(Claim(f"σ-selection from σ′ = {a0:.3g} (an extra check, not a claim of the paper: 000 "
                                 "starts at σ′ ≃ O(1)) lowers the test loss",
                                 "000 Sect. 3 (the algorithm Thm 2 motivates)",
                                 f"lower after selection in {sum(v > 0 for v in d)} of {len(d)} seeds whose start and "
                                 f"chosen runs converged (chosen σ: {chosen or 'n/a'}; {stops}; seed spread at σ′ "
                                 f"{floor:.3g} over {len(ok)} seeds); {start}",
                                 premise or direction(d, len(cfg["seeds"]), "seeds", floor)))
        return out

    @staticmethod
    def _lazy_start(runs, a0) -> str | None:
        """The premise of both rows: the σ′ rounds trained in the kernel regime, where Thm 2's
        decomposition (the algorithm's motivation) holds — the package's reading of "the kernel
        stayed put" (``_rate.KERNEL_MOVE``) — or the premise-not-met verdict naming the value."""
        v = [abs(r["path"][0]["kernel_ratio"] - 1.0) for r in runs
             if math.isfinite(r["path"][0].get("kernel_ratio", math.nan))]
        if not v:
            return premise_not_met(f"laziness of the σ′ = {a0:.3g} start not recorded: no λ_max(K_T)/λ_max(K₀) in these "
                                   "records")
        med = float(np.median(v))
        if med > KERNEL_MOVE:
            return premise_not_met(f"the σ′ = {a0:.3g} start is not lazy: median |λ_max(K_T)/λ_max(K₀) − 1| "
                                   f"{med:.3g} > {KERNEL_MOVE} over {len(v)} seeds")
        return None

    @staticmethod
    def _start_note(runs, cfg) -> str:
        """The σ′ rounds: how many missed the tolerance and where they stopped, their rates
        (starting → final), and their kernel ratios."""
        firsts = [r["path"][0] for r in runs]
        tol = cfg["tol"]
        miss = [p["train_loss"] for p in firsts if p["status"] != "converged" and math.isfinite(p["train_loss"])]
        out = (f"{sum(p['status'] != 'converged' for p in firsts)} of {len(firsts)} σ′ rounds did not reach training "
               f"loss {tol} within {cfg['max_steps']} steps")
        if miss:
            out += f" (stopped at {min(miss):.2g}–{max(miss):.2g}, {min(miss) / tol:.3g}–{max(miss) / tol:.3g}× it)"
        rated = [p for p in firsts if "lr_first" in p]
        if rated:
            out += (f"; rate halved in {sum(p['retries'] > 0 for p in rated)} of {len(rated)} (starting "
                    f"{min(p['lr_first'] for p in rated):.3g}–{max(p['lr_first'] for p in rated):.3g}, final "
                    f"{min(p['lr'] for p in rated):.3g}–{max(p['lr'] for p in rated):.3g})")
        else:
            out += "; starting rates not recorded"
        k = [p["kernel_ratio"] for p in firsts if math.isfinite(p.get("kernel_ratio", math.nan))]
        out += (f"; λ_max(K_T)/λ_max(K₀) {min(k):.3g}–{max(k):.3g}" if k else "; λ_max(K_T)/λ_max(K₀) not recorded")
        return out

    @staticmethod
    def _cap_note(runs, cfg) -> str:
        """The seeds whose choice the step cap made: the last round stopped at ``max_steps``
        with a validation loss below the chosen σ's by the margin — had it converged, the
        algorithm would have chosen it and gone on."""
        hit = []
        for r in runs:
            last, done = r["path"][-1], [p for p in r["path"][:-1] if p["status"] == "converged"]
            if last["status"] == "max_steps" and done:
                best = min(p["val_loss"] for p in done)
                if last["val_loss"] < best * (1 - cfg["margin"]):
                    hit.append((last, last["val_loss"] / best))
        if not hit:
            return ""
        sig = ", ".join(sorted({f"{p['sigma']:.3g}" for p, _ in hit}, key=float))
        tl = [p["train_loss"] for p, _ in hit]
        q = [x for _, x in hit]
        return (f"; in {len(hit)} of {len(runs)} the choice was made by the {cfg['max_steps']}-step cap (Sect. 3's "
                f"\"impractically slow\"), not by the validation loss: the σ = {sig} round stopped at the cap at training "
                f"loss {min(tl):.2g}–{max(tl):.2g} ({min(tl) / cfg['tol']:.3g}–{max(tl) / cfg['tol']:.3g}× the "
                f"tolerance) with validation loss {min(q):.2g}–{max(q):.2g}× the chosen σ's")

    @staticmethod
    def _stops(runs, cfg) -> str:
        """Why each run's algorithm stopped: its last round did not improve by the margin, or
        did not converge within the step cap (Sect. 3's "impractically slow")."""
        if not runs:
            return "no usable seed to say why its algorithm stopped"
        slow = sum(r["path"][-1]["status"] != "converged" for r in runs)
        return (f"of the {len(runs)} usable seeds stopped by no improvement in {len(runs) - slow}, by a round not "
                f"converging within {cfg['max_steps']} steps in {slow}")

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


def _kernel_ratio(net, theta0, res, X) -> float:
    """λ_max(K_T)/λ_max(K₀) of one round (as ``_training.laziness``); NaN for a round whose
    parameters are not finite."""
    if not np.all(np.isfinite(res.theta)):
        return math.nan
    lam0 = np.linalg.eigvalsh(ntk(net, theta0, X).astype(np.float64))[-1]
    lamT = np.linalg.eigvalsh(ntk(net, res.params, X).astype(np.float64))[-1]
    return float(lamT / lam0)
