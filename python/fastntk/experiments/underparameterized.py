"""001 App. A: with P < N the converged linearized model does not depend on θ₀'s scale or
on the optimizer; with P ≥ N it does.

App. A assumes φ(X)ᵀφ(X) invertible. A ReLU net without biases never quite has it (each
hidden unit's rescaling (w_j, −a_j) is a null direction of φ for every input), but the
test predictions are still unique when the test points' features lie in the training
features' row space — the premise every under-parameterized run records and the claim
checks. On digits it fails (pixels that are zero on every training image: rank 78 of
P = 195), so the data are Gaussian inputs on the sphere.

App. A states and derives; it runs no experiment, so every preset's data, widths, step caps and
tolerance are fastntk's, the `paper` preset included (it differs from the standard one in its θ₀
seed, data draw, step cap and a tighter tolerance, not in anything the paper set).

"The same minimizer" is the package's one yardstick, RMS distance of test predictions
within same_band(tol) = 10·√tol, for runs trained to loss tol — for P < N to an excess tol
over their own least-squares loss. A positive control checks that the band holds two runs
of one minimizer here: GD from the same θ₀ at its rate η and at η/2 (GD's limit on the
linearized model does not depend on η), one extra run per σ."""
from __future__ import annotations

import itertools
import math

import numpy as np

from .. import plots
from ..dynamics import default_lr, find_lr, train
from ..kernels import jacobian
from ..model import MLP
from ._base import Experiment, half_mse, save_figure
from ._training import CURVE_PER_DECADE, loss_curve
from ._verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, approx, premise_not_met, same_band, too_few


class Underparameterized(Experiment):
    name = "underparameterized"
    title = "Under- versus overparameterized: is the minimizer unique? (App. A)"
    paper = "Nonnenmacher, Reeb, Steinwart (001 App. A)"
    presets = {
        "quick": dict(data="sphere:64", n_train=300, n_test=60, data_seed=0, depth=2, under_width=2,
                      over_width=200, optimizers=["gd", "adagrad", "adam"], sigmas=[0.5, 2.0], seed=0,
                      max_steps=30000, under_max_steps=300000, tol=1e-12),
        # seed 150: new after a review of seed 110 found the θ₀-scale row's identity holding for GD only,
        # the P < N row on its own tolerance (10⁻³ relative) and the P ≥ N band untested by a control pair.
        # seed 110: new after a review of seed 100 found the θ₀-scale row an identity not worded as one.
        # seed 100: new after a third review of seed 90 found the P ≥ N yardstick (10× the P < N spread,
        # ~10⁻⁷) unable to fail; each of its two parts is now a row against the same-minimizer band.
        # seed 90: new after a review of seed 80's run found its P < N row's wording claiming every
        # optimizer where Adam's constant-rate runs never reach the least-squares loss.
        # seed 80: new after a review of seed 70's run found its summary's spread taken over runs the
        # table excludes (one helper now picks the runs at equal loss for both).
        # seed 70 and data draw 1: new for the rerun on sphere data with the premise recorded
        # (the 2026-12-04 run used digits, seed 10; under_max_steps: GD's linear model with
        # P < N converges like (1 − 1/κ²)ᵗ, κ ≈ 300 here, so 10⁶ of its cheap steps).
        # seed 330: new for the rerun that keeps each run's loss curve (issue 31; the steps and the
        # verdict rules are unchanged).
        # seed 170 and 2·10⁷ steps for the P < N runs, which now stop at the least-squares loss: a review of
        # seed 150 found GD stopped by the 10⁶-step cap (φ(X)'s condition number 816 at that θ₀, against 98 at
        # seed 110) and the P ≥ N rows blocked by the P < N row's count, which is no premise of theirs.
        "standard": dict(data="sphere:64", n_train=300, n_test=60, data_seed=1, depth=2, under_width=3,
                         over_width=1000, optimizers=["gd", "adagrad", "adam"], sigmas=[0.25, 1.0, 4.0], seed=330,
                         max_steps=100000, under_max_steps=20000000, tol=1e-12),
        # Paper preset, seed 1 (session 21): the P < N step cap 2·10⁶ → 2·10⁷, as the standard preset's; the first
        # paper run (seed 0, docs/withdrawn/underparameterized-paper-2026-12-06x-0) stopped all three GD runs at
        # 2·10⁶ steps, 2.2e-9 above the least-squares loss at tol 1e-14 (about 4·10⁶ needed), so its P < N row read
        # AdaGrad and Adam only. 001 App. A is analytic; the data, widths and the tolerance are fastntk's.
        "paper": dict(data="sphere:64", n_train=300, n_test=60, data_seed=0, depth=2, under_width=3,
                      over_width=1000, optimizers=["gd", "adagrad", "adam"], sigmas=[0.25, 1.0, 4.0], seed=1,
                      max_steps=200000, under_max_steps=20000000, tol=1e-14),
    }

    def jobs(self, cfg):
        # "control": P ≥ N, GD at half its rate from the "over" GD run's θ₀ (the band's positive control).
        return ([dict(regime=rg, optimizer=o, sigma=s) for rg in ("under", "over")
                 for o in cfg["optimizers"] for s in cfg["sigmas"]]
                + [dict(regime="control", optimizer="gd", sigma=s) for s in cfg["sigmas"]])

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        under = job["regime"] == "under"
        width = cfg["under_width"] if under else cfg["over_width"]
        steps = cfg["under_max_steps"] if under else cfg["max_steps"]
        net = MLP.uniform(ds.d, width, cfg["depth"], sigma=job["sigma"], bias="none")
        theta = net.init(cfg["seed"])
        lr, tol, out = None, cfg["tol"], {}
        if under:
            # The unique minimizer of the linearized model when P < N: least squares on the
            # features, f = f₀ + φ(θ − θ₀) with θ − θ₀ = lstsq(φ(X), Y − f₀(X)); a run stops once
            # its loss is within tol of that minimum (the rows' "at the least-squares loss").
            phi = jacobian(net, theta, ds.X).astype(np.float64)
            phi_t = jacobian(net, theta, ds.X_test).astype(np.float64)
            f0 = np.asarray(net.apply(theta, ds.X), np.float64)
            delta = np.linalg.lstsq(phi, ds.Y - f0, rcond=None)[0]
            out = dict(lstsq_loss=half_mse(f0 + phi @ delta, ds.Y),
                       lstsq_test_pred=np.asarray(net.apply(theta, ds.X_test), np.float64) + phi_t @ delta,
                       rank_train=int(np.linalg.matrix_rank(phi)),
                       rank_joint=int(np.linalg.matrix_rank(np.vstack([phi, phi_t]))))
            tol = out["lstsq_loss"] + cfg["tol"]
        if job["optimizer"] not in ("gd", "sgd", "momentum"):
            lr = find_lr(net, theta, ds.X, ds.Y, optimizer=job["optimizer"], model="linearized")
        elif job["regime"] == "control":
            lr = 0.5 * default_lr(net, theta, ds.X)
        res = ctx.check(train(net, theta, ds.X, ds.Y, model="linearized", optimizer=job["optimizer"], lr=lr,
                              X_test=ds.X_test, tol=tol, max_steps=steps, record_every=steps,
                              records_per_decade=CURVE_PER_DECADE, callback=ctx.callback))
        out.update(P=net.num_params, N=int(ds.X.shape[0]), status=res.status, steps=res.steps, lr=float(res.lr),
                   train_loss=float(res.history["train_loss"][-1]),
                   test_pred=np.asarray(res.history["test_pred"][-1], float), curve=loss_curve(res))
        return out

    def curve_floor(self, record):
        """A P < N run stops within tol of its least-squares loss, not at tol: its curve is drawn
        as the loss above that minimum, against the same tolerance line."""
        return record.get("lstsq_loss") if record.get("regime") == "under" else None

    def _spread(self, records, regime):
        preds = [np.array(r["test_pred"]) for r in records if r["regime"] == regime]
        if len(preds) < 2:
            return float("nan")
        return max(float(np.sqrt(np.mean((a - b) ** 2))) for a, b in itertools.combinations(preds, 2))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(2)
        for ax, regime in zip(axes, ("under", "over")):
            rs = [r for r in records if r["regime"] == regime]
            for r in rs:
                ax.plot(r["test_pred"], marker="o", ms=2, lw=0.6, label=f"{r['optimizer']} σ={r['sigma']}")
            if rs:
                ax.set_title(f"{regime}parameterized: P = {rs[0]['P']}, N = {rs[0]['N']}")
            ax.set_xlabel("test point")
            ax.set_ylabel("converged prediction")
            ax.legend(fontsize=6)
        paths = save_figure(fig, out, "underparameterized")
        return paths

    @staticmethod
    def _done(records, tol):
        """The runs at equal training loss: an under-parameterized run cannot reach tol (its
        minimum is the least-squares residual > 0), so it counts when its loss exceeds its
        own least-squares minimum, computed exactly from the features, by at most tol (the
        tolerance the P ≥ N runs reach: for least squares the excess is ½·mean of the squared
        distance from the minimizer's training predictions, as the loss is for P ≥ N); an
        over-parameterized one when it converged."""
        under = [r for r in records if r["regime"] == "under"]
        over = [r for r in records if r["regime"] == "over"]
        done_u = [r for r in under if math.isfinite(r.get("lstsq_loss", math.nan))
                  and r["train_loss"] - r["lstsq_loss"] <= tol]
        return under, over, done_u, [r for r in over if r["status"] == "converged"]

    @staticmethod
    def _rms(a, b):
        return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))

    def _control(self, records, done_o):
        """The positive control: the largest RMS distance between a converged GD run at η/2
        and the converged GD run at η from the same θ₀ and σ, and how many such pairs; NaN
        where none."""
        gd = {r["sigma"]: r for r in done_o if r["optimizer"] == "gd"}
        d = [self._rms(r["test_pred"], gd[r["sigma"]]["test_pred"]) for r in records
             if r["regime"] == "control" and r["status"] == "converged" and r["sigma"] in gd]
        return (max(d) if d else math.nan), len(d)

    def summary(self, cfg, records):
        under, over, done_u, done_o = self._done(records, cfg["tol"])
        u, o = self._spread(done_u, "under"), self._spread(done_o, "over")
        ctrl, n_ctrl = self._control(records, done_o)
        return [f"- Largest RMS distance between the test predictions of different optimizers and σ, over the runs "
                f"at equal training loss (as in the table): underparameterized {u:.3g} ({len(done_u)} of "
                f"{len(under)} runs), overparameterized {o:.3g} ({len(done_o)} of {len(over)}); GD at η against "
                f"η/2 from one θ₀ (P ≥ N, the control): {ctrl:.3g} ({n_ctrl} pairs; the same-minimizer band "
                f"{same_band(cfg['tol']):.2g}).",
                "- App. A expects the first to vanish up to the runs' convergence (a unique minimizer) and the second "
                "not to; the table's verdicts say whether these runs show it.",
                "- The P < N runs stop once their loss is within tol of the least-squares minimum (computed exactly "
                f"from the features), or at {cfg['under_max_steps']} steps."]

    def claims(self, cfg, records):
        under, over, done_u, done_o = self._done(records, cfg["tol"])
        band = same_band(cfg["tol"])
        u = self._spread(done_u, "under")
        dist = max((self._rms(r["test_pred"], r["lstsq_test_pred"]) for r in done_u), default=math.nan)
        pn = f"P = {under[0]['P']}, N = {under[0]['N']}" if under else ""
        # App. A's premise, for the test predictions: the test points' features lie in the
        # training features' row space (rank of [φ(X); φ(X_test)] = rank of φ(X)).
        ranks = sorted({(r.get("rank_train"), r.get("rank_joint")) for r in under})
        outside = [(a, b) for a, b in ranks if a is None or b is None or b > a]
        rank_text = ", ".join(f"{a} / {b}" for a, b in ranks) or "—"
        premise = (premise_not_met(f"the test features leave φ(X)'s row space: rank φ(X) / [φ(X); φ(X_test)] = "
                                   f"{rank_text}") if outside else None)
        sig = {o: ", ".join(f"{x:g}" for x in sorted(r["sigma"] for r in done_u if r["optimizer"] == o))
               for o in cfg["optimizers"]}
        reached = ", ".join(f"{o} (σ = {sig[o]})" for o in cfg["optimizers"] if sig[o]) or "none"
        # "≈" claim: the P ≥ N runs, which App. A says differ, are the control outside the band.
        over_spread = self._spread(done_o, "over")
        ctrl = self._control(records, done_o)
        return [
            Claim("P < N: every optimizer that reaches the least-squares loss reaches the same minimizer, the "
                  "least-squares one (an identity where the test points' features lie in φ(X)'s row space, the "
                  "premise recorded: every minimizer of the convex linearized loss predicts the same there; and for a "
                  "bias-free ReLU net f₀ lies in φ(X)'s span, so θ₀'s scale cannot move it either — the row checks that "
                  "the runs get there)",
                  f"001 App. A (the package's same-minimizer band: every run within 10·√tol = {band:.2g} RMS of the "
                  "least-squares minimizer's test predictions; control: the P ≥ N runs' largest distance outside it)",
                  f"largest RMS distance from the least-squares minimizer {dist:.2e} (spread between runs {u:.2e}) over "
                  f"the {len(done_u)} of {len(under)} runs within tol = {cfg['tol']:g} of their least-squares loss: "
                  f"{reached} ({pn}; rank φ(X) / [φ(X); φ(X_test)] {rank_text}); P ≥ N runs' largest distance "
                  f"{over_spread:.3g}",
                  premise or approx(dist, band, over_spread, len(done_u), len(under), "under-parameterized runs",
                                    "the P ≥ N runs' largest distance")),
            self._over_claim(cfg, over, done_o, ctrl, "optimizer", "sigma",
                             "000 Thm 3 (adaptive methods), 001 App. A", None),
            self._over_claim(cfg, over, done_o, ctrl, "sigma", "optimizer",
                             "000 Thm 1 (the initialization term; for GD on a bias-free linearized net an identity: the "
                             "converged predictions at σ and σ′ differ by (σᴸ − σ′ᴸ) times the σ = 1 initialization "
                             "term, so GD's spread only checks that term is not 0; AdaGrad and Adam, each at the rate "
                             "find_lr probes at its σ, are not covered by it and are measured), 001 App. A",
                             None),
        ]

    def _over_claim(self, cfg, over, done_o, ctrl, varied, fixed, ref, blocked):
        """P ≥ N: the converged minimizer depends on ``varied`` (the optimizer or σ): at each
        value of ``fixed`` the largest RMS distance between the converged runs' test
        predictions; the claim holds when even the smallest of them exceeds the one
        "same minimizer" yardstick for runs trained to the tolerance, SAME_MINIMIZER·√tol,
        and the positive control ``ctrl`` = (distance, pairs) — GD at η and η/2 from one θ₀,
        one minimizer — lies inside it (else a distance beyond the band need not be a
        different minimizer)."""
        band = same_band(cfg["tol"])
        spreads = {}
        for v in sorted({r[fixed] for r in over}, key=str):
            group = [r for r in done_o if r[fixed] == v]
            spreads[v] = self._spread(group, "over")
        measured = [x for x in spreads.values() if math.isfinite(x)]
        low = min(measured) if measured else math.nan
        what = "θ₀'s scale σ" if varied == "sigma" else "the optimizer"
        name = "σ" if fixed == "sigma" else "optimizer"
        c, n_c = ctrl
        verdict = (blocked or too_few(len(done_o), len(over), "over-parameterized runs")
                   or (f"{INCONCLUSIVE}: a spread could not be measured at every {name}"
                       if len(measured) < len(spreads) else NOT_REPRODUCED if low <= band
                       else f"{INCONCLUSIVE}: the band is untested (no converged control pair: GD at η and η/2 from one "
                            "θ₀)" if not n_c
                       else f"{INCONCLUSIVE}: the control pair (GD at η and η/2 from one θ₀, one minimizer) lies "
                            f"{c:.3g} apart, outside the band {band:.2g}, so a distance beyond it need not be a "
                            "different minimizer" if c > band
                       else REPRODUCED))
        return Claim(f"P ≥ N: the minimizer depends on {what}",
                     f"{ref} (the package's yardstick: RMS distance > 10·√tol = {band:.2g}, the \"same minimizer\" "
                     "band at the tolerance; positive control: GD at η and η/2 from one θ₀ inside it)",
                     f"largest RMS distance between converged runs' test predictions at each {name}: "
                     + ", ".join(f"{k}: {x:.3g}" for k, x in spreads.items())
                     + f" ({len(done_o)} of {len(over)} runs converged); control pair "
                     + (f"{c:.3g} ({n_c} pairs)" if n_c else "not recorded or not converged"),
                     verdict)
