"""003: gradient confusion versus width and depth, at initialization and after
training — the minimum pairwise cosine of per-sample gradients at θ₀ (Thm 4.1), of
mini-batch gradients after training (Figs. 2b/3b), and the density of mini-batch
gradient cosines (Figs. 2c/3c; judged on its RMS about 0), on data as 003's theorem assumes (the unit sphere,
centred targets) and on the main dataset (labels centred to ±1)."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import plots, theory
from ..model import MLP
from ._base import Experiment, falling_trend, legend, save_figure, trend_direction
from ..dynamics import train
from ._training import fit
from ._verdict import (INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, excluded, exclusion, premise_not_met,
                       usable)

BINS = np.linspace(-1, 1, 41)
CONT_SEED = 100_000  # the continuation's shuffle seed offset, outside every preset's seeds


class GradientConfusion(Experiment):
    name = "gradient-confusion"
    title = "Gradient confusion versus width and depth"
    paper = "Sankararaman, De, Xu, Huang, Goldstein (003 Thm 4.1 and Sect. 8, Figs. 2–3)"
    presets = {
        "quick": dict(data="digits", theory_data="sphere:64", n_train=100, n_test=10, data_seed=0,
                      widths=[50, 200, 1000], fixed_depth=3, depths=[2, 4, 8], fixed_width=200,
                      stages=["init", "trained"], seeds=[0, 1, 2, 3, 4], kappa=0.5, loss="squared", batch_size=10,
                      tol_share=2e-3, max_steps=5000, epochs=200),
        # Seeds 60–67: new for the rerun after the second review (the depth rows name their
        # regime against 003 Fig. 2's; seeds 50–57 before, 30–37 before them); eight, as
        # 7 of 8 decide a sign test.
        # 2026-12-05: seeds 70–77, new for the rerun under the revised rules (a direction claim fails only on
        # evidence against it, a value claim carries its standard error); earlier seeds are named above.
        # Seeds 90–97: new after a review of 80–87 found the init rows citing Thm 4.1's lower bound on a
        # probability as if a measurement could contradict it, and the MNIST ones part 2.
        # Seeds 80–87: new for the rerun after a review of seeds 70–77 found the sphere runs stopped
        # at 1e-3, a fifth of their null loss (tol_share: every run now trains to 0.2 % of its
        # data's null loss ½·mean(y²), MNIST's 1e-3 as before), the rows judging only the sweep's
        # ends, and the MNIST init rows citing Thm 4.1 part 1, which says nothing of cosines.
        # Seeds 150–157: new after a review of 120–127 found trained runs whose mini-batch gradients all still
        # agree counted, the init rows made inconclusive by Eq. (3)'s scale, and the size check's floor one seed's.
        # Seeds 120–127: new after a review of 110–117 found the size check applied to a claimed trend only
        # (an opposite trend within the seed spread read "not reproduced").
        # Seeds 110–117: new after a review of 100–107 found the "concentrate around 0" rows reading the
        # spread about the mean (the cosines' mean is 0.1–0.6), the trend rows without a size check, and
        # the trained rows' "end of training" worded beyond where the runs stop.
        # Seeds 100–107: new after a third review of 90–97 found the init rows' verdicts hinging on the
        # cosine normalization (Eq. (3)'s raw inner products are now recorded and judged beside them)
        # and the trend rows counting a seed with no trend as a tie.
        # Seeds 160–167: with the speed rows (003 Figs. 2a/3a, issue 26), written with seeds 120–127's records in
        # view; the run with 150–157 was discarded unread.
        # Seeds 170–177: new after a review of 160–167 found the all-agreeing runs' exclusion filtering on the
        # value the trained rows judge (now counted) and the speed rows silent on rate halvings.
        # Seeds 200–207: new after a review of 170–177 found the concentration rows mixing agreement with
        # confusion (now the negative side), the trained runs' distance from a minimizer unchecked (now a
        # premise) and the size floor set by one seed (now 1.4826·MAD).
        # Seeds 230–237: new after a review of 200–207 found the density rows' negative side tracking the mean
        # cosine (−0.88 to −0.92): the MNIST init depth check read "less concentrated around 0" where the density
        # narrowed and its RMS about 0 fell in 8 of 8 seeds. The rows now judge the RMS about 0 — the density's
        # concentration around 0, which near a minimizer (the trained rows' premise, where the mean is near 0) is its
        # spread there — with the negative side and the mean beside it; the third reading of these rows (the spread
        # about the mean until 100–107, the RMS about 0 for 110–177, the negative side for 200–207).
        # Seeds 300–307 (next19): for next19's training procedure (loss curves recorded; SGD's batch rate from
        # linalg.gd_rate); the rules unchanged (the review of 230–237's trained premise is open: see the known faults).
        # Seeds 310–317 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–327 (next21): a review of 310–317 found the trained premise (near a minimizer) unmeetable
        # where runs stop at the tolerance, still descending (‖∇F‖/‖g_B‖ 0.17–1.0): the trained stage now trains
        # on to 003's 200 epochs (Sect. 8) and that protocol is the trained rows' premise; the ratio is reported
        # beside them, not judged — a quick-preset smoke run (digits, seed 0) trained 200 epochs still read
        # 0.34–0.96 at losses 10⁻⁴–10⁻¹⁷ (at an interpolating minimizer the ratio tends to a constant), seen
        # before this rule was written; the speed rows report the halved attempts' steps too.
        "standard": dict(data="mnist", theory_data="sphere:100", n_train=100, n_test=10, data_seed=0,
                         widths=[50, 200, 800, 3200], fixed_depth=4, depths=[2, 4, 8, 12], fixed_width=400,
                         stages=["init", "trained"], seeds=list(range(320, 328)), kappa=0.5, loss="squared",
                         batch_size=10, tol_share=2e-3, max_steps=20000, epochs=200),
        "paper": dict(data="mnist", theory_data="sphere:100", n_train=300, n_test=10, data_seed=0,
                      widths=[50, 100, 200, 500, 1000, 2000, 4000], fixed_depth=5, depths=[2, 3, 5, 8, 12, 16],
                      fixed_width=1000, stages=["init", "trained"], seeds=list(range(5)), kappa=0.5,
                      loss="squared", batch_size=10, tol_share=2e-4, max_steps=100000, epochs=200),
    }

    def jobs(self, cfg):
        jobs = []
        for data in ("theory", "main"):
            jobs += [dict(data=data, sweep="width", width=m, depth=cfg["fixed_depth"], stage=st, seed=s)
                     for m in cfg["widths"] for st in cfg["stages"] for s in cfg["seeds"]]
            jobs += [dict(data=data, sweep="depth", width=cfg["fixed_width"], depth=L, stage=st, seed=s)
                     for L in cfg["depths"] for st in cfg["stages"] for s in cfg["seeds"]]
        return jobs

    def _dataset(self, cfg, job, ctx):
        """(data, targets): 003's setting asks |C(x)| ≤ 1 and ‖∇C‖ ≤ 1 of the labels; the
        sphere's sin(π⟨w, x⟩) is scaled by 1/π to meet it, MNIST's labels {0, 1} centred to ±1."""
        if job["data"] == "theory":
            ds = ctx.dataset(cfg["theory_data"])
            return ds, ds.Y / math.pi
        ds = ctx.dataset()
        return ds, 2.0 * ds.Y - 1.0

    def run_job(self, cfg, job, ctx):
        ds, Y = self._dataset(cfg, job, ctx)
        # 003's setting: standard parametrization, Strategy 4.1 initialization (κ = 1/2: He).
        net = MLP.uniform(ds.d, job["width"], job["depth"], parametrization="standard", bias="zero")
        params = theory.strategy41_params(net, cfg["kappa"], job["seed"])
        out = dict(status="init", steps=0)
        if job["stage"] == "trained":
            # "The end of training": a share of the null loss (predicting 0), so that both
            # datasets are fitted alike whatever their labels' scale.
            tol = cfg["tol_share"] * 0.5 * float(np.mean(np.asarray(Y, np.float64) ** 2))
            res, info = fit(net, params, ds.X, Y, optimizer="sgd", batch_size=cfg["batch_size"], shuffle=True,
                            seed=job["seed"], tol=tol, max_steps=cfg["max_steps"], callback=ctx.callback)
            params = res.params
            out = dict(status=res.status, steps=res.steps, train_loss=float(res.history["train_loss"][-1]), tol=tol,
                       **info)
            # 003 measures its end-of-training figures after 200 epochs (Sect. 8): a run that reached the
            # tolerance sooner trains on at its rate to `epochs` epochs in all (next20's runs stopped at the
            # tolerance, still descending). status, steps and train_loss stay those at the tolerance, which
            # the speed rows and the equal-loss rule read; the continuation's end is train_loss_end and
            # cont_status (its shuffle seeded apart from every job's own: seed + CONT_SEED).
            per_epoch = math.ceil(ds.X.shape[0] / cfg["batch_size"])
            more = cfg["epochs"] * per_epoch - res.steps
            out.update(epochs_trained=res.steps / per_epoch, train_loss_end=out["train_loss"])
            if res.status == "converged" and more > 0:
                cont = ctx.check(train(net, params, ds.X, Y, optimizer="sgd", lr=info["lr"],
                                       batch_size=cfg["batch_size"], shuffle=True, seed=job["seed"] + CONT_SEED,
                                       tol=1e-300, max_steps=more, record_every=20, callback=ctx.callback))
                params = cont.params
                out.update(train_loss_end=float(cont.history["train_loss"][-1]), cont_status=cont.status,
                           steps_total=res.steps + cont.steps, epochs_trained=(res.steps + cont.steps) / per_epoch)
        gc = theory.gradient_confusion(net, params, ds.X, Y, loss=cfg["loss"], batch_size=cfg["batch_size"],
                                       num_batches=64, seed=job["seed"])
        batch = gc.offdiagonal_cosines(batches=True)
        hist, _ = np.histogram(batch, bins=BINS, density=True)
        n = gc.inner.shape[0]
        # The gradients' scale, against which Eq. (3)'s raw inner products read (they scale as its
        # square): mean ‖∇ℓ_i‖, mean ‖g_B‖, and ‖∇F‖ = √(Σ_ij⟨∇ℓ_i, ∇ℓ_j⟩)/N of the full loss.
        scale = dict(grad_norm=float(np.mean(np.sqrt(np.maximum(np.diag(gc.inner), 0.0)))),
                     batch_grad_norm=float(np.mean(np.sqrt(np.maximum(np.diag(gc.batch_inner), 0.0)))),
                     full_grad_norm=float(np.sqrt(max(float(np.sum(gc.inner)), 0.0)) / n))
        return dict(out, **scale, min_cosine=gc.min_cosine, min_inner=gc.min_inner, mean_cosine=gc.mean_cosine,
                    batch_min_cosine=gc.batch_min_cosine, batch_spread=float(np.std(batch)),
                    # How concentrated around 0 (003 Figs. 2c/3c): the RMS about 0, not the spread about the mean
                    # (the mini-batch cosines' mean is far from 0).
                    batch_rms0=float(np.sqrt(np.mean(batch ** 2))), batch_mean=float(np.mean(batch)),
                    # The density's negative side only, the confusion of Def. 2.1 (⟨g_B, g_B′⟩ ≥ −η): agreeing
                    # pairs (positive cosines) count as 0, so a shared descent direction does not enter.
                    batch_neg_rms=float(np.sqrt(np.mean(np.minimum(batch, 0.0) ** 2))),
                    batch_hist=hist, abs_mean_cosine=float(np.mean(np.abs(gc.offdiagonal_cosines()))))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(4, width=3.4)
        centers = 0.5 * (BINS[1:] + BINS[:-1])
        for col, (data, sweep) in enumerate([("theory", "width"), ("theory", "depth"), ("main", "width"),
                                             ("main", "depth")]):
            ax = axes[col]
            for stage, ls in (("init", "-"), ("trained", "--")):
                rs = [r for r in records if r["data"] == data and r["sweep"] == sweep and r["stage"] == stage]
                xs = sorted({r[sweep] for r in rs})
                if not xs:
                    continue
                ax.plot(xs, [np.mean([r["min_cosine"] for r in rs if r[sweep] == x]) for x in xs], marker="o",
                        ms=3, ls=ls, color="C3", label=f"min cosine ({stage})")
                # The judged concentration around 0.
                ax.plot(xs, [np.mean([r["batch_rms0"] for r in rs if r[sweep] == x]) for x in xs],
                        marker="s", ms=3, ls=ls, color="C0", label=f"RMS of batch cosines about 0 ({stage})")
            ax.set_xscale("log" if sweep == "width" else "linear")
            ax.set_xlabel(sweep)
            ax.set_title(f"{cfg['theory_data'] if data == 'theory' else cfg['data']}")
            ax.set_ylabel("gradient cosine")
            legend(ax, fontsize=6)
        paths = save_figure(fig, out, "gradient_confusion")
        fig, axes = plots.figure(4, width=3.4)
        for col, (data, sweep) in enumerate([("theory", "width"), ("theory", "depth"), ("main", "width"),
                                             ("main", "depth")]):
            rs = [r for r in records if r["data"] == data and r["sweep"] == sweep and r["stage"] == "trained"]
            xs = sorted({r[sweep] for r in rs})
            for i, x in enumerate(xs):
                h = np.mean([r["batch_hist"] for r in rs if r[sweep] == x], axis=0)
                axes[col].plot(centers, h, color=plots.viridis(i / max(1, len(xs) - 1)), label=f"{sweep} {x}")
            axes[col].set_xlabel("mini-batch gradient cosine (end of training)")
            axes[col].set_ylabel("density")
            axes[col].set_title(f"{cfg['theory_data'] if data == 'theory' else cfg['data']}")
            legend(axes[col], fontsize=6)
        return paths + save_figure(fig, out, "gradient_confusion_density")

    def _sweep(self, cfg, records, data, sweep, stage, key):
        """({(seed, x): value} over the usable runs of the sweep, its values xs, the
        exclusions, and those usable runs that recorded the value). A trained
        run is usable when it reached its tolerance (recorded with it) and is not degenerate;
        one whose sampled mini-batch cosines all agree (:func:`at_minimizer`) is counted, not
        excluded: that is the value the trained rows judge."""
        xs = sorted(cfg["widths"] if sweep == "width" else cfg["depths"])
        rs = [r for r in records if r["data"] == data and r["sweep"] == sweep and r["stage"] == stage]
        if stage == "trained":
            ok, why = usable(rs)
            # A continuation to 003's epochs that diverged leaves no end of training to measure.
            lost = [r for r in ok if r.get("cont_status") == "diverged"]
            ok = [r for r in ok if r not in lost]
            if lost:
                why["diverged after the tolerance"] += len(lost)
        else:
            ok, why = rs, Counter()
        ok = [r for r in ok if math.isfinite(r.get(key, math.nan))]
        return {(r["seed"], r[sweep]): r[key] for r in ok}, xs, why, ok

    def summary(self, cfg, records):
        lines = []
        for data in ("theory", "main"):
            name = cfg["theory_data"] if data == "theory" else cfg["data"]
            for sweep in ("width", "depth"):
                for stage in cfg["stages"]:
                    rs = [r for r in records if r["data"] == data and r["sweep"] == sweep and r["stage"] == stage]
                    xs = sorted({r[sweep] for r in rs})
                    if len(xs) < 2:
                        continue
                    key = "min_cosine" if stage == "init" else "batch_min_cosine"
                    mins = [np.mean([r[key] for r in rs if r[sweep] == x]) for x in xs]
                    rms0 = [np.mean([r["batch_rms0"] for r in rs if r[sweep] == x]) for x in xs]
                    neg = _means({(r["seed"], r[sweep]): r.get("batch_neg_rms", math.nan) for r in rs}, xs)
                    mean = [np.mean([r["batch_mean"] for r in rs if r[sweep] == x]) for x in xs]
                    norm_key = "grad_norm" if stage == "init" else "batch_grad_norm"
                    norm = _means({(r["seed"], r[sweep]): r.get(norm_key, math.nan) for r in rs}, xs)
                    n_off = sum(r["status"] != "converged" for r in rs) if stage == "trained" else 0
                    every = f" — all runs, {n_off} unconverged included" if n_off else ""
                    what = "per-sample" if stage == "init" else "mini-batch"
                    lines.append(f"- {name}, {sweep} {xs[0]} → {xs[-1]} ({stage}{every}): {what} min cosine "
                                 + " → ".join(f"{v:.3f}" for v in mins) + "; mini-batch cosines' negative side "
                                 "(RMS of min(cos, 0)) " + _chain(neg, ".3f") + ", their RMS about 0 "
                                 + " → ".join(f"{v:.3f}" for v in rms0) + ", their mean "
                                 + " → ".join(f"{v:.3f}" for v in mean) + f"; mean {what} gradient norm "
                                 + _chain(norm) + ".")
        trained = [r for r in records if r["stage"] == "trained"]
        if trained:
            conv = sum(r["status"] == "converged" for r in trained)
            away = sum(not at_minimizer(r) for r in trained)
            # How far the batches still share a direction where they stop (reported, not judged: see
            # minimizer_premise).
            ratio = [q for q in map(grad_ratio, trained) if math.isfinite(q)]
            near = (f"; ‖∇F‖ / mean mini-batch gradient norm where measured: median {np.median(ratio):.3g}, "
                    f"range {min(ratio):.3g}–{max(ratio):.3g}" if ratio else "")
            ends = [r["train_loss_end"] for r in trained if math.isfinite(r.get("train_loss_end", math.nan))]
            lost = sum(r.get("cont_status") == "diverged" for r in trained)
            lines.append(f"- Training (SGD, batch {cfg['batch_size']}, to loss < {cfg['tol_share']:g}× the null loss "
                         f"½·mean(y²), then on at the same rate to {cfg.get('epochs', '—')} epochs in all, where the "
                         f"gradients are measured): {conv} of {len(trained)} runs reached the tolerance"
                         + ("; the others are measured where they stopped" if conv < len(trained) else "")
                         + (f"; training loss where measured {min(ends):.2g}–{max(ends):.2g}" if ends else "")
                         + (f"; {lost} diverged on the way to the end (not used)" if lost else "")
                         + (f"; {away} end with every sampled mini-batch gradient cosine positive (not at a "
                            "minimizer, where they average to ∇F = 0; counted in the trained rows)" if away
                            else "") + near + ".")
        lines.append("- With the squared loss a per-sample gradient is r_i φ(x_i), so cos_ij = ±K_ij/√(K_ii K_jj): "
                     "the per-sample cosines are the normalized NTK with the residuals' signs.")
        return lines

    def claims(self, cfg, records):
        """Thm 4.1 is about θ₀ (Strategy 4.1). Its part 2 (data on the sphere, any η > 0) is
        judged on the sphere data in Sect. 8's normalized form (cosines), which 003 says
        leaves its results qualitatively the same and which, unlike Eq. (3)'s raw inner
        products, does not move with the gradients' scale; the raw form is reported beside
        it with that scale, not judged. Part 1 (any data, η > 4) says nothing of cosines,
        which never fall below −1, so the MNIST init rows are extra checks (their "reproduced"
        reads "observed", as for every extra check). After training 003 reports mini-batch gradients (Figs. 2b/3b: min
        pairwise cosine; 2c/3c: their density) after 200 epochs; the trained rows take that
        protocol as their premise (every usable run trained ``epochs`` epochs, see NEAR_WHERE
        and minimizer_premise), and count a run whose mini-batch gradients all still
        agree (excluding it would filter on the value judged). The density rows judge its
        concentration around 0, the RMS of the cosines about 0 (near a minimizer, where their
        mean is near 0, their spread), with the negative side (Def. 2.1's confusion) and the
        mean beside it, not judged. Each row is a trend over the whole sweep: per
        seed the rank correlation of the quantity with the width or depth (a seed counts when
        it has a usable run at every point; one whose values all tie counts as no trend), its
        sign judged by the sign test, and its size — the median per-seed change from the first
        to the last point — against the robust spread of those changes (:func:`size_check`)."""
        out = []
        b = cfg["batch_size"]
        near = NEAR_WHERE.format(epochs=cfg["epochs"])
        for data in ("theory", "main"):
            name = cfg["theory_data"] if data == "theory" else cfg["data"]
            for stage in cfg["stages"]:
                for sweep, sign, text in (("width", 1, "wider nets have less gradient confusion"),
                                          ("depth", -1, "deeper nets have more gradient confusion")):
                    extra = ""
                    if stage == "init":
                        key, grads = "min_cosine", "per-sample gradients"
                        # Thm 4.1 bounds a probability from below, which no measurement contradicts;
                        # the claim read here is Sect. 4's reading of it.
                        part = "part 2 (data on the sphere)" if data == "theory" else "part 1 (any data)"
                        where = (f"003 Sect. 4's reading of Thm 4.1 {part} at Strategy 4.1's θ₀, judged in Sect. 8's "
                                 "normalized form (cosines of Eq. (3)'s gradients, which 003 says leaves its results "
                                 "qualitatively the same; Eq. (3)'s raw inner products move with the gradients' scale "
                                 "and are reported beside it with that scale, not judged; 003's net has σ at its "
                                 "output, this MLP a linear one)")
                        if data == "main":
                            extra = (" (an extra check, not a claim of the paper: Thm 4.1 part 1, for any data, "
                                     "bounds the probability of confusion η > 4 in the raw form, not a trend)")
                    else:
                        key, grads = "batch_min_cosine", f"gradients of mini-batches of {b}"
                        where = (f"003 {'Fig. 3b' if sweep == 'width' else 'Fig. 2b'} (end of training, 200 epochs; "
                                 f"CNNs on CIFAR-10 with mini-batches of 128 there; here {near}, runs {AGREE_WHY})")
                    if sweep == "depth":
                        where += (f"; here depths {cfg['depths']} at width {cfg['fixed_width']}, where 003's Fig. 2 "
                                  "has narrow CNNs (width factor 2) at depths 16–40")
                    for k, claim, s in ((key, f"{text} (min pairwise cosine of {grads} "
                                              f"{'rises' if sign > 0 else 'falls'}){extra}", sign),
                                        ("batch_rms0", f"mini-batch gradient cosines concentrate "
                                                        f"{'more' if sign > 0 else 'less'} around 0 as {sweep} grows "
                                                        "(judged on the RMS of the cosines about 0, the density's "
                                                        "concentration around 0, which "
                                                        f"{'falls' if sign > 0 else 'rises'})",
                                         -sign)):
                        values, xs, why, ok = self._sweep(cfg, records, data, sweep, stage, k)
                        d = [-s * t for t in trends(values, cfg["seeds"], xs)]
                        row_extra = ""
                        if k == "batch_rms0":
                            fig = "Fig. 3c" if sweep == "width" else "Fig. 2c"
                            if stage == "init":
                                row_extra = (" (an extra check, not a claim of the paper: 003 states the density at "
                                             "the end of training)")
                            where_k = (f"003 {fig}" + (" (kernel density of the cosines at the end of training there; "
                                                       "here at θ₀)" if stage == "init"
                                                       else " (kernel density of the cosines at the end of training; "
                                                       f"here {near}, runs {AGREE_WHY})")
                                       + (f"; here depths {cfg['depths']} at width {cfg['fixed_width']}"
                                          if sweep == "depth" else ""))
                        else:
                            where_k = where
                        redo = _redo_text(ok, sweep, xs, "; redone at a halved η: ") if stage == "trained" else ""
                        label = {"batch_rms0": "RMS of the cosines about 0"}.get(k, "min cosine")
                        measured = (f"{label} " + _chain(_means(values, xs), ".3f") + f" over {sweep} {xs}; the "
                                    f"claimed trend in {sum(x > 0 for x in d)} of {len(d)} seeds usable at every "
                                    f"{sweep}, none in {sum(x == 0 for x in d)}, the opposite in "
                                    f"{sum(x < 0 for x in d)} (median rank correlation "
                                    f"{np.median(d) if d else math.nan:.2f}){excluded(why)}{redo}")
                        verdict = trend_direction(d, len(cfg["seeds"]))
                        verdict, size = size_check(verdict, values, cfg["seeds"], xs, s, sweep)
                        measured += size
                        if not values and any(r["data"] == data and r["sweep"] == sweep and r["stage"] == stage
                                              for r in records):
                            measured = f"{label} not recorded (records older than the field)"
                            verdict = f"{INCONCLUSIVE}: {label} not recorded (records older than the field)"
                        if k == "min_cosine":
                            measured += self._raw_form(cfg, records, data, sweep, s)
                        elif k == "batch_min_cosine":
                            norms, _, _, _ = self._sweep(cfg, records, data, sweep, stage, "batch_grad_norm")
                            measured += f"; mean mini-batch gradient norm {_chain(_means(norms, xs))}"
                        else:
                            # Beside it, not judged: the negative side (the confusion of Def. 2.1, the rule of
                            # seeds 200–207) and the mean cosine, which away from a minimizer moves the RMS about 0.
                            negs, _, _, _ = self._sweep(cfg, records, data, sweep, stage, "batch_neg_rms")
                            mean, _, _, _ = self._sweep(cfg, records, data, sweep, stage, "batch_mean")
                            measured += (f"; beside it, not judged: the negative side (RMS of min(cos, 0)) "
                                         f"{_chain(_means(negs, xs), '.3f')}, mean cosine "
                                         f"{_chain(_means(mean, xs), '.3f')}")
                        if stage == "trained":
                            # The premise on the row's usable runs, read whether or not they recorded the value.
                            _, _, _, runs = self._sweep(cfg, records, data, sweep, stage, "batch_grad_norm")
                            premise, protocol = minimizer_premise(runs, sweep, xs, cfg["epochs"])
                            measured += protocol
                            if premise and values:
                                measured += f"; the trend test alone, not judged: {verdict}"
                                verdict = premise
                        out.append(Claim(f"{name}, {stage}: {claim}{row_extra}", where_k, measured, verdict))
        if "trained" in cfg["stages"]:
            out += self._speed_claims(cfg, records)
        return out

    def _speed_claims(self, cfg, records):
        """003 Figs. 2a/3a: deeper nets converge more slowly under SGD, wider ones faster.
        The speed is the number of SGD steps to the trained runs' tolerance (a share of the
        null loss), each model at its own rate from the package's stability rule (1.9·|B| over
        the largest λ_max(K₀[B, B]) of its batches; 003 tunes each model's rate over a grid and
        keeps the lowest training loss), so that the rate follows each model's curvature and
        does not confound depth or width. A run stopped at the step cap counts at the cap (a
        lower bound: capped runs tie). Judged as the other trend rows: per seed the rank
        correlation over the whole sweep, its size the median per-seed change of log₁₀ steps
        against the spread of those changes."""
        out = []
        for data in ("theory", "main"):
            name = cfg["theory_data"] if data == "theory" else cfg["data"]
            for sweep, sign, text, fig in (("width", 1, "wider nets converge faster", "Fig. 3a"),
                                           ("depth", -1, "deeper nets converge more slowly", "Fig. 2a")):
                xs = sorted(cfg["widths"] if sweep == "width" else cfg["depths"])
                rs = [r for r in records if r["data"] == data and r["sweep"] == sweep and r["stage"] == "trained"]
                values, why, capped = {}, Counter(), 0
                for r in rs:
                    if r.get("status") == "converged" and exclusion(r, r.get("tol")) is None:
                        values[(r["seed"], r[sweep])] = math.log10(r["steps"])
                    elif r.get("status") == "max_steps":
                        values[(r["seed"], r[sweep])] = math.log10(cfg["max_steps"] + 1)
                        capped += 1
                    else:
                        why[exclusion(r, r.get("tol")) or "not converged"] += 1
                # Steps fall with width (claimed) and rise with depth (claimed): trends() is
                # positive where the value falls.
                d = [sign * t for t in trends(values, cfg["seeds"], xs)]
                verdict = trend_direction(d, len(cfg["seeds"]))
                verdict, size = size_check(verdict, values, cfg["seeds"], xs, -sign, sweep, "log₁₀ steps")
                means = [float(np.median([10 ** v for (sd, x), v in values.items() if x == xx])) if any(
                    x == xx for (_, x) in values) else math.nan for xx in xs]
                tried = [float(np.median([r["steps_tried"] for r in rs if r[sweep] == xx and "steps_tried" in r
                                          and (r["seed"], xx) in values])) if any(
                    r[sweep] == xx and "steps_tried" in r and (r["seed"], xx) in values for r in rs) else math.nan
                    for xx in xs]
                out.append(Claim(
                    f"{name}, trained: {text} under SGD (steps to the tolerance "
                    f"{'fall' if sign > 0 else 'rise'} with {sweep})",
                    f"003 {fig} (convergence curves of SGD; CNNs on CIFAR-10 there, each at its tuned rate; here each "
                    f"MLP at its own stability-rule rate, only ever halved where the loss rose, mini-batches of "
                    f"{cfg['batch_size']}"
                    + (f"; depths {cfg['depths']} at width {cfg['fixed_width']}, where 003's Fig. 2 has narrow CNNs at "
                       "depths 16–40" if sweep == "depth" else "") + ")",
                    "median steps " + _chain(means, ".0f") + f" over {sweep} {xs} (counting the halved attempts' "
                    "steps too: " + _chain(tried, ".0f") + f"; {capped} runs at the cap of "
                    f"{cfg['max_steps']}, counted there); the claimed trend in {sum(x > 0 for x in d)} of {len(d)} "
                    f"seeds, none in {sum(x == 0 for x in d)}, the opposite in {sum(x < 0 for x in d)}{size}"
                    # 003 keeps each model's best rate of a grid, so a run's steps count from the attempt
                    # that worked; how many needed a halved rate, and which, is said, since the earlier
                    # attempts' steps are not recorded.
                    + _redo_text(rs, sweep, xs, "; redone at a halved η (steps counted from the last attempt at "
                                 "that η, as 003 keeps each model's best rate): ", always=True)
                    + f"{excluded(why)}",
                    verdict))
        return out

    def _raw_form(self, cfg, records, data, sweep, sign):
        """The init rows' claim read on Eq. (3)'s raw inner products ⟨∇ℓ_i, ∇ℓ_j⟩ (their
        minimum is −η of Def. 2.1), with the gradients' scale they move with: the measured
        text, reported beside Sect. 8's cosines and not judged."""
        values, xs, _, _ = self._sweep(cfg, records, data, sweep, "init", "min_inner")
        norms, _, _, _ = self._sweep(cfg, records, data, sweep, "init", "grad_norm")
        d = [-sign * t for t in trends(values, cfg["seeds"], xs)]
        return (f"; beside it, not judged: Eq. (3)'s raw min inner product {_chain(_means(values, xs))} "
                f"(the claimed trend in {sum(x > 0 for x in d)} of {len(d)} seeds, none in {sum(x == 0 for x in d)}, "
                f"the opposite in {sum(x < 0 for x in d)}), which scales as the square of the gradients' norm: mean "
                f"per-sample gradient norm {_chain(_means(norms, xs))}")


# At a minimizer of F = (1/N)Σℓ_i the mini-batch gradients average (over all batches) to
# ∇F = 0, so Σ_{B≠B′}⟨g_B, g_B′⟩ = −Σ‖g_B‖² < 0: they cannot all agree. A run whose sampled
# mini-batch cosines are all positive still follows a shared descent direction, short of the
# regime 003's end-of-training figures (2b/3b, 2c/3c) measure.
NOT_AT_MINIMIZER = "not at a minimizer (every mini-batch gradient cosine positive)"
AGREE_WHY = ("whose sampled mini-batch gradients all still agree counted (short of a minimizer, where they "
             "average to ∇F = 0 and cannot all agree; excluding them would filter on the value judged)")


def at_minimizer(r: dict) -> bool:
    """False for a run whose sampled mini-batch gradient cosines are all positive (see
    NOT_AT_MINIMIZER); True otherwise, a run that did not measure them included."""
    return not r.get("batch_min_cosine", math.nan) > 0


def trends(values, seeds, xs) -> list[float]:
    """:func:`falling_trend`, except that a seed whose values all tie gives 0 (no trend,
    counted as not showing a claimed one) instead of being dropped."""
    out = []
    for s in seeds:
        if all((s, x) in values for x in xs):
            v = [values[(s, x)] for x in xs]
            out.append(0.0 if len(set(v)) < 2 else falling_trend(values, [s], xs)[0])
    return out


def _means(values: dict, xs) -> list[float]:
    """Per x the mean of {(seed, x): value} over its finite values; NaN where none."""
    out = []
    for x0 in xs:
        v = [v for (_, x), v in values.items() if x == x0 and math.isfinite(v)]
        out.append(float(np.mean(v)) if v else math.nan)
    return out


def _chain(means, fmt=".3g") -> str:
    """'a → b → c', or 'not recorded' where no value is finite (records older than the field)."""
    if not any(math.isfinite(v) for v in means):
        return "not recorded"
    return " → ".join(f"{v:{fmt}}" for v in means)


# 003 measures its end-of-training figures (2b/3b, 2c/3c) after 200 epochs, at the end of
# training. Until seeds 310–317 the runs stopped where the loss first reached the tolerance, still
# descending, their batches sharing ∇F's direction (the review of 170–177: the mean cosine's
# correlation with ‖∇F‖/‖g_B‖ 0.91); from next21 on they train on to 003's 200 epochs (the cfg's
# ``epochs``) and the trained rows check that protocol. The earlier premise, ‖∇F‖/‖g_B‖ ≤ LAZY
# ("near a minimizer", where the gradients cancel), is reported beside the rows, not judged: it
# need not hold at an interpolating minimizer (see minimizer_premise), and no run of 170–317 met it.
NEAR_WHERE = ("after {epochs} epochs at a constant rate (003: 200 epochs, its rate divided by 10 at epochs 80 and "
              "160), or where the loss first reaches the tolerance if later (a protocol check: every usable run "
              "measured there)")


def grad_ratio(r: dict) -> float:
    """‖∇F‖ over the mean mini-batch gradient norm (→ 0 at a minimizer, near 1 where the
    batches share one descent direction); NaN where not recorded."""
    return r.get("full_grad_norm", math.nan) / r.get("batch_grad_norm", math.nan)


def minimizer_premise(runs, sweep, xs, epochs) -> tuple[str | None, str]:
    """(the premise-not-met verdict or None, the measured text): the trained rows' protocol
    check — every usable run measured at 003's end of training, ``epochs`` epochs (NEAR_WHERE;
    a run that reached the tolerance later is measured there) — and beside it, not judged, per
    width or depth the median training loss where the gradients were measured (the runs are at
    equal loss at the tolerance, not at the end: a faster net ends deeper), how many were
    measured later than ``epochs``, and the median ‖∇F‖/‖g_B‖. Until next20 the premise was
    that ratio ≤ LAZY ("near a minimizer"), which need not hold at an interpolating minimizer:
    as the loss falls the residual aligns with the kernel's bottom eigenvectors and ∇F and the
    mini-batch gradients vanish together (a quick-preset run trained 200 epochs, to losses
    10⁻⁴–10⁻¹⁷, read 0.34–0.96)."""
    med, end, late = [], [], []
    for x in xs:
        at = [r for r in runs if r[sweep] == x]
        q = [v for v in map(grad_ratio, at) if math.isfinite(v)]
        med.append(float(np.median(q)) if q else math.nan)
        e = [r["train_loss_end"] for r in at if math.isfinite(r.get("train_loss_end", math.nan))]
        end.append(float(np.median(e)) if e else math.nan)
        late.append(sum(r.get("epochs_trained", 0) > epochs + 1e-9 for r in at))
    text = (f"; beside it, not judged: median training loss where measured {_chain(end, '.2g')}, measured after "
            f"more than {epochs} epochs (the tolerance reached later) {_chain(late, 'd')} runs, median ‖∇F‖/‖g_B‖ "
            f"{_chain(med)}")
    short = [r for r in runs if not r.get("epochs_trained", 0) >= epochs - 1e-9]
    if short:
        where = sorted({r[sweep] for r in short})
        return premise_not_met(f"not measured at 003's end of training ({epochs} epochs): {len(short)} of "
                               f"{len(runs)} usable runs (at {sweep} {where})"), text
    return None, text


def robust_spread(values) -> float:
    """1.4826·MAD of the finite values (the standard deviation for a Gaussian, not set by one
    outlying seed); 0 for fewer than two."""
    v = np.asarray([x for x in values if math.isfinite(x)], float)
    return float(1.4826 * np.median(np.abs(v - np.median(v)))) if len(v) > 1 else 0.0


def size_check(verdict, values, seeds, xs, sign, sweep, what="") -> tuple[str, str]:
    """(the verdict, the measured text) after the trend rows' size check: per seed with a
    value at every x the change from the first to the last x in the claimed direction
    (``sign`` · (last − first)); a significant trend, claimed or opposite, decides only when
    the median change clears the robust spread of those changes (1.4826·MAD: the review of
    seeds 170–177 found the standard deviation set by one seed)."""
    full = [sd for sd in seeds if all((sd, x) in values for x in xs)]
    ends = [sign * (values[(sd, xs[-1])] - values[(sd, xs[0])]) for sd in full]
    med = float(np.median(ends)) if ends else math.nan
    floor = robust_spread(ends)
    text = (f"; change {'of ' + what + ' ' if what else ''}from {sweep} {xs[0]} to {xs[-1]} in the claimed direction "
            f"median {med:.3g}, robust spread of the per-seed changes (1.4826·MAD) {floor:.3g}")
    if verdict == REPRODUCED and not med > floor:
        verdict = (f"{INCONCLUSIVE}: the claimed trend is significant but its size (median change {med:.3g}) is "
                   f"within the robust spread of the per-seed changes {floor:.3g}")
    elif verdict == NOT_REPRODUCED and not -med > floor:
        verdict = (f"{INCONCLUSIVE}: the opposite trend is significant but its size (median change {med:.3g}) is "
                   f"within the robust spread of the per-seed changes {floor:.3g}")
    return verdict, text


def _redo_text(runs, sweep, xs, head, always=False) -> str:
    """How many of ``runs`` per x were redone at a halved rate, and at which (η/2ᵏ of the
    stability rule's η after k halvings); '' where none was and not ``always``."""
    parts = []
    for x in xs:
        k = Counter(int(r.get("retries", 0)) for r in runs if r[sweep] == x and r.get("retries", 0) > 0)
        n = sum(r[sweep] == x for r in runs)
        rates = ", ".join(f"η/{2 ** j}: {c}" for j, c in sorted(k.items()))
        parts.append(f"{sum(k.values())} of {n} at {x}" + (f" ({rates})" if rates else ""))
    if not always and not any(r.get("retries", 0) > 0 for r in runs):
        return ""
    return head + ", ".join(parts)
