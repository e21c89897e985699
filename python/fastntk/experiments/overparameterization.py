"""000 Fig. 1: test error versus training-set size at fixed width, for GD, SGD and AdaGrad at a few σ."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import plots, theory
from ..datasets import Dataset
from ..model import MLP
from ._base import Experiment, group, half_mse, log_axes, plot_grouped, save_figure
from ._training import fit, laziness
from ._verdict import (LAZY, Claim, approx, direction, excluded, lazy_median, lazy_note, per_seed, premise_not_met,
                       spread, too_few, usable)
from .stochastic import WEAK


class Overparameterization(Experiment):
    name = "overparameterization"
    title = "Test error versus training-set size (overparameterized regime)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Fig. 1)"
    figure = "000 Fig. 1"
    presets = {
        "quick": dict(data="digits", n_sizes=[10, 20, 50], n_test=100, data_seed=0, depth=2, width=1000,
                      optimizers=["gd", "sgd", "adagrad"], sigmas=[1.0, 4.0], seeds=[0], batch_ratio=0.2,
                      tol=1e-4, max_steps=20000),
        # Seeds 150–154: new after a review of 110–114 found the SGD ≈ GD row not naming the N whose laziness
        # premise failed and its band holding AdaGrad's control too.
        # Seeds 110–114: new after a review of 100–104 found the AdaGrad-worse floor from unpaired spreads and
        # the SGD ≈ GD premise pooled over N (N = 100's nets sit at the laziness threshold).
        # Seeds 100–104: new after a third review found the pooled floor shrunk by a saturated end
        # (the floor is now the larger of the two ends' spreads).
        # Seeds 80–84: new for the rerun with the falls-with-N floor pooled over both ends (a review
        # of overparameterization-ce's seeds 70–74 found a saturated end setting it to 0).
        # Seeds 40–44: new for the rerun after the review of the run with seeds 30–34 (the
        # training sets nested, one test set for every size).
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
        # record keeps max_climb and steps_tried.
        "standard": dict(data="mnist", n_sizes=[10, 25, 100], n_test=100, data_seed=0, depth=2, width=2000,
                         optimizers=["gd", "sgd", "adagrad"], sigmas=[4.0], seeds=[320, 321, 322, 323, 324],
                         batch_ratio=0.2, tol=1e-5, max_steps=60000),
        # Paper preset, seeds 0–4 (session 29, before any run of it; was 0–2): 000 Fig. 1's "5 repetitions of each
        # setting", as overparameterization-ce's and sigma-by-size's paper presets already had (an audit of issue 26).
        "paper": dict(data="mnist", n_sizes=[10, 20, 50, 100, 200], n_test=100, data_seed=0, depth=2,
                      width=4000, optimizers=["gd", "sgd", "adagrad"], sigmas=[0.5, 1.0, 4.0], seeds=list(range(5)),
                      batch_ratio=0.2, tol=1e-5, max_steps=200000),
    }

    def jobs(self, cfg):
        return [dict(n_train=n, optimizer=o, sigma=s, seed=seed) for n in cfg["n_sizes"]
                for o in cfg["optimizers"] for s in cfg["sigmas"] for seed in cfg["seeds"]]

    @staticmethod
    def _data(cfg, ctx, n):
        """The first n of the largest size's training points, and its test set: the sizes
        are nested and every size is scored on the same test points."""
        full = ctx.dataset(n_train=max(cfg["n_sizes"]))
        return Dataset(full.X[:n], full.Y[:n], full.X_test, full.Y_test, full.name)

    def run_job(self, cfg, job, ctx):
        ds = self._data(cfg, ctx, job["n_train"])
        net = MLP.uniform(ds.d, cfg["width"], cfg["depth"], sigma=job["sigma"])
        theta = net.init(job["seed"])
        opt, kw = job["optimizer"], {}
        if opt == "sgd":
            kw = dict(batch_size=max(1, math.ceil(cfg["batch_ratio"] * ds.X.shape[0])), shuffle=True,
                      seed=job["seed"])
        res, info = fit(net, theta, ds.X, ds.Y, optimizer=opt, X_test=ds.X_test, tol=cfg["tol"],
                        max_steps=cfg["max_steps"], callback=ctx.callback, **kw)
        lazy = {}
        if opt in ("gd", "sgd"):  # both converge to the linearization's GD limit (Thm 4a)
            lin = theory.decompose(net, theta, ds.X, ds.Y, ds.X_test).f_lin
            lazy = laziness(net, theta, res.params, ds.X, res.history["test_pred"][-1], lin)
        return dict(status=res.status, steps=res.steps, **info, **lazy,
                    train_loss=float(res.history["train_loss"][-1]),
                    test_loss=half_mse(res.history["test_pred"][-1], ds.Y_test))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(len(cfg["sigmas"]))
        for ax, s in zip(axes, cfg["sigmas"]):
            for opt in cfg["optimizers"]:
                plot_grouped(ax, [r for r in records if r["sigma"] == s and r["optimizer"] == opt], "n_train",
                             "test_loss", opt, plots.COLORS.get(opt))
            log_axes(ax, "training-set size N", "test loss", f"σ = {s}, m = {cfg['width']}")
        paths = save_figure(fig, out, "overparameterization")
        return paths

    def summary(self, cfg, records):
        lines = ["- Means over the usable runs (converged, not degenerate), as in the table."]
        made = records
        records = usable(records, cfg["tol"])[0]
        for s in cfg["sigmas"]:
            for opt in cfg["optimizers"]:
                g = group([r for r in records if r["sigma"] == s and r["optimizer"] == opt], ["n_train"], "test_loss")
                ks = sorted(g)
                if len(ks) > 1:
                    lines.append(f"- σ = {s}, {opt}: test loss {g[ks[0]][0]:.3g} at N = {ks[0][0]} → "
                                 f"{g[ks[-1]][0]:.3g} at N = {ks[-1][0]}.")
                for n in sorted(cfg["n_sizes"]):
                    at = [r for r in made if r["sigma"] == s and r["optimizer"] == opt and r["n_train"] == n]
                    left = [r for r in at if r not in records]
                    if left:
                        halved = sum(r.get("retries", 0) > 0 for r in left)
                        lines.append(f"- σ = {s}, {opt}, N = {n}: {len(left)} of {len(at)} runs not usable "
                                     f"({excluded(usable(left, cfg['tol'])[1])[len('; excluded: '):]}; statuses "
                                     + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r['status'] for r in left).items()))
                                     + f"; {halved} of them after halving the rate).")
        lines.append(f"- GD/SGD runs: {lazy_note([r for r in records if r['optimizer'] in ('gd', 'sgd')])}.")
        lines.append("- Expected (Fig. 1): test error falls with N for every method; larger σ and adaptive "
                     "methods sit above GD at small σ.")
        return lines

    sgd_ref = "000 Fig. 1 (SGD-vs-GD panel), Thm 4(a)"  # where SGD ≈ GD is claimed (None: no row)
    rate_note: dict = {}  # per optimizer, how its rate was chosen where that is not the rule for the loss in use

    def _relative(self, records, opt, tol):
        """Per usable run of ``opt`` with a usable GD run of the same (σ, seed, N):
        |metric − GD's|/GD's."""
        key = self.metrics[0][0]
        b = {(r["sigma"], r["seed"], r["n_train"]): r[key]
             for r in usable([r for r in records if r["optimizer"] == "gd"], tol)[0]}
        a = {(r["sigma"], r["seed"], r["n_train"]): r[key]
             for r in usable([r for r in records if r["optimizer"] == opt], tol)[0]}
        return [abs(a[k] - b[k]) / b[k] for k in sorted(set(a) & set(b)) if b[k] > 0]

    def _sgd_claim(self, cfg, records):
        """SGD's nets test like GD's at every size: the median relative difference within
        WEAK (stochastic's band), AdaGrad's — the method Fig. 1 shows apart — outside it;
        Thm 4(a) reaches the nets through Thm 1, so SGD's and GD's runs must be lazy."""
        tol = cfg["tol"]
        rel = self._relative(records, "sgd", tol)
        made = sum(r["optimizer"] == "sgd" for r in records)
        ada = self._relative(records, "adagrad", tol) if "adagrad" in cfg["optimizers"] else []
        ctrl = float(np.median(ada)) if ada else math.nan
        med = float(np.median(rel)) if rel else math.nan
        nets = usable([r for r in records if r["optimizer"] in ("gd", "sgd")], tol)[0]
        # Thm 4(a)'s premise at every training-set size, not pooled over them; the sizes where it fails are named.
        per_n = {n: lazy_median([r for r in nets if r["n_train"] == n]) for n in sorted(cfg["n_sizes"])}
        failed = [n for n, v in per_n.items() if not v <= LAZY]
        premise = premise_not_met("not lazy at " + ", ".join(
            f"N = {n} (median ‖f_NN − f_lin‖/‖f_lin‖ {per_n[n]:.3g} > {LAZY})" if math.isfinite(per_n[n])
            else f"N = {n} (laziness not measured)" for n in failed)) if failed else None
        side = (f"inside the band {WEAK:g}" if ctrl <= WEAK else f"outside the band {WEAK:g}" if math.isfinite(ctrl)
                else "not measured")
        return Claim(f"SGD-trained nets have basically GD's {self.metrics[0][1]} at every training-set size",
                     f"{self.sgd_ref} (≈: median relative difference ≤ {WEAK}, stochastic's band; a band AdaGrad's "
                     "must leave)",
                     f"median |SGD − GD|/GD {med:.3f} over {len(rel)} usable (σ, seed, N) pairs; AdaGrad's {ctrl:.3f}, "
                     f"{side}; GD/SGD pooled over N {lazy_note(nets)}; its median by N: "
                     + ", ".join(f"N = {n}: {v:.3g}" for n, v in per_n.items()),
                     too_few(len(rel), made) or premise
                     or approx(med, WEAK, ctrl, len(rel), made, "runs", "AdaGrad's median relative difference"))

    # The record fields the claims compare, with their names: 000 Fig. 1 plots the test MSE of
    # the squared loss.
    metrics = (("test_loss", "test loss"),)

    def claims(self, cfg, records):
        out = []
        for key, name in self.metrics:
            out += self._metric_claims(cfg, records, key, name)
        if {"gd", "sgd"} <= set(cfg["optimizers"]) and self.sgd_ref:
            out.append(self._sgd_claim(cfg, records))
        return out

    def _metric_claims(self, cfg, records, key, name):
        out = []
        tol = cfg["tol"]
        lo, hi = min(cfg["n_sizes"]), max(cfg["n_sizes"])
        keys = [(s, seed) for s in cfg["sigmas"] for seed in cfg["seeds"]]
        for opt in cfg["optimizers"]:
            runs = [r for r in records if r["optimizer"] == opt]
            good, why = usable(runs, tol)
            ok = {(r["sigma"], r["seed"], r["n_train"]): r[key] for r in good}
            d = [ok[(s, seed, lo)] - ok[(s, seed, hi)] for s, seed in keys if (s, seed, lo) in ok and (s, seed, hi) in ok]
            # The larger of the two ends' spreads: a metric that saturates at one end (a 0/1 error
            # at 0 for every large-N run) has no spread there, and pooling it would shrink the floor.
            floor = max(spread([ok[(s, seed, n)] for s, seed in keys if (s, seed, n) in ok]) for n in (lo, hi))
            out.append(Claim(f"{opt}: the {name} falls as the training set grows (N = {lo} → {hi}; an extra "
                             "check, not a claim of the paper)",
                             self.figure, f"lower at N = {hi} in {sum(v > 0 for v in d)} of {len(d)} usable "
                             f"(σ, seed) pairs (median drop {float(np.median(d)) if d else math.nan:.3g}, seed spread "
                             f"at N = {lo} or {hi}, the larger, {floor:.3g}; trained to loss < {tol:g}){excluded(why)}",
                             direction(d, len(keys), "pairs", floor)))
        if "gd" in cfg["optimizers"]:
            b = {(r["sigma"], r["seed"], r["n_train"]): r[key]
                 for r in usable([r for r in records if r["optimizer"] == "gd"], tol)[0]}
            for opt in [o for o in cfg["optimizers"] if o not in ("gd", "sgd")]:
                a = {(r["sigma"], r["seed"], r["n_train"]): r[key]
                     for r in usable([r for r in records if r["optimizer"] == opt], tol)[0]}
                common = sorted(set(a) & set(b))
                # One difference per θ₀ (σ, seed): the median over the training-set sizes.
                d = per_seed({(k[0], k[1], k[2]): a[k] - b[k] for k in common}, seed_index=slice(0, 2))
                # The noise floor of a paired comparison: the spread of the paired differences.
                floor = spread(d)
                per_n = ", ".join(f"N = {n}: {np.median([a[k] - b[k] for k in common if k[2] == n]):.3g}"
                                  for n in sorted(cfg["n_sizes"]) if any(k[2] == n for k in common))
                out.append(Claim(f"{opt} generalizes worse than GD ({name}; per θ₀ the median over the "
                                 f"training-set sizes; σ = {', '.join(f'{x:g}' for x in cfg['sigmas'])})",
                                 f"{self.figure} caption, 000 Sect. 9 (adaptive methods' test error worse)",
                                 f"{opt} above GD in {sum(v > 0 for v in d)} of {len(d)} (σ, seed) units "
                                 f"(median over N of {len(common)} usable pairs; median difference "
                                 f"{float(np.median(d)) if d else math.nan:.3g}, spread of the paired differences "
                                 f"{floor:.3g}; median difference by N: {per_n or '—'}; trained to loss < {tol:g}"
                                 f"{self.rate_note.get(opt, '')})",
                                 direction(d, len(keys), "seeds", floor)))
        return out
