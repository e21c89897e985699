"""Sect. 3's algorithm: shrink σ with the same θ₀ while the validation loss improves.

000 starts it at a standard σ′ ≃ O(1) — here √2, He's scale — and that row is the claim:
the algorithm mitigates the initialization's harm "as much as possible" and finishes at
once when a smaller σ does not help (step (c)); fastntk reads this as "from σ′ ≃ O(1) it
does not make the test loss worse", judged on the seeds where it chose a smaller σ (a
seed that returns σ′ cannot be worse). The same from a large σ′ = 16, where Thm 2's init
term dominates, is an extra check that it lowers it. Both rest on Thm 2's decomposition,
a kernel-regime result: their premise is a lazy start, read per seed on the σ′ round: its
loss did not climb more than MONOTONE_TOL above its least (a stable step, Lemma 1's small
η; the records hold no function distance, and at the papers' rate an oscillating round's
kernel is held at the stability edge, λ_max(K_T)/λ_max(K₀) ≈ 2/1.9, so the kernel ratio
alone cannot see it grow), and over those rounds median |λ_max(K_T)/λ_max(K₀) − 1| ≤
KERNEL_MOVE. A seed whose algorithm stopped because a smaller σ's round hit the step cap
while its loss oscillated (max_climb > MONOTONE_TOL), with a validation loss that would
have been chosen, is not judged in the σ′ ≃ O(1) row and is judged, named, in the large-σ′ row
(that cap held back only a LOWER validation loss, so the algorithm stopped at a larger σ than
it would have chosen: that can favour "does not make the test loss worse" but can only work
against "lowers the test loss"): Sect. 3's step (d) stops where "training becomes
impractically slow", which Sect. 3 puts down to vanishing gradients at small σ; a round
oscillating at the stability edge is outside the small-step regime the algorithm rests on,
and its cap says nothing about σ, so that seed's choice is the training procedure's, not
the algorithm's. Every round trains under the GD rules of every other GD run here
(``_training.fit``: the papers' rate, halved only where the run diverges), and records its
starting and final rate, its largest climb, its loss curve and λ_max(K_T)/λ_max(K₀).

The `paper` preset takes 000 App. D's split, 100 training, 100 validation and 100 test images of
0 and 1, from MNIST's test images for the last two: full MNIST holds 2,115 of them, the 2,500-image
subset fastntk's tests and CI use only 100, so there it stops at once with a DatasetError naming the
count; point it at full MNIST (`--data mnist:PATH`, or FASTNTK_DATA)."""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..kernels import ntk
from ..model import MLP
from ._base import Experiment, Interrupted, half_mse, save_figure
from ._rate import KERNEL_MOVE
from ._training import MONOTONE_TOL, fit
from ._verdict import MIN_PAIRS, MIN_RUNS, REPRODUCED, Claim, direction, premise_not_met, spread, too_few


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
        # Seeds 345–349 (next23): a review of the session's diff found claims() raising ValueError where
        # fewer than 3 seeds were made and every σ′ round was stable (`--seeds 0,1`); the fix reaches the rule
        # fingerprint, so a rerun on new seeds.
        # Seeds 335–339 (next22): a second pre-run review found the σ′ = 16 row able to read not reproduced on
        # seeds whose choice an oscillating cap made; the run on 330–334 had started under that rule (two records,
        # not looked at; kept outside the repository) and was stopped, so fresh seeds for the fixed rule.
        # Seeds 330–334 (next22): a review of 320–324 found the lazy-start premise passing at the papers' rate only
        # because an oscillating round's kernel is held at the stability edge (ratio 1.053 = 2/1.9), σ′ = 16's choice
        # made in 5 of 5 by σ = 2 rounds capped while oscillating (called Sect. 3's slowness), max_climb in neither
        # rows nor summary, and row 1 reading "(0 over 0 seeds) in 0 of 0 seeds"; the premise now needs the σ′
        # round's max_climb ≤ 10⁻³, such a seed's choice is not judged, and the rows report the rounds' max_climb.
        # Seeds 380–384 (next24): the σ′ ≃ O(1) row states why its sign test takes no floor (the audit of issue 25)
        # and says "no seed … converged" once (the review of 345–349); the rules otherwise unchanged.
        "standard": dict(data="mnist", n_train=100, n_val=50, n_test=50, data_seed=0, depth=2, width=2000,
                         sigma_starts=[SQRT2, 16.0], shrink=0.5, margin=0.01, max_rounds=6,
                         seeds=[380, 381, 382, 383, 384], tol=1e-5, max_steps=60000),
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
                             f"nothing to compare; {self._start_note(rs, cfg)}; {self._climb_note(rs)}.")
                continue
            a = np.mean([r["test_loss_start"] for r in ok])
            b = np.mean([r["test_loss_chosen"] for r in ok])
            sig = ", ".join(f"{r['sigma']:.3g}" for r in ok)
            lines.append(f"- Starting at σ′ = {a0:.3g} ({len(ok)} of {len(rs)} seeds usable, "
                         f"{sum(r['sigma'] < a0 for r in ok)} of them chose a smaller σ): mean test loss "
                         f"**{a:.4g}**; after the σ-selection algorithm (chosen σ: {sig}): **{b:.4g}**; "
                         f"{self._start_note(rs, cfg)}; {self._climb_note(rs)}{self._cap_note(ok, cfg)}.")
        lines.append("- Sect. 3: the algorithm mitigates the initialization's harm \"as much as possible\" — fastntk reads "
                     "this as: from σ′ ≃ O(1) it does not make the test loss worse, judged on the seeds where it chose a "
                     "smaller σ (the row's claim); from a large σ′ it lowers it (the extra check). Both need a lazy start "
                     f"(per seed a σ′ round with max_climb ≤ {MONOTONE_TOL:g}, a stable step, and over those median "
                     f"|λ_max(K_T)/λ_max(K₀) − 1| ≤ {KERNEL_MOVE}): Thm 2's decomposition is a kernel-regime result. A "
                     "seed whose choice a round capped while oscillating made is not judged in the σ′ ≃ O(1) row (that "
                     "cap is the rate at the stability edge, not Sect. 3's \"impractically slow\", and stopping nearer "
                     "σ′ can favour \"not worse\"); the large-σ′ row judges it and names it (the cap held back only a "
                     "lower validation loss, so it can only work against \"lowers\").")
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
            # Per seed, outside the algorithm's regime (next22): a σ′ round that oscillated (no lazy start to
            # speak of), or a choice made by a smaller σ's round capped while oscillating (not Sect. 3's
            # slowness): named, not judged.
            shaky = [r for r in ok if not self._stable(r["path"][0])]
            osc = [r for r in ok if self._oscillating_cap(r, cfg) and r not in shaky]
            # Per row (pre-run review of next22): the oscillating cap held back only a round with a LOWER validation
            # loss, so the algorithm stopped at a larger σ than it would have chosen. For "does not make the test loss
            # worse" (σ′ ≃ O(1)) stopping nearer σ′ can favour the claim (the held-back, smaller σ could test worse),
            # so those seeds stay out. For "lowers the test loss" (large σ′) it is expected to work against the claim,
            # so those seeds may carry a reproduced verdict; any other verdict is judged again without them (a
            # failure there could be the cap's, whose choice is the training procedure's, not the algorithm's).
            held = osc if standard else []
            pool = [r for r in ok if r not in shaky and r not in held]
            outside = (f"; not judged: {len(shaky)} whose σ′ round oscillated, {len(held)} whose choice the cap made "
                       f"on a round that oscillated ({len(pool)} of {len(ok)} left)" if shaky or held else "")
            if osc and not standard:
                outside += (f"; judged though the choice was made by a round capped while oscillating: {len(osc)} of "
                            f"{len(ok)} (that cap held back a lower validation loss, a smaller σ the algorithm would "
                            "have gone on to, so it is expected to work against this row's claim; they may carry a "
                            "reproduced verdict, any other is judged again without them)")
            premise = self._lazy_start(rs, a0) or (
                premise_not_met(f"{len(capped)} of {len(ok)} usable seeds stopped at the {cfg['max_rounds']}-round "
                                "cap, not by the algorithm's rule") if capped else None)
            stops = self._stops(ok, cfg) + self._cap_note(ok, cfg)
            start = self._start_note(rs, cfg) + "; " + self._climb_note(rs)
            if standard:
                # Not worse: per seed, the start's test loss plus the seed spread above the chosen one's. A seed
                # that returns σ′ is the start itself and cannot be worse: it is named, not judged.
                judged = [r for r in pool if r["sigma"] < a0]
                kept = [r["seed"] for r in pool if not r["sigma"] < a0]
                d = [r["test_loss_start"] + floor - r["test_loss_chosen"] for r in judged]
                # With no usable seed, ``none`` below says so once (the review of 345–349 found it said twice).
                returned = (f"; {len(kept)} returned σ′ itself, not judged (seed{'s' if len(kept) > 1 else ''} "
                            f"{', '.join(map(str, kept))})" if kept else
                            "; none returned σ′ itself" if pool else "" if not ok else "; no seed left to judge")
                none = self._none_judged(ok, shaky, held, len(kept))
                measured = (f"not above the start's by more than the seed spread ({floor:.3g} over {len(ok)} seeds) in "
                            f"{sum(v > 0 for v in d)} of {len(d)} seeds whose start and chosen runs converged and whose "
                            f"chosen σ < σ′" if d else none)
                out.append(Claim(f"σ-selection from σ′ = {a0:.3g} does not make the test loss worse (fastntk's reading "
                                 "of Sect. 3's \"as much as possible\")",
                                 "000 Sect. 3 (mitigate the initialization's influence \"as much as possible\"; step (c) "
                                 "finishes when a smaller σ does not help; from a standard σ′ ≃ O(1))",
                                 f"{measured}{returned}{outside} (chosen σ: {chosen or 'n/a'}; {stops}); {start}; "
                                 "the sign test takes no further floor: the seed spread is already each difference's "
                                 "margin (\"not worse by more than the spread\"), and a floor on top would turn the "
                                 "claim into \"better\"",
                                 premise or self._outside(held, ok, len(judged), cfg)
                                 # Exempt from direction()'s floor (the audit of issue 25): the floor is inside d.
                                 or direction(d, len(cfg["seeds"]), "seeds")))
            else:
                d = [r["test_loss_start"] - r["test_loss_chosen"] for r in pool]
                verdict = premise or direction(d, len(cfg["seeds"]), "seeds", floor)
                again = ""
                if not premise and osc and verdict != REPRODUCED:
                    rest = [r for r in pool if r not in osc]
                    d_rest = [r["test_loss_start"] - r["test_loss_chosen"] for r in rest]
                    again = (f"; with them {verdict.split(':')[0]}, so judged again without them: lower in "
                             f"{sum(v > 0 for v in d_rest)} of {len(d_rest)}")
                    verdict = (self._outside(osc, ok, len(d_rest), cfg)
                               or direction(d_rest, len(cfg["seeds"]), "seeds", floor))
                out.append(Claim(f"σ-selection from σ′ = {a0:.3g} (an extra check, not a claim of the paper: 000 "
                                 "starts at σ′ ≃ O(1)) lowers the test loss",
                                 "000 Sect. 3 (the algorithm Thm 2 motivates)",
                                 (f"lower after selection in {sum(v > 0 for v in d)} of {len(d)} seeds whose start and "
                                  "chosen runs converged" if d else self._none_judged(ok, shaky, held))
                                 + f"{outside}{again} (chosen σ: {chosen or 'n/a'}; {stops}; seed spread at "
                                 f"σ′ {floor:.3g} over {len(ok)} seeds); {start}",
                                 verdict))
        return out

    @staticmethod
    def _none_judged(ok, shaky, held, returned=0) -> str:
        """Why a row judged no seed, with the counts: none whose start and chosen runs both converged,
        or every such seed left out (σ′ round oscillated, choice made by an oscillating cap where the
        row leaves those out, or σ′ itself returned)."""
        if not ok:
            return "no seed judged (none whose start and chosen runs both converged)"
        why = [f"{n} {what}" for n, what in ((len(shaky), "whose σ′ round oscillated"),
                                             (len(held), "whose choice the cap made on a round that oscillated"),
                                             (returned, "that returned σ′ itself")) if n]
        return f"no seed judged ({len(ok)} whose start and chosen runs converged, all left out: {', '.join(why)})"

    @staticmethod
    def _stable(p) -> bool:
        """Whether a round's loss never climbed more than MONOTONE_TOL above its least so far (a
        stable step; False where max_climb is not recorded)."""
        c = p.get("max_climb")
        return isinstance(c, (int, float)) and c <= MONOTONE_TOL

    @staticmethod
    def _outside(osc, ok, n_judged, cfg) -> str | None:
        """Premise not met where the seeds whose choice a round capped while oscillating made (not
        judged) leave fewer than a sign test needs, or None."""
        if not osc or not too_few(n_judged, len(cfg["seeds"]), "seeds", MIN_PAIRS):
            return None
        c = [r["path"][-1]["max_climb"] for r in osc]
        return premise_not_met(
            f"in {len(osc)} of {len(ok)} usable seeds the choice was made by a round that stopped at the "
            f"{cfg['max_steps']}-step cap while its loss oscillated (max_climb {min(c):.3g}–{max(c):.3g} > "
            f"{MONOTONE_TOL:g}) at the papers' rate: outside Lemma 1's small step, not Sect. 3's \"impractically "
            f"slow\" (vanishing gradients at small σ), so the choice is not the algorithm's; {n_judged} seeds left to "
            f"judge, needs ≥ {MIN_PAIRS} and ≥ half")

    @staticmethod
    def _lazy_start(runs, a0) -> str | None:
        """The premise of both rows: the σ′ rounds trained in the kernel regime, where Thm 2's
        decomposition (the algorithm's motivation) holds, or the premise-not-met verdict naming the
        value. Per seed the σ′ round must be a stable step (max_climb ≤ MONOTONE_TOL: at the papers'
        rate an oscillating round's kernel is held at the stability edge, so its kernel ratio cannot
        show growth; the records hold no function distance), on at least MIN_RUNS and half of the
        seeds; over those the package's reading of "the kernel stayed put" (``_rate.KERNEL_MOVE``)."""
        firsts = [r["path"][0] for r in runs]
        if not all(math.isfinite(p.get("kernel_ratio", math.nan)) and isinstance(p.get("max_climb"), (int, float))
                   for p in firsts) or not firsts:
            return premise_not_met(f"laziness of the σ′ = {a0:.3g} start not recorded: no λ_max(K_T)/λ_max(K₀) or "
                                   "max_climb in these records")
        stable = [p for p in firsts if p["max_climb"] <= MONOTONE_TOL]
        if len(stable) == len(firsts):
            # every σ′ round stable, yet fewer seeds than a lazy start needs (a run with --seeds 0,1)
            short = too_few(len(stable), len(firsts), "seeds with a stable σ′ round")
            if short:
                return short
        elif too_few(len(stable), len(firsts), "seeds"):
            c = [p["max_climb"] for p in firsts if p["max_climb"] > MONOTONE_TOL]
            k = [p["kernel_ratio"] for p in firsts if p["max_climb"] > MONOTONE_TOL]
            return premise_not_met(f"the σ′ = {a0:.3g} round's loss oscillated (max_climb {min(c):.3g}–{max(c):.3g} > "
                                   f"{MONOTONE_TOL:g}) in {len(c)} of {len(firsts)} seeds: a step outside Lemma 1's "
                                   f"small η, whose kernel is held at the stability edge (λ_max(K_T)/λ_max(K₀) "
                                   f"{min(k):.3g}–{max(k):.3g}), so no lazy start is shown; {len(stable)} of {len(firsts)} stable, needs "
                                   f"≥ {MIN_RUNS} and ≥ half")
        med = float(np.median([abs(p["kernel_ratio"] - 1.0) for p in stable]))
        if med > KERNEL_MOVE:
            return premise_not_met(f"the σ′ = {a0:.3g} start is not lazy: median |λ_max(K_T)/λ_max(K₀) − 1| "
                                   f"{med:.3g} > {KERNEL_MOVE} over {len(stable)} seeds")
        return None

    @staticmethod
    def _climb_note(runs) -> str:
        """The rounds' largest climbs above their least loss (max_climb): of the σ′ rounds and of all."""
        def part(ps, what):
            c = [p["max_climb"] for p in ps if isinstance(p.get("max_climb"), (int, float))]
            if not c:
                return f"{what}: max_climb not recorded"
            up = [x for x in c if x > MONOTONE_TOL]
            return (f"{what}: max_climb above {MONOTONE_TOL:g} in {len(up)} of {len(c)}"
                    + (f" ({min(up):.3g}–{max(up):.3g})" if up else ""))
        return (part([r["path"][0] for r in runs], "σ′ rounds") + "; "
                + part([p for r in runs for p in r["path"]], "all rounds"))

    @staticmethod
    def _oscillating_cap(r, cfg) -> bool:
        """Whether the seed's choice was made by a round capped while oscillating: its last round
        stopped at the step cap with max_climb above MONOTONE_TOL and a validation loss that would
        have been chosen (below the best converged one's by the margin)."""
        last, done = r["path"][-1], [p for p in r["path"][:-1] if p["status"] == "converged"]
        return (last["status"] == "max_steps" and bool(done) and isinstance(last.get("max_climb"), (int, float))
                and last["max_climb"] > MONOTONE_TOL
                and last["val_loss"] < min(p["val_loss"] for p in done) * (1 - cfg["margin"]))

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
        algorithm would have chosen it and gone on. A round that stopped there while its loss
        oscillated (max_climb > MONOTONE_TOL) is named as such: that is the rate at the stability
        edge, not Sect. 3's "impractically slow" (vanishing gradients at small σ)."""
        hit = []
        for r in runs:
            last, done = r["path"][-1], [p for p in r["path"][:-1] if p["status"] == "converged"]
            if last["status"] == "max_steps" and done:
                best = min(p["val_loss"] for p in done)
                if last["val_loss"] < best * (1 - cfg["margin"]):
                    hit.append((last, last["val_loss"] / best))
        if not hit:
            return ""
        out = f"; in {len(hit)} of {len(runs)} the choice was made by the {cfg['max_steps']}-step cap, not by the validation loss"
        for osc in (False, True):
            part = [(p, x) for p, x in hit if (isinstance(p.get("max_climb"), (int, float))
                                               and p["max_climb"] > MONOTONE_TOL) == osc]
            if not part:
                continue
            sig = ", ".join(sorted({f"{p['sigma']:.3g}" for p, _ in part}, key=float))
            tl = [p["train_loss"] for p, _ in part]
            q = [x for _, x in part]
            c = [p["max_climb"] for p, _ in part if isinstance(p.get("max_climb"), (int, float))]
            how = (f"while its loss oscillated (max_climb {min(c):.3g}–{max(c):.3g} > {MONOTONE_TOL:g}: the rate at "
                   "the stability edge, not Sect. 3's \"impractically slow\")" if osc else
                   "(Sect. 3's \"impractically slow\"" + (f", max_climb {min(c):.3g}–{max(c):.3g})" if c else ")"))
            out += (f"; in {len(part)} the σ = {sig} round stopped at the cap {how} at training loss "
                    f"{min(tl):.2g}–{max(tl):.2g} ({min(tl) / cfg['tol']:.3g}–{max(tl) / cfg['tol']:.3g}× the tolerance) "
                    f"with validation loss {min(q):.2g}–{max(q):.2g}× the chosen σ's")
        return out

    @staticmethod
    def _stops(runs, cfg) -> str:
        """Why each run's algorithm stopped: its last round did not improve by the margin, or
        did not converge within the step cap (Sect. 3's "impractically slow")."""
        if not runs:
            return "no usable seed to say why its algorithm stopped"
        slow = [r["path"][-1] for r in runs if r["path"][-1]["status"] != "converged"]
        osc = sum(isinstance(p.get("max_climb"), (int, float)) and p["max_climb"] > MONOTONE_TOL for p in slow)
        return (f"of the {len(runs)} usable seeds stopped by no improvement in {len(runs) - len(slow)}, by a round not "
                f"converging within {cfg['max_steps']} steps in {len(slow)}"
                + (f" ({osc} of them oscillating, max_climb > {MONOTONE_TOL:g})" if slow else ""))

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
