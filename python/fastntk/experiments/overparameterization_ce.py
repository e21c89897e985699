"""000 Fig. 5 (right): Fig. 1's setting — test error against the training-set size for
GD, SGD and AdaGrad at a few σ — with the two-class cross-entropy instead of the
squared loss, every run trained to the same low training loss."""
from __future__ import annotations

import math

import numpy as np

from ..dynamics import default_lr, find_lr
from ..model import MLP
from ._paired import paired_direction, signed_rank
from ._training import fit, sgd_lr
from ._verdict import ALPHA, Claim, per_seed, spread, usable
from .overparameterization import Overparameterization


# The cross-entropy's curvature in f is σ(1 − σ) ≤ 1/4 of the squared loss's: its GD
# stability limit at θ₀ is 4× the squared loss's 2N/λ_max, so GD and SGD take 4× the
# squared-loss rules of _training (a rate that stops decreasing the loss is halved there).
CE_CURVATURE = 4.0
# What the rows (through ``figure``) and the summary say of it: the papers' rate is the squared loss's (001 App. D).
RATE_NOTE = {
    "gd": (f"GD at {CE_CURVATURE:g} × 1.9N/λ_max(K₀), fastntk's curvature-scaled extension to the cross-entropy of "
           "the papers' squared-loss rate 1.9N/λ_max (001 App. D; the cross-entropy's curvature in f is ≤ 1/4 of the "
           "squared loss's)"),
    "sgd": (f"SGD at {CE_CURVATURE:g} × the package's squared-loss mini-batch rate, fastntk's curvature-scaled "
            "extension to the cross-entropy"),
}
# AdaGrad has no stability edge under the cross-entropy: its first step moves every
# parameter by about η whatever the gradient's scale, and the margins saturate before the
# loss can rise (every rate up to 10¹³ decreased it on MNIST, 2026-12-05). Its rate is
# the paper's rule (the largest with a monotone loss) applied to the squared loss, which
# has an edge; the run then trains the cross-entropy at that rate.


def cross_entropy(pred, y) -> float:
    """Mean log(1 + e^{−ỹf}) with ỹ = ±1 (labels {0, 1})."""
    pred, y = np.asarray(pred, np.float64), np.asarray(y, np.float64)
    return float(np.mean(np.logaddexp(0.0, -np.where(y > 0, 1.0, -1.0) * pred)))


class OverparameterizationCE(Overparameterization):
    name = "overparameterization-ce"
    title = "Test error versus training-set size under the cross-entropy loss"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Fig. 5 right)"
    # Every row's paper column: the rows that read GD's or SGD's runs (their falls-with-N rows, the adaptive-worse
    # rows against GD) say at which rate those runs train (next22: no row said it).
    figure = (f"000 Fig. 5 right (Fig. 1 under cross-entropy; trained to 10⁻⁵ there; here {RATE_NOTE['gd']}; "
              f"{RATE_NOTE['sgd']})")
    presets = {
        "quick": dict(data="digits", n_sizes=[10, 20, 50], n_test=100, data_seed=0, depth=2, width=1000,
                      optimizers=["gd", "sgd", "adagrad"], sigmas=[1.0, 4.0], seeds=[0, 1], batch_ratio=0.2,
                      tol=1e-2, max_steps=20000),
        # Seeds 150–154: new when overparameterization's rows, which these inherit, changed after a review of
        # its seeds 110–114 (the SGD ≈ GD premise named per N, its control outside the band).
        # Seeds 110–114: new after a review of 100–104 found the AdaGrad-worse floor taken from GD's unpaired
        # spreads (the paired differences' now) and the rows not naming σ, the tolerance or AdaGrad's rate rule.
        # Seeds 100–104: new after a third review of 80–84 found the pooled floor shrunk by the
        # saturated N = 100 end (now the larger of the two ends' spreads).
        # Seeds 80–84: new after a review of seeds 70–74 found the 0/1 error saturated (every N = 100
        # run at 0) and the falls-with-N floor taken at that saturated end; the cross-entropy is now
        # judged beside it and the floor pooled over both ends.
        # Seeds 40–44: new after the run with seeds 30–34, whose test set changed with the
        # training-set size (now nested sizes, one test set; before it, an attempt with
        # seeds 10–14 stopped at its first AdaGrad run: find_lr has no edge under CE).
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
        # Seeds 330–334 (next22): a review of 320–324 found no row or summary line saying that GD (and SGD) train at
        # CE_CURVATURE × the papers' squared-loss rate, fastntk's extension to the cross-entropy; the rows that read
        # GD or SGD runs, and the summary, now say it. Pre-run review of next22-c (before any run on 330–334): the
        # AdaGrad-worse rows, inherited from overparameterization, took a floor from the same paired differences
        # (not reproduced in ~25 % of null samples at n = 5); they now take adaptive's exact one-sided signed-rank
        # test at 5 % (experiments/_paired.py; overparameterization's own rows unchanged).
        # Seeds 360–364 (next23-b): a review of 330–334 found the cross-entropy worse row's per-seed median over N
        # decided by N = 25 alone in 5 of 5 seeds without the row saying so (it now names, per N, in how many seeds
        # the median is that N's difference, and AdaGrad's sign count at each N), no test predictions kept to tell a
        # margin-scale gap from misclassification (each record now keeps test_pred), and the 0/1 row's "the metric
        # cannot resolve the effect" misnaming its ties (they are ties of the median over N; now said so).
        "standard": dict(data="mnist", n_sizes=[10, 25, 100], n_test=100, data_seed=0, depth=2, width=2000,
                         optimizers=["gd", "sgd", "adagrad"], sigmas=[4.0], seeds=[360, 361, 362, 363, 364],
                         batch_ratio=0.2, tol=1e-2, max_steps=50000),
        "paper": dict(data="mnist", n_sizes=[10, 20, 50, 100, 200], n_test=100, data_seed=0, depth=2,
                      width=4000, optimizers=["gd", "sgd", "adagrad"], sigmas=[0.5, 1.0, 4.0], seeds=list(range(5)),
                      batch_ratio=0.2, tol=1e-5, max_steps=200000),
    }

    # Fig. 5 (right) plots the test *error*, which 000 also uses for the loss L_T: both are judged,
    # the 0/1 error (which saturates at 0 on 100 test points) and the test cross-entropy beside it.
    sgd_ref = None  # 000 Fig. 5 compares the optimizers' errors; its SGD-vs-GD panel is Fig. 1's, under MSE
    metrics = (("test_error", "test error (0/1)"), ("test_loss", "test cross-entropy"))
    rate_note = {"adagrad": "; AdaGrad's rate from App. D's probe on the squared loss, which has an edge where the "
                            "cross-entropy has none"}

    def run_job(self, cfg, job, ctx):
        ds = self._data(cfg, ctx, job["n_train"])
        net = MLP.uniform(ds.d, cfg["width"], cfg["depth"], sigma=job["sigma"])
        theta = net.init(job["seed"])
        opt, kw, lr = job["optimizer"], {}, None
        if opt == "sgd":
            kw = dict(batch_size=max(1, math.ceil(cfg["batch_ratio"] * ds.X.shape[0])), shuffle=True,
                      seed=job["seed"])
            lr = CE_CURVATURE * sgd_lr(net, theta, ds.X, kw["batch_size"], shuffle=True, seed=job["seed"],
                                       max_steps=cfg["max_steps"])
        elif opt == "gd":
            lr = CE_CURVATURE * default_lr(net, theta, ds.X)
        else:
            lr = find_lr(net, theta, ds.X, ds.Y, optimizer=opt)
        res, info = fit(net, theta, ds.X, ds.Y, optimizer=opt, lr=lr, X_test=ds.X_test, tol=cfg["tol"],
                        max_steps=cfg["max_steps"], callback=ctx.callback, loss="logistic", **kw)
        pred = res.history["test_pred"][-1]
        # "test_loss" is the test cross-entropy: Fig. 1's claims and plots read it.
        return dict(status=res.status, steps=res.steps, **info, train_loss=float(res.history["train_loss"][-1]),
                    test_loss=cross_entropy(pred, ds.Y_test),
                    test_error=float(np.mean((np.asarray(pred) > 0) != (np.asarray(ds.Y_test) > 0))),
                    # The test outputs, so that the 0/1 error and the margins ỹf can be recomputed (next23-b: the
                    # cross-entropy gap could come from the margins' scale rather than from misclassification).
                    test_pred=np.asarray(pred, float))

    def _metric_claims(self, cfg, records, key, name):
        """Overparameterization's rows, except that each "generalizes worse than GD" row is judged by
        the exact one-sided signed-rank test adaptive uses (:func:`._paired.paired_direction`, at ALPHA;
        at 5 seeds only 5 of 5 positive reach p = 1/32), not by overparameterization's floor drawn from
        the same paired differences, whose "below the spread" branch reads *not reproduced* in about
        25 % of null samples at n = 5 (pre-run review of next22-c). 000 states no size for the gap, so
        only the opposite sign, significant at the same level, reads *not reproduced*. The falls-with-N
        rows are overparameterization's, unchanged (its module is shared with Fig. 1's experiment)."""
        tol = cfg["tol"]
        out = []
        for claim in super()._metric_claims(cfg, records, key, name):
            opt = claim.claim.split(" ", 1)[0]
            if not claim.claim.startswith(f"{opt} generalizes worse than GD ("):
                out.append(claim)
                continue
            b = {(r["sigma"], r["seed"], r["n_train"]): r[key]
                 for r in usable([r for r in records if r["optimizer"] == "gd"], tol)[0]}
            a = {(r["sigma"], r["seed"], r["n_train"]): r[key]
                 for r in usable([r for r in records if r["optimizer"] == opt], tol)[0]}
            common = sorted(set(a) & set(b))
            # One difference per θ₀ (σ, seed): the median over the training-set sizes, as in overparameterization.
            d = per_seed({k: a[k] - b[k] for k in common}, seed_index=slice(0, 2))
            p_claim, p_opp = signed_rank(d)
            per_n = ", ".join(f"N = {n}: {np.median([a[k] - b[k] for k in common if k[2] == n]):.3g} ({opt} above "
                              f"GD in {sum(a[k] > b[k] for k in common if k[2] == n)} of "
                              f"{sum(k[2] == n for k in common)})"
                              for n in sorted(cfg["n_sizes"]) if any(k[2] == n for k in common))
            # Which N decides: per unit, the sizes whose difference is the median over N (for an odd count of sizes
            # the median is one of them; ties among sizes name each). A review of 330–334 found N = 25 deciding the
            # cross-entropy row in 5 of 5 seeds, unsaid.
            decide = {}
            for unit in sorted({k[:2] for k in common}):
                vals = {k[2]: a[k] - b[k] for k in common if k[:2] == unit}
                med = float(np.median(list(vals.values())))
                for n, v in vals.items():
                    if v == med:
                        decide[n] = decide.get(n, 0) + 1
            units = len({k[:2] for k in common})
            decided = ", ".join(f"N = {n} in {c} of {units}" for n, c in sorted(decide.items())) or "—"
            sizes = ", ".join(str(n) for n in sorted({k[2] for k in common}))
            out.append(Claim(
                claim.claim,
                f"{self.figure} caption, 000 Sect. 9 (adaptive methods' test error worse; fastntk's reading: the "
                f"direction, by an exact one-sided signed-rank test over θ₀ at p ≤ {ALPHA:g} — at 5 seeds all 5 "
                "differences positive, p = 1/32; 000 gives no size for the gap)",
                f"{opt} above GD in {sum(v > 0 for v in d)} of {len(d)} (σ, seed) units (median over N of "
                f"{len(common)} usable pairs; the median is the difference at {decided} units"
                + (f" (each size tied at a unit's median counted, so the counts may sum past {units})" if decide else "")
                + "; exact one-sided "
                f"signed-rank p {p_claim:.3g}, the opposite {p_opp:.3g}; "
                f"beside it, not judged: median difference {float(np.median(d)) if d else math.nan:.3g}, spread of "
                f"the paired differences {spread(d):.3g}; median difference by N: {per_n or '—'}; trained to loss < "
                f"{tol:g}{self.rate_note.get(opt, '')})",
                paired_direction(d, len(cfg["sigmas"]) * len(cfg["seeds"]), "seeds",
                                 tie_note=f"the median over N = {sizes} of {opt}'s and GD's paired differences is 0, "
                                 "a tie at the median N; the per-N counts are beside it")))
        return out

    def summary(self, cfg, records):
        lines = [line for line in super().summary(cfg, records) if "lazy" not in line and "laziness" not in line
                 and "Expected" not in line]
        lines.append("- The test loss here is the test cross-entropy (the claims compare it and the 0/1 test error; 000 "
                     "Fig. 5 plots a \"test error\" without saying which); the training loss is the cross-entropy too, "
                     f"every compared run at < {cfg['tol']} (000 trains to 10⁻⁵).")
        err = {}
        for r in usable(records, cfg["tol"])[0]:
            err.setdefault((r["optimizer"], r["n_train"]), []).append(r["test_error"])
        lines.append("- Mean 0/1 test error (usable runs): " + ", ".join(
            f"{o} N = {n}: {np.mean(v):.3f}" for (o, n), v in sorted(err.items())) + ".")
        lines.append("- Learning rates: " + "; ".join(RATE_NOTE[o] for o in ("gd", "sgd") if o in cfg["optimizers"])
                     + "; AdaGrad at App. D's rule applied to the squared loss.")
        lines.append("- Expected (Fig. 5 right): the effects of Fig. 1 under the cross-entropy loss — test error "
                     "falls with N, adaptive methods above GD.")
        return lines
