"""000 Thm 3: a wide ReLU net trained by AdaGrad follows the closed form Eq. (7) — its
linearization driven by the adaptive matrices D_t the run itself produced — up to an
O(1/√m) error; and where AdaGrad ends is not where GD ends from the same θ₀ (Sect. 4:
the adaptive minimizer differs from GD's).

That row's positive control is GD at half its rate from the same θ₀ (one minimizer, so
inside the same-minimizer band), and its premise the kernel regime of every net it
compares (the AdaGrad, the GD and the half-rate GD nets).

Each AdaGrad run trains the network full-batch at one η per θ₀-seed for every width (App. D's
rate rule — the largest rate with a monotone loss — applied once, to the net at the widest
width: Thm 3's O(1/√m) holds η fixed as m grows) to the tolerance, recording
D_t of every update; Eq. (7) is evaluated from θ₀, the recorded D_t and the rate on the
test points, at the run's last step. At the widest width GD trains the same θ₀ to the
same tolerance. The data are Gaussian inputs on the unit sphere (Thm 3's x ∈ B₁ᵈ(0)) in a
low dimension, so that the D_t of every step (steps × P) fit in memory at the widest net;
000's experiments use MNIST."""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..dynamics import default_lr, find_lr
from ..model import MLP
from ._base import Experiment, group, log_axes, plot_grouped, save_figure
from ._concentration import ADAGRAD, concentration_note, drift
from ._rate import KERNEL_MOVE, RATE, _kernel_moved, rate_claim
from ._training import fit, laziness
from ._verdict import (ALPHA, INCONCLUSIVE, MIN_PAIRS, NOT_REPRODUCED, REPRODUCED, Claim, direction, excluded,
                       premise_not_met, same_band, sign_test, spread, too_few, usable)

def _rms(v) -> float:
    v = np.asarray(v, np.float64)
    return float(np.linalg.norm(v) / math.sqrt(v.size))


class AdaptiveClosedForm(Experiment):
    name = "adaptive-closed-form"
    title = "AdaGrad-trained nets against Thm 3's closed form Eq. (7), by width"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Thm 3, Sect. 4; 001 Fig. 10)"
    presets = {
        "quick": dict(data="sphere:8", n_train=10, n_test=40, data_seed=0, depth=2, widths=[200, 800, 3200],
                      seeds=[0, 1, 2], sigma=1.0, tol=1e-4, max_steps=1500),
        # Seeds 110–117: new after a review of 100–107 found the slope fitted over a width whose nets were
        # not lazy, the "not GD's" row comparing two formulas (now the AdaGrad net against a GD-trained
        # net from the same θ₀, an "≈" claim) with a floor from the wrong quantity, and Example 1
        # cited outside its conditions. Seeds 100–107 were registered with the first rules; the quick
        # preset's seeds 0–2 were run to size the step cap.
        # Widths 2000–16000 (were 500–8000): with the slope fitted over lazy widths only, m = 500 (median
        # distance 0.118 on seeds 100–107) would leave two.
        # Seeds 120–127: new after a review of 110–117 found the laziness filter read from the distance the
        # slope measures (now the kernel's movement) and D_t's drift normalized by D_T, not sup_t D_t.
        # Seeds 150–157: new after a review of 120–127 found Thm 3's premise (D_t concentrates; the drift
        # was 0.998–1.000 at every width) unjudged and the second row's laziness read from the distance it judges.
        # Seeds 170–177: new after a review of 150–157 found the premise unfailable for AdaGrad without the
        # rows saying so (they now do).
        # Seeds 180–187: new after a review of 170–177 found the AdaGrad-vs-GD row blocked by that premise,
        # though it measures both of its parts on the nets (it now needs only the kernel regime).
        # Seeds 190–197: new after a review of 180–187 found that row's kernel regime read from the AdaGrad
        # nets only (the GD nets now record theirs), no positive control for its band (GD at η/2 from the
        # same θ₀ now), and Thm 3 cited without saying its concentration premise fails in these runs.
        # Seeds 230–237: new after a review of 220–227 found the positive control counted but judged by its
        # median (now the same sign test as "differs": inside the band on significantly many seeds, 7 of 8)
        # and "000 Fig. 3 shows it empirically" overstating (it shows a test-error gap, now said so).
        # Seeds 220–227: the run with 210–217 (next17) showed the sign test's count missing from the measured cell
        # (now "beyond the band in k of them"); that run is kept in docs/withdrawn, unlanded.
        # Seeds 210–217: new after a review of 200–207 found next16's rule reading "not reproduced" where the band
        # cannot resolve the effect (the linear models' Eq. (7) − Eq. (4) inside it) or the AdaGrad net lies off
        # Eq. (7) (allowed by Thm 3's failed premise), its positive control without a count, and medians judged
        # where the project's rule is a per-seed sign test: now inconclusive in the first two cases, the
        # control counted, "differs" a sign test over the seeds.
        # Seeds 200–207: new after a review of 190–197 found the AdaGrad-vs-GD row unable to read "not
        # reproduced" on its headline (an AdaGrad net inside the band read inconclusive even with the positive
        # control inside it; now evidence against "differs"), its paper cell calling 000 Sect. 4 empirical (it is
        # derived from Thm 3 and Example 1; 000 Fig. 3 and 001 Fig. 10 are the empirical anchors), and the extra
        # check's paper cell still saying "where D_t concentrates".
        # 2026-12-06: seeds 300–307, new for the rerun under next19's training procedure (the core judges a
        # full-batch run's monotone loss at every step, was every 20; records keep loss curves).
        # Seeds 310–317 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–327 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried.
        # Seeds 380–387 (next24): the audit of issue 25 found the "differs from GD's" sign test without the seed-to-
        # seed floor (issue 25: an effect larger than the seeds' spread); it now takes the distances' spread.
        # Seeds 590–597 (next29-f, session 26): Thm 3's concentration premise is measured as stochastic's mechanism
        # row measures it (_concentration: the drift against the best-fitting D, was D_T, which doubles it; each
        # coordinate from the first update a gradient above eps reached it, one never reached left out and counted)
        # and printed beside the first row's verdict with its slope over m, no longer its gate: it asks the drift to
        # fall like 1/√m, which nothing ties to m for 000's AdaGrad (_concentration.ADAGRAD), and 000 applies Thm 3
        # to AdaGrad where the linearization holds approximately (App. F.4), the kernel regime rate_claim reads; so
        # the first row's rate is the verdict, said to be measured outside Thm 3's stated premise, and the extra row
        # that carried it goes. The third row judges its Eq. (7) half by the sign test over θ₀ both ways (was a
        # median, inside or "inconclusive, which the failed premise allows": it could not fail on that half): off
        # Eq. (7) beyond the seeds' spread reads not reproduced where the GD nets lie inside the band from their own
        # Eq. (4) (recorded now: gap_eq4), the control that the band allows the linearization's remainder at this m.
        # Written knowing 380–387's drift (≈ 1 at every width, the old reading) and that the AdaGrad nets lay
        # 0.00478 from Eq. (7) there. The drafts' runs (next29, 530–537; next29-b, 540–547; next29-d, 560–567;
        # next29-f as first registered, 580–587) finished or were stopped and were not read: pre-run reviews stopped
        # them (see stochastic's preset).
        # Seeds 620–627 (next30, session 27): the AdaGrad nets train at one η per θ₀ at every width (fixed_lr: App.
        # D's rule applied once, at the widest width), the first row's rate read over the seeds that kept it (a seed
        # halved at any width left out and named), with the kernel's movement per width beside; the Eq. (7) half's
        # undecided text gives its counts instead of another verdict's words. An audit of issue 25 found the rate
        # fitted over an η falling like m^(−0.67) (two values at some widths), not Thm 3's fixed-η object. Written
        # knowing 590–597's slope −0.62 ± 0.03 at the per-width η.
        # Seeds 720–727, paper preset 30–39 (next32, session 29): D_t recorded on a replay of each AdaGrad run capped
        # at its own length (the paper preset's m = 16000 runs were refused before they started: their D_t record at
        # the 20,000-step cap, 43 GiB, against runs of 19–49 steps on 620–627); a replay that does not retrace its
        # run is left out. The rules are unchanged; new seeds because the procedure changed. The paper preset (seeds
        # 0–9, registered with the experiment) never ran.
        "standard": dict(data="sphere:16", n_train=20, n_test=100, data_seed=0, depth=2,
                         widths=[2000, 4000, 8000, 16000], seeds=list(range(720, 728)), sigma=1.0, tol=1e-5,
                         max_steps=3000),
        "paper": dict(data="sphere:16", n_train=20, n_test=100, data_seed=0, depth=2,
                      widths=[500, 1000, 2000, 4000, 8000, 16000], seeds=list(range(30, 40)), sigma=1.0, tol=1e-5,
                      max_steps=20000),
    }

    def jobs(self, cfg):
        top = max(cfg["widths"])
        return ([dict(width=m, seed=s, optimizer="adagrad") for m in cfg["widths"] for s in cfg["seeds"]]
                + [dict(width=top, seed=s, optimizer="gd") for s in cfg["seeds"]]
                + [dict(width=top, seed=s, optimizer="gd_half") for s in cfg["seeds"]])

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], cfg["depth"], sigma=cfg["sigma"])
        theta = net.init(job["seed"])
        if job["optimizer"] in ("gd", "gd_half"):
            # GD at its rule's rate, and the positive control at half of it (the same minimizer in the kernel
            # regime, reached by another path); each records its kernel's movement against Eq. (4).
            kw = {} if job["optimizer"] == "gd" else dict(lr=0.5 * default_lr(net, theta, ds.X))
            res, info = fit(net, theta, ds.X, ds.Y, optimizer="gd", X_test=ds.X_test, tol=cfg["tol"],
                            max_steps=cfg["max_steps"], callback=ctx.callback, **kw)
            pred = np.asarray(res.history["test_pred"][-1], np.float64)
            eq4 = np.asarray(theory.decompose(net, theta, ds.X, ds.Y, ds.X_test).f_lin, np.float64)
            return dict(status=res.status, steps=res.steps, **info, **laziness(net, theta, res.params, ds.X, pred, eq4),
                        train_loss=float(res.history["train_loss"][-1]), test_pred=[float(v) for v in pred],
                        gap_eq4=_rms(pred - eq4))
        # One η per θ₀-seed at every width (fixed_lr; find_lr probes without recording D_t); fit halves it if the
        # loss rises, which the first row then reads as a seed without one η.
        lr = self.fixed_lr(cfg, ds, job["seed"])
        # D_t of every update is (steps + 1) × P float64, which the training reserves for its step cap before it
        # starts: 43 GiB at m = 16000 and the paper preset's 20,000 steps, though these runs stop after tens. So the
        # run trains without it, then is replayed — full-batch and deterministic, at the rate it ended with —
        # capped at its own length, D_t recorded; a replay that does not retrace it is left out (status).
        probe, info = fit(net, theta, ds.X, ds.Y, optimizer="adagrad", lr=lr, X_test=ds.X_test, tol=cfg["tol"],
                          max_steps=cfg["max_steps"], callback=ctx.callback)
        res, _ = fit(net, theta, ds.X, ds.Y, optimizer="adagrad", lr=info["lr"], X_test=ds.X_test, tol=cfg["tol"],
                     max_steps=max(1, probe.steps), callback=ctx.callback, record_D=True)
        retraced = (res.status == probe.status and res.steps == probe.steps
                    and res.history["train_loss"][-1] == probe.history["train_loss"][-1])
        pred = np.asarray(res.history["test_pred"][-1], np.float64)
        f0 = np.asarray(net.apply(theta, ds.X_test), np.float64)
        D = np.asarray(res.history["D"], np.float64)
        eq7 = np.asarray(theory.adaptive_closed_form(net, theta, ds.X, ds.Y, ds.X_test, D, res.lr), np.float64)
        eq4 = np.asarray(theory.decompose(net, theta, ds.X, ds.Y, ds.X_test).f_lin, np.float64)
        d_drift, left_out = drift(D, res.config.eps)  # Thm 3's premise (_concentration)
        return dict(status=res.status if retraced else "replay differs", steps=res.steps, replay_of=probe.status,
                    **info,
                    **laziness(net, theta, res.params, ds.X, pred, eq7),
                    train_loss=float(res.history["train_loss"][-1]), test_pred=[float(v) for v in pred],
                    gap_eq7=_rms(pred - eq7), gap_eq4=_rms(pred - eq4), moved=_rms(pred - f0),
                    eq7_eq4=_rms(eq7 - eq4), d_drift=d_drift, d_left_out=left_out)

    @staticmethod
    def fixed_lr(cfg, ds, seed):
        """The AdaGrad η of θ₀-seed ``seed`` at every width: App. D's rule (find_lr, the largest rate on
        its grid whose training loss decays monotonically) applied once, to the net at the widest width
        (next30). Thm 3's O(1/√m) holds η fixed as m grows; the rule applied per width gave an η falling
        like m^(−0.67), two values at some widths, so the fitted rate mixed the width with the rate (the
        audit of issue 25). A narrower net takes this η below its own largest monotone rate (AdaGrad's
        step on f grows with m in the NTK parametrization). Each job computes it alone."""
        top = max(cfg["widths"])
        wide = MLP.uniform(ds.d, top, cfg["depth"], sigma=cfg["sigma"])
        return find_lr(wide, wide.init(seed), ds.X, ds.Y, optimizer="adagrad")

    @staticmethod
    def _one_eta(ada):
        """The AdaGrad records of the θ₀-seeds that trained at one η at every width (none halved by
        the monotone rule), and the seeds left out with their η's."""
        etas = {}
        for r in ada:
            etas.setdefault(r["seed"], set()).add(float(r["lr"]))
        out = {s: sorted(v) for s, v in etas.items() if len(v) > 1}
        return [r for r in ada if r["seed"] not in out], out

    @staticmethod
    def _ada(records):
        return [r for r in records if r.get("optimizer", "adagrad") == "adagrad"]

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(1)
        ax = axes[0]
        ok = usable(self._ada(records), cfg["tol"])[0]
        plot_grouped(ax, ok, "width", "gap_eq7", "AdaGrad net − Eq. (7)", "C0")
        plot_grouped(ax, ok, "width", "gap_eq4", "AdaGrad net − Eq. (4) (GD's limit)", "C1", ls="--")
        w = np.array(sorted(cfg["widths"]), float)
        if ok:
            ax.plot(w, np.mean([r["gap_eq7"] for r in ok]) * (w / w.mean()) ** RATE, "k:", label="∝ m^(−1/2)")
        log_axes(ax, "width m", "RMS distance on the test set (mean ± std over seeds)",
                 f"AdaGrad, σ = {cfg['sigma']}, trained to {cfg['tol']}", xbase=2)
        return save_figure(fig, out, "adaptive_closed_form")

    def summary(self, cfg, records):
        # The first row's runs: the seeds that kept one η at every width (the others named), usable.
        fixed, split = self._one_eta(self._ada(records))
        ok, why = usable(fixed, cfg["tol"])
        g7, g4 = group(ok, ["width"], "gap_eq7"), group(ok, ["width"], "gap_eq4")
        mv = group(ok, ["width"], "moved")
        dr = group(ok, ["width"], "d_drift")
        etas = ", ".join(f"{e:.3g}" for e in sorted({float(r["lr"]) for r in ok}))
        left = (f" Left out, a seed at more than one η: {', '.join(str(s) for s in sorted(split))}." if split else "")
        return ["- Means over the usable AdaGrad runs (converged, not degenerate) of the θ₀-seeds at one η across the "
                f"widths, as the first row reads them (η ∈ {{{etas}}}, one per seed).{left}",
                "- RMS distance of the AdaGrad net's test predictions from Eq. (7) / from Eq. (4) / its movement "
                "from f₀, with D_t's drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ (D the best fit, so at most ½): "
                + ", ".join(f"m = {k[0]}: {v[0]:.3g} / {g4[k][0]:.3g} / {mv[k][0]:.3g}, drift "
                            f"{dr[k][0]:.3g} (n = {v[2]})" for k, v in sorted(g7.items())) + f"{excluded(why)}.",
                "- Thm 3: the first is O(1/√m) (at every x and t; measured here at the last step, as an RMS over the "
                "test points), where D_t concentrates, ‖D_t − D‖ ≤ Z·D_max/√m (000 Sect. 4): the drift falling like "
                "1/√m, which nothing ties to m for 000's AdaGrad (the first row says why); 000 applies Thm 3 to AdaGrad "
                "where the linearization holds approximately (App. F.4), the kernel regime the rows read.",
                f"- Deviations from 000's experiments: Gaussian inputs on the sphere (d = {cfg['data'].partition(':')[2]}),"
                f" N = {cfg['n_train']}, one hidden layer, σ = {cfg['sigma']}, zero biases; App. D's rate rule applied once per θ₀, "
                "at the widest width, and that η used at every width."]

    @staticmethod
    def _differs(eq7: list, beyond: list, positive: list, lemma1: list, predicted: float, band: float,
                 n_made: int) -> str:
        """The row's two parts on the same-minimizer band, each judged per θ₀ by the package's sign
        test: the AdaGrad net ≈ Eq. (7) (``eq7``, each seed's RMS distance from it) and ≠ the GD
        net from the same θ₀ (``beyond``, each seed's AdaGrad-to-GD distance minus the band). The
        band decides only where its positive control — GD at η/2, the same minimizer as GD,
        ``positive`` per seed — lies inside it on enough seeds, and where the linear models'
        predicted difference Eq. (7) − Eq. (4) (``predicted``, the median) lies beyond it, so that
        the band can resolve the effect at all. The row's premise, the kernel regime of every
        compared net, is the ground on which 000 applies Thm 3 to AdaGrad (App. F.4: the
        linearization holding approximately). The Eq. (7) half, two-sided (next29-f, after its
        pre-run reviews; it read only "inside" or "inconclusive, which Thm 3's failed premise
        allows", so the row could not fail on it, and then a median alone): the AdaGrad nets off
        Eq. (7) — beyond the band on significantly many seeds by more than the seeds' spread
        (``direction``) — is *not reproduced* where the GD nets lie inside the band of their own
        linear model's limit Eq. (4) on significantly many seeds (``lemma1``, Lemma 1's analogue:
        the control that the band is wide enough for the linearization's remainder at this m),
        else inconclusive; inside it on significantly many seeds lets the "differs" half decide;
        neither, inconclusive. Then an AdaGrad net inside the band on significantly many seeds is
        evidence against "differs" (*not reproduced*); "differs" needs the median excess over the
        band above the seed-to-seed spread of the distances (next24). "Inside on enough seeds" is
        the same sign test as "differs": p ≤ ALPHA (7 of 8)."""
        few = too_few(len(positive), n_made, "seeds with the positive control", MIN_PAIRS)
        if few:
            return few
        inside, _, p_inside, _ = sign_test([band - p for p in positive])
        if p_inside > ALPHA:
            return (f"{INCONCLUSIVE}: the positive control (GD at η/2 from θ₀, median {float(np.median(positive)):.3g}) "
                    f"lies inside the band {band:.3g} in only {inside} of {len(positive)} seeds (sign test p = "
                    f"{p_inside:.3g} > {ALPHA}), so the band cannot be shown to tell one minimizer from two")
        if not math.isfinite(predicted) or predicted <= band:
            return (f"{INCONCLUSIVE}: the linear models' predicted difference Eq. (7) − Eq. (4) ({predicted:.3g}) "
                    f"does not lie beyond the band {band:.3g}, so the band cannot resolve the effect")
        few = too_few(len(eq7), n_made, "seeds with the AdaGrad net's distance from Eq. (7)", MIN_PAIRS)
        if few:
            return few
        off = direction([g - band for g in eq7], n_made, "seeds", spread(eq7))
        on, _, p_on, _ = sign_test([band - g for g in eq7])
        if off == REPRODUCED:
            held, _, p_held, _ = sign_test([band - g for g in lemma1])
            if lemma1 and p_held <= ALPHA:
                return (f"{NOT_REPRODUCED} (the AdaGrad nets lie off Eq. (7): beyond the band {band:.3g} in "
                        f"{sum(g > band for g in eq7)} of {len(eq7)} seeds, median {float(np.median(eq7)):.3g}, in the "
                        f"kernel regime, while the GD nets lie inside it from Eq. (4) in {held} of {len(lemma1)})")
            return (f"{INCONCLUSIVE}: the AdaGrad nets lie off Eq. (7) (beyond the band {band:.3g} in "
                    f"{sum(g > band for g in eq7)} of {len(eq7)} seeds), but the GD nets do not lie inside it from "
                    f"their own Eq. (4) on enough seeds ({held if lemma1 else 0} of {len(lemma1)}), so the band cannot "
                    "tell Eq. (7) missed from the linearization's remainder at this m")
        if p_on > ALPHA:
            n_off, _, p_off, _ = sign_test([g - band for g in eq7])
            return (f"{INCONCLUSIVE}: the AdaGrad nets' distance from Eq. (7) is not shown either side of the band "
                    f"{band:.3g} (inside in {on} of {len(eq7)} seeds, sign test p = {p_on:.3g}; beyond in {n_off}, "
                    f"p = {p_off:.3g}, or not by more than the seeds' spread {spread(eq7):.3g})")
        # The effect must exceed the seed-to-seed spread of the compared quantity, the AdaGrad-to-GD distance
        # (issue 25; the audit of issue 25 found this call without a floor): spread(beyond) is that spread, the
        # band being one constant.
        return direction(beyond, n_made, "seeds", spread(beyond))

    def claims(self, cfg, records):
        ada = self._ada(records)
        ok = usable(ada, cfg["tol"])[0]
        # The rate at one η per θ₀ across the widths (next30: Thm 3 holds η fixed as m grows); a seed whose runs
        # took two η's (the monotone rule halved one) is left out and named.
        fixed, split = self._one_eta(ada)
        left = "; ".join(f"seed {s}: η {', '.join(f'{e:.3g}' for e in v)}" for s, v in sorted(split.items()))
        rate = rate_claim("AdaGrad-trained nets at convergence are Eq. (7)'s up to O(1/√m) (RMS over the test "
                          "points)", f"000 Thm 3, Eq. (7), at one η per θ₀ for every width (App. D's rule applied once, "
                          f"at the widest width) (a rate measured outside Thm 3's stated premise, in the kernel "
                          f"regime: median |λ_max(K_T)/λ_max(K₀) − 1| ≤ {KERNEL_MOVE}; {ADAGRAD})",
                          "the RMS distance from Eq. (7) on the test set", fixed, cfg["widths"], "gap_eq7", cfg["tol"])
        one_eta = (f"θ₀-seeds at one η across the widths: {len({r['seed'] for r in fixed})} of "
                   f"{len({r['seed'] for r in ada})}" + (f" (left out: {left})" if split else ""))
        kept = usable(fixed, cfg["tol"])[0]
        moves = ", ".join(f"m = {m}: {_kernel_moved(v):.2g}" for m in sorted(cfg["widths"])
                          if (v := [r for r in kept if r["width"] == m]))
        one_eta += f"; kernel moved (median |λ_max(K_T)/λ_max(K₀) − 1|) {moves or 'at no width'}"
        # Thm 3's concentration premise as worded, measured and reported beside the verdict (next29-f: it does not fall
        # like 1/√m for 000's AdaGrad; _concentration).
        out = [Claim(rate.claim, rate.paper, f"{rate.measured}; {one_eta}; {concentration_note(ok)}", rate.verdict)]
        # At the widest width: the AdaGrad net ≈ Eq. (7) within the same-minimizer band, and the GD
        # net from the same θ₀, trained to the same tolerance, outside it (000 Sect. 4; 001 Fig. 10
        # compares the adaptive net against the GD-trained one). Both are measured on the nets, and
        # the row's premise is the kernel regime, 000's ground for applying Thm 3 to AdaGrad (App. F.4).
        top, band = max(cfg["widths"]), same_band(cfg["tol"])
        wide = usable([r for r in ada if r["width"] == top], cfg["tol"])[0]
        gd = {r["seed"]: r for r in usable([r for r in records if r.get("optimizer") == "gd"], cfg["tol"])[0]}
        half = {r["seed"]: r for r in usable([r for r in records if r.get("optimizer") == "gd_half"], cfg["tol"])[0]}
        pairs = [(r, gd[r["seed"]]) for r in wide if r["seed"] in gd]
        value = float(np.median([a["gap_eq7"] for a, _ in pairs])) if pairs else math.nan
        apart = [_rms(np.subtract(a["test_pred"], g["test_pred"])) for a, g in pairs]  # AdaGrad's net from GD's
        control = float(np.median(apart)) if apart else math.nan
        # The positive control: GD at η/2 from the same θ₀ reaches GD's minimizer, so its distance from the
        # GD net must lie inside the band, or the band cannot tell one minimizer from two.
        same = [_rms(np.subtract(half[g["seed"]]["test_pred"], g["test_pred"])) for _, g in pairs
                if g["seed"] in half]
        positive = float(np.median(same)) if same else math.nan
        # The Eq. (7) half's control: the GD nets from their own linear model's limit Eq. (4), Lemma 1's analogue.
        lemma1 = [g["gap_eq4"] for _, g in pairs if math.isfinite(g.get("gap_eq4", math.nan))]
        # The kernel regime of every net the row compares, read from the kernel's movement, not from the
        # distance to Eq. (7) the row judges; each method's nets on their own.
        nets = {"AdaGrad": [a for a, _ in pairs], "GD": [g for _, g in pairs],
                "GD at η/2": [half[g["seed"]] for _, g in pairs if g["seed"] in half]}
        moves = {k: _kernel_moved(v) if v else math.nan for k, v in nets.items()}
        moved_text = ", ".join(f"{k} {v:.3g}" for k, v in moves.items())
        off = [k for k, v in moves.items() if not v <= KERNEL_MOVE]
        lazy = (premise_not_met(f"the kernel moved or was not recorded: median |λ_max(K_T)/λ_max(K₀) − 1| "
                                f"{moved_text} (regime: ≤ {KERNEL_MOVE})") if off else None)
        out.append(Claim(
            f"AdaGrad's net differs from GD's from the same θ₀ by more than the same-minimizer band, while it is "
            f"Eq. (7)'s (m = {top})",
            f"000 Sect. 4 (the adaptive minimizer differs from GD's, derived there from Thm 3 and Example 1; 000 "
            f"Fig. 3 shows the two methods' test errors apart, 001 Fig. 10 the distance of their nets); both parts "
            f"are measured on the nets, each by a sign test over θ₀; premise: the kernel regime of every compared "
            f"net, not Thm 3's concentration, which does not hold here (the first row); \"≈\" within 10·√tol = "
            f"{band:.3g} RMS, GD at η/2 from the same θ₀ (one minimizer) inside it, and for the Eq. (7) half the GD "
            f"nets inside it from Eq. (4)",
            f"median RMS distance of the AdaGrad net from Eq. (7) {value:.3g} (inside the band in "
            f"{sum(a['gap_eq7'] <= band for a, _ in pairs)} of {len(pairs)} seeds; the GD nets from Eq. (4) "
            f"{float(np.median(lemma1)) if lemma1 else math.nan:.3g}, inside in {sum(g <= band for g in lemma1)} of "
            f"{len(lemma1)}), from the GD net trained to the same "
            f"tolerance {control:.3g} ({len(pairs)} seeds with both usable of {len(cfg['seeds'])}; beyond the band in "
            f"{sum(d > band for d in apart)} of them; seed spread of that distance {spread(apart):.3g}, the floor "
            f"its median excess over the band must exceed); GD at η/2 from the "
            f"GD net {positive:.3g} (inside the band in {sum(d <= band for d in same)} of {len(same)} seeds); Eq. (7) − Eq. (4) "
            f"median {float(np.median([a['eq7_eq4'] for a, _ in pairs])) if pairs else math.nan:.3g}; kernel moved "
            f"(median |λ_max(K_T)/λ_max(K₀) − 1|) {moved_text}",
            lazy or self._differs([a["gap_eq7"] for a, _ in pairs], [d - band for d in apart], same, lemma1,
                                  float(np.median([a["eq7_eq4"] for a, _ in pairs])) if pairs else math.nan,
                                  band, len(cfg["seeds"]))))
        return out
