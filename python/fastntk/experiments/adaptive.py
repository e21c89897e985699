"""000 Fig. 3: GD vs AdaGrad vs Adam — the adaptive minimizer generalizes differently (Thm 3)."""
from __future__ import annotations

import numpy as np

import math

from .. import plots, theory
from ..model import MLP
from ._base import Experiment, group, half_mse, log_axes, plot_grouped, save_figure
from ._training import fit, laziness
from ._verdict import (ALPHA, INCONCLUSIVE, LAZY, MIN_PAIRS, SAME_MINIMIZER, Claim, direction,
                       excluded, lazy_median, lazy_note, lazy_premise, pairs, per_seed, same_band, spread, too_few, usable)
from ._paired import paired_direction, signed_rank
from ._rate import needed_width


def _lin_redone(records) -> str:
    """The linearizations trained at another η than their net's (the review of 410–414: the summary's count of
    runs redone left them out, and they are not Thm 3's same-η object)."""
    redone = sorted(f"{r['optimizer']} m = {r['width']} seed {r['seed']} (η {r['lin_lr']:.3g} against {r['lr']:.3g})"
                    for r in records if "lin_lr" in r and r["lin_lr"] != r["lr"])
    return f"linearizations trained at another η than their net's: {', '.join(redone) if redone else 'none'}"


def _above(records) -> str:
    """How many nets lie beyond LAZY from their linearizations (a median just below it hid 2 of 5
    above: the review of 370–374)."""
    d = [r["lin_distance"] for r in records if math.isfinite(r.get("lin_distance", math.nan))]
    return f"{sum(x > LAZY for x in d)} of {len(d)} nets above {LAZY}"


class Adaptive(Experiment):
    name = "adaptive"
    title = "Adaptive optimizers change the minimizer (Thm 3)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Fig. 3)"
    presets = {
        "quick": dict(data="digits", n_train=50, n_test=100, data_seed=0, depths=[2, 2],
                      widths=[300, 1000], optimizers=["gd", "adagrad", "adam"], seeds=[0, 1, 2, 3, 4],
                      sigma=1.0, tol=1e-5, max_steps=20000),
        # σ = 4: on MNIST at these widths GD at σ = 1 does not reach 1e-5 within 100,000 steps
        # (the net leaves the kernel regime), at σ = 4 it does (000 leaves σ unstated for Fig. 3).
        # Seeds 60–64: new for the rerun after the run with seeds 50–54 showed the network
        # row's control pooling the nets unlike its yardstick (now the yardstick itself;
        # seeds 50–54, 40–44 and 10–14 before).
        # Widths [2000, 4000] from 2026-12-05: at m = 500 GD's nets were not lazy (‖f_NN − f_lin‖/‖f_lin‖
        # 0.20–0.26) and 3 of 5 did not converge within 100,000 steps (seeds 60–64).
        # 2026-12-05: seeds 70–74, new for the rerun under the revised rules (a direction claim fails only on
        # evidence against it, a value claim carries its standard error); earlier seeds are named above.
        # 2026-12-06: seeds 300–304, new for the rerun under next19's training procedure (the core judges a
        # full-batch run's monotone loss at every step, was every 20; records keep loss curves).
        # Seeds 310–314 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–324 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried; the worse rows' noise floor is the spread of the paired differences
        # (a review of 310–314 found GD's across-seed spread, ~4× larger, turning 4 of 5 into not reproduced).
        # Seeds 340–344 (next22; not 330–334, so that the m = 2000 runs are no longer bit-identical to stochastic's):
        # a review of 320–324 found the worse rows' floor, drawn from the same paired differences, firing "not
        # reproduced" in about 25 % of null samples at n = 5 (now an exact one-sided signed-rank test at ALPHA) and
        # the network rows judged on medians pooled over both widths (now one row per width).
        # Seeds 370–374 (next23-b; apart from stochastic's 360–364): a review of 340–344 found the network rows'
        # yardstick (GD's net's own distance from its linearization, 1.1–1.15× the predicted difference, both
        # shrinking alike with m) unable to fall below the prediction at σ = 4, m ≤ 4000, unsaid; the rows now say
        # why they cannot decide (the ratio and what it means), and the summary reports, not judged, how the nets'
        # distance follows the linear models' prediction.
        # Seeds 410–414 (next26-a, issue 26: 000 Fig. 3's right panel, L = 3, was judged nowhere): depths and
        # widths are paired (one job set per (L, m)) and L = 3 runs at m = 500 and 1000, the widths 2 cores allow
        # beside L = 2's (L = 3 at m = 2000 has 5.6M parameters, ≈ 3.5× L = 2's m = 2000 per step). Chosen from
        # the committed initialization run (L = 3, m = 500, σ = 4: GD converges in 1,800–3,400 steps, its nets not
        # lazy, ‖f_NN − f_lin‖/‖f_lin‖ 0.26–0.30), so L = 3's network rows are expected to read premise not met and
        # its rows judged are Fig. 3's own comparison and Thm 3's linear model. σ = 4 as at L = 2 (000 leaves σ
        # unstated for Fig. 3). σ = 2 (nearer the kernel regime there, 0.10–0.12) was passed over for cost: 3 of 5
        # GD runs at L = 3, m = 500 were unfinished at 20,000 steps. Expected ≈ 5 min beside L = 2's 11; no committed
        # record has AdaGrad or Adam at L = 3, and a run that meets the 100,000-step cap at m = 1000 costs 20–25 min
        # with its linearization, so the worst case is hours. Earlier seeds are named above.
        "standard": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2, 2, 3, 3],
                         widths=[2000, 4000, 500, 1000], optimizers=["gd", "adagrad", "adam"],
                         seeds=[410, 411, 412, 413, 414], sigma=4.0, tol=1e-5, max_steps=100000),
        # 001 App. D: the mean over 10 independently initialized nets; both depths at every width of the sweep
        # (depths and widths paired, as in the standard preset).
        "paper": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2] * 5 + [3] * 5,
                      widths=[250, 500, 1000, 2000, 4000] * 2, optimizers=["gd", "adagrad", "adam"],
                      seeds=list(range(10)), sigma=1.0, tol=1e-5, max_steps=200000),
    }

    paired = ("depths", "widths")  # jobs zip them: L = depths[i] at width widths[i]

    def jobs(self, cfg):
        return [dict(depth=L, width=m, optimizer=o, seed=s) for L, m in zip(cfg["depths"], cfg["widths"])
                for o in cfg["optimizers"] for s in cfg["seeds"]]

    @staticmethod
    def widths_at(cfg, depth):
        """The widths run at ``depth``, ascending (depths and widths are paired)."""
        return sorted({m for L, m in zip(cfg["depths"], cfg["widths"]) if L == depth})

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        net = MLP.uniform(ds.d, job["width"], job["depth"], sigma=cfg["sigma"])
        theta = net.init(job["seed"])
        opt = job["optimizer"]
        common = dict(X_test=ds.X_test, tol=cfg["tol"], max_steps=cfg["max_steps"], callback=ctx.callback)
        res, info = fit(net, theta, ds.X, ds.Y, optimizer=opt, **common)
        pred = res.history["test_pred"][-1]
        # The linearization trained the same way (same optimizer and η): Thm 3's object,
        # and the yardstick of how lazy the net was. GD's is the closed-form limit.
        lres, lin_info = fit(net, theta, ds.X, ds.Y, optimizer=opt, lr=info["lr"], model="linearized", **common)
        lin_trained = np.asarray(lres.history["test_pred"][-1], float)
        closed = np.asarray(theory.decompose(net, theta, ds.X, ds.Y, ds.X_test).f_lin, float)
        # The yardstick of laziness is the linearization trained the same way (same optimizer
        # and η); GD's is its closed-form limit, against which GD's trained linearization
        # measures how precisely training to the tolerance pins a minimizer down.
        lin = closed if opt == "gd" else lin_trained
        return dict(status=res.status, steps=res.steps, path=res.path, **info,
                    **laziness(net, theta, res.params, ds.X, pred, lin),
                    train_loss=float(res.history["train_loss"][-1]),
                    lin_status=lres.status, lin_train_loss=float(lres.history["train_loss"][-1]),
                    lin_lr=lin_info["lr"], lin_retries=lin_info.get("retries", 0),
                    test_loss=half_mse(pred, ds.Y_test), test_pred=np.asarray(pred, float),
                    lin_pred=np.asarray(lin, float), lin_trained_pred=lin_trained, gd_closed_pred=closed)

    def plot(self, cfg, records, out):
        depths = sorted({r["depth"] for r in records})
        fig, axes = plots.figure(len(depths))
        for ax, L in zip(axes, depths):
            for opt in cfg["optimizers"]:
                plot_grouped(ax, [r for r in records if r["depth"] == L and r["optimizer"] == opt], "width",
                             "test_loss", opt, plots.COLORS.get(opt))
            log_axes(ax, "width m", "test loss", f"L = {L}, trained to loss < {cfg['tol']}")
        paths = save_figure(fig, out, "adaptive")
        return paths

    def summary(self, cfg, records):
        ok = usable(records, cfg["tol"])[0]
        by_depth = [(L, [r for r in records if r["depth"] == L]) for L in sorted({r["depth"] for r in records})]
        lines = ["- The learning rates and counts are over all runs; every other number over the usable runs "
                 "(converged, not degenerate), as in the table. The depths and widths are paired, not a grid: (L, m) "
                 "= " + ", ".join(f"({L}, {m})" for L, m in zip(cfg["depths"], cfg["widths"])) + ".",
                 *[f"- L = {L}, {o}: {lazy_note([r for r in ok if r['depth'] == L and r['optimizer'] == o])}."
                   for L in sorted(set(cfg["depths"])) for o in cfg["optimizers"]],
                 *[f"- L = {L}, learning rates: " + ", ".join(
                     f"{o} η median {np.median([r['lr'] for r in at if r['optimizer'] == o]):.3g} "
                     f"({sum(r.get('retries', 0) > 0 for r in at if r['optimizer'] == o)} runs redone at a "
                     "smaller η after the loss stopped decaying (adaptive) or diverged (GD))" for o in cfg["optimizers"]
                     if any(r["optimizer"] == o for r in at)) + "; " + _lin_redone(at) + "."
                   for L, at in by_depth]]
        lines += [f"- L = {L}, runs that reached training loss < {cfg['tol']}: " + ", ".join(
            f"{o} {sum(r['status'] == 'converged' for r in at if r['optimizer'] == o)}/"
            f"{sum(r['optimizer'] == o for r in at)}" for o in cfg["optimizers"])
            + " (the comparison assumes the same training loss; raise --max-steps where not)." for L, at in by_depth]
        # Reported, not judged (next26-a's pre-run review): each method's laziness median per width, so that the
        # per-width extrapolations of the network rows can be read against the measured decay.
        for L in sorted({r["depth"] for r in ok}):
            ws = self.widths_at(cfg, L)
            if len(ws) > 1:
                med = {(o, w): lazy_median([r for r in ok if r["depth"] == L and r["width"] == w
                                            and r["optimizer"] == o]) for o in cfg["optimizers"] for w in ws}
                lines.append(f"- L = {L}, median ‖f_NN − f_lin‖/‖f_lin‖ by width (reported, not judged): " + "; ".join(
                    f"{o} " + ", ".join(f"m = {w}: {med[(o, w)]:.3g}" for w in ws) for o in cfg["optimizers"]) + ".")
        for L in sorted({r["depth"] for r in ok}):
            gd = group([r for r in ok if r["depth"] == L and r["optimizer"] == "gd"], ["width"], "test_loss")
            for opt in [o for o in cfg["optimizers"] if o != "gd"]:
                g = group([r for r in ok if r["depth"] == L and r["optimizer"] == opt], ["width"], "test_loss")
                common = sorted(set(g) & set(gd))
                # Medians over θ₀, as the table's rows (the review of 410–414: the means read "above at 2 of 2
                # widths" where the seeds split 3 of 5).
                med = {(o, k): float(np.median([r["test_loss"] for r in ok if r["depth"] == L and r["optimizer"] == o
                                                and r["width"] == k[0]])) for o in (opt, "gd") for k in common}
                worse = sum(med[(opt, k)] > med[("gd", k)] for k in common)
                ratios = ", ".join(f"m = {k[0]}: {med[(opt, k)] / med[('gd', k)]:.2f}×" for k in common)
                lines.append(f"- L = {L}: {opt}'s median test loss above GD's at {worse} of {len(common)} widths "
                             f"(paper: adaptive methods generalize worse; the rows judge the paired θ₀) — {ratios}.")
                dists = {}
                for k in common:
                    a = {r["seed"]: np.array(r["test_pred"]) for r in ok
                         if r["depth"] == L and r["optimizer"] == opt and r["width"] == k[0]}
                    b = {r["seed"]: np.array(r["test_pred"]) for r in ok
                         if r["depth"] == L and r["optimizer"] == "gd" and r["width"] == k[0]}
                    same = sorted(set(a) & set(b))
                    if same:
                        dists[k[0]] = float(np.median([theory.minimizer_distance(a[s], b[s]) for s in same]))
                if dists:
                    lines.append(f"- L = {L}: median RMS distance of {opt}'s test predictions from GD's (same θ₀): "
                                 + ", ".join(f"m = {w}: {d:.3g}" for w, d in dists.items()) + ".")
                follow = self._follows(cfg, ok, L, opt)
                if follow:
                    lines.append(f"- L = {L}: {opt}'s nets' RMS distance from GD's nets against the distance their "
                                 "linearizations trained the same way predict (000 Thm 3 through Thm 7; reported, not "
                                 "judged — the network rows cannot decide where the nets' own departure from their "
                                 f"linearizations is as large as the prediction): {follow}.")
        return lines

    @staticmethod
    def _follows(cfg, ok, L, opt):
        """Per width, the medians over θ₀ of the nets' distance (adaptive's net from GD's) and of
        the linear models' (adaptive's trained linearization from GD's), their per-θ₀ ratio's
        median, and the yardstick's median — the summary's report of how the nets follow Thm 3's
        prediction (next23-b: a review of 340–344 found it supporting Thm 3 yet nowhere said)."""
        cells = []
        for w in Adaptive.widths_at(cfg, L):
            at = {o: {r["seed"]: r for r in ok if r["depth"] == L and r["width"] == w and r["optimizer"] == o}
                  for o in (opt, "gd")}
            same = [s for s in sorted(at[opt]) if s in at["gd"] and "lin_trained_pred" in at[opt][s]
                    and "lin_trained_pred" in at["gd"][s]]
            if not same:
                continue
            x, y = at[opt], at["gd"]
            nets = [theory.minimizer_distance(x[s]["test_pred"], y[s]["test_pred"]) for s in same]
            lins = [theory.minimizer_distance(x[s]["lin_trained_pred"], y[s]["lin_trained_pred"]) for s in same]
            yard = [max(theory.minimizer_distance(x[s]["test_pred"], x[s]["lin_pred"]),
                        theory.minimizer_distance(y[s]["test_pred"], y[s]["lin_pred"])) for s in same]
            cells.append(f"m = {w}: nets {np.median(nets):.3g} against predicted {np.median(lins):.3g} (per θ₀ "
                         f"ratio median {np.median([n / p for n, p in zip(nets, lins) if p > 0]):.3g}, below the "
                         f"prediction in {sum(n < p for n, p in zip(nets, lins))} of {len(same)} θ₀), yardstick "
                         f"{np.median(yard):.3g}")
        return "; ".join(cells)

    def claims(self, cfg, records):
        out = []
        tol = cfg["tol"]
        for L in sorted({r["depth"] for r in records}):
            at = [r for r in records if r["depth"] == L]
            gd = [r for r in at if r["optimizer"] == "gd"]
            band = same_band(tol)
            for opt in [o for o in cfg["optimizers"] if o != "gd"]:
                a = [r for r in at if r["optimizer"] == opt]
                ps = pairs(a, gd, key=("seed", "width"), tol=tol)
                made = len(cfg["seeds"])
                why = usable(a + gd, tol)[1]
                diffs = per_seed({(x["seed"], x["width"]): x["test_loss"] - y["test_loss"] for x, y in ps})
                ratio = np.median([x["test_loss"] / y["test_loss"] for x, y in ps]) if ps else math.nan
                # Reported, not judged: the spread of the paired differences (next21's floor; a floor drawn
                # from the same differences is no 5 %-level test).
                floor = spread(diffs)
                p_claim, p_opp = signed_rank(diffs)
                # Reported, not judged (next26-a, the review of 370–374: the per-seed median over two widths is their
                # mean, so one width's larger gaps decided while the other's signs disagreed, unsaid): each width's
                # own count and exact p.
                per_width = []
                for w in sorted({x["width"] for x, _ in ps}):
                    dw = [x["test_loss"] - y["test_loss"] for x, y in ps if x["width"] == w]
                    pw = signed_rank(dw)[0] if dw else math.nan
                    per_width.append(f"m = {w}: {sum(d > 0 for d in dw)} of {len(dw)}, p {pw:.3g}")
                out.append(Claim(
                    f"L = {L}: {opt} generalizes worse than GD at equal training loss (σ = {cfg['sigma']:g})",
                    "000 Fig. 3 (a significant gap between GD and the adaptive methods; fastntk's reading: the "
                    f"direction, by an exact one-sided signed-rank test over θ₀ at p ≤ {ALPHA:g} — at 5 seeds all 5 "
                    "differences positive, p = 1/32; 000 gives no size for the gap)",
                    f"{opt}'s test loss above GD's in {sum(d > 0 for d in diffs)} of {len(diffs)} seeds (median over "
                    f"the widths each seed has a usable pair at, {sorted({x['width'] for x, _ in ps})}; {len(ps)} "
                    f"usable pairs, median ratio {ratio:.2f}; exact one-sided signed-rank p {p_claim:.3g}, the "
                    f"opposite {p_opp:.3g}; beside it, not judged: per width, above GD's in "
                    f"{'; '.join(per_width) or 'none'}; GD {lazy_note([y for _, y in ps])}, {opt} "
                    f"{lazy_note([x for x, _ in ps])}; median paired difference "
                    f"{float(np.median(diffs)) if diffs else math.nan:.3g}, their spread {floor:.3g}{excluded(why)})",
                    paired_direction(diffs, made, "seeds")))
                # Thm 3 is about the linear models: the linearization trained by the adaptive
                # method against GD's minimizer (its closed form), beyond the band within which two
                # minimizers trained to tol count as the same — which GD's own trained
                # linearization must fall inside (the control), else the band cannot tell.
                lin = self._lin_pairs(a, gd, tol)
                dist = {(x["seed"], x["width"]): theory.minimizer_distance(x["lin_trained_pred"], y["gd_closed_pred"])
                        for x, y in lin}
                own = [theory.minimizer_distance(y["lin_trained_pred"], y["gd_closed_pred"]) for _, y in lin]
                sep = per_seed({k: d - band for k, d in dist.items()})
                worst = max(own, default=math.nan)
                verdict = too_few(len(sep), made, "seeds", MIN_PAIRS)
                if verdict is None and not worst <= band:
                    verdict = (f"{INCONCLUSIVE}: GD's own trained linearization lies {worst:.3g} from its closed form, "
                               f"outside the band {band:.3g}, so the band cannot tell")
                out.append(Claim(
                    f"L = {L}: the linearization trained by {opt} converges to a different minimizer than GD's",
                    f"000 Thm 3 (the linear model; different: RMS distance > {SAME_MINIMIZER:g}·√tol = {band:.3g})",
                    f"median RMS distance of test predictions from GD's minimizer "
                    f"{float(np.median(list(dist.values()))) if dist else math.nan:.3g}; GD's own trained "
                    f"linearization at most {worst:.2g}; beyond the band in {sum(d > 0 for d in sep)} of {len(sep)} seeds",
                    verdict or direction(sep, made, "seeds")))
                # The same at the network level, where Thm 1 says the nets follow their linearizations:
                # judged only when they do (lazy), as a second row — one per width (next22: pooled over both
                # widths, the medians let m = 2000's yardstick decide m = 4000's row).
                for w in self.widths_at(cfg, L):
                    out.append(self._network_row(L, opt, w, [(x, y) for x, y in ps if x["width"] == w],
                                                 [(x, y) for x, y in lin if x["width"] == w], made))
        return out

    @staticmethod
    def _network_row(L, opt, width, ps, lin, made):
        """Thm 3 / Fig. 3 for the nets at one width: per θ₀ the nets' RMS distance from each other
        beyond the farther net's distance from its own linearization (the row's yardstick), a
        sign test over the seeds; premises: GD's and ``opt``'s nets at this width each lazy, and
        the yardstick (median over the pairs) below the difference the trained linear models
        predict there, else it cannot pass whatever the minimizers."""
        sep = per_seed({(x["seed"], x["width"]): theory.minimizer_distance(x["test_pred"], y["test_pred"])
                        - max(theory.minimizer_distance(x["test_pred"], x["lin_pred"]),
                              theory.minimizer_distance(y["test_pred"], y["lin_pred"])) for x, y in ps})
        dist = np.median([theory.minimizer_distance(x["test_pred"], y["test_pred"]) for x, y in ps]) \
            if ps else math.nan
        # Thm 1's premise for each method's nets: GD's and the adaptive method's runs are each
        # lazy (a median over both would let the lazier method carry the other).
        mine, gds = [x for x, _ in ps], [y for _, y in ps]
        judged = {(x["seed"], x["width"]) for x, _ in ps}
        lin_j = [(x, y) for x, y in lin if (x["seed"], x["width"]) in judged]
        predicted = float(np.median([theory.minimizer_distance(x["lin_trained_pred"], y["lin_trained_pred"])
                                     for x, y in lin_j])) if lin_j else math.nan
        yard = float(np.median([max(theory.minimizer_distance(x["test_pred"], x["lin_pred"]),
                                    theory.minimizer_distance(y["test_pred"], y["lin_pred"]))
                                for x, y in ps])) if ps else math.nan
        # Whose departure the yardstick is, and each method's own (next26-a, the review of 370–374: the text blamed
        # both nets where GD's was the farther in 20 of 20 pairs and the adaptive nets' own was 0.3–0.55× the
        # prediction).
        own_gd = [theory.minimizer_distance(y["test_pred"], y["lin_pred"]) for _, y in ps]
        own_opt = [theory.minimizer_distance(x["test_pred"], x["lin_pred"]) for x, _ in ps]
        gd_far = sum(g >= a for g, a in zip(own_gd, own_opt))
        departures = (f"GD's net the farther in {gd_far} of {len(ps)} pairs; each net's own distance from its "
                      f"linearization, median: GD {np.median(own_gd) if ps else math.nan:.3g}, {opt} "
                      f"{np.median(own_opt) if ps else math.nan:.3g}")
        blind = None
        if not math.isfinite(predicted):
            # No pair of trained linearizations reached tol at this width: there is no prediction to hold the
            # yardstick against (pre-run review of next23-b: the row read "(nan×)" and a reason it had not measured).
            blind = (f"{INCONCLUSIVE}: no linearization pair converged at this width ({opt}'s and GD's trained "
                     "linearizations both to tol), so there is no predicted difference to hold the yardstick against")
        elif not yard < predicted:
            # Why it cannot decide (next23-b): the nets' own departures from their linearizations — Lemma 1's
            # O(1/√m) remainder for GD's net, Thm 7's (000 App. G, Lemma 1's extension to adaptive training) for the
            # adaptive method's — are here as large as the whole difference Thm 3 predicts, so even nets that
            # followed Thm 3 exactly could not show a distance beyond them; 000 gives no finer yardstick. The
            # ratio is printed only for a positive prediction (pre-run review: a prediction of 0 raised
            # ZeroDivisionError).
            why = (f" ({yard / predicted:.2f}×), so the comparison cannot tell: at this σ and width a net's own "
                   f"departure from its linearization (GD's Lemma 1 remainder, {opt}'s Thm 7 remainder, 000 App. G; "
                   f"{departures}) is as large as the effect Thm 3 predicts, and a pair of nets lying exactly the "
                   "predicted distance apart would read the same" if predicted > 0 else
                   ", so the comparison cannot tell: the trained linear models predict no difference (0 RMS) for "
                   "the nets to show")
            blind = (f"{INCONCLUSIVE}: the yardstick (the farther net's distance from its own linearization, "
                     f"median {yard:.3g} RMS) is not below the linear models' predicted difference "
                     f"{predicted:.3g}" + why)
        lazy = lazy_premise(gds) or lazy_premise(mine)
        # Issue 25: a premise the preset's width misses names the width it would need (next26-a: L = 3's nets, not
        # lazy at m ≤ 1000, are the first adaptive runs outside the kernel regime) — from the farther of the methods
        # whose nets are measured and not lazy, named, with its theorem (pre-run review: max() over a nan median
        # picked by argument order).
        far = [(lazy_median(rs), who, bound) for rs, who, bound in
               ((gds, "GD's", "Lemma 1's"), (mine, f"{opt}'s", "Thm 7's (000 App. G)"))
               if math.isfinite(lazy_median(rs)) and lazy_median(rs) > LAZY]
        if lazy is not None and far and lazy.endswith(")"):
            med, who, bound = max(far)
            lazy = (lazy[:-1] + f"; {who} median {med:.3g} would fall to {LAZY} at m ≈ "
                    f"{needed_width(med, LAZY, width)} if it falls like {bound} O(1/√m) bound: "
                    f"m·(median/{LAZY})² from m = {width}, an extrapolation, not a run)")
        return Claim(
            f"L = {L}, m = {width}: the net trained by {opt} converges to a different minimizer than GD's",
            "000 Thm 3 / Fig. 3 (networks, through Thm 1; judged per width)",
            f"median RMS distance of test predictions from GD's {dist:.3g}, larger than each net's distance "
            f"from its own linearization in {sum(d > 0 for d in sep)} of {len(sep)} seeds; yardstick (the farther "
            f"net's distance from its linearization) median {yard:.3g} against the linear models' predicted "
            f"difference {predicted:.3g}; {departures}; GD {lazy_note(gds)}, {_above(gds)}; {opt} "
            f"{lazy_note(mine)}, {_above(mine)}",
            too_few(len(sep), made, "seeds", MIN_PAIRS) or lazy or blind or direction(sep, made, "seeds"))

    @staticmethod
    def _lin_pairs(a, gd, tol):
        """(adaptive, GD) records, same seed and width, whose linearizations both reached tol."""
        ok = lambda r: (r.get("lin_status") == "converged" and "lin_trained_pred" in r  # noqa: E731
                        and math.isfinite(r.get("lin_train_loss", math.nan)) and 0 < r["lin_train_loss"] < tol)
        index = {(r["seed"], r["width"]): r for r in gd if ok(r)}
        return [(x, index[(x["seed"], x["width"])]) for x in a if ok(x) and (x["seed"], x["width"]) in index]
