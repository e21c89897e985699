"""004 Fig. 4: an ensemble of finite networks trained by GD against the infinite-width
prediction (the NTK-GD ensemble's mean and ±2σ band) on the paper's 1-D sine data:
x ~ U(−π, π), y = sin x + ε on 5 training points, 50 test points on a grid. A draw with
two training points closer than a quarter of the even spacing is redrawn: with noisy
labels such a pair makes Θ∞ near-singular (condition number ~10⁴), and the comparison
then measures the finite kernels' fluctuation along that one direction.

The comparison is at equal training time, as neural-tangents' (the paper's tool)
makes it: every member takes ``steps`` GD steps of one learning rate η (a share of
the stability limit 2N/λ_max(Θ∞)), and the prediction is the infinite-width ensemble
after the same t steps of the same η. Two networks: the neural-tangents cookbook's that
004 follows (Erf, W_std = 1.5, b_std = 0.05, NTK parametrization) — the claim — and the
same with ReLU, an extra check: on 1-D inputs with b_std = 0.05 a ReLU net is nearly
piecewise linear and its Θ∞ nearly singular. The infinite-width prediction is a record of
its own, and every member records how far its NTK at θ₀ lies from Θ∞ (spectral norm,
beside λ_min(Θ∞)), so the verdict and the finite-width premise are recomputable from the
records alone.
"""
from __future__ import annotations

import math

import numpy as np

from .. import infinite, plots
from ..datasets import Dataset
from ..model import MLP
from ._base import Experiment, save_figure
from ..dynamics import train
from ..kernels import ntk
from ._verdict import INCONCLUSIVE, Claim, approx, jackknife_error, premise_not_met

MEAN_BAND = 0.5  # RMS distance of the ensemble mean from the prediction, in predicted σ (finite-width allowance)
STD_RATIO = 0.25  # the ensemble's spread against the predicted one: median ratio within 1 ± this
MIN_GAP = 0.25    # training points closer than this share of the even spacing make the draw degenerate
EQUAL_LOSS = 10.0  # equal training time compares equal training loss only when the members' median is within this
                   # factor of the infinite-width mean's at the same t
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


def edge(value: float, err: float, band: float) -> str | None:
    """Inconclusive when ``value``'s standard error straddles the band's edge (the rule
    ``_verdict.within`` applies to value claims; ``approx`` takes no error yet), else None."""
    if math.isfinite(value) and math.isfinite(err) and abs(value - band) < err:
        return (f"{INCONCLUSIVE}: {value:.3g} ± {err:.2g} (standard error) straddles the band's edge {band:g}")
    return None


class InfiniteEnsemble(Experiment):
    name = "infinite-ensemble"
    title = "An ensemble of trained finite nets against the infinite-width prediction"
    paper = "Kondracki, Roy, Dwarakanath (004 Fig. 4)"
    presets = {
        "quick": dict(n_train=5, n_test=50, noise=0.1, data_seed=1, depth=3, width=256, sigma=1.5, sigma_b=0.05,
                      activations=["erf", "relu"], bias="normal", members=list(range(20)), steps=2000,
                      lr_share=0.5),
        # Members 300–349: new after a review of 200–249 found the ReLU members unconverged at equal
        # time (median loss 1.2e-3 against the infinite-width mean's ~3e-8); equal time now stands
        # for equal loss only within EQUAL_LOSS.
        # Members 200–249 and data draw 3: new for the rerun with the cookbook's noise 0.1 and
        # the degenerate-draw rule (2026-12-04 used members 100–149, draw 0, noise 0.5; the
        # quick preset's draw 1 was looked at while the rule was written).
        "standard": dict(n_train=5, n_test=50, noise=0.1, data_seed=3, depth=3, width=1024, sigma=1.5, sigma_b=0.05,
                         activations=["erf", "relu"], bias="normal", members=list(range(300, 350)), steps=10000,
                         lr_share=0.5),
        "paper": dict(n_train=5, n_test=50, noise=1.0, data_seed=0, depth=3, width=512, sigma=1.5, sigma_b=0.05,
                      activations=["erf", "relu"], bias="normal", members=list(range(100)), steps=10000,
                      lr_share=0.5),
    }

    def _data(self, cfg):
        return sine_data(cfg["n_train"], cfg["n_test"], cfg["noise"], cfg["data_seed"])

    def _net(self, cfg, activation):
        return MLP.uniform(1, cfg["width"], cfg["depth"], sigma=cfg["sigma"], sigma_b=cfg["sigma_b"],
                           bias=cfg["bias"], activation=activation)

    def _lr(self, cfg, ds, net):
        lam = np.linalg.eigvalsh(infinite.kernels(net, ds.X, get="ntk").ntk)[-1]
        return cfg["lr_share"] * 2.0 * ds.X.shape[0] / lam

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
            return dict(status="computed", lr=lr, mean=[float(v) for v in inf.mean],
                        std=[float(v) for v in np.sqrt(np.maximum(np.diag(inf.cov), 0))],
                        ntk_eigenvalues=[float(v) for v in eig],
                        train_loss=float(0.5 * np.mean((np.asarray(on_train.mean, np.float64) - ds.Y) ** 2)))
        theta = net.init(job["member"])
        fluct = float(np.linalg.norm(np.asarray(ntk(net, theta, ds.X), np.float64)
                                     - infinite.kernels(net, ds.X, get="ntk").ntk, 2))
        res = ctx.check(train(net, theta, ds.X, ds.Y, X_test=ds.X_test, lr=lr,
                              max_steps=cfg["steps"], tol=1e-300, record_every=cfg["steps"],
                              callback=ctx.callback))
        return dict(status=res.status, steps=res.steps, lr=lr, train_loss=float(res.history["train_loss"][-1]),
                    pred=[float(v) for v in res.history["test_pred"][-1]], ntk_fluctuation=fluct)

    @staticmethod
    def _members(records, act):
        return [r for r in records if r.get("activation") == act and r.get("kind") == "member"]

    def _compare(self, cfg, records, act):
        """(the infinite-width record or None, the members' test predictions (n, n_test)):
        equal training time, every member that ran its steps to a finite prediction."""
        inf = next((r for r in records if r.get("activation") == act and r.get("kind") == "infinite"), None)
        runs = [r for r in self._members(records, act)
                if r.get("status") == "max_steps" and np.all(np.isfinite(r["pred"]))]
        P = np.array([r["pred"] for r in runs]) if runs else np.zeros((0, cfg["n_test"]))
        return inf, P

    def plot(self, cfg, records, out):
        ds = self._data(cfg)
        x = ds.X_test[:, 0]
        acts = cfg["activations"]
        fig, axes = plots.figure(len(acts), width=5.5)
        for ax, act in zip(axes, acts):
            inf, P = self._compare(cfg, records, act)
            if inf is not None:
                mean, std = np.array(inf["mean"]), np.array(inf["std"])
                ax.fill_between(x, mean - 2 * std, mean + 2 * std, color="C1", alpha=0.25, label="infinite width ±2σ")
                ax.plot(x, mean, "C1", label=f"infinite width (NTK, {cfg['steps']} GD steps)")
            if len(P):
                ax.plot(x, P.mean(0), "C0--", label=f"ensemble of {len(P)} (m = {cfg['width']})")
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
        """The ensemble of ``act`` against its infinite-width prediction, and against the
        other activation's (the control: a prediction the comparison must tell apart)."""
        inf, P = self._compare(cfg, records, act)
        if inf is None or len(P) < 2:
            return None
        mean, std = np.array(inf["mean"]), np.array(inf["std"])
        scale = float(np.sqrt(np.mean(std ** 2)))

        def dist(Q):
            return float(np.sqrt(np.mean((Q.mean(0) - mean) ** 2))) / max(scale, 1e-300)

        def ratio(Q):
            return float(np.median(Q.std(0, ddof=1) / np.maximum(std, 1e-12)))

        # Standard errors jackknifed over the members (each left out in turn).
        members = list(range(len(P)))
        out = dict(n=len(P), inside=float(np.mean(np.abs(P.mean(0) - mean) <= 2 * std)),
                   dist=dist(P), ratio=ratio(P),
                   dist_err=jackknife_error(lambda keep: dist(P[keep]), members),
                   ratio_err=jackknife_error(lambda keep: ratio(P[keep]), members),
                   dist_other=math.nan, ratio_other=math.nan, fluct=math.nan)
        losses = [r["train_loss"] for r in self._members(records, act) if math.isfinite(r.get("train_loss", math.nan))]
        out["member_loss"] = float(np.median(losses)) if losses else math.nan
        out["inf_loss"] = float(inf.get("train_loss", math.nan))
        fl = [r["ntk_fluctuation"] for r in self._members(records, act)
              if math.isfinite(r.get("ntk_fluctuation", math.nan))]
        eig = inf.get("ntk_eigenvalues")
        if fl and eig:
            out["fluct"] = float(np.median(fl)) / eig[0]
        other = [a for a in cfg["activations"] if a != act]
        if other:
            o, _ = self._compare(cfg, records, other[0])
            if o is not None:
                out["dist_other"] = float(np.sqrt(np.mean((P.mean(0) - np.array(o["mean"])) ** 2))) / max(scale, 1e-300)
                out["ratio_other"] = float(np.median(P.std(0, ddof=1) / np.maximum(np.array(o["std"]), 1e-12)))
        return out

    def summary(self, cfg, records):
        lines = []
        for act in cfg["activations"]:
            s = self._stats(cfg, records, act)
            if s is None:
                lines.append(f"- {act}: too few members, or the infinite-width prediction missing.")
                continue
            lines.append(f"- {act}: {s['n']} members after {cfg['steps']} GD steps, of width {cfg['width']}, "
                         f"L = {cfg['depth']}: the ensemble mean lies in the infinite-width ±2σ band at {s['inside']:.0%} "
                         f"of the {cfg['n_test']} test points (RMS distance of the means {s['dist']:.3g} predicted σ); the "
                         f"ensemble's spread is {s['ratio']:.2f}× the predicted standard deviation (median over the "
                         "test points).")
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
            if s is None:
                s = dict(dist=math.nan, dist_other=math.nan, ratio=math.nan, ratio_other=math.nan, inside=math.nan,
                         fluct=math.nan, member_loss=math.nan, inf_loss=math.nan, dist_err=math.nan, ratio_err=math.nan)
            # Equal training time stands for equal training loss only where the members got as far
            # as the infinite-width mean.
            premise = None
            if not s["member_loss"] <= EQUAL_LOSS * max(s["inf_loss"], 1e-300):
                premise = premise_not_met(f"the members' median training loss {s['member_loss']:.3g} is not within "
                                          f"{EQUAL_LOSS:g}× the infinite-width mean's {s['inf_loss']:.3g} at the same t")
            loss_note = (f"; training loss: members' median {s['member_loss']:.3g}, infinite-width mean "
                         f"{s['inf_loss']:.3g}")
            out += [
                Claim(f"{net}: the trained ensemble's mean follows the infinite-width prediction",
                      f"004 Fig. 4 (curves agree; fastntk's band: RMS distance ≤ {MEAN_BAND} predicted σ, the other "
                      "activation's prediction outside it)",
                      f"RMS distance of the means {s['dist']:.3g} ± {s['dist_err']:.2g} σ (jackknife over members; "
                      f"inside ±2σ at {s['inside']:.0%} of test points); "
                      f"from the other activation's prediction {s['dist_other']:.3g} σ ({n} members); the members' "
                      f"‖Θ₀ − Θ∞‖₂ median {s['fluct']:.3g}× λ_min(Θ∞){loss_note}",
                      premise or edge(s["dist"], s["dist_err"], MEAN_BAND)
                      or approx(s["dist"], MEAN_BAND, s["dist_other"], n, made, "members",
                                "the other activation's prediction")),
                Claim(f"{net}: the ensemble's spread matches the infinite-width ±2σ band",
                      f"004 Fig. 4 (bands agree; fastntk's band: spread ratio within 1 ± {STD_RATIO}, the other "
                      "activation's outside it)",
                      f"spread {s['ratio']:.2f} ± {s['ratio_err']:.2f}× the predicted σ (median over test points; "
                      "jackknife over members); "
                      f"{s['ratio_other']:.2f}× the other activation's{loss_note}",
                      premise or edge(abs(s["ratio"] - 1), s["ratio_err"], STD_RATIO)
                      or approx(abs(s["ratio"] - 1), STD_RATIO, abs(s["ratio_other"] - 1), n, made, "members",
                                "the other activation's predicted σ")),
            ]
        return out
