"""004 Fig. 4: an ensemble of finite networks trained by GD against the infinite-width
prediction (the NTK-GD ensemble's mean and ±2σ band) on the paper's 1-D sine data:
x ~ U(−π, π), y = sin x + ε on 5 training points, 50 test points on a grid. A draw with
two training points closer than a quarter of the even spacing is redrawn: with noisy
labels such a pair makes Θ∞ near-singular (condition number ~10⁴), and the comparison
then measures the finite kernels' fluctuation along that one direction.

Every member takes ``steps`` GD steps of one learning rate η (a share of the stability
limit 2N/λ_max(Θ∞)). The comparison is at equal training loss (the package's rule): the
infinite-width ensemble is taken at the first step t* at which its expected training
loss reaches the members' median. 004's text ("gradient descent for infinite time") and
neural-tangents' cookbook (its ensemble panel calls the predictor without t) compare with
the t = ∞ prediction instead; the two agree where the members train as fast as the
prediction (the cookbook's Erf net: on members 500–599 the t = ∞ prediction gives an offset
of 0.146 σ and a spread of 0.990 against 0.156 and 0.989 at t*), while ReLU members stop at
a loss far above the prediction's at the same step (1.2·10⁻³ against 3.2·10⁻⁸), which a
comparison at t = ∞ or at equal time would charge to the kernel. At equal loss the prediction does not depend on η (on the
committed data it moved < 10⁻³ σ between η = 0.05 and half the stability limit; the
summary gives the shift at the cookbook's η), so only the members feel the rate. Two
networks: the cookbook's (Erf, W_std = 1.5, b_std = 0.05, NTK parametrization) — the
claim — and the same with ReLU, an extra check.

The infinite-width record holds the kernels (Θ and K on the training points, against
the test points, K's test diagonal), the rate and the labels, for the claimed W_std and
for the controls CONTROL_SIGMAS, and for the claimed W_std K on all test-point pairs, so
that the prediction at any t — its mean, σ and test covariance — and the verdict are
recomputable from the records alone (:func:`prediction_at`, :func:`prediction_cov`).

Each row's band is calibrated on the null, from the prediction and not from the members:
NULL_DRAWS ensembles of as many members as the run used, drawn from the predicted
Gaussian at t* (mean and full test covariance, seed NULL_SEED), give the row's statistic
its distribution under "the members are the prediction"; the band is that
distribution's central 1 − ALPHA (for the mean's offset the upper 1 − ALPHA quantile).
The band is the test: it already holds the statistic's sampling spread for this many
members, so the value inside it is consistent with the prediction and outside it is not
(a further "within its standard error of the edge → inconclusive" rule counted that noise
twice: a perfect ensemble then read reproduced in 42 % (mean) and 63 % (spread) of draws).
The test points' noise is strongly correlated (about two effective degrees of freedom
on this grid), so a band built from per-point noise floors was far too tight: a perfect
50-member ensemble passed the former √2·σ/√n band in 4 % of draws. The controls are
judged paired on the same members (the row's statistic against the control's prediction
minus against the claimed one, its standard error bootstrapped over members), which
separates kernels the band alone could not. Members also record
‖Θ₀ − Θ∞‖₂ at θ₀; it is not judged: at width 1024 it read 94× λ_min(Θ∞) for Erf, whose
ensemble agreed, and 121× for ReLU, so it does not tell the two apart.
"""
from __future__ import annotations

import math

import numpy as np

from .. import infinite, plots
from ..datasets import Dataset
from ..model import MLP
from ._base import Experiment, save_figure
from ._training import CURVE_PER_DECADE, loss_curve
from ..dynamics import train
from ..kernels import ntk
from ._verdict import ALPHA, INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, premise_not_met, too_few

MIN_GAP = 0.25    # training points closer than this share of the even spacing make the draw degenerate
# The controls: the cookbook's network with W_std on either side of its 1.5 (the values the review
# of members 300–349 checked). A band that holds them too cannot say the predicted kernel is the one.
CONTROL_SIGMAS = (1.0, 2.0)
# The null that calibrates both rows' bands (replacing √2 noise floors and 1 ± 0.25, which a
# perfect ensemble passed in 4 % and ~50 % of draws): ensembles drawn from the prediction itself.
# A fixed seed keeps the verdict recomputable from the records; 2000 draws put the 95 % quantile's
# Monte Carlo error near 1 % of its value.
# The band is the null's central 1 − ALPHA (the package's 0.05), one-sided for the mean's offset.
NULL_DRAWS = 2000
NULL_SEED = 0
# A control counts as apart from the prediction when the members sit farther from it than from
# the prediction by more than this many standard errors (paired on the same members;
# ~ALPHA two-sided for a normal difference).
PAIRED_SE = 2.0
# Standard errors by bootstrap over members (resampled with replacement, the statistic recomputed
# on each resample), not the jackknife: the jackknife's error of a median over test points is
# unreliable (a median is not smooth), and on members 400–499 it read 0.082 for the spread where
# the bootstrap gives 0.053. 1000 resamples put the error's own Monte Carlo error near 2 %; the
# fixed seed keeps the verdict recomputable from the records and uses the same resamples for
# every statistic of a row.
BOOT_DRAWS = 1000
BOOT_SEED = 1
COOKBOOK = dict(width=512, lr=0.1, members=100)  # neural-tangents' cookbook, which 004 Fig. 4 follows
COOKBOOK_NOISE = 0.1  # the cookbook's label noise, used here
PAPER_NOISE = 1.0     # 004's text draws the label noise from N(0, 1)
LOSS_LIMIT = 2 ** 40  # the most steps the equal-loss search looks ahead
CLAIMED = "erf"   # the cookbook's network, 004 Fig. 4's; the other activations are extra checks


def sine_data(n_train: int, n_test: int, noise: float, seed: int) -> Dataset:
    """The paper's data (its N(0, 1) noise is ``noise`` = 1; neural-tangents' cookbook, which 004
    follows, uses 0.1). Drawn again from the same generator while two training points lie
    closer than MIN_GAP of the even spacing 2π/n_train."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, n_train)
    while n_train > 1 and np.min(np.diff(np.sort(x))) < MIN_GAP * 2 * np.pi / n_train:
        x = rng.uniform(-np.pi, np.pi, n_train)
    y = np.sin(x) + noise * rng.standard_normal(n_train)
    xt = np.linspace(-np.pi, np.pi, n_test)
    return Dataset(x[:, None], y, xt[:, None], np.sin(xt), "1-D sine")


def _gd_operator(k: dict, n: int, t: int):
    """A = Θ(X_T, X)Θ⁻¹(I − (I − ηΘ/N)ᵗ) of a recorded kernel ``k``, with Θ's eigenpairs and
    the per-mode decay (1 − ηλ/N)ᵗ."""
    lam, Q = np.linalg.eigh(np.asarray(k["ntk"], np.float64))
    decay = np.power(1.0 - k["lr"] * lam / n, int(t))
    safe = np.abs(lam) > 1e-300
    g = np.where(safe, (1.0 - decay) / np.where(safe, lam, 1.0), k["lr"] * int(t) / n)
    return np.asarray(k["ntk_cross"], np.float64) @ (Q * g) @ Q.T, Q, decay


def prediction_at(k: dict, y, t: int):
    """The infinite-width GD ensemble after t whole steps (Lee et al. 2019, Eq. 16, as
    :func:`fastntk.infinite.gd_mse_ensemble`) from a recorded kernel ``k``: (test mean,
    test σ, the expected training loss of a member). A member's training residual is
    (I − ηΘ/N)ᵗ(f₀(X) − Y) with f₀(X) ~ N(0, K), so its expected loss (1/2N)E‖·‖² is the
    mean's plus the initial function's share, both per eigenmode of Θ."""
    y = np.asarray(y, np.float64)
    n = len(y)
    A, Q, decay = _gd_operator(k, n, t)
    K = np.asarray(k["nngp"], np.float64)
    var = (np.asarray(k["nngp_test"], np.float64) + np.sum((A @ K) * A, 1)
           - 2 * np.sum(A * np.asarray(k["nngp_cross"], np.float64), 1))
    loss = 0.5 / n * float(np.sum(decay ** 2 * ((Q.T @ y) ** 2 + np.diag(Q.T @ K @ Q))))
    return A @ y, np.sqrt(np.maximum(var, 0.0)), loss


def prediction_cov(k: dict, n: int, t: int):
    """The prediction's covariance over the test points after t steps (gd_mse_ensemble's
    K(X_T, X_T) + AKAᵀ − AK(X, X_T) − K(X_T, X)Aᵀ), or None where the record lacks K on all
    test-point pairs (records before members 400)."""
    if "nngp_test_matrix" not in k:
        return None
    A, _, _ = _gd_operator(k, n, t)
    Kx = np.asarray(k["nngp_cross"], np.float64)
    cov = (np.asarray(k["nngp_test_matrix"], np.float64) + A @ np.asarray(k["nngp"], np.float64) @ A.T
           - A @ Kx.T - Kx @ A.T)
    return 0.5 * (cov + cov.T)


def offset_stat(Q, mean, std) -> float:
    """The mean row's statistic: the RMS over the test points of the offset of Q's mean from
    ``mean``, in the RMS of the claimed prediction's σ ``std`` — for a control's mean too: one
    yardstick for the distances the paired test subtracts and the band they are held against (a
    control's own, wider σ would shrink its offset without its mean being nearer). Not per point:
    near a training point σ at t* is ~10⁻⁴ of its RMS, and per-point ratios there would decide."""
    return float(np.sqrt(np.mean((Q.mean(0) - mean) ** 2) / max(float(np.mean(std ** 2)), 1e-300)))


def spread_stat(Q, std) -> float:
    """The spread row's statistic: the median over the test points of Q's std / the predicted σ."""
    return float(np.median(Q.std(0, ddof=1) / np.maximum(std, 1e-12)))


def null_bands(mean, cov, std, n: int) -> dict:
    """Both rows' statistics for NULL_DRAWS ensembles of ``n`` members drawn from N(mean, cov)
    (seed NULL_SEED): the mean row's upper 1 − ALPHA quantile, the spread row's central 1 − ALPHA,
    and the medians. The symmetric square root of cov makes the draws independent of how the
    eigensolver orders or signs a degenerate eigenspace."""
    w, V = np.linalg.eigh(np.asarray(cov, np.float64))
    root = (V * np.sqrt(np.maximum(w, 0.0))) @ V.T
    rng = np.random.default_rng(NULL_SEED)
    off, spr = np.empty(NULL_DRAWS), np.empty(NULL_DRAWS)
    for i in range(NULL_DRAWS):
        Q = mean + rng.standard_normal((n, len(mean))) @ root
        off[i], spr[i] = offset_stat(Q, mean, std), spread_stat(Q, std)
    lo, hi = np.quantile(spr, [ALPHA / 2, 1 - ALPHA / 2])
    return dict(offset=(-math.inf, float(np.quantile(off, 1 - ALPHA))), offset_median=float(np.median(off)),
                spread=(float(lo), float(hi)), spread_median=float(np.median(spr)))


def equal_loss_step(k: dict, y, target: float) -> int | None:
    """The first whole step at which the prediction's expected training loss is ≤ ``target``
    (it falls monotonically for η below the stability limit), or None where it does not
    within LOSS_LIMIT steps."""
    def loss(t):
        return prediction_at(k, y, t)[2]

    if not (math.isfinite(target) and target > 0):
        return None
    if loss(0) <= target:
        return 0
    hi = 1
    while loss(hi) > target:
        hi *= 2
        if hi > LOSS_LIMIT:
            return None
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if loss(mid) <= target else (mid, hi)
    return hi


def bootstrap_error(f, P) -> float:
    """The standard error of ``f`` (a statistic of an ensemble, members along axis 0) by bootstrap
    over P's members: BOOT_DRAWS resamples with replacement (seed BOOT_SEED), the std of f on them."""
    P = np.asarray(P)
    n = len(P)
    if n < 2:
        return math.nan
    idx = np.random.default_rng(BOOT_SEED).integers(0, n, (BOOT_DRAWS, n))
    vals = np.array([f(P[i]) for i in idx], np.float64)
    vals = vals[np.isfinite(vals)]
    return float(np.std(vals, ddof=1)) if len(vals) > 1 else math.nan


def _band(band) -> str:
    lo, hi = band
    return f"≤ {hi:.3g}" if lo == -math.inf else f"[{lo:.3g}, {hi:.3g}]"


def judge(value: float, controls: list, band, n: int, made: int) -> str:
    """"≈" on a band calibrated on the null, with paired controls: the band is a 1 − ALPHA test
    that already holds the value's sampling spread, so the value inside it is consistent with the
    prediction and outside it is not (no edge rule on the value's own error, which would count that
    spread twice); reproduced only where every control is apart — its paired difference (the
    members' statistic against it minus against the prediction) positive by more than PAIRED_SE
    bootstrap errors, and its statistic outside the band. ``band``: (lo, hi), lo = −inf for a
    one-sided band; ``controls``: (name, statistic, difference, its error)."""
    reason = too_few(n, made, "members")
    if reason:
        return reason
    if not math.isfinite(value):
        return f"{INCONCLUSIVE}: the value could not be measured"
    lo, hi = band
    if not lo <= value <= hi:
        return NOT_REPRODUCED
    if not controls:
        return f"{INCONCLUSIVE}: no control prediction recorded, so the band {_band(band)} is untested"
    why = []
    for name, c, d, d_err in controls:
        if not (math.isfinite(d) and math.isfinite(d_err) and d > PAIRED_SE * d_err):
            why.append(f"{name} is not farther from the members than the prediction by > {PAIRED_SE:g} standard "
                       f"errors ({d:+.3g} ± {d_err:.2g})")
        elif math.isfinite(c) and lo <= c <= hi:
            why.append(f"{name}'s statistic {c:.3g} lies inside the band {_band(band)} too")
    if why:
        return f"{INCONCLUSIVE}: " + "; ".join(why) + " — the row cannot single out the predicted kernel"
    return REPRODUCED


def deviations(cfg: dict, lr: float, n: int) -> str:
    """The settings where this run departs from the cookbook 004 Fig. 4 follows, or from 004's text."""
    here = dict(width=cfg["width"], lr=lr, members=n)
    diff = [f"η {here[key]:.2g} (the cookbook's {COOKBOOK[key]:g})" if key == "lr"
            else f"width {here[key]} (the cookbook's {COOKBOOK[key]})" if key == "width"
            else f"{here[key]} members (the cookbook's {COOKBOOK[key]})" for key in COOKBOOK
            if not math.isclose(here[key], COOKBOOK[key], rel_tol=1e-3)]
    if not math.isclose(cfg["noise"], PAPER_NOISE):
        diff.append(f"label noise {cfg['noise']:g} (004's text N(0, 1), the cookbook's {COOKBOOK_NOISE:g})")
    elif not math.isclose(cfg["noise"], COOKBOOK_NOISE):
        diff.append(f"label noise N(0, 1) (004's text; the cookbook's {COOKBOOK_NOISE:g})")
    return ", ".join(diff + ["one data draw"])


class InfiniteEnsemble(Experiment):
    name = "infinite-ensemble"
    title = "An ensemble of trained finite nets against the infinite-width prediction"
    paper = "Kondracki, Roy, Dwarakanath (004 Fig. 4)"
    presets = {
        "quick": dict(n_train=5, n_test=50, noise=0.1, data_seed=1, depth=3, width=256, sigma=1.5, sigma_b=0.05,
                      activations=["erf", "relu"], bias="normal", members=list(range(20)), steps=2000,
                      lr_share=0.5),
        # Members 600–699: new for the rerun that keeps each member's loss curve (issue 31; the steps
        # and the verdict rules are unchanged).
        # Members 500–599: new after a review of 400–499 found the value's edge rule counting the
        # null band's sampling noise twice and the jackknife error inflated; bootstrap errors now.
        # Members 400–499 (the cookbook's 100; were 50): new after a review of 350–399 found the
        # rows' bands too tight for a perfect ensemble to pass; the bands are now calibrated on the
        # null and the controls judged paired on the members.
        # Members 350–399 and width 512 (the cookbook's; was 1024, 4× the cost per step): new after
        # a review of 300–349 found the ReLU rows premise-not-met at equal time and the Erf mean's
        # band holding the W_std = 2.0 prediction too; rows now compare at equal training loss
        # against the W_std = 1.0 and 2.0 predictions as controls.
        # Members 300–349: new after a review of 200–249 found the ReLU members unconverged at equal
        # time (median loss 1.2e-3 against the infinite-width mean's ~3e-8); equal time then stood
        # for equal loss only within 10×.
        # Members 200–249 and data draw 3: new for the rerun with the cookbook's noise 0.1 and
        # the degenerate-draw rule (2026-12-04 used members 100–149, draw 0, noise 0.5; the
        # quick preset's draw 1 was looked at while the rule was written).
        "standard": dict(n_train=5, n_test=50, noise=0.1, data_seed=3, depth=3, width=512, sigma=1.5, sigma_b=0.05,
                         activations=["erf", "relu"], bias="normal", members=list(range(600, 700)), steps=10000,
                         lr_share=0.5),
        "paper": dict(n_train=5, n_test=50, noise=1.0, data_seed=0, depth=3, width=512, sigma=1.5, sigma_b=0.05,
                      activations=["erf", "relu"], bias="normal", members=list(range(100)), steps=10000,
                      lr_share=0.5),
    }

    def _data(self, cfg):
        return sine_data(cfg["n_train"], cfg["n_test"], cfg["noise"], cfg["data_seed"])

    def _net(self, cfg, activation, sigma=None):
        return MLP.uniform(1, cfg["width"], cfg["depth"], sigma=cfg["sigma"] if sigma is None else sigma,
                           sigma_b=cfg["sigma_b"], bias=cfg["bias"], activation=activation)

    def _lr(self, cfg, ds, net):
        lam = np.linalg.eigvalsh(infinite.kernels(net, ds.X, get="ntk").ntk)[-1]
        return cfg["lr_share"] * 2.0 * ds.X.shape[0] / lam

    def _kernels(self, cfg, ds, activation, sigma, full=False):
        """What :func:`prediction_at` needs for the net with W_std = ``sigma``, at its own rate;
        with ``full``, also K on all test-point pairs, which :func:`prediction_cov` needs for the
        null (only the claimed W_std's: the controls are judged paired on the members)."""
        net = self._net(cfg, activation, sigma)
        train_k, cross = infinite.kernels(net, ds.X), infinite.kernels(net, ds.X_test, ds.X)
        test = infinite.kernels(net, ds.X_test, get="nngp").nngp

        def rows(a):
            return np.asarray(a, np.float64).tolist()

        out = dict(sigma=float(sigma), lr=self._lr(cfg, ds, net), ntk=rows(train_k.ntk), nngp=rows(train_k.nngp),
                   ntk_cross=rows(cross.ntk), nngp_cross=rows(cross.nngp), nngp_test=rows(np.diag(test)))
        if full:
            out["nngp_test_matrix"] = rows(test)
        return out

    def jobs(self, cfg):
        out = []
        for act in cfg["activations"]:
            out.append(dict(activation=act, kind="infinite"))
            out += [dict(activation=act, kind="member", member=s) for s in cfg["members"]]
        return out

    def run_job(self, cfg, job, ctx):
        ds, net = self._data(cfg), self._net(cfg, job["activation"])
        lr = self._lr(cfg, ds, net)
        if job["kind"] == "infinite":
            inf = infinite.gd_mse_ensemble(net, ds.X, ds.Y, ds.X_test, steps=cfg["steps"], lr=lr)
            eig = np.linalg.eigvalsh(infinite.kernels(net, ds.X, get="ntk").ntk)
            on_train = infinite.gd_mse_ensemble(net, ds.X, ds.Y, ds.X, steps=cfg["steps"], lr=lr, compute_cov=False)
            sigmas = [cfg["sigma"]] + [s for s in CONTROL_SIGMAS if s != cfg["sigma"]]
            return dict(status="computed", lr=lr, mean=[float(v) for v in inf.mean],
                        std=[float(v) for v in np.sqrt(np.maximum(np.diag(inf.cov), 0))],
                        ntk_eigenvalues=[float(v) for v in eig],
                        train_loss=float(0.5 * np.mean((np.asarray(on_train.mean, np.float64) - ds.Y) ** 2)),
                        y_train=[float(v) for v in ds.Y],
                        kernels=[self._kernels(cfg, ds, job["activation"], s, full=s == cfg["sigma"])
                                 for s in sigmas])
        theta = net.init(job["member"])
        fluct = float(np.linalg.norm(np.asarray(ntk(net, theta, ds.X), np.float64)
                                     - infinite.kernels(net, ds.X, get="ntk").ntk, 2))
        res = ctx.check(train(net, theta, ds.X, ds.Y, X_test=ds.X_test, lr=lr,
                              max_steps=cfg["steps"], tol=1e-300, record_every=cfg["steps"],
                              records_per_decade=CURVE_PER_DECADE, callback=ctx.callback))
        return dict(status=res.status, steps=res.steps, lr=lr, train_loss=float(res.history["train_loss"][-1]),
                    pred=[float(v) for v in res.history["test_pred"][-1]], ntk_fluctuation=fluct,
                    curve=loss_curve(res))

    @staticmethod
    def _members(records, act):
        return [r for r in records if r.get("activation") == act and r.get("kind") == "member"]

    def _compare(self, cfg, records, act):
        """(the infinite-width record or None, the members' test predictions (n, n_test), their
        training losses): every member that ran its steps to a finite prediction."""
        inf = next((r for r in records if r.get("activation") == act and r.get("kind") == "infinite"), None)
        runs = [r for r in self._members(records, act)
                if r.get("status") == "max_steps" and np.all(np.isfinite(r["pred"]))]
        P = np.array([r["pred"] for r in runs]) if runs else np.zeros((0, cfg["n_test"]))
        return inf, P, [r["train_loss"] for r in runs]

    def _predictions(self, cfg, inf, member_loss):
        """{W_std: (t*, test mean, test σ) or None where the loss is not reached} at equal
        training loss, or None where the record has no kernels (records before members 350)."""
        if inf is None or "kernels" not in inf:
            return None
        out = {}
        for k in inf["kernels"]:
            t = equal_loss_step(k, inf["y_train"], member_loss)
            out[k["sigma"]] = None if t is None else (t,) + prediction_at(k, inf["y_train"], t)[:2]
        return out

    def plot(self, cfg, records, out):
        ds = self._data(cfg)
        x = ds.X_test[:, 0]
        acts = cfg["activations"]
        fig, axes = plots.figure(len(acts), width=5.5)
        for ax, act in zip(axes, acts):
            inf, P, losses = self._compare(cfg, records, act)
            if inf is not None:
                mean, std, when = np.array(inf["mean"]), np.array(inf["std"]), f"{cfg['steps']} GD steps"
                preds = self._predictions(cfg, inf, float(np.median(losses)) if losses else math.nan)
                if preds and preds.get(cfg["sigma"]):
                    t, mean, std = preds[cfg["sigma"]]
                    when = f"t* = {t}, the members' loss"
                ax.fill_between(x, mean - 2 * std, mean + 2 * std, color="C1", alpha=0.25, label="infinite width ±2σ")
                ax.plot(x, mean, "C1", label=f"infinite width (NTK, {when})")
            if len(P):
                ax.plot(x, P.mean(0), "C0--", label=f"ensemble of {len(P)} (m = {cfg['width']}, {cfg['steps']} steps)")
                ax.plot(x, P.mean(0) - 2 * P.std(0), "C0:", lw=0.8)
                ax.plot(x, P.mean(0) + 2 * P.std(0), "C0:", lw=0.8)
            ax.plot(x, ds.Y_test, "k", lw=0.6, label="sin x")
            ax.plot(ds.X[:, 0], ds.Y, "ko", ms=4, label="training points")
            ax.set_title(f"{act}, W_std = {cfg['sigma']}, b_std = {cfg['sigma_b']}")
            ax.set_xlabel("x")
            ax.set_ylabel("f(x)")
            ax.legend(fontsize=7)
        return save_figure(fig, out, "infinite_ensemble")

    def _stats(self, cfg, records, act):
        """The ensemble of ``act`` against its infinite-width prediction at equal training
        loss, the null bands calibrated on that prediction, and the paired comparison with the
        controls' (W_std = CONTROL_SIGMAS) at the same loss; None without a prediction or two
        members. ``missing``/``premise`` say why the rows cannot be judged; ``bands`` is None
        where the record lacks the test covariance the null needs."""
        inf, P, losses = self._compare(cfg, records, act)
        if inf is None or len(P) < 2:
            return None
        n = len(P)
        out = dict(n=n, member_loss=float(np.median(losses)), lr=float(inf.get("lr", math.nan)),
                   missing=None, premise=None, controls=[], bands=None)
        preds = self._predictions(cfg, inf, out["member_loss"])
        if preds is None or cfg["sigma"] not in preds:
            out["missing"] = (f"{INCONCLUSIVE}: not recorded (the infinite-width kernels the equal-loss "
                              "comparison needs are not in these records)")
            return out
        if preds[cfg["sigma"]] is None:
            out["premise"] = premise_not_met(f"the prediction's training loss does not reach the members' median "
                                             f"{out['member_loss']:.3g} within {LOSS_LIMIT:.3g} steps")
            return out
        t, mean, std = preds[cfg["sigma"]]
        k = next(k for k in inf["kernels"] if k["sigma"] == cfg["sigma"])
        cov = prediction_cov(k, len(inf["y_train"]), t)
        if cov is not None:
            out["bands"] = null_bands(mean, cov, std, n)

        # Standard errors bootstrapped over the members (BOOT_DRAWS resamples, seed BOOT_SEED).
        def boot(f):
            return bootstrap_error(f, P)

        def dev(Q, s):   # the spread's distance from a perfect ensemble's, for the paired comparison
            return abs(spread_stat(Q, s) - 1)

        out.update(t=t, inside=float(np.mean(np.abs(P.mean(0) - mean) <= 2 * std)),
                   floor=float(np.sqrt(np.mean(P.var(0, ddof=1)) / n / max(float(np.mean(std ** 2)), 1e-300))),
                   offset=offset_stat(P, mean, std), offset_err=boot(lambda Q: offset_stat(Q, mean, std)),
                   ratio=spread_stat(P, std), ratio_err=boot(lambda Q: spread_stat(Q, std)))
        for sigma, pred in preds.items():
            if sigma == cfg["sigma"] or pred is None:
                continue
            _, m, s = pred

            def d_off(Q):
                return offset_stat(Q, m, std) - offset_stat(Q, mean, std)

            def d_dev(Q):
                return dev(Q, s) - dev(Q, std)

            out["controls"].append(dict(
                sigma=sigma, offset=offset_stat(P, m, std), d_offset=d_off(P), d_offset_err=boot(d_off),
                ratio=spread_stat(P, s), d_dev=d_dev(P), d_dev_err=boot(d_dev)))
        return out

    @staticmethod
    def _claimed_lr(records):
        return next((r["lr"] for r in records if r.get("kind") == "infinite" and r.get("activation") == CLAIMED),
                    math.nan)

    def _rate_effect(self, cfg, records):
        """How far the claimed net's prediction at the members' loss moves at the cookbook's η."""
        inf, P, losses = self._compare(cfg, records, CLAIMED)
        k = next((k for k in (inf or {}).get("kernels", []) if k["sigma"] == cfg["sigma"]), None)
        if k is None or not losses:
            return ""
        y, target = inf["y_train"], float(np.median(losses))
        lam_max = float(np.linalg.eigvalsh(np.asarray(k["ntk"], np.float64))[-1])
        if COOKBOOK["lr"] * lam_max / len(y) >= 2:
            return f"The cookbook's η = {COOKBOOK['lr']:g} is beyond this net's stability limit."
        t, t0 = equal_loss_step(dict(k, lr=COOKBOOK["lr"]), y, target), equal_loss_step(k, y, target)
        if t is None or t0 is None:
            return ""
        m, _, _ = prediction_at(dict(k, lr=COOKBOOK["lr"]), y, t)
        m0, s0, _ = prediction_at(k, y, t0)
        shift = float(np.sqrt(np.mean((m - m0) ** 2) / max(np.mean(s0 ** 2), 1e-300)))
        return (f"At the members' loss the {CLAIMED} prediction with the cookbook's η = {COOKBOOK['lr']:g} "
                f"(t* = {t}) lies {shift:.2g} σ (RMS) from this η's: at equal loss the rate acts on the members only.")

    def summary(self, cfg, records):
        lines = []
        for act in cfg["activations"]:
            s = self._stats(cfg, records, act)
            if s is None or s["missing"] or s["premise"]:
                lines.append(f"- {act}: " + ("too few members, or the infinite-width prediction missing." if s is None
                                             else (s["missing"] or s["premise"])))
                continue
            b = s["bands"]
            null = ("the null bands are not recorded (no test covariance in the record)" if b is None else
                    f"{s['n']} members drawn from the prediction itself ({NULL_DRAWS} draws) give an offset "
                    f"{_band(b['offset'])} (median {b['offset_median']:.3g}) and a spread in {_band(b['spread'])} "
                    f"at {1 - ALPHA:.0%}")
            lines.append(f"- {act}: {s['n']} members after {cfg['steps']} GD steps, of width {cfg['width']}, "
                         f"L = {cfg['depth']}, median training loss {s['member_loss']:.3g}, which the infinite-width "
                         f"prediction reaches at t* = {s['t']} steps. There the ensemble mean lies "
                         f"{s['offset']:.3g} predicted σ (RMS) from the prediction's (the noise floor σ/√n of a "
                         f"{s['n']}-member mean is {s['floor']:.3g} σ), inside its ±2σ band at {s['inside']:.0%} "
                         f"of the {cfg['n_test']} test points; the ensemble's spread is {s['ratio']:.2f}× the "
                         f"predicted standard deviation (median over the test points); {null}.")
        lines.append(f"- Settings against the neural-tangents cookbook 004 Fig. 4 follows, and 004's text: "
                     f"{deviations(cfg, self._claimed_lr(records), len(cfg['members']))}; η is "
                     f"{cfg['lr_share']:g} of each net's stability limit 2N/λ_max(Θ∞). "
                     f"{self._rate_effect(cfg, records)}")
        lines.append("- The members train at a fixed η for all their steps without the package's monotone-decay "
                     "check (at half the stability limit of Θ∞) and record only their final training loss, so "
                     "whether a member's loss rose on the way is not known.")
        lines.append("- Expected (004 Fig. 4): the trained ensemble and the infinite-width prediction agree.")
        return lines

    def claims(self, cfg, records):
        made = len(cfg["members"])
        out = []
        for act in cfg["activations"]:
            s = self._stats(cfg, records, act)
            n = 0 if s is None else s["n"]
            net = f"{act}, W_std = {cfg['sigma']}, b_std = {cfg['sigma_b']}"
            if act != CLAIMED:
                net += (f" (an extra check, not a claim of the paper: 004 Fig. 4 follows the cookbook's "
                        f"{CLAIMED} network)")
            controls = " and ".join(f"W_std = {c}" for c in CONTROL_SIGMAS if c != cfg["sigma"])
            null = (f"members drawn from the prediction itself (its mean and test covariance at t*; "
                    f"{NULL_DRAWS} draws, seed {NULL_SEED})")
            paired = (f"the {controls} predictions outside it and farther from the members than the prediction "
                      f"by > {PAIRED_SE:g} standard errors (paired on the members; bootstrap over members, "
                      f"{BOOT_DRAWS} resamples, seed {BOOT_SEED})")
            test = (f"a {1 - ALPHA:.0%} test calibrated on the null, which already holds the statistic's sampling "
                    f"spread (so no further edge rule on the value's error)")
            mean_paper = (f"004 Fig. 4 (curves agree); fastntk: at equal training loss, the ensemble mean's RMS "
                          f"offset from the prediction (in the prediction's RMS σ, the controls' offsets too) within "
                          f"the {1 - ALPHA:.0%} quantile of that offset for {null}, {test}; {paired}")
            spread_paper = (f"004 Fig. 4 (bands agree); fastntk: at equal training loss, the spread ratio (median over "
                            f"test points of the members' std / the predicted σ) within the central {1 - ALPHA:.0%} "
                            f"of that ratio for {null}, {test}; {paired} in ∣ratio − 1∣")
            if s is None or s["missing"] or s["premise"]:
                why = too_few(n, made, "members") if s is None else (s["missing"] or s["premise"])
                measured = ("no infinite-width record or fewer than 2 members" if s is None else
                            f"members' median training loss {s['member_loss']:.3g} after {cfg['steps']} steps "
                            f"({n} members)")
                out += [Claim(f"{net}: the trained ensemble's mean follows the infinite-width prediction", mean_paper,
                              measured, why or premise_not_met("no comparison")),
                        Claim(f"{net}: the ensemble's spread matches the infinite-width ±2σ band", spread_paper,
                              measured, why or premise_not_met("no comparison"))]
                continue
            when = (f"the {n} members' median training loss {s['member_loss']:.3g} after {cfg['steps']} steps, "
                    f"reached by the prediction at t* = {s['t']}")
            setup = deviations(cfg, s["lr"], n)
            b = s["bands"]
            ctrl_mean = "; ".join(f"W_std = {c['sigma']}: {c['offset']:.3g} σ, farther by {c['d_offset']:+.3g} ± "
                                  f"{c['d_offset_err']:.2g}" for c in s["controls"])
            ctrl_spread = "; ".join(f"W_std = {c['sigma']}: ratio {c['ratio']:.2f}, ∣ratio − 1∣ larger by "
                                    f"{c['d_dev']:+.2f} ± {c['d_dev_err']:.2g}" for c in s["controls"])
            mean_measured = (f"{when}: RMS offset of the means {s['offset']:.3g} ± {s['offset_err']:.2g} σ "
                             "(bootstrap over members; reported, not judged: the band holds that spread)")
            spread_measured = (f"{when}: spread {s['ratio']:.3g} ± {s['ratio_err']:.2g}× the predicted σ "
                               "(median over test points; bootstrap over members; reported, not judged: the band "
                               "holds that spread)")
            if b is None:
                why = (f"{INCONCLUSIVE}: not recorded (the prediction's test covariance the null band needs is not "
                       "in these records)")
                mean_verdict = spread_verdict = too_few(n, made, "members") or why
                band_mean = band_spread = "the null band not recorded"
            else:
                mean_verdict = judge(s["offset"],
                                     [(f"the W_std = {c['sigma']} prediction", c["offset"], c["d_offset"],
                                       c["d_offset_err"]) for c in s["controls"]], b["offset"], n, made)
                spread_verdict = judge(s["ratio"],
                                       [(f"the W_std = {c['sigma']} prediction", c["ratio"], c["d_dev"],
                                         c["d_dev_err"]) for c in s["controls"]], b["spread"], n, made)
                band_mean = (f"against the null's {1 - ALPHA:.0%} quantile {b['offset'][1]:.3g} σ (its median "
                             f"{b['offset_median']:.3g})")
                band_spread = (f"against the null's central {1 - ALPHA:.0%} {_band(b['spread'])} (its median "
                               f"{b['spread_median']:.3g})")
            out += [
                Claim(f"{net}: the trained ensemble's mean follows the infinite-width prediction", mean_paper,
                      f"{mean_measured} {band_mean}; paired on the members, from the controls' predictions "
                      f"{ctrl_mean or 'none recorded'} ({setup})", mean_verdict),
                Claim(f"{net}: the ensemble's spread matches the infinite-width ±2σ band", spread_paper,
                      f"{spread_measured} {band_spread}; paired on the members, against the controls' σ "
                      f"{ctrl_spread or 'none recorded'} ({setup})", spread_verdict),
            ]
        return out
