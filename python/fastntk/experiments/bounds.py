"""000 Thm 2 / 002 Thms 3–4: the test error of trained wide nets between the bounds.

With zero biases and m ≥ C, with high probability over θ₀,

    √L_T(f_NN) ≥ σᴸJ(X_T) − √L_T(f_int) − O(1/√m),
    √L_T(f_NN) ≤ √L_T(f_int) + O(σᴸ + 1/√m),

in root-mean-square errors; σᴸJ(X_T) is the RMS of the initialization term
(1/L)φ(X_T)(1 − P_F)θ₀ on the test points (000 Eq. (5); 002 Thms 3–4 state the same
with σᴸ/√δ for the O(σᴸ)). For the linearization trained to convergence both hold
without the O(1/√m) term, by the triangle inequality on Eq. (4); what the theorems add
for the trained net is that its departure from them is O(1/√m). So each run records the
net's RMSE beside the bounds computed from its own θ₀ (the initialization term at the
run's σ, RMSE(f_int)), and a row judges, at each σ, whether the net's shortfall below the
lower bound (its excess over the upper one, with the initialization term's RMS as the
O(σᴸ)) is absent at the widest width or falls as m grows.
"""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..model import MLP
from ._base import Experiment, falling_trend, legend, log_axes, save_figure, trend_direction
from ._training import fit, laziness
from ._verdict import LAZY, MIN_RUNS, REPRODUCED, Claim, excluded, lazy_median, premise_not_met, usable

# A shortfall (excess) counts as none up to √(2·tol) in RMSE: a net trained to loss tol can
# sit that far from its limit (≈ 0.0045 at tol = 1e-5). Absolute since next11 (was 1 % of the
# bound, 0.022 RMSE at σ = 16, which hid a run 0.0116 below the lower bound).
def allowance(cfg):
    return math.sqrt(2.0 * cfg["tol"])


class Bounds(Experiment):
    name = "generalization-bounds"
    title = "The trained net's test error between Thm 2's bounds"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Thm 2, Eq. (5); 002 Thms 3–4)"
    presets = {
        "quick": dict(data="digits", n_train=20, n_test=100, data_seed=0, depth=2, bias="zero", sigmas=[2.0, 4.0],
                      widths=[200, 400, 800], seeds=[0, 1, 2, 3, 4], tol=1e-5, max_steps=20000),
        # MNIST as 000 Fig. 2 (N = 100 0/1 images, L = 2), at the σ where the lower bound is far from
        # vacuous (000 Fig. 2's large-σ regime) and a width sweep for the O(1/√m); seeds 140–144,
        # registered with the rules before any run. Seeds 150–154: new after a review of 140–144 found the
        # rows reproduced by nets that were not lazy (the theorems' m ≥ C unjudged); widths to 16000 (were
        # 1000–4000), where σ = 8's nets would be lazy if ‖f_NN − f_lin‖ falls like 1/√m from 4000's 0.16
        # (σ = 16 would need about 26000: its rows say so if they stay outside the regime). Seeds
        # 160–164: new after a review of 150–154 found σ = 16's laziness premise passed on a knife edge
        # (0.099 against 0.1) with its nets farther from f_lin than the band between the bounds; the rows
        # now need the theorems' route itself (next11). Seeds 170–174: new after a review of 160–164 found
        # the σ = 16 verdict naming the laziness median instead of the failing route (next12).
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
        # Seeds 480–484 (next27): trend_direction counting a no-trend seed against either sign, not only the claimed one (next27, the review of gradient-confusion's 330–337); nothing of generalization-bounds' own changed.
        "standard": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depth=2, bias="zero",
                         sigmas=[8.0, 16.0], widths=[2000, 4000, 8000, 16000], seeds=[480, 481, 482, 483, 484],
                         tol=1e-5,
                         max_steps=20000),
        "paper": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depth=2, bias="zero",
                      sigmas=[4.0, 8.0, 16.0], widths=[1000, 2000, 4000, 8000], seeds=list(range(10)), tol=1e-5,
                      max_steps=300000),
    }

    def jobs(self, cfg):
        return [dict(sigma=s, width=m, seed=seed) for s in cfg["sigmas"] for m in cfg["widths"]
                for seed in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], cfg["depth"], sigma=job["sigma"], bias=cfg["bias"])
        theta = net.init(job["seed"])
        res, info = fit(net, theta, ds.X, ds.Y, X_test=ds.X_test, tol=cfg["tol"], max_steps=cfg["max_steps"],
                        callback=ctx.callback)
        dec = theory.decompose(net, theta, ds.X, ds.Y, ds.X_test)
        pred = np.asarray(res.history["test_pred"][-1], np.float64)
        y = np.asarray(ds.Y_test, np.float64)

        def rms(v):
            return float(np.linalg.norm(v) / math.sqrt(v.shape[0]))
        return dict(status=res.status, steps=res.steps, path=res.path, **info,
                    **laziness(net, theta, res.params, ds.X, pred, dec.f_lin),
                    train_loss=float(res.history["train_loss"][-1]),
                    rmse_nn=rms(pred - y), rmse_lin=rms(dec.f_lin - y), rmse_int=rms(dec.f_int - y),
                    init_rms=rms(np.asarray(dec.init_term, np.float64)),
                    nn_lin_rms=rms(pred - np.asarray(dec.f_lin, np.float64)))

    @staticmethod
    def _lower(r):
        """Thm 2's lower bound from the run's own θ₀: RMS(initialization term) − RMSE(f_int)."""
        return r["init_rms"] - r["rmse_int"]

    @staticmethod
    def _upper(r):
        """The upper bound with the initialization term's RMS as its O(σᴸ): RMSE(f_int) + RMS(init term)."""
        return r["rmse_int"] + r["init_rms"]

    def _gaps(self, r):
        """(shortfall below the lower bound, excess over the upper one) in RMSE, 0 where the
        net is inside; NaN for a vacuous lower bound."""
        lo, hi = self._lower(r), self._upper(r)
        short = max(0.0, lo - r["rmse_nn"]) if lo > 0 else math.nan
        return short, max(0.0, r["rmse_nn"] - hi)

    def _route_width(self, ok, idx, widest):
        """Where the route would start to hold: the median RMS(f_NN − f_lin) extrapolated along its
        measured power law in m (a least-squares fit over the widths) to f_lin's median margin."""
        ms = sorted({r["width"] for r in ok})
        far = [float(np.median([r["nn_lin_rms"] for r in ok if r["width"] == m])) for m in ms]
        wide = [r for r in ok if r["width"] == widest]
        margin = float(np.median([r["rmse_lin"] - self._lower(r) if idx == 0 else self._upper(r) - r["rmse_lin"]
                                  for r in wide]))
        if len(ms) < 2 or min(far) <= 0 or margin <= 0:
            return ""
        slope = float(np.polyfit(np.log(ms), np.log(far), 1)[0])
        if slope >= 0:
            return f"; RMS(f_NN − f_lin) does not fall with m here (slope {slope:.2f})"
        need = widest * (margin / far[-1]) ** (1.0 / slope)
        return f"; at the measured m^{slope:.2f} decay m ≈ {need:.2g} would be needed"

    def _route(self, r, idx):
        """Whether the theorems' route places this net on the bound's side: the net's RMSE is
        within RMS(f_NN − f_lin) of f_lin's (the triangle inequality), so it decides when that
        distance is below f_lin's margin to the bound (RMSE(f_lin) − lower, or upper − RMSE(f_lin))."""
        margin = r["rmse_lin"] - self._lower(r) if idx == 0 else self._upper(r) - r["rmse_lin"]
        return r["nn_lin_rms"] < margin

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(len(cfg["sigmas"]))
        for ax, sg in zip(axes, cfg["sigmas"]):
            for i, (what, idx) in enumerate((("shortfall below the lower bound", 0), ("excess over the upper", 1))):
                xs, ys = [], []
                for m in cfg["widths"]:
                    ok = usable([r for r in records if r["sigma"] == sg and r["width"] == m], cfg["tol"])[0]
                    vals = [self._gaps(r)[idx] for r in ok]
                    vals = [v for v in vals if math.isfinite(v)]
                    if vals:
                        xs.append(m)
                        ys.append(max(float(np.median(vals)), 1e-6))
                if xs:
                    ax.plot(xs, ys, marker="o", color=f"C{i}", label=f"{what} (median, floored at 1e-6)")
            ax.axhline(allowance(cfg), color="k", ls=":", lw=0.8,
                       label=f"√(2·tol) = {allowance(cfg):.2g} (counts as none)")
            log_axes(ax, "width m", "RMSE past the bound", f"σ = {sg:g}, L = {cfg['depth']}")
            # the widths themselves as ticks: log-axis minor labels (3×10³, 4×10³) collide
            ax.set_xticks(cfg["widths"], [f"{m:g}" for m in cfg["widths"]], minor=False)
            ax.set_xticks([], minor=True)
            legend(ax, fontsize=7)
        return save_figure(fig, out, "bounds")

    def summary(self, cfg, records):
        lines = ["- Medians over the usable runs (converged to the tolerance, not degenerate), as in the table; "
                 "RMSEs on the test set."]
        for sg in cfg["sigmas"]:
            for m in cfg["widths"]:
                rs = [r for r in records if r["sigma"] == sg and r["width"] == m]
                ok, why = usable(rs, cfg["tol"])
                if not ok:
                    continue

                def med(key):
                    return float(np.median([r[key] for r in ok]))
                lines.append(
                    f"- σ = {sg:g}, m = {m}: RMSE f_NN {med('rmse_nn'):.3g}, f_lin {med('rmse_lin'):.3g}, f_int "
                    f"{med('rmse_int'):.3g}; RMS(init term) {med('init_rms'):.3g}; bounds "
                    f"[{float(np.median([self._lower(r) for r in ok])):.3g}, "
                    f"{float(np.median([self._upper(r) for r in ok])):.3g}]; RMS(f_NN − f_lin) {med('nn_lin_rms'):.3g} "
                    f"(relative {lazy_median(ok):.3g}); {len(ok)} of {len(rs)} usable{excluded(why)}.")
        lines.append("- f_lin satisfies both bounds exactly (the triangle inequality on Eq. (4)); a net's shortfall "
                     "or excess is at most RMS(f_NN − f_lin), the O(1/√m) of Thm 1.")
        lines.append(f"- The theorems bound the net through its staying close to f_lin (m ≥ C): a row whose widest nets "
                     f"are not lazy (median relative distance > {LAZY}), or whose widest nets lie farther from f_lin than "
                     "f_lin lies from the bound in more than half the runs (so the triangle inequality cannot place them), "
                     "reads premise not met, since a bound that holds there holds by another route than theirs.")
        return lines

    def claims(self, cfg, records):
        out = []
        widest = max(cfg["widths"])
        for sg in cfg["sigmas"]:
            rs = [r for r in records if r["sigma"] == sg]
            ok, why = usable(rs, cfg["tol"])
            for idx, (what, ref) in enumerate((
                    ("at least the lower bound σᴸJ − RMSE(f_int)", "000 Thm 2 (Eq. (5), lower); 002 Thm 4"),
                    ("at most the upper bound RMSE(f_int) + RMS(initialization term)",
                     "000 Thm 2 (Eq. (5), upper, its O(σᴸ) the initialization term); 002 Thm 3"))):
                gaps = {(r["seed"], r["width"]): self._gaps(r)[idx] for r in ok}
                at_wide = [v for (s, m), v in gaps.items() if m == widest and math.isfinite(v)]
                bounds = [self._lower(r) for r in ok]
                premise = None
                if idx == 0 and bounds and float(np.median(bounds)) <= 0:
                    premise = premise_not_met(f"the lower bound is vacuous at σ = {sg:g}: median σᴸJ − RMSE(f_int) "
                                              f"{float(np.median(bounds)):.3g} ≤ 0")
                # The theorems' m ≥ C: they bound the net through its staying close to f_lin, so a
                # bound that holds for a net far from f_lin holds by another route than theirs.
                wide = [r for r in ok if r["width"] == widest]
                lazy = lazy_median(wide)
                route = sum(self._route(r, idx) for r in wide)
                # The route first: it is the theorems' own step (next12; before, the coarser laziness
                # median was named even where the route failed outright).
                if premise is None and wide and route * 2 < len(wide) + 1:
                    far = float(np.median([r["nn_lin_rms"] for r in wide]))
                    premise = premise_not_met(
                        f"at m = {widest} the nets lie farther from f_lin (median RMS {far:.3g}) than f_lin from the "
                        f"bound in {len(wide) - route} of {len(wide)} runs: the theorems' route cannot place them"
                        f"{self._route_width(ok, idx, widest)}")
                if premise is None and not lazy <= LAZY:
                    premise = premise_not_met(f"not lazy at m = {widest}: median ‖f_NN − f_lin‖/‖f_lin‖ {lazy:.3g} > "
                                              f"{LAZY}")
                trends = falling_trend({k: v for k, v in gaps.items() if math.isfinite(v)}, cfg["seeds"],
                                       sorted(cfg["widths"]))
                tol = allowance(cfg)
                if premise:
                    verdict = premise
                elif len(at_wide) >= MIN_RUNS and len(at_wide) * 2 >= len(cfg["seeds"]) and max(at_wide) <= tol:
                    verdict = REPRODUCED  # the bound holds at the widest width in every usable run
                else:
                    verdict = trend_direction(trends, len(cfg["seeds"]))
                bound = self._lower if idx == 0 else self._upper
                ratio = [r["rmse_nn"] / bound(r) for r in ok if r["width"] == widest and bound(r) > 0]
                outside = [v for v in at_wide if v > tol]
                below = [v for v in at_wide if v > 0]
                per_m = "; ".join(
                    f"m = {m}: {float(np.median([v for (s, mm), v in gaps.items() if mm == m])):.3g}"
                    for m in sorted(cfg["widths"]) if any(mm == m for (s, mm) in gaps))
                out.append(Claim(
                    f"σ = {sg:g}: the trained net's test RMSE is {what}, up to a departure that vanishes or falls "
                    "as m grows (O(1/√m))",
                    f"{ref} (m ≥ C; fastntk: a departure ≤ √(2·tol) = {tol:.2g} RMSE counts as none; the theorems' "
                    "route is Thm 1's: the net within RMS(f_NN − f_lin) of f_lin, which meets the bound by Eq. (4), so "
                    "where the route holds the bound holds)",
                    f"median departure (RMSE past the bound) by width: {per_m or '—'}; RMSE(f_NN)/bound at m = "
                    f"{widest}: median {float(np.median(ratio)) if ratio else math.nan:.3g}; past the bound at m = "
                    f"{widest} in {len(below)} of {len(at_wide)} usable runs, by more than {tol:.2g} in {len(outside)}"
                    + (f" (up to {max(outside):.3g})" if outside else "")
                    + f"; the theorems' route (RMS(f_NN − f_lin) below f_lin's margin to the bound) holds at m = "
                      f"{widest} in {route} of {len(wide)}"
                    + (f"; of the seeds with a departure at some width, falls with m in {sum(t > 0 for t in trends)} of "
                       f"{len(trends)} (rank correlation)" if trends else "; no departure at any width in any run")
                    + f"; {len(ok)} of {len(rs)} runs usable{excluded(why)}",
                    verdict))
        return out
