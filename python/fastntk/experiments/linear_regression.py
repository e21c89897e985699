"""003 Fig. 1: linear regression with N = 100 Gaussian samples, an over-parameterized
model (d = 120) against an under-parameterized one (d = 80), trained by SGD with
mini-batches of one sample at one constant rate. 003 says the over-parameterized model has
"much faster convergence rates"; fastntk judges where the runs end, not an early rate: after
the same steps its excess training loss over its own least-squares minimum is smaller, the
under-parameterized one stalling at SGD's noise floor. With y drawn independently of x that
row can hardly fail (d = 120 interpolates, d = 80 keeps a residual and so a noise floor), and
it says so, consistent with 003 Sect. 3's account (constant-rate SGD's floor is set by the
gradients' variance at the minimizer, absent for a model that fits the data; 003 itself credits
Fig. 1's speed to the lower gradient confusion). The over-parameterized model
also has lower gradient confusion:
Fig. 1 (right) shows the per-sample gradients' cosines "over all pairs", a distribution,
judged by its spread (narrower about 0 at d = 120), its minimum reported beside."""
from __future__ import annotations

import math

import numpy as np

from .. import plots
from ..dynamics import train
from ..model import MLP
from ..theory import gradient_confusion
from ._base import Experiment, legend, save_figure
from ._verdict import Claim, direction, spread

EPS_SHARE = 1e-3  # ε-accuracy (Thm 3.1): the excess loss at most this share of the model's excess at θ₀


def gaussian_samples(n: int, d: int, seed: int):
    """x ~ N(0, I_d/d) (‖x‖ ≈ 1) and y ~ N(0, 1), n samples: 003 Fig. 1's "samples generated
    randomly from a Gaussian"; one draw per (d, seed)."""
    rng = np.random.default_rng([seed, d])
    return rng.standard_normal((n, d)) / math.sqrt(d), rng.standard_normal(n)


class LinearRegression(Experiment):
    name = "linear-regression"
    title = "Linear regression: over- against under-parameterized under SGD (003 Fig. 1)"
    paper = "Sankararaman, De, Xu, Huang, Goldstein (003 Fig. 1)"
    presets = {
        "quick": dict(n_train=100, dims=[80, 120], seeds=[0, 1, 2, 3, 4], lr=0.5, steps=5000, record_every=100),
        # Eight seeds (7 of 8 decide a sign test); 003 averages 3 runs. lr = 0.5: every
        # one-sample step is stable (‖x‖² ≈ 1 < 2/η = 4), and one rate for both models, so the
        # rate does not confound d.
        # Seeds 90–97: new after a review of 80–87 found the speed row's wording overstating (d = 80
        # leads for the first ~7,500 steps; the row measures where SGD ends, not its rate).
        # Seeds 80–87: new after a review of 70–77 found the rows judged without the noise floor the
        # rules require (now the seed-to-seed spread pooled over both models).
        # Seeds 150–157: new after a review of 110–117 found the speed row saying "faster" where it judges
        # where the runs end, and the cosine row reading Fig. 1's cosines over all pairs as their minimum.
        # Seeds 170–177: new after a review of 150–157 found the speed row still opening with "converges
        # faster" (d = 80 reaches 5 % of its excess first in most seeds) and fastntk's setting unstated.
        # Seeds 110–117: new after a review of 100–107 found the ε row restating the noise-floor row (d = 80
        # never reaches ε) and Thm 3.1 cited where its step-size premise fails; one row now, the cosine
        # row worded as Fig. 1's form with the raw inner product reported.
        # Seeds 100–107 and 100,000 steps: new with the speed row read as steps to ε-accuracy (a
        # review of 90–97 found the row said "faster" of where SGD ends); read on 90–97, 3 of 8
        # d = 120 runs had not reached ε = 10⁻³ within 20,000 steps.
        # Seeds 660–667 (paper preset 3–5; next31, session 28, an audit of issue 25): the speed row's paper cell
        # says it can hardly fail in this setting (d = 120 interpolates, d = 80 cannot, so only d = 80 has SGD's
        # noise floor, consistent with 003 Sect. 3's account); the verdict's rule is unchanged, and the new seeds are the
        # project's rule for any change to a row's rules. Written knowing 170–177's records.
        "standard": dict(n_train=100, dims=[80, 120], seeds=list(range(660, 668)), lr=0.5, steps=100000,
                         record_every=100),
        "paper": dict(n_train=100, dims=[80, 120], seeds=[3, 4, 5], lr=0.5, steps=20000, record_every=100),
    }

    def jobs(self, cfg):
        return [dict(d=d, seed=s) for d in cfg["dims"] for s in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        X, Y = gaussian_samples(cfg["n_train"], job["d"], job["seed"])
        net = MLP([job["d"], 1], parametrization="standard", bias="none", dtype=np.float64)
        rng = np.random.default_rng([job["seed"], job["d"], 1])
        theta = [rng.standard_normal((1, job["d"])) / math.sqrt(job["d"])]
        res = ctx.check(train(net, theta, X, Y, optimizer="sgd", lr=cfg["lr"], batch_size=1, shuffle=True,
                              seed=job["seed"], tol=1e-300, max_steps=cfg["steps"], record_every=cfg["record_every"],
                              callback=ctx.callback))
        w_star = np.linalg.lstsq(X, Y, rcond=None)[0]
        min_loss = float(0.5 * np.mean((X @ w_star - Y) ** 2))
        c0 = gradient_confusion(net, theta, X, Y)
        cT = gradient_confusion(net, res.params, X, Y)
        loss = [float(v) for v in res.history["train_loss"]]
        step = [int(t) for t in res.history["step"]]
        # The first recorded step at ε-accuracy; max_steps + 1 when none (a lower bound).
        eps = EPS_SHARE * (loss[0] - min_loss)
        at = [t for t, v in zip(step, loss) if v - min_loss <= eps]
        return dict(status=res.status, steps=res.steps, step=step, train_loss=loss,
                    min_loss=min_loss, excess=max(loss[-1] - min_loss, 0.0),
                    steps_to_eps=at[0] if at else cfg["steps"] + 1,
                    min_cosine_0=c0.min_cosine, min_inner_0=c0.min_inner,
                    cosine_std_0=float(np.std(c0.offdiagonal_cosines())),
                    min_cosine_T=cT.min_cosine, cosine_std_T=float(np.std(cT.offdiagonal_cosines())))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(2)
        for i, d in enumerate(cfg["dims"]):
            rs = [r for r in records if r["d"] == d]
            for j, r in enumerate(rs):
                ex = np.maximum(np.asarray(r["train_loss"]) - r["min_loss"], 1e-300)
                axes[0].plot(r["step"], ex, color=f"C{i}", lw=0.7, label=f"d = {d}" if j == 0 else None)
            if rs:
                axes[1].hist([r["cosine_std_0"] for r in rs], color=f"C{i}", alpha=0.5, label=f"d = {d}")
        axes[0].set_yscale("log")
        axes[0].set_xlabel("SGD step (batch 1)")
        axes[0].set_ylabel("training loss − its least-squares minimum")
        axes[1].set_xlabel("std of the pairwise cosines of per-sample gradients at θ₀")
        legend(axes[0])
        legend(axes[1])
        return save_figure(fig, out, "linear_regression")

    def summary(self, cfg, records):
        lines = []
        for d in cfg["dims"]:
            rs = [r for r in records if r["d"] == d]
            if rs:
                lines.append(f"- d = {d} (N = {cfg['n_train']}): median excess loss after {cfg['steps']} steps "
                             f"{np.median([r['excess'] for r in rs]):.3g} (least-squares minimum "
                             f"{np.median([r['min_loss'] for r in rs]):.3g}); pairwise cosines at θ₀: standard deviation over all "
                             f"pairs {np.median([r['cosine_std_0'] for r in rs]):.4f}, minimum "
                             f"{np.median([r['min_cosine_0'] for r in rs]):.3f}, at the end "
                             f"{np.median([r['min_cosine_T'] for r in rs]):.3f}.")
        lines.append("- 003 Fig. 1: the over-parameterized model has \"much faster convergence rates\" under SGD and "
                     "lower gradient confusion (judged here by where the runs end, which in this setting can hardly "
                     "fail, and by the cosines' spread over all pairs).")
        return lines

    def _pairs(self, cfg, records, key, transform, scale=lambda v: v):
        """Per seed, transform(value at the larger d, value at the smaller d); and the noise
        floor: the seed-to-seed spread of scale(value), pooled over the two models."""
        lo, hi = min(cfg["dims"]), max(cfg["dims"])
        by = {(r["d"], r["seed"]): r for r in records if r.get("status") == "max_steps"
              and math.isfinite(r.get(key, math.nan))}
        seeds = [s for s in cfg["seeds"] if (hi, s) in by and (lo, s) in by]
        floor = math.sqrt(0.5 * sum(spread([scale(by[(d, s)][key]) for s in seeds]) ** 2 for d in (lo, hi)))
        return [transform(by[(hi, s)][key], by[(lo, s)][key]) for s in seeds], floor

    @staticmethod
    def _excess(r):
        return np.asarray(r["train_loss"], float) - r["min_loss"]

    def _lead(self, cfg, records):
        """Per seed, the last recorded step at which the smaller d's excess lies below the
        larger d's (0 where it never does): how long the under-parameterized model leads."""
        lo, hi = min(cfg["dims"]), max(cfg["dims"])
        by = {(r["d"], r["seed"]): r for r in records if r.get("status") == "max_steps"}
        out = []
        for s in cfg["seeds"]:
            if (lo, s) in by and (hi, s) in by and "step" in by[(lo, s)] \
                    and by[(lo, s)]["step"] == by[(hi, s)].get("step"):
                below = np.nonzero(self._excess(by[(lo, s)]) < self._excess(by[(hi, s)]))[0]
                out.append(int(by[(lo, s)]["step"][below[-1]]) if len(below) else 0)
        return out

    def _first_to(self, cfg, records, share):
        """{d: seeds in which model d reaches ``share`` of its own excess at θ₀ at an earlier
        recorded step than the other model, 'n': seeds with both recorded}: who leads early."""
        lo, hi = min(cfg["dims"]), max(cfg["dims"])
        by = {(r["d"], r["seed"]): r for r in records if r.get("status") == "max_steps" and "step" in r}
        out = {lo: 0, hi: 0, "n": 0}

        def when(r):
            ex = self._excess(r)
            hit = np.nonzero(ex <= share * ex[0])[0]
            return r["step"][hit[0]] if len(hit) else math.inf

        for s in cfg["seeds"]:
            if (lo, s) in by and (hi, s) in by:
                a, b = when(by[(lo, s)]), when(by[(hi, s)])
                out["n"] += 1
                out[lo] += a < b
                out[hi] += b < a
        return out

    def _stall(self, r):
        """The median excess over the last tenth of the steps over the median excess over the
        tenth before half-way: near 1 where SGD has stalled at its noise floor."""
        if "step" not in r:
            return math.nan
        step, ex, n = np.asarray(r["step"]), self._excess(r), r["steps"]
        late, mid = ex[step >= 0.9 * n], ex[(step >= 0.4 * n) & (step < 0.5 * n)]
        if not (len(late) and len(mid)) or np.median(mid) <= 0:
            return math.nan
        return float(max(np.median(late), 0.0) / np.median(mid))

    def claims(self, cfg, records):
        lo, hi = min(cfg["dims"]), max(cfg["dims"])
        n, out = len(cfg["seeds"]), []
        # A model whose excess is exactly 0 has converged to rounding: the log uses a floor of
        # float64's resolution of its own minimum.
        tiny = 1e-300
        d, floor = self._pairs(cfg, records, "excess", lambda a, b: math.log(max(b, tiny) / max(a, tiny)),
                               lambda v: math.log(max(v, tiny)))
        capped = {dd: sum(r.get("steps_to_eps", 0) > cfg["steps"] for r in records if r["d"] == dd) for dd in (lo, hi)}
        # 003 Fig. 1 (left) and Sect. 2 say "much faster convergence"; the curves cross (d = 80 leads
        # early), so the row judges what it measures — the excess after the same steps, where SGD
        # ends — and reports how long d = 80 leads and where each model stalls. 003's Thm 3.1 is not
        # cited: its step-size premise α < 2/(NL) (≈ 0.02 here) does not hold at α = 0.5, fastntk's rate
        # for its Fig. 1 (003's text gives none).
        lead = self._lead(cfg, records)
        stall = {dd: [self._stall(r) for r in records if r["d"] == dd and r.get("status") == "max_steps"]
                 for dd in (lo, hi)}
        stall_text = ", ".join(f"d = {dd}: {np.nanmedian(v) if any(math.isfinite(x) for x in v) else math.nan:.3g}"
                               for dd, v in stall.items())
        lead_text = (f"d = {lo}'s excess below d = {hi}'s until step {np.median(lead):.0f} (median; "
                     f"{min(lead)}–{max(lead)} over {len(lead)} seeds)" if lead else f"d = {lo}'s lead not measured")
        early = self._first_to(cfg, records, 0.05)
        out.append(Claim(f"SGD (batch 1) ends lower for the over-parameterized model (d = {hi} against {lo}, "
                         f"N = {cfg['n_train']}): after the same steps its excess training loss is smaller, the "
                         "under-parameterized one stalling at SGD's noise floor (003's \"converges much faster\", read "
                         "where the runs end, not as an early rate)",
                         "003 Fig. 1 (left), Sect. 2 (fastntk's setting: y ~ N(0, 1) drawn independently of x, which "
                         "gives the under-parameterized model its noise floor; α = 0.5, which 003's text does not state; "
                         "in this setting the row can hardly fail: d = 120 interpolates and d = 80 cannot, so constant-"
                         "rate SGD leaves a noise floor at d = 80 only, consistent with 003 Sect. 3's account: the floor is "
                         "set by the gradients' variance at the minimizer, absent for a model that fits the data; d = 80's "
                         "lead before its floor is reported, not judged)",
                         f"excess training loss over its own least-squares minimum after {cfg['steps']} steps smaller "
                         f"at d = {hi} in {sum(x > 0 for x in d)} of {len(d)} seeds (median log ratio "
                         f"{np.median(d) if d else math.nan:.3g}, seed spread of the log excess {floor:.3g}); "
                         f"{lead_text}; first to 5 % of its own excess at θ₀: d = {lo} in {early[lo]} of "
                         f"{early['n']} seeds, d = {hi} in {early[hi]}; median excess over the last tenth of the steps / over the tenth before "
                         f"half-way ({stall_text}; near 1: stalled); ε-accuracy (excess ≤ {EPS_SHARE:g} of its value "
                         f"at θ₀) never reached in {capped[lo]} of {sum(r['d'] == lo for r in records)} runs at d = "
                         f"{lo} and {capped[hi]} of {sum(r['d'] == hi for r in records)} at d = {hi}",
                         direction(d, n, "seeds", floor)))
        # Fig. 1 (right) shows the cosines "calculated over all pairs of gradients", a distribution
        # (003 reads its Figs. 2c/3c the same way: lower confusion is a density concentrating around
        # 0), so the row judges its spread, the standard deviation over all pairs; the minimum
        # (Def. 2.1's bound in cosine form) and the raw minimum inner product are reported beside.
        # A linear model's per-sample gradients are r_i x_i: their cosines are ±cos(x_i, x_j), so
        # training changes only their signs and θ₀ judges the claim (the end is reported).
        d, floor = self._pairs(cfg, records, "cosine_std_0", lambda a, b: b - a)
        end, _ = self._pairs(cfg, records, "cosine_std_T", lambda a, b: b - a)
        mins, _ = self._pairs(cfg, records, "min_cosine_0", lambda a, b: a - b)
        raw, _ = self._pairs(cfg, records, "min_inner_0", lambda a, b: a - b)
        out.append(Claim(f"the over-parameterized model has less gradient confusion: the pairwise cosines of "
                         f"per-sample gradients over all pairs (Fig. 1's distribution) are spread less widely about 0 "
                         f"at d = {hi} (their standard deviation at θ₀ is smaller)",
                         "003 Fig. 1 (right), Sect. 2 (Lemma B.1)",
                         f"standard deviation smaller at d = {hi} in {sum(x > 0 for x in d)} of {len(d)} seeds "
                         f"(median difference {np.median(d) if d else math.nan:.3g}, seed spread {floor:.3g}), at the "
                         f"end of training in {sum(x > 0 for x in end)} of {len(end)}; the minimum cosine higher in "
                         f"{sum(x > 0 for x in mins)} of {len(mins)} (median difference "
                         f"{np.median(mins) if mins else math.nan:.3g}), the raw minimum inner product higher in "
                         f"{sum(x > 0 for x in raw)} of {len(raw)}",
                         direction(d, n, "seeds", floor)))
        return out
