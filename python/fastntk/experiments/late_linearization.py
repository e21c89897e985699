"""000 Sect. 6: beyond strong overparameterization. A net too narrow to follow its
linearization at θ₀ is described by the linearization at a later iteration T, Eq. (11):
Thm 1's limit with the features φ_T at θ_T, f_T(x) + φ_T(x)φ_T(X)ᵀK_T⁻¹(Y − f_T(X)).

Each run trains the net by full-batch GD to the tolerance (the rate rules of every GD
run here), then replays the same GD from θ₀ (GD at one rate is deterministic, so the
replay passes through the run's own θ_t) to the iterations T at which the training loss
first falls to 10⁻ᵏ of its value at θ₀ (k decades of the loss removed, the preset's k),
and measures how far the trained net's test predictions lie from Eq. (4) at each θ_T, and
the training loss there. T is read from the loss curve, not from the run's length, so it
does not move with the tolerance the run stops at.

000 Sect. 6 claims that such a T exists ("one can always find such T, assuming that θ_t
converges") and that Thm 1 then holds with the features φ_T; that the distance shrinks as
T nears the end of training holds by construction, an extra check. The T's (decades of the
training loss removed) and the 0.1 threshold are fastntk's choices."""
from __future__ import annotations

import inspect
import math
from collections import Counter

import numpy as np

from .. import plots, theory
from ..dynamics import find_lr, train
from ..kernels import adaptive_ntk, ntk
from ..linalg import KernelSolver
from ..model import MLP
from ._base import Experiment, falling_trend, half_mse, legend, save_figure, trend_direction
from ._training import MONOTONE_TOL, fit
from ._verdict import (INCONCLUSIVE, LAZY, MIN_RUNS, NOT_REPRODUCED, REPRODUCED, Claim, exclusion, excluded,
                       median_error, per_seed, premise_not_met, same_band, too_few, usable, within)
from .width import STABLE   # GD's stability limit η·λ_max/N (of the loss's Gauss–Newton Hessian K/N), one constant


# Sect. 6's θ_t staying near θ_T, read on the loss: a run whose loss after T climbs back above this multiple of
# its value at T (half a decade: the level a T half a decade earlier would be read at) is outside it.
CLIMB_BACK = 10.0 ** 0.5


def _at(k: float) -> str:
    """Where T is: "at θ₀", or the first step with the training loss at most 10⁻ᵏ of θ₀'s."""
    return "at θ₀" if k == 0 else f"at loss ≤ 10^-{k:g} × θ₀'s"


def _rms(v) -> float:
    v = np.asarray(v, np.float64)
    return float(np.linalg.norm(v) / math.sqrt(v.size))


class LateLinearization(Experiment):
    name = "late-linearization"
    title = "Linearizing at a later iteration T: less overparameterized nets (Sect. 6)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Sect. 6, Eq. (11))"
    presets = {
        # quick widths 20 and 80 (were 10 and 40): at m = 10 the kernel at θ_T was singular for N = 10
        # (condition number 10¹⁷) and the quick run stopped with an error.
        "quick": dict(data="sphere:8", n_train=10, n_test=50, data_seed=0, depth=2, widths=[20, 80],
                      seeds=[0, 1, 2, 3, 4], sigma=1.0, tol=1e-5, max_steps=50000, decades=[1, 2]),
        # Gaussian inputs on the sphere and narrow nets (P = 360 and 1440 parameters for N = 20): on
        # MNIST GD at m = 100–400 did not reach 1e-5 within 10⁵ steps (a pilot, seed 0); the quick
        # preset's seeds 0–4 were run to check that these nets leave their θ₀ linearization.
        # Seeds 150–157: new after a review of 100–107 found the later-is-closer row holding by
        # construction, T = 0.2·steps and the 0.1 threshold not marked as fastntk's, and the loss at θ_T
        # not recorded.
        # Seeds 160–167: with the row on Thms 3–4 at θ_T (issue 26); the run with 150–157 was discarded unread.
        # Seeds 170–177: new after 160–167's m = 80 row read "not reproduced" where the linear models' predicted
        # effect (0.0317) cleared the band (0.0316) by less than the nets' distances from them (the premise now
        # subtracts those).
        # Seeds 180–187: new after a review of 170–177 found that premise removing the only failing outcome and
        # the band 100–1000× the same-minimizer noise the run's control shows; the row now judges AdaGrad's
        # distance against that control (a sign test) and takes the previous row's verdict as its premise.
        # Seeds 190–197: new after a review of 180–187 found that rule off the package's one yardstick for
        # "different" (the band) and without the premise adaptive applies to the same claim at θ₀ (the
        # farther net's distance from its linear model below the predicted difference); both restored.
        # Seeds 200–207: new after a review of 190–197 found the row reading "premise not shown" where its
        # own yardstick premise failed outright (now checked first: premise not met, with the data's lean).
        # Seeds 210–217, tolerance 10⁻⁶ (was 10⁻⁵): a review of 200–207 found the linear models' predicted
        # difference only 1.15–1.33× the band 10·√tol at 10⁻⁵, so the row could hardly decide (now 4× the band
        # 0.01), and two wordings unfair to the paper ("the data lean against the claim", "cannot resolve the
        # predicted effect"); the premise-not-met text now reports the linear models' own count beyond the band
        # and AdaGrad's distance against the control's.
        # Seeds 220–227: new after 210–217's m = 20 row read "the continuations from θ_T are not recorded" where
        # two AdaGrad continuations had stopped at the step cap (now said so; the verdict stays inconclusive).
        # Seeds 230–237: new after a review of 220–227 found T tied to the tolerance (a share of the steps, so the
        # tighter tolerance moved T later: the loss at θ_T fell from 0.0022 to 0.0006, after ~99.7 % of the loss was
        # gone, and the θ_T row turned reproduced) and the empty-run branch reading premise not met on NaN medians.
        # T is now where the training loss first falls to 10⁻ᵏ of its value at θ₀, judged at k = 2 (99 % of the
        # loss gone: "an initial period" read as the loss's first two decades, fastntk's choice), with k = 1 beside
        # it; no usable run reads too few runs.
        # Seeds 240–247: the run with 230–237 (next18b, not landed) read "not reproduced" where the nets sat above
        # the threshold at fastntk's T, which a review found unfair (000 claims only that some T exists: now
        # inconclusive there), and its θ₀ point was θ₁ in 4 of 16 runs (the loss at θ₀ recomputed outside the
        # loop differed from the curve's in the last bit; T = 0 is now θ₀ itself).
        # Seeds 250–257: new after a read of the code found the continued-from-θ_T row's premise reading the θ_T
        # row's rewritten verdict ("not at this T"), so nets far from the θ_T linearization read "premise not
        # shown" instead of premise not met; it now reads the closeness judged at this θ_T.
        # Seeds 100–107, registered with the rules before any run.
        # Seeds 300–307 (next19): new after a review of 250–257 found the continued-from-θ_T row checking the
        # closeness at θ_T before its yardstick premise, against its docstring (now the order stated), and naming
        # "the previous row" where that row read inconclusive (now the measured distance); the continuations'
        # rates recorded; and next19's training procedure (every step judged monotone; loss curves).
        # Seeds 310–317 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–327 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried.
        # Seeds 330–337 (next22): a review of 320–327 found GD after T at η·λ_max(K_T)/N = 1.99–2.05 (the stability
        # edge), its loss climbing again after T in 7 of 16 — outside Sect. 6's "‖θ_t − θ_T‖ small" and Lemma 1's
        # small step — and the linear models' predicted gap inside the band in the runs that decided m = 20. The
        # continued-from-θ_T row now takes only runs with a stable rate after T (η·λ_max(K_T)/N < 2, no climb
        # above 10⁻³ after T; λ_max(K_T), GD's climb after T and the continuations' climbs recorded) and a predicted
        # gap beyond the band; the rate stays the run's own (Sect. 6 follows the same trajectory).
        # Pre-run review of next22 (before any run on 330–337): the run itself sits at the stability edge after T
        # (η·λ_max(K_T)/N 1.99–2.05, climbing in 16 of 16 of the last round), so a row comparing AdaGrad with it could
        # never decide. GD's limit on the linearized model does not depend on its rate (a nuisance parameter), so
        # the GD continued from θ_T is now GD at η/2 (η·λ_max(K_T)/N near 1, Lemma 1's small step) and the
        # rate-independence control GD at η/4 against it; the stable-rate premise is read on those two; every
        # failing reason is counted.
        # Seeds 350–357 (next23): a review of 330–337 found m = 80's row not reproduced at 0.00925 against the band
        # 0.01, 0.75 of its median's error (now read with that error), and the deciding runs' predicted gaps only
        # 1.1–1.7× the band with the nets 0.60–0.86 of them, so a run behaving as its linear model says landed inside
        # the band: a run decides only where the predicted gap less the farther net's distance from its linear
        # model clears the band (the pre-run review: less both distances would put every deciding run beyond the
        # band by the triangle inequality, next9's withdrawn rule), and the tolerance is 10⁻⁸ (was 10⁻⁶), so the
        # band 10·√tol is 0.001 (0.01 was as large as the predicted gaps; chosen after the reviewer replayed
        # 330–337 at 10⁻⁸: every run then decides). The run's own climb after T is now the core's max_climb
        # (a replay from θ_T), and GD at η/2's distance from the run's own net is reported.
        # Seeds 480–487 (next27): trend_direction counting a no-trend seed against either sign, not only the claimed one (next27, the review of gradient-confusion's 330–337); the paper cell says "the farther net's distance", as the rule reads since
        # e8884e9 (it said "both nets' distances"). Paper preset seeds 10–19 (0–9 ran under next23).
        # Seeds 490–497, paper preset 20–29 (next28, the review of 480–487): the θ_T row reports the runs whose
        # loss after T climbs back above the level the previous T was read at (recorded now: rise_T).
        # Seeds 500–507, paper preset 30–39 (next28-b, the review of 490–497 and 20–29): a run whose continuation
        # from θ_T is not usable is left out and counted by its own reason (one degenerate η/2 continuation made
        # the paper preset's row inconclusive, naming the cap it had not hit); the continued row names the runs
        # that climb back after T, as the θ_T row counts them.
        # Seeds 510–517, paper preset 40–49 (next28-c): Eqs. (4) and (7) at θ_T with the pseudo-inverse (the run on 500–507
        # stopped at a singular K at θ_T after 7 of 16 runs, unread; 30–39 had finished), K's condition number
        # at the last θ_T recorded (cond_T).
        # Seeds 520–527, paper preset 50–59 (next28-d, the review of 510–517 and 40–49): the continued row's medians
        # say they are over the deciding runs (they followed the climbed-back clause, and read as its runs), and the
        # runs left out for an unusable continuation are named.
        # Seeds 550–557, paper preset 60–69 (next29-c, session 26, the known faults the review of 520–527 left; a
        # pre-run review's notes folded in before any run): the climb-back edge is one constant for every preset,
        # half a decade (CLIMB_BACK; was the grid's previous point, a decade on [1, 2]: seed 520 climbed 3.96×
        # unflagged), and the standard preset reads T at 1.5 decades too, so its grid is the paper preset's from 1
        # on; the continued row says how far its deciding count lies above the premise's floor (m = 20 decided on
        # exactly the floor, unsaid) and the largest condition numbers of K at θ_T and of K_{D_t} in Eq. (7)
        # (recorded now: cond_D).
        "standard": dict(data="sphere:16", n_train=20, n_test=100, data_seed=0, depth=2, widths=[20, 80],
                         seeds=list(range(550, 558)), sigma=1.0, tol=1e-8, max_steps=100000, decades=[1, 1.5, 2]),
        "paper": dict(data="sphere:16", n_train=20, n_test=100, data_seed=0, depth=2, widths=[20, 80],
                      seeds=list(range(60, 70)), sigma=1.0, tol=1e-5, max_steps=300000, decades=[0.5, 1, 1.5, 2]),
    }

    def jobs(self, cfg):
        return [dict(width=m, seed=s) for m in cfg["widths"] for s in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], cfg["depth"], sigma=cfg["sigma"])
        theta = net.init(job["seed"])
        res, info = fit(net, theta, ds.X, ds.Y, optimizer="gd", X_test=ds.X_test, tol=cfg["tol"],
                        max_steps=cfg["max_steps"], callback=ctx.callback)
        pred = np.asarray(res.history["test_pred"][-1], np.float64)
        out = dict(status=res.status, steps=res.steps, **info, train_loss=float(res.history["train_loss"][-1]),
                   T=[], distance=[], loss_T=[])
        # The loss curve of the same GD, step by step, from which each T is read.
        curve = ctx.check(train(net, theta, ds.X, ds.Y, optimizer="gd", lr=info["lr"], tol=1e-300,
                                max_steps=max(res.steps, 1), record_every=1, callback=ctx.callback)).history
        loss = np.asarray(curve["train_loss"], np.float64)
        for k in self._points(cfg):
            # θ₀ is T = 0 itself; the others compare the curve with its own value at θ₀ (the loss
            # recomputed outside the loop can differ from it in the last bit).
            reached = np.flatnonzero(loss <= 10.0 ** (-k) * loss[0])
            T = 0 if k == 0 else int(curve["step"][reached[0]]) if reached.size else res.steps
            theta_T = theta
            if T > 0:
                theta_T = ctx.check(train(net, theta, ds.X, ds.Y, optimizer="gd", lr=info["lr"], tol=1e-300,
                                          max_steps=T, record_every=T, callback=ctx.callback)).params
            # The pseudo-inverse: where K at θ_T is singular (a narrow net's ReLUs switched off together; seed
            # 500–507's run stopped on one, next28-c) Eq. (4) with K⁺ is still what GD on the linearized model
            # converges to, the minimum-norm correction; where K is regular it is K⁻¹.
            lin = np.asarray(theory.decompose(net, theta_T, ds.X, ds.Y, ds.X_test, pinv=True).f_lin, np.float64)
            out["T"].append(T)
            out["loss_T"].append(half_mse(net.apply(theta_T, ds.X), ds.Y))
            out["distance"].append(float(np.linalg.norm(pred - lin) / max(np.linalg.norm(lin), 1e-300)))
        # Whether the rate after T is stable (the premise of Sect. 6's "‖θ_t − θ_T‖ small" and of Lemma 1's small
        # step at θ_T): λ_max(K_T) at the last θ_T, η·λ_max(K_T)/N of the GD run there (its own rate: Sect. 6
        # follows the same trajectory θ_t past T), and the GD run's largest climb after T — the core's max_climb
        # (the one reading of a climb) of the same GD replayed from θ_T to the run's end (reported, not compared;
        # next22 restated it in Python over the curve, where a NaN read as no climb).
        eig_T = np.linalg.eigvalsh(ntk(net, theta_T, ds.X).astype(np.float64))
        lam_T = float(eig_T[-1])
        rest = max(res.steps - out["T"][-1], 1)
        after = ctx.check(train(net, theta_T, ds.X, ds.Y, optimizer="gd", lr=info["lr"], tol=1e-300, max_steps=rest,
                                record_every=1, callback=ctx.callback))
        # Whether θ_t stays in Sect. 6's regime after T: the largest training loss after T over the loss at T
        # (next28: the θ_T row reports the runs that climb back to where the previous T was read; a non-finite loss
        # is an unbounded rise).
        path = np.asarray(after.history["train_loss"], np.float64)
        rise = float(np.max(path)) / out["loss_T"][-1] if np.all(np.isfinite(path)) else math.inf
        out.update(lam_T=lam_T, edge_T=float(info["lr"]) * lam_T / ds.X.shape[0], gd_climb_T=float(after.max_climb),
                   rise_T=rise, cond_T=float(lam_T / eig_T[0]) if eig_T[0] > 0 else math.inf)
        # Thms 3–4 at θ_T: from the last θ_T the run continues by AdaGrad (App. D's rate), by GD at
        # η/2 (the GD continuation the row compares with: GD's limit on the linear model at θ_T does
        # not depend on its rate, and η/2 puts η·λ_max(K_T)/N near 1, inside Lemma 1's small step,
        # where the run's own η sits at the stability edge after T) and, as the rate-independence
        # control, by GD at η/4. The effect the linear models at θ_T predict: Eq. (7) at θ_T with
        # the continuation's own D_t against Eq. (4) at θ_T (the last ``lin``), each the limit.
        preds = {}
        for name, kw in (("half", dict(optimizer="gd", lr=0.5 * info["lr"])),
                         ("quarter", dict(optimizer="gd", lr=0.25 * info["lr"])),
                         ("ada", dict(optimizer="adagrad", lr=find_lr(net, theta_T, ds.X, ds.Y, optimizer="adagrad"),
                                      record_D=True))):
            cont, cinfo = fit(net, theta_T, ds.X, ds.Y, X_test=ds.X_test, tol=cfg["tol"], max_steps=cfg["max_steps"],
                              callback=ctx.callback, **kw)
            cpred = preds[name] = np.asarray(cont.history["test_pred"][-1], np.float64)
            out[f"{name}_status"], out[f"{name}_steps"] = cont.status, cont.steps
            out[f"{name}_lr"], out[f"{name}_retries"] = cinfo["lr"], cinfo["retries"]
            out[f"{name}_max_climb"] = cinfo["max_climb"]
            out[f"{name}_train_loss"] = float(cont.history["train_loss"][-1])
            out[f"{name}_gd"] = _rms(cpred - pred)   # from the run's own net (reported only)
            if name != "ada":
                out[f"{name}_edge_T"] = float(cinfo["lr"]) * lam_T / ds.X.shape[0]
            if name == "quarter":
                out["quarter_half"] = _rms(cpred - preds["half"])   # the control: GD at η/4 against GD at η/2
            if name == "ada":
                out["ada_half"] = _rms(cpred - preds["half"])       # AdaGrad against the GD continuation
                eq7 = np.asarray(theory.adaptive_closed_form(net, theta_T, ds.X, ds.Y, ds.X_test,
                                                             np.asarray(cont.history["D"], np.float64), cont.lr,
                                                             pinv=True),
                                 np.float64)
                out["ada_predicted"] = _rms(eq7 - lin)
                # Eq. (7)'s kernels K_{D_u} at θ_T: the largest condition number over the continuation's D_t (the
                # pseudo-inverse acts only on a singular or near-singular one).
                out["cond_D"] = max((KernelSolver(adaptive_ntk(net, theta_T, ds.X, d=d.astype(net.dtype)), pinv=True).cond
                                     for d in np.asarray(cont.history["D"], np.float64)), default=math.nan)
                # How far each net lies from its own linear model at θ_T (absolute RMS on the test set).
                out["ada_lin_rms"], out["gd_lin_rms"] = _rms(cpred - eq7), _rms(pred - lin)
                out["half_lin_rms"] = _rms(preds["half"] - lin)
        return out

    @staticmethod
    def _points(cfg):
        """The decades k of the training loss removed at each T (the loss first at most 10⁻ᵏ
        of its value at θ₀): θ₀ (0) and the preset's."""
        return [0.0] + sorted(float(k) for k in cfg["decades"])

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(1)
        ax = axes[0]
        decades = self._points(cfg)
        for i, m in enumerate(cfg["widths"]):
            rs = usable([r for r in records if r["width"] == m], cfg["tol"])[0]
            if rs:
                ax.plot(decades, np.median([r["distance"] for r in rs], axis=0), marker="o", color=f"C{i}",
                        label=f"m = {m}")
        ax.axhline(LAZY, color="k", ls=":", lw=0.8, label=f"{LAZY}")
        ax.set_yscale("log")
        ax.set_xlabel("T: decades of the training loss removed (loss ≤ 10⁻ᵏ × its value at θ₀)")
        ax.set_ylabel("‖f_NN − Eq. (4) at θ_T‖ / ‖Eq. (4) at θ_T‖ (test)")
        legend(ax)
        return save_figure(fig, out, "late_linearization")

    @staticmethod
    def _loss_T(ok, k):
        """The median training loss at the k-th θ_T over the runs that recorded it (NaN where
        none did: records before it was recorded)."""
        v = [r["loss_T"][k] for r in ok if len(r.get("loss_T", [])) > k and math.isfinite(r["loss_T"][k])]
        return float(np.median(v)) if v else math.nan

    def summary(self, cfg, records):
        lines = ["- Medians over the usable runs (converged, not degenerate), as in the table."]
        decades = self._points(cfg)
        for m in cfg["widths"]:
            rs = [r for r in records if r["width"] == m]
            ok, why = usable(rs, cfg["tol"])
            if ok:
                med = np.median([r["distance"] for r in ok], axis=0)
                T = np.median([r["T"] for r in ok], axis=0)
                lines.append(f"- m = {m}: relative distance of the trained net from Eq. (4) at θ_T, T where "
                             + ", ".join(f"{_at(k)}: {v:.3g} (step {t:.0f})" for k, v, t in zip(decades, med, T))
                             + f" (medians; steps to the tolerance {np.median([r['steps'] for r in ok]):.0f}){excluded(why)}.")
                # How front-loaded the fall is: the share of θ₀'s distance each T removes (a
                # measurement; 000 says only that φ changes most in the initial stages).
                removed = [[1 - d / r["distance"][0] for d in r["distance"][1:]] for r in ok if r["distance"][0] > 0]
                if removed:
                    mid, lo, hi = (np.median(removed, axis=0), np.min(removed, axis=0), np.max(removed, axis=0))
                    lines.append("  - share of the distance at θ₀ removed by T = "
                                 + ", ".join(f"{_at(k)}: {c:.0%} ({a:.0%}–{b:.0%})"
                                             for k, c, a, b in zip(decades[1:], mid, lo, hi))
                                 + " (median, range over the runs).")
                loss = [self._loss_T(ok, i) for i in range(len(decades))]
                lines.append("  - training loss at θ_T (median): "
                             + (", ".join(f"{_at(k)}: {v:.3g}" for k, v in zip(decades, loss))
                                if any(math.isfinite(v) for v in loss) else "not recorded")
                             + f" (tolerance {cfg['tol']:g}).")
        lines.append("- Sect. 6: for a less overparameterized net some T makes ‖θ_t − θ_T‖ small for t > T (one always "
                     "exists when θ_t converges), and Thm 1's analysis holds with the features φ_T; φ(X) changes "
                     "\"especially during the initial stages of training\".")
        return lines

    def claims(self, cfg, records):
        out = []
        decades = self._points(cfg)
        late = decades[-1]
        for m in sorted(cfg["widths"]):
            rs = [r for r in records if r["width"] == m]
            ok, why = usable(rs, cfg["tol"])
            at = {(r["seed"], k): d for r in ok for k, d in zip(decades, r["distance"])}
            d0 = per_seed({(s,): at[(s, 0.0)] for s in cfg["seeds"] if (s, 0.0) in at})
            med0 = float(np.median(d0)) if d0 else math.nan
            # Sect. 6 is about nets that do not follow their linearization at θ₀.
            premise = (premise_not_met(f"the nets follow their linearization at θ₀ already (median {med0:.3g} ≤ "
                                       f"{LAZY}): strongly overparameterized") if d0 and med0 <= LAZY else None)
            trends = falling_trend(at, cfg["seeds"], decades)
            # 000 claims only that a T exists; as T nears the run's end θ_T nears θ_end and the
            # distance goes to 0 for any converging run, so the trend is an extra check.
            out.append(Claim(
                f"m = {m}: the later the linearization, the closer it is to the trained net (T where the training loss "
                f"first falls to 10⁻ᵏ of its value at θ₀, k = {', '.join(f'{k:g}' for k in decades)}, fastntk's; an extra check, not a claim of the paper: 000 claims only that some T exists, and "
                "closeness as T nears the end of training holds by construction)",
                "000 Sect. 6, Eq. (11) (\"one can always find such T\" with ‖θ_t − θ_T‖ small for t > T, θ_t converging)",
                f"relative distance at T = 0 median {med0:.3g}; falls with T in {sum(t > 0 for t in trends)} of "
                f"{len(trends)} seeds, no trend in {sum(t == 0 for t in trends)} (rank correlation; "
                f"{len(ok)} of {len(rs)} runs usable{excluded(why)})",
                premise or trend_direction(trends, len(cfg["seeds"]))))
            dl = per_seed({(s,): at[(s, late)] for s in cfg["seeds"] if (s, late) in at})
            med = float(np.median(dl)) if dl else math.nan
            back = self._climbed_back(ok, late, at)
            loss_late, loss0 = self._loss_T(ok, len(decades) - 1), self._loss_T(ok, 0)
            loss_text = (f"training loss at θ_T median {loss_late:.3g} (at θ₀ {loss0:.3g}, tolerance {cfg['tol']:g})"
                         if math.isfinite(loss_late) else "training loss at θ_T not recorded")
            # 000 claims that some T exists (conditional on ‖θ_t − θ_T‖ staying small after it, which is
            # not measured): a distance above the threshold at fastntk's T is no evidence that none does.
            # The continued-from-θ_T row's premise is about this θ_T: it reads the closeness judged here, not
            # the existence claim's verdict.
            close = premise or within(med, 0.0, LAZY, len(dl), len(cfg["seeds"]), "seeds", err=median_error(dl))
            verdict = close
            if verdict == NOT_REPRODUCED:
                verdict = (f"{INCONCLUSIVE}: not at this T ({med:.3g} ± {median_error(dl):.2g} above {LAZY}); 000 claims "
                           "only that some T exists, after which θ_t stays near θ_T")
            out.append(Claim(
                f"m = {m}: after an initial period (T {_at(late)}, fastntk's choice) the trained net follows "
                "the linearization at θ_T",
                f"000 Sect. 6 (Thm 1 with the features φ_T; some T exists; fastntk's threshold: median ≤ {LAZY}, as "
                f"for θ₀; a distance above it at fastntk's T is inconclusive, never evidence against)",
                f"median relative distance from Eq. (4) at θ_T {med:.3g} ± {median_error(dl):.2g} (standard error; "
                f"{len(dl)} seeds), at θ₀ {med0:.3g}; {loss_text}{back}",
                verdict))
            out.append(self._after_T_claim(cfg, rs, ok, m, late, close, med, decades))
        return out

    @staticmethod
    def _climbed_back(ok, late, at) -> str:
        """The runs whose GD loss after fastntk's T climbs back above the level a T half a decade
        earlier would be read at (CLIMB_BACK× the loss at T; next29-c: one edge for every preset, was
        the grid's previous point, a decade on the standard preset's [1, 2]): 000 Sect. 6's T is
        one after which θ_t stays near θ_T, so at this T such a run is outside the premise. Counted
        and reported with their distance beside the others', not left out (next28: the review of
        480–487 found the θ_T row silent on the climbs; the pre-run review found leaving them out
        selects on the distance judged, in a row that reads only reproduced or inconclusive)."""
        edge, rise, back = LateLinearization._back(ok)
        seen = [v for v in rise.values() if isinstance(v, (int, float)) and not math.isnan(v)]
        if not seen:
            return "; the loss after T not recorded"
        rest = [at[(s, late)] for s, v in rise.items() if v <= edge and (s, late) in at]
        far = [at[(s, late)] for s in back if (s, late) in at]
        return (f"; after T the loss climbs back above {edge:.3g}× its value at T (half a decade) in "
                f"{len(back)} of {len(seen)} runs" + (f" (seeds {back}, distance at θ_T median {np.median(far):.3g}"
                                                       f" against {np.median(rest) if rest else math.nan:.3g} for "
                                                       "the others)" if back else "")
                + f", largest rise {max(seen):.3g}× (beside, not judged: at this T those runs are outside Sect. 6's "
                "θ_t near θ_T)")

    @staticmethod
    def _lost(r, name, tol) -> str | None:
        """Why the continuation ``name`` of run ``r`` from θ_T is not usable (the rules of every
        run: converged to the tolerance, not degenerate; its status beside "not converged"), or
        None where it is."""
        status = r.get(f"{name}_status", "not recorded")
        why = exclusion({"status": status, "train_loss": r.get(f"{name}_train_loss", math.nan),
                         "steps": r.get(f"{name}_steps", 0)}, tol)
        return f"{why} ({status})" if why == "not converged" and status != "converged" else why

    @classmethod
    def _continued(cls, r, name, tol):
        """Whether the continuation ``name`` of run ``r`` from θ_T is usable."""
        return cls._lost(r, name, tol) is None

    @staticmethod
    def _back(ok) -> tuple[float, dict, list]:
        """(the edge CLIMB_BACK, {seed: rise_T}, the seeds above it): the runs whose GD loss after
        fastntk's T climbs back above the level a T half a decade earlier would be read at."""
        rise = {r["seed"]: r.get("rise_T", math.nan) for r in ok}
        return CLIMB_BACK, rise, sorted(s for s, v in rise.items() if v > CLIMB_BACK)

    @staticmethod
    def _unstable(r) -> list[str]:
        """Every reason run ``r``'s GD after T is not a stable step (Lemma 1's small step at θ_T, and
        Sect. 6's θ_t staying near θ_T), [] where none: the GD continuation at η/2 and the control at
        η/4 each need η·λ_max(K_T)/N < 2 (inside the linear model's stability limit at θ_T) and a loss
        that never climbed more than MONOTONE_TOL above its least after T (fastntk's reading of a
        stable step). AdaGrad is not checked: it trains under the monotone rule (a climb above
        MONOTONE_TOL redoes it at half the rate), so its check could not fail. The limit 2 is
        width.STABLE, the package's one stability limit (next22 restated it)."""
        keys = ("half_edge_T", "half_max_climb", "quarter_edge_T", "quarter_max_climb")
        if not all(isinstance(r.get(k), (int, float)) and math.isfinite(r[k]) for k in keys):
            return ["not recorded"]
        why = []
        for name, rate in (("half", "η/2"), ("quarter", "η/4")):
            if not r[f"{name}_edge_T"] < STABLE:
                why.append(f"GD at {rate}: η·λ_max(K_T)/N ≥ {STABLE:g}")
            if r[f"{name}_max_climb"] > MONOTONE_TOL:
                why.append(f"GD at {rate} climbed")
        return why

    @staticmethod
    def _resolved(r) -> float:
        """The linear models' predicted gap at θ_T (Eq. (7) against Eq. (4)) less the farther
        net's own distance from its linear model (AdaGrad's from Eq. (7), GD at η/2's from
        Eq. (4)). Not less both distances: by the triangle inequality in RMS the nets' distance
        is at least the gap less both, so a run admitted on that margin would be beyond the
        band by construction and the row could never read not reproduced (next9's rule on
        170–177, withdrawn for that; the pre-run review of next23 found it registered again)."""
        return r["ada_predicted"] - max(r["ada_lin_rms"], r["half_lin_rms"])

    def _after_T_claim(self, cfg, rs, ok, m, late, at_T, dist_T, decades):
        """Thms 3–4 at θ_T (000 Sect. 6): continued from one θ_T, AdaGrad and GD reach
        different minimizers, under the package's rules for this claim at θ₀ (adaptive's):
        different = the AdaGrad continuation's RMS distance from the GD continuation beyond the
        same-minimizer band 10·√tol (the one yardstick for every same/different claim), read
        with its error (next23): the median over the deciding runs beyond the band by more
        than its standard error reproduced, inside it by more than its error not reproduced,
        straddling its edge inconclusive; the band tested by a positive control (GD at η/4
        against GD at η/2 from the same θ_T, one minimizer, inside it). The GD continuation is
        GD at η/2 from θ_T, η the run's own rate (pre-run review of next22: the run itself sits
        at the stability edge after T, η·λ_max(K_T)/N 1.99–2.05, so it could never decide; GD's
        limit on the linearized model does not depend on its rate, a nuisance parameter, and
        η/2 puts η·λ_max(K_T)/N near 1, inside Lemma 1's small step). The η/2 continuation and
        the 10⁻³ climb are fastntk's readings, not 000 Sect. 6's. Premises, in this order:
        (1) per run, the regime: a stable rate after T (:meth:`_unstable`: η·λ_max(K_T)/N below
        width.STABLE and no climb more than MONOTONE_TOL after T, for GD at η/2 and the control
        at η/4; every failing reason counted), and the linear models at θ_T resolving the
        claim: their predicted gap beyond the band by at least the farther net's own distance
        from its linear model (:meth:`_resolved` > band; next23). Sect. 6 claims the nets after
        T are their linear models at θ_T up to that distance, so a prediction that clears the
        band by less than it cannot tell the nets' departure from their linear models from one
        minimizer (a review of 330–337: predictions 1.1–1.7× the band, the nets reaching
        0.60–0.86 of them, so a run behaving as its linear model says landed inside the band);
        the band is 10·√tol, so the standard preset trains to 10⁻⁸ (band 0.001) where 10⁻⁶'s
        0.01 was as large as the predicted gaps. This subsumes next22's median premise (the
        farther net's distance below the predicted gap). Only the
        runs meeting both decide (a run whose continuation is not usable, not converged or
        degenerate, is left out and counted, as every unusable run; next28-b: it made the whole
        row inconclusive); where they are fewer than the package's minimum
        (``too_few``) the row is premise not met, with the counts;
        (2) the nets follow their linearization at θ_T (``at_T``, the closeness the previous row
        judges, and ``dist_T`` its median; where it straddles its threshold, not shown).
        A premise-not-met verdict says which way the data lean. Reported, not judged: the GD
        continuation's distance from the run's own net (GD at the papers' η throughout, which
        sits at the stability edge after T) and that run's climb after T."""
        tol, band = cfg["tol"], same_band(cfg["tol"])
        conts = ("ada", "half", "quarter")
        both = [r for r in ok if all(self._continued(r, name, tol) for name in conts)]
        keys = ("ada_half", "quarter_half", "ada_predicted", "ada_lin_rms", "half_lin_rms")
        full = [r for r in both if all(math.isfinite(r.get(k, math.nan)) for k in keys)]
        ada = [r["ada_half"] for r in full]
        va = float(np.median(ada)) if ada else math.nan
        vh = float(np.median([r["quarter_half"] for r in full])) if full else math.nan
        # (1) the regime, per run: a stable rate after T, then the predicted gap beyond the band by the farther
        # net's distance from its linear model. A run may fail several ways: each reason is counted.
        unstable = Counter(why for r in full for why in self._unstable(r))
        stable = [r for r in full if not self._unstable(r)]
        decide = [r for r in stable if self._resolved(r) > band]
        reasons = (" (" + ", ".join(f"{k} in {n}" for k, n in sorted(unstable.items())) + "; a run may fail several)"
                   if unstable else "")
        edges = {rate: [r[f"{name}_edge_T"] for r in full if isinstance(r.get(f"{name}_edge_T"), (int, float))]
                 for name, rate in (("half", "η/2"), ("quarter", "η/4"))}
        own = [r["edge_T"] for r in full if isinstance(r.get("edge_T"), (int, float))]
        own_climb = [r["gd_climb_T"] for r in full if isinstance(r.get("gd_climb_T"), (int, float))]
        half_gd = [r["half_gd"] for r in full if isinstance(r.get("half_gd"), (int, float))]
        margin = "the predicted gap less the farther net's distance from its linear model beyond the band"
        # A run whose continuation is not usable (not converged, or degenerate: converged within FIRST_STEPS steps —
        # GD at η/2 does so where the residual at T lies along K_T's top eigendirection, left there by the run's own η
        # oscillating at the stability edge, which one step at η·λ_max(K_T)/N ≈ 1 removes) is left out, counted by
        # reason and named, as every unusable run is (next28-b: the paper preset's row read inconclusive on one such
        # run, naming the cap when that continuation had converged in 1 step; next28-d: the seeds named).
        label = {"ada": "AdaGrad", "half": "GD at η/2", "quarter": "GD at η/4"}
        lost = Counter(f"{label[name]} {self._lost(r, name, tol)}" for r in ok for name in conts
                       if not self._continued(r, name, tol))
        out_seeds = sorted(r["seed"] for r in ok if r not in both)
        left = (f"; {len(ok) - len(both)} of {len(ok)} usable runs left out (seeds {out_seeds}), a continuation from θ_T "
                "not usable (" + ", ".join(f"{n} {k}" for k, n in sorted(lost.items())) + ")" if lost else "")
        # The run's own climb back after T, which the θ_T row reports, named here too (next28-b: the review of
        # 490–497 found a run the θ_T row calls outside Sect. 6's θ_t near θ_T deciding this row unsaid). Not a
        # premise of this row: its continuations from θ_T are judged on their own rates' stability.
        edge, _, back = self._back(ok)
        back_decide = sorted(r["seed"] for r in decide if r["seed"] in back)
        climbed = (f"; the run's own loss (the papers' η) climbs back above {edge:.3g}× its value at T in "
                   f"{len(back)} of {len(ok)} runs (the θ_T row's count), {len(back_decide)} of them deciding"
                   + (f" (seeds {back_decide}; their continuations at η/2 and η/4 are stable by the rule above)"
                      if back_decide else ""))
        # How far the deciding count lies above the floor the premise needs (too_few's), said (the review of 520–527:
        # m = 20 decided on exactly the floor, unsaid).
        floor = next(k for k in range(len(rs) + MIN_RUNS + 1) if not too_few(k, len(rs)))
        slack = (f" (the premise needs {floor}: {len(decide) - floor} above it)" if len(decide) >= floor else
                 f" (the premise needs {floor})")
        regime = (f"runs that can decide (a stable rate after T and {margin}): {len(decide)} of {len(rs)}{slack}{left}; a "
                  f"stable rate after T in {len(stable)} of {len(full)}" + reasons
                  + "".join(f", GD at {rate}: η·λ_max(K_T)/N {min(e):.3g}–{max(e):.3g}"
                            for rate, e in edges.items() if e)
                  + (f" (the run's own η: {min(own):.3g}–{max(own):.3g}" if own else "")
                  + (f", its loss climbing more than {MONOTONE_TOL:g} after T in "
                     f"{sum(c > MONOTONE_TOL for c in own_climb)} of {len(own_climb)}" if own and own_climb else "")
                  + (", not compared)" if own else "")
                  + f"; of those {margin} in {len(decide)} of {len(stable)}")
        if decide:
            # Before the climbed-back clause, which names other runs (next28-d: "over them" read as those).
            regime += (f"; over the deciding runs AdaGrad {float(np.median([r['ada_half'] for r in decide])):.3g}, GD at "
                       f"η/4 {float(np.median([r['quarter_half'] for r in decide])):.3g} (medians)")
        regime += climbed
        conds = [r["cond_T"] for r in full if isinstance(r.get("cond_T"), (int, float))]
        conds_d = [r["cond_D"] for r in full if isinstance(r.get("cond_D"), (int, float))]
        if conds or conds_d:
            regime += (f"; condition numbers at θ_T, largest over the runs with all three continuations usable: K "
                       f"{max(conds, default=math.nan):.3g}, Eq. (7)'s K_(D_t) {max(conds_d, default=math.nan):.3g} (the "
                       f"pseudo-inverse acts above {inspect.signature(KernelSolver).parameters['max_cond'].default:.0e} "
                       "or where Cholesky fails)")
        if half_gd:
            regime += (f"; GD at η/2 from θ_T ends {float(np.median(half_gd)):.3g} ({min(half_gd):.3g}–"
                       f"{max(half_gd):.3g}) RMS from the run's own net (GD at the papers' η throughout; reported, not "
                       "judged)")
        vp = float(np.median([r["ada_predicted"] for r in full])) if full else math.nan
        far = float(np.median([max(r["ada_lin_rms"], r["half_lin_rms"]) for r in full])) if full else math.nan
        share = [r["ada_half"] / r["ada_predicted"] for r in full if r["ada_predicted"] > 0]
        beyond = sum(a > band for a in ada)
        # What a premise-not-met verdict leaves unjudged, both ways: AdaGrad's count beyond the band beside the
        # linear models' own (the prediction can be inside the band too), and AdaGrad's distance from the GD
        # net against the control's (one minimizer's noise).
        pred_beyond = sum(r["ada_predicted"] > band for r in full)
        over_ctl = [r["ada_half"] / r["quarter_half"] for r in full if r["quarter_half"] > 0]
        lean = (f"; AdaGrad beyond the band in {beyond} of {len(ada)} runs, the linear models' predicted difference "
                f"beyond it in {pred_beyond} of {len(full)}, by the farther net's distance from its own in "
                f"{sum(self._resolved(r) > band for r in full)}; AdaGrad {min(over_ctl):.3g}–{max(over_ctl):.3g}× "
                f"the control's distance" if ada and over_ctl else "")
        if not ok:
            verdict = too_few(0, len(rs))
        elif len(full) < len(both):
            verdict = f"{INCONCLUSIVE}: the linear models' prediction at θ_T is not recorded for every run"
        elif unstable.get("not recorded"):
            verdict = (f"{INCONCLUSIVE}: whether the rate after T is stable (η·λ_max(K_T)/N and the climbs of GD at η/2 "
                       f"and η/4) is not recorded for {unstable['not recorded']} of {len(full)} runs")
        elif too_few(len(decide), len(rs)):
            verdict = premise_not_met(
                f"a stable rate after T and {margin} {band:.3g} in {len(decide)} of {len(rs)} runs, needs ≥ "
                f"{MIN_RUNS} and ≥ half: a stable rate after T (GD at η/2 and η/4: η·λ_max(K_T)/N < {STABLE:g}, no "
                f"climb above {MONOTONE_TOL:g} after T) in {len(stable)} of {len(full)}" + reasons
                + f", of those the predicted gap less the farther net's distance beyond the band in {len(decide)} (predicted "
                f"median {vp:.3g}, the farther net's distance from its linear model median {far:.3g})" + lean)
        elif at_T == NOT_REPRODUCED:
            verdict = premise_not_met(f"the nets do not follow their linearization at θ_T: median relative distance "
                                      f"from Eq. (4) at θ_T {dist_T:.3g} above {LAZY}" + lean)
        elif at_T != REPRODUCED:
            verdict = (f"{INCONCLUSIVE}: premise not shown (whether the nets follow their linearization at θ_T: median "
                       f"relative distance from Eq. (4) at θ_T {dist_T:.3g}, "
                       f"\"{at_T.split(': ', 1)[-1]}\" against {LAZY})")
        else:
            # Judged on the runs that can decide it, the median with its standard error against the band (next23:
            # m = 80's 0.00925 against 0.01 read not reproduced at 0.75 of its error on 330–337).
            da, err = float(np.median([r["ada_half"] for r in decide])), median_error([r["ada_half"] for r in decide])
            dh = float(np.median([r["quarter_half"] for r in decide]))
            inside = within(da, 0.0, band, len(decide), len(rs), err=err)
            verdict = (f"{INCONCLUSIVE}: the control (GD at η/4 against η/2 from θ_T, {dh:.3g}) lies outside the "
                       f"band {band:.3g}, so the band cannot tell one minimizer from two" if not dh <= band
                       else NOT_REPRODUCED if inside == REPRODUCED else REPRODUCED if inside == NOT_REPRODUCED
                       else f"{INCONCLUSIVE}: AdaGrad's median distance {da:.3g} ± {err:.2g} (standard error) straddles "
                            f"the band's edge {band:.3g}")
        dec = [r["ada_half"] for r in decide]
        return Claim(
            f"m = {m}: continued from θ_T (T {_at(late)}), AdaGrad and GD still reach different minimizers",
            f"000 Sect. 6 (Thms 3–4 at θ_T: adaptive and plain updates after T differ, with θ_t near θ_T after T) and "
            f"Lemma 1's small step; fastntk's readings, not 000 Sect. 6's: GD continued from θ_T at η/2 (GD's limit on "
            f"the linearized model does not depend on its rate; the run's own η sits at the stability edge after T), "
            f"a small step as η·λ_max(K_T)/N < {STABLE:g} and no climb above {MONOTONE_TOL:g} after T, different "
            f"beyond the same-minimizer band 10·√tol = {band:.3g} RMS by more than the median's standard error, judged "
            f"on runs whose linear models' predicted gap less the farther net's distance from its linear model clears "
            f"the band, GD at η/4 "
            f"against η/2 from θ_T inside it)",
            f"median RMS distance of the test predictions from those of GD at η/2 from θ_T: AdaGrad from θ_T {va:.3g} "
            f"(beyond the band in {beyond} of {len(ada)} runs"
            + (f"; over the deciding runs {float(np.median(dec)):.3g} ± {median_error(dec):.2g}, standard error" if dec
               else "") + f"), GD at η/4 from θ_T {vh:.3g}; the linear models at θ_T "
            f"predict {vp:.3g} (Eq. (7) with the run's D_t against Eq. (4)), "
            f"the nets reach {float(np.median(share)) if share else math.nan:.2f} of it (median; "
            f"{min(share) if share else math.nan:.2f}–{max(share) if share else math.nan:.2f}); per run the farther "
            f"net's distance from its linear model median {far:.3g} ({len(both)} of {len(rs)} runs with all three "
            f"continuations usable); {regime}",
            verdict)
