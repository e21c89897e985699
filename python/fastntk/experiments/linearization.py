"""000 Thm 1: the fully trained wide ReLU net equals its linearization's limit, Eq. (4)
(f_int plus the initialization term), up to an O(1/√m) error — judged by sweeping the
width at fixed data, σ and tolerance and fitting the log-log slope of the RMS distance
between the trained net's and Eq. (4)'s test predictions.

Thm 1 holds for m ≥ C (Lemma 1: the net follows its linearization), a property of the width.
The fit takes the widths whose nets do — the median over θ₀ of the relative distance from
Eq. (4) on the test set (``lin_distance``) at most ``LAZY``, the package's laziness reading,
by more than its standard error — with every usable net at those widths, and names the
widths it leaves out: above LAZY by more than the error, or straddling it or with too few
usable nets (undecided). Where fewer than MIN_WIDTHS widths are in, the row is premise not
met, or inconclusive (premise undecided) where the undecided widths could make up the count."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .. import plots, theory
from ..model import MLP
from ._base import Experiment, group, log_axes, loglog_slope, plot_grouped, save_figure
from ._rate import MIN_WIDTHS, RATE, mean_slope, rate_claim
from ._training import fit, laziness
from ._verdict import (INCONCLUSIVE, LAZY, NOT_REPRODUCED, REPRODUCED, excluded, median_error, premise_not_met,
                       too_few, usable, within)



class Linearization(Experiment):
    name = "linearization"
    title = "The trained net against Eq. (4), by width (Thm 1's O(1/√m))"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Thm 1)"
    presets = {
        "quick": dict(data="digits", n_train=50, n_test=100, data_seed=0, depths=[2],
                      widths=[250, 500, 1000, 2000], seeds=[0, 1, 2, 3, 4], sigma=4.0, tol=1e-4,
                      max_steps=20000),
        # σ = 4 as in adaptive.py: on MNIST GD at σ = 1 does not reach 1e-5 within the cap at these
        # widths. Widths from 1000: at m = 500 GD's nets were not lazy (adaptive, seeds 60–64). Seeds
        # 150–154 and m = 8000 added: a review of seeds 70–74 found the slope resting on three widths
        # (local slopes −0.67 and −0.39) and the row's wording claiming m^(−1/2) where it judges "at least".
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
        # Seeds 330–334 (next22): a review of 320–324 found the m = 1000 nets 0.121–0.165 from Eq. (4) (not lazy)
        # in the fit because their kernel moved only 0.061; the fit now takes only nets within LAZY of Eq. (4).
        # Seeds 350–354 and m = 16000 (next23): a review of 330–334 found the per-net gate a point cut on the
        # quantity fitted (m = 2000's nets 2–7 % above LAZY, its median 0.1025 straddling it), leaving 2 widths; the
        # gate is now per width, the median with its standard error, and m = 16000 gives a third width beyond
        # m = 2000 (its steps cost about 2× m = 8000's: the run about 260–330 s against 162 s, from 330–334's steps).
        "standard": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2],
                         widths=[1000, 2000, 4000, 8000, 16000], seeds=[350, 351, 352, 353, 354], sigma=4.0, tol=1e-5,
                         max_steps=100000),
        "paper": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2, 3],
                      widths=[500, 1000, 2000, 4000, 8000], seeds=list(range(10)), sigma=1.0, tol=1e-5,
                      max_steps=300000),
    }

    def jobs(self, cfg):
        return [dict(depth=L, width=m, seed=s) for L in cfg["depths"] for m in cfg["widths"] for s in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], job["depth"], sigma=cfg["sigma"])
        theta = net.init(job["seed"])
        res, info = fit(net, theta, ds.X, ds.Y, optimizer="gd", X_test=ds.X_test, tol=cfg["tol"],
                        max_steps=cfg["max_steps"], callback=ctx.callback)
        pred = np.asarray(res.history["test_pred"][-1], np.float64)
        eq4 = np.asarray(theory.decompose(net, theta, ds.X, ds.Y, ds.X_test).f_lin, np.float64)
        n_t = math.sqrt(pred.size)
        return dict(status=res.status, steps=res.steps, **info, **laziness(net, theta, res.params, ds.X, pred, eq4),
                    train_loss=float(res.history["train_loss"][-1]),
                    gap_rms=float(np.linalg.norm(pred - eq4) / n_t), gap_sup=float(np.max(np.abs(pred - eq4))))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(1)
        ax = axes[0]
        for i, L in enumerate(cfg["depths"]):
            ok = usable([r for r in records if r["depth"] == L], cfg["tol"])[0]
            plot_grouped(ax, ok, "width", "gap_rms", f"L = {L}", f"C{i}")
        w = np.array(sorted(cfg["widths"]), float)
        ok = usable(records, cfg["tol"])[0]
        if ok:
            ax.plot(w, np.mean([r["gap_rms"] for r in ok]) * (w / w.mean()) ** RATE, "k:", label="∝ m^(−1/2)")
        log_axes(ax, "width m", "RMS of f_NN − Eq. (4) on the test set", f"σ = {cfg['sigma']}, trained to "
                 f"{cfg['tol']}", xbase=2)
        return save_figure(fig, out, "linearization")

    def summary(self, cfg, records):
        lines = ["- Means over the usable runs (converged, not degenerate), as in the table."]
        for L in cfg["depths"]:
            rs = [r for r in records if r["depth"] == L]
            ok, why = usable(rs, cfg["tol"])
            g = group(ok, ["width"], "gap_rms")
            s = group(ok, ["width"], "gap_sup")
            lines.append(f"- L = {L}: RMS (sup) distance of the trained net's test predictions from Eq. (4): "
                         + ", ".join(f"m = {k[0]}: {v[0]:.3g} ({s[k][0]:.3g}; n = {v[2]})" for k, v in sorted(g.items()))
                         + f"{excluded(why)}.")
        lines.append("- Thm 1: the distance is O(1/√m), a log-log slope of −1/2 or steeper. Eq. (4) is the limit of the "
                     "linearization trained by GD to convergence; the records' lin_distance is the relative distance "
                     "from Eq. (4), not from a linearization trained with the net's own rate halvings.")
        lines.append(f"- The table's slope is fitted on the widths whose nets follow their linearization (Thm 1's "
                     f"m ≥ C, Lemma 1): the median lin_distance ≤ {LAZY} by more than its standard error, every "
                     f"usable net at those widths; the means above are over every usable net.")
        return lines

    @staticmethod
    def _lazy_by_width(runs, widths, tol):
        """Per width, whether its nets follow their linearization (Thm 1's m ≥ C, Lemma 1): the
        median over its usable nets (one per θ₀) of the relative distance from Eq. (4) on the
        test set against LAZY with its standard error, read by ``within`` as every value row
        here is — "in" at most LAZY by more than the error, "out" above it by more than the
        error, "undecided" where the error straddles it, "too few" with fewer than MIN_RUNS
        nets measured. {width: (state, median, error, nets above LAZY, nets measured)}.
        next22 gated each net on its point value, so a width whose median sat 2 % above LAZY
        lost its farthest nets and decided the row's premise on a knife edge (a review of
        seeds 330–334)."""
        out = {}
        for m in sorted(widths):
            made = [r for r in runs if r["width"] == m]
            dist = [r["lin_distance"] for r in usable(made, tol)[0] if math.isfinite(r.get("lin_distance", math.nan))]
            med = float(np.median(dist)) if dist else math.nan
            err = median_error(dist)
            if too_few(len(dist), len(made)):
                state = "too few"
            else:
                v = within(med, 0.0, LAZY, len(dist), len(made), err=err)
                state = "in" if v == REPRODUCED else "out" if v == NOT_REPRODUCED else "undecided"
            out[m] = (state, med, err, sum(d > LAZY for d in dist), len(dist))
        return out

    def claims(self, cfg, records):
        out = []
        for L in cfg["depths"]:
            runs = [r for r in records if r["depth"] == L]
            # Thm 1's premise per width (next23; next22 gated each net on its point value): the fit takes the
            # widths whose median distance from Eq. (4) is within LAZY by more than its standard error, with all
            # their usable nets — dropping a width's far nets alone lowered its mean and flattened the slope
            # (2000 → 4000: −0.72 ungated, −0.58 gated on 330–334). The kernel's movement alone (next21) let in
            # m = 1000 nets 0.12–0.17 from Eq. (4) whose kernel moved 0.06.
            lazy = self._lazy_by_width(runs, cfg["widths"], cfg["tol"])
            inside = [m for m, v in lazy.items() if v[0] == "in"]
            # A width with too few usable nets is undecided too, not against the premise (pre-run review of next23:
            # 1000 and 2000 out and 16000 capped read premise not met though 16000 could be the third width).
            undecided = [m for m, v in lazy.items() if v[0] in ("undecided", "too few")]
            left_out = [m for m, v in lazy.items() if v[0] != "in"]
            gated = [r for r in runs if r["width"] in inside]
            row = rate_claim(f"L = {L}: the trained net's distance from Eq. (4) decays at least about as fast as "
                             "m^(−1/2) (O(1/√m))", f"000 Thm 1 (at σ = {cfg['sigma']:g}; 000's experiments: σ = 1; "
                             f"the widths whose nets follow their linearization, Lemma 1: median relative distance "
                             f"from Eq. (4) ≤ {LAZY} by more than its standard error)", "the RMS distance on the test "
                             "set", gated, cfg["widths"], "gap_rms", cfg["tol"])
            ok = usable(gated, cfg["tol"])[0]
            ws = sorted({r["width"] for r in ok})
            g = group(ok, ["width"], "gap_rms")
            local = ", ".join(f"{a} → {b}: {loglog_slope([a, b], [g[(a,)][0], g[(b,)][0]]):.2f}"
                              for a, b in zip(ws, ws[1:]))
            sup = mean_slope(ok, ws, "gap_sup")
            per = "; ".join(f"m = {m}: {med:.3g} ± {err:.2g} ({state}; {above} of {n} nets above {LAZY})"
                            for m, (state, med, err, above, n) in lazy.items())
            gate = (f"per width the median relative distance from Eq. (4) on the test set (± standard error) against "
                    f"{LAZY}: {per}; the fit on m ∈ {inside}" + (f", m ∈ {left_out} left out" if left_out else "")
                    + ": ")
            verdict = row.verdict
            if left_out and len(inside) < MIN_WIDTHS:
                shown = (f"the nets follow their linearization (median relative distance from Eq. (4) ≤ {LAZY} by more "
                         f"than its standard error) at {len(inside)} width(s) {inside}, needs ≥ {MIN_WIDTHS}")
                if len(inside) + len(undecided) >= MIN_WIDTHS:
                    verdict = (f"{INCONCLUSIVE}: premise undecided ({shown}; undecided: "
                               + ", ".join(f"m = {m}: {lazy[m][4]} usable nets, too few" if lazy[m][0] == "too few"
                                           else f"m = {m}: {lazy[m][1]:.3g} ± {lazy[m][2]:.2g} straddling {LAZY}"
                                           for m in undecided) + ")")
                else:
                    verdict = premise_not_met(f"{shown}; left out: " + ", ".join(
                        f"m = {m}: {lazy[m][1]:.3g} ± {lazy[m][2]:.2g}" for m in left_out))
            out.append(replace(row, measured=f"{gate}{row.measured}; local slopes {local or '—'}; the sup distance's "
                                             f"slope {sup:.2f}", verdict=verdict))
        return out
