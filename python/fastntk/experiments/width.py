"""004: width versus convergence under GD/AdaGrad/RMSprop in 004's own setting — the
one-hidden-layer net of its Eq. (1), f(x) = Σ_r a_r relu(w_rᵀx) (no 1/√m: its footnote 1),
a fixed and only W trained, its loss Eq. (2) (1/n)Σ(f − y)² (not ½: its footnote 2), a
fixed base rate 5·10⁻⁴ (RMSprop γ = 0.9), x ~ U(−1, 1)^d, y ~ N(0, 1) — with the weight
movement max_r‖w_r(t) − w_r(0)‖ (its Eq. 4), the hidden layer's effective learning rate,
and the init-scale sweep. The presets draw W¹ and a Glorot-uniform, U(±√(6/(fan_in +
fan_out))): 004 leaves the initialization unstated and used "basic TensorFlow functions",
whose Dense layers draw so, and its Sect. 2.2 mechanism (the gradients shrink with the
width) holds under it. Under it a's scale falls like 1/√m, so GD's kernel does not grow
with m: no larger kernel makes the wider nets faster, as in 004 Fig. 1, and at the base
rate no GD run reaches 10⁻³ of its start in the preset's steps (the GD speed row says so;
whether a wider net gets there sooner through the kernel's small eigenvalues would need
several times the steps). AdaGrad's accumulator starts at TensorFlow's 0.1 (ADAGRAD_ACCUMULATOR; fastntk's
default, PyTorch's, is 0), 004's framework's; the rows that read AdaGrad's runs are
inconclusive unless the runs record 0.1."""
from __future__ import annotations

import math

import numpy as np

from .. import datasets, plots
from ..dynamics import train
from ..kernels import ntk
from ..model import MLP
from ._base import Experiment, falling_trend, legend, save_figure, trend_direction
from ._verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, direction, per_seed, premise_not_met, spread

# fastntk's squared loss is ½·mean((f − y)²); 004's is mean((f − y)²) = ½·mean((√2f − √2y)²):
# the net's output and the targets are scaled by √2, which makes the loss, the gradient
# in W and so every optimizer's step exactly 004's.
LOSS_SCALE = math.sqrt(2.0)
STABLE = 2.0   # GD is stable at θ₀ when η·λ_max of the loss's Gauss–Newton Hessian is below this
REACH = 1e-3   # "converged" for the speed comparison: the loss at REACH× its initial value
# AdaGrad's initial accumulator: TensorFlow's Adagrad (tf.keras and tf.compat.v1 alike) starts it at 0.1,
# which caps the rate at √10× the base; 004 used "basic TensorFlow functions", so its runs start there
# (fastntk's default, PyTorch's, is 0: a run at another value is not 004's optimizer — see _adagrad_gate).
TF_ACCUMULATOR = 0.1
ADAGRAD_ACCUMULATOR = TF_ACCUMULATOR
OUTPUT_SMALL = 0.5  # "output close to zero at initialization" (004 Sect. 3.1, 3.3): RMS f(θ₀) ≤ this × RMS y
# 004 leaves the initialization unstated and says it used "basic TensorFlow functions", whose
# Dense layers draw Glorot-uniform weights: U(±√(6/(fan_in + fan_out))). "normal" is Du et al.'s
# W¹ ~ N(0, 1), a = ±1, which fastntk ran before (its output grows like √m).
INITS = ("glorot", "normal")


def init_note(init: str) -> str:
    """How the run's weights were drawn, for the rows that depend on it."""
    return ("Glorot-uniform W¹ and a (TensorFlow's default, 004 leaves the initialization unstated)"
            if init == "glorot" else "W¹ ~ N(0, 1) and a = ±1 (Du et al.'s; 004 leaves the initialization unstated)")


def _glorot(rng, fan_out: int, fan_in: int):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_out, fan_in))


def net_004(d: int, m: int, seed: int, scale: float = 1.0, init: str = "glorot"):
    """004's model: the standard parametrization (θ is the weights themselves, c_l = 1), no
    biases, W² = √2·a frozen (√2 is LOSS_SCALE); ``init`` "glorot": W¹ and a Glorot-uniform,
    "normal": W¹ ~ N(0, 1), a = ±1; W¹ times ``scale`` (the init-std sweep)."""
    if init not in INITS:
        raise ValueError(f"init: expected one of {INITS}, got {init!r}")
    net = MLP([d, m, 1], parametrization="standard", bias="none", dtype=np.float64)
    rng = np.random.default_rng(seed)
    if init == "glorot":
        W1, a = _glorot(rng, m, d), _glorot(rng, 1, m)
    else:
        W1 = rng.standard_normal((m, d))
        a = np.where(rng.random((1, m)) < 0.5, -1.0, 1.0)
    return net, [W1 * scale, LOSS_SCALE * a]


def deep_net_004(d: int, m: int, hidden: int, seed: int, init: str = "glorot"):
    """004 Fig. 8's net: ``hidden`` ReLU layers of m units, the output a (its √2 LOSS_SCALE),
    no biases, the standard parametrization, every layer trained. "glorot": every layer
    Glorot-uniform; "normal": W¹ ~ N(0, 1) as 004's first layer under that reading, the deeper
    hidden layers He's N(0, 2/m) (N(0, 1) there makes the 5-layer net's outputs ~10² times
    larger and GD at the base rate diverge, η·λ_max ≈ 250), a = ±1. hidden = 1 is net_004 with
    the same draw."""
    if init not in INITS:
        raise ValueError(f"init: expected one of {INITS}, got {init!r}")
    net = MLP([d] + [m] * hidden + [1], parametrization="standard", bias="none", dtype=np.float64)
    rng = np.random.default_rng(seed)
    if init == "glorot":
        params = [_glorot(rng, m, d)] + [_glorot(rng, m, m) for _ in range(hidden - 1)] + [_glorot(rng, 1, m)]
        params[-1] = LOSS_SCALE * params[-1]
        return net, params
    params = [rng.standard_normal((m, d))]
    params += [rng.standard_normal((m, m)) * math.sqrt(2.0 / m) for _ in range(hidden - 1)]
    params.append(LOSS_SCALE * np.where(rng.random((1, m)) < 0.5, -1.0, 1.0))
    return net, params


class Width(Experiment):
    name = "width"
    title = "Width, convergence and weight movement (004's setting)"
    paper = "Kondracki, Roy, Dwarakanath (004 Sects. 2–3, Figs. 1–3, 5–8)"
    presets = {
        "quick": dict(data="gaussian:100", n_train=100, n_test=10, data_seed=0, init="glorot", widths=[10, 100, 1000, 4000],
                      optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2, 3, 4], steps=1000, record_every=20,
                      base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 1.0, 4.0], alphas=[1.0, 10.0],
                      alpha_widths=[10, 30, 100], depth_width=10, hidden_layers=[1, 5]),
        # Seeds 20–27: new for the rerun under the rules revised after the 2026-12-04 run (seeds
        # 10–17, withdrawn: its GD rows rested on m = 10000 beyond GD's stability edge).
        # 2026-12-05: seeds 70–77, new for the rerun under the revised rules (a direction claim fails only on
        # evidence against it, a value claim carries its standard error); earlier seeds are named above.
        # Seeds 80–87 (before any run with 70–77): seeds 70 and 71 were looked at for Fig. 8's
        # stability at θ₀ while its deeper layers' initialization was chosen.
        # Seeds 100–107: new after a review of 80–87 found the rate rows' premise applied to one row of
        # three, the init-std and α sweeps run where the output is far from zero at θ₀ (only rescaling the
        # targets), Fig. 8's rows pooling α and unstable seeds, and RMSprop's movement (a claim of 004
        # Sect. 2.4) judged as an extra check at the one width where its rate is not inflated.
        # Seeds 150–157 and Glorot-uniform weights (were W¹ ~ N(0, 1), a = ±1): a review of 100–107 found nine
        # rows premise-not-met by that choice, whose output grows like √m (RMS f(θ₀)/RMS y 15 → 446), where
        # 004's TensorFlow default keeps it O(1).
        # Seeds 380–387 (were 150–157): new for next24's rules (the GD speed row's premise, seed-spread floors on
        # every direction, the AdaGrad rows gated on TensorFlow's accumulator, Fig. 5's absolute loss, Fig. 8's α premise).
        # Seeds 480–487 (next27): trend_direction counting a no-trend seed against either sign, not only the claimed one (next27, the review of gradient-confusion's 330–337); nothing of width's own changed.
        # Seeds 490–497 (next28, the review of 480–487): the movement trends through trend_direction (a no-trend
        # seed counts against either sign), AdaGrad against GD judged at each width (m = 10 and 100 were pooled),
        # beside each loss row how much of its order θ₀ sets (the init-std and Fig. 8 α = 10 orders were set at θ₀;
        # reported, not judged), the init-std floors from both arms.
        # Seeds 570–577 (next29-e, session 26, the known faults the review of 490–497 left; a pre-run review's
        # findings folded in before any run): the narrow-slower row needs AdaGrad's rate to end below the base at
        # m = 10, where 004 Sect. 2.2 names it "greatly reduced from this base value" (it ended at 1.59–1.88× base),
        # m = 10 premise not met otherwise unless a width where no premise fails shows the claim false, the rate's
        # time-average beside; the GD speed row's size says "not measured" where no run reaches the level (it
        # printed "median 0 against the seed spread 0") and its ranks "in no seed" where none ranks. Not changed: the
        # RMSprop rising-rate row — the known fault read about two thirds of m = 10000's rise as the average warming
        # up, but an average started at 0 makes the early rate read high, so the warm-up shrinks the recorded rise
        # (the pre-run review); a first draft's cut before step 50 and the rise's own spread as floor were withdrawn.
        # Seeds 620–627 (next30, session 27, an audit of issue 25): the narrow-slower row reads its premise at m = 100
        # too (AdaGrad's rate ending below the base; 004 gives G_t's growth as the cause at m = 10 and 100: on 570–577
        # m = 100's rate ended at 2.74× base and decided the row's not reproduced), the premise text says the squared
        # gradients' sum must exceed 0.9 per weight (was "above 1"), the GD speed row says where every run ties at
        # the cap. Written knowing 570–577's records.
        # Seeds 660–667 (next31, session 28, an audit of issue 25 and two pre-run reviews): the effective-rate row's
        # m = 10 half reads its premise, AdaGrad's squared gradients summed past 1 − 0.1 per weight of W¹ in the
        # median seed (each AdaGrad run now records that sum, final_grad_sq, from its last preconditioner,
        # record_D="ends"); short of it the row is premise not met, and not reproduced then only where its wide half
        # alone is shown false; past it every seed is judged (a first draft left short seeds out, which tilted the
        # row toward reproduced: the second review) (on 620–627 the row read not reproduced from
        # the m = 10 half, whose sum was not measured: its rate ended at 1.56–2.52× base). Both AdaGrad rows print the
        # sum; the narrow-slower row says whether its rate above the base comes with a sum short of 0.9 or past it.
        # Written knowing 620–627's records (not the sums, which they lack).
        "standard": dict(data="gaussian:200", n_train=200, n_test=100, data_seed=0, init="glorot",
                         widths=[10, 100, 1000, 10000], optimizers=["gd", "adagrad", "rmsprop"], seeds=list(range(660, 668)), steps=2000, record_every=20,
                         base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 1.0, 4.0],
                         alphas=[1.0, 10.0], alpha_widths=[10, 30, 100, 300], depth_width=10, hidden_layers=[1, 5]),
        "paper": dict(data="gaussian:1000", n_train=1000, n_test=100, data_seed=0, init="glorot",
                      widths=[10, 100, 1000, 10000],
                      optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2], steps=10000, record_every=50,
                      base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 0.5, 1.0, 2.0, 4.0],
                      alphas=[1.0, 10.0], alpha_widths=[10, 100, 1000, 10000], depth_width=10, hidden_layers=[1, 5]),
    }

    def jobs(self, cfg):
        jobs = [dict(sweep="width", width=m, optimizer=o, scale=1.0, seed=s)
                for m in cfg["widths"] for o in cfg["optimizers"] for s in cfg["seeds"]]
        jobs += [dict(sweep="scale", width=cfg["scale_width"], optimizer="gd", scale=sc, seed=s)
                 for sc in cfg["init_scales"] for s in cfg["seeds"]]
        # Fig. 7's widths: the standard preset stops at m = 300, chosen under the N(0, 1) draw, whose
        # η·λ_max grew like m (beyond 2 at 004's 1000 and 10000); under Glorot it levels off (the summary
        # reports it per width, and the rows judge only the widths below 2).
        jobs += [dict(sweep="alpha", width=m, optimizer="gd", scale=1.0, alpha=a, seed=s)
                 for a in cfg.get("alphas", ()) for m in cfg["alpha_widths"] for s in cfg["seeds"]]
        jobs += [dict(sweep="depth", width=cfg["depth_width"], hidden=h, optimizer="gd", scale=1.0, alpha=a, seed=s)
                 for a in cfg.get("alphas", ()) for h in cfg.get("hidden_layers", ()) for s in cfg["seeds"]]
        return jobs

    def _data(self, cfg):
        name, _, arg = cfg["data"].partition(":")
        if name != "gaussian":
            raise ValueError(f"width: 004's setting is the Gaussian regression data (gaussian:d), not {cfg['data']!r}")
        # 004's inputs are x ~ U(−1, 1)^d as drawn, not scaled onto the sphere.
        return datasets.gaussian_regression(cfg["n_train"], cfg["n_test"], d=int(arg or 1000),
                                            seed=cfg["data_seed"], normalize=None)

    def _alpha_job(self, cfg, job, ctx, ds):
        """004 Figs. 7–8: f = α·g with the loss (1/(nα²))Σ(f − y)², Eqs. (12)–(13), every layer
        trained. That loss is (1/n)Σ(g − y/α)² for the unscaled net g, with the same
        gradients, so the unscaled net is trained on targets y/α; the loss recorded is Eq. (13)'s.
        Fig. 8's movement is Eq. (14): the hidden layers' max_r‖w_r(t) − w_r(0)‖, averaged."""
        if job["sweep"] == "depth":
            net, params = deep_net_004(ds.d, job["width"], job["hidden"], job["seed"], cfg["init"])
        else:
            net, params = net_004(ds.d, job["width"], job["seed"], job["scale"], cfg["init"])
        theta0 = [p.copy() for p in params]
        res = ctx.check(train(net, params, ds.X, LOSS_SCALE * ds.Y / job["alpha"], lr=cfg["base_lr"], tol=1e-300,
                              max_steps=cfg["steps"], record_every=cfg["record_every"], divergence_factor=1e300,
                              callback=ctx.callback))
        h = res.history
        # GD's stability at θ₀ with both layers trained: η·λ_max of the loss's Gauss–Newton Hessian.
        K = np.asarray(ntk(net, theta0, ds.X), np.float64)
        hidden = len(params) - 1
        eq14 = float(np.mean([np.linalg.norm(np.asarray(res.params[l]) - theta0[l], axis=1).max()
                              for l in range(hidden)]))
        # Eq. (12)'s output at θ₀, f = α·g (g carries the √2 of LOSS_SCALE), against the targets.
        f0 = job["alpha"] * np.asarray(net.apply(theta0, ds.X), np.float64) / LOSS_SCALE
        return dict(status=res.status, lr=res.lr, step=h["step"], train_loss=h["train_loss"],
                    final_loss=float(h["train_loss"][-1]), final_movement=float(h["max_unit_movement"][-1]),
                    mean_layer_movement=eq14, train_loss_0=float(h["train_loss"][0]),
                    output_ratio=float(np.sqrt(np.mean(f0 ** 2) / np.mean(np.asarray(ds.Y, np.float64) ** 2))),
                    eta_lambda=cfg["base_lr"] * float(np.linalg.eigvalsh(K)[-1]) / ds.X.shape[0])

    def run_job(self, cfg, job, ctx):
        ds = self._data(cfg)
        if job["sweep"] in ("alpha", "depth"):
            return self._alpha_job(cfg, job, ctx, ds)
        net, params = net_004(ds.d, job["width"], job["seed"], job["scale"], cfg["init"])
        hyper = ({"alpha": cfg["rmsprop_gamma"]} if job["optimizer"] == "rmsprop" else
                 {"initial_accumulator_value": ADAGRAD_ACCUMULATOR} if job["optimizer"] == "adagrad" else {})
        ada = job["optimizer"] == "adagrad"
        res = ctx.check(train(net, params, ds.X, LOSS_SCALE * ds.Y, optimizer=job["optimizer"], lr=cfg["base_lr"], tol=1e-300,
                              max_steps=cfg["steps"], record_every=cfg["record_every"], train_layers=[1],
                              divergence_factor=1e300, callback=ctx.callback, X_test=ds.X_test,
                              **({"record_D": "ends"} if ada else {}), **hyper))
        h = res.history
        # AdaGrad's squared gradients summed over the run, per weight of W¹ (the mean over W¹), read off the last
        # preconditioner D_T = 1/(√(accumulator + Σ_t g²) + ε): by Jensen the mean rate over W¹ stays above the base
        # while this mean is below 1 − accumulator (next31).
        if ada:
            w1 = slice(net.layout.weight_offset[1], net.layout.weight_offset[1] + job["width"] * ds.d)
            d_end = np.asarray(h["D"][-1], np.float64)[w1]
            grad_sq = float(np.mean((1.0 / d_end - res.config.eps) ** 2 - ADAGRAD_ACCUMULATOR))
        # 004's loss (1/n)Σ(f − y)² on the test points (Fig. 6), in the √2-scaled units of the training loss.
        test_loss = float(0.5 * np.mean((np.asarray(h["test_pred"][-1], np.float64) - LOSS_SCALE * ds.Y_test) ** 2))
        w0 = float(np.linalg.norm(params[0], axis=1).mean())
        # GD's stability at θ₀: η·λ_max of the loss's Gauss–Newton Hessian over W¹, (1/n)·K₁
        # with K₁ = (X Xᵀ) ⊙ (Σ_r a_r² 1[w_rᵀx > 0] 1[w_rᵀx′ > 0]) for the frozen output
        # weights a (their √2 scale included): above 2, GD at this rate catapults.
        S = (ds.X @ params[0].T > 0).astype(np.float64) * np.abs(params[1][0])
        K1 = (ds.X @ ds.X.T) * (S @ S.T)
        eta_lambda = cfg["base_lr"] * float(np.linalg.eigvalsh(K1)[-1]) / ds.X.shape[0]
        # The loss gradient in W¹ at θ₀ in 004's units, (2/n)Σ_i (f_i − y_i) a ⊙ 1[W¹x_i > 0] x_iᵀ:
        # its RMS per weight is what AdaGrad and RMSprop divide the base rate by at their first step.
        y = np.asarray(ds.Y, np.float64)
        f0 = np.asarray(net.apply(params, ds.X), np.float64) / LOSS_SCALE
        a = params[1][0] / LOSS_SCALE
        G = (2.0 / ds.X.shape[0]) * (((f0 - y)[:, None] * (ds.X @ params[0].T > 0)) * a).T @ ds.X
        return dict(status=res.status, lr=res.lr, step=h["step"], train_loss=h["train_loss"],
                    grad_rms=float(np.sqrt(np.mean(G ** 2))),
                    output_ratio=float(np.sqrt(np.mean(f0 ** 2) / np.mean(y ** 2))),
                    movement=h["max_unit_movement"], effective_lr=h["effective_lr"],
                    final_loss=float(h["train_loss"][-1]), final_movement=float(h["max_unit_movement"][-1]),
                    final_effective_lr=float(h["effective_lr"][-1]),
                    relative_movement=float(h["max_unit_movement"][-1] / w0), eta_lambda=eta_lambda,
                    train_loss_0=float(h["train_loss"][0]), test_loss=test_loss,
                    **({"initial_accumulator": ADAGRAD_ACCUMULATOR, "final_grad_sq": grad_sq} if ada else {}))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(4, width=3.4)
        rs = [r for r in records if r["sweep"] == "width"]
        ls = {o: s for o, s in zip(cfg["optimizers"], ["-", "--", ":", "-."])}
        for r in rs:
            c = plots.viridis(cfg["widths"].index(r["width"]) / max(1, len(cfg["widths"]) - 1))
            label = f"{r['optimizer']} m={r['width']}" if r["seed"] == cfg["seeds"][0] else None
            axes[0].plot(r["step"], r["train_loss"], ls=ls[r["optimizer"]], color=c, label=label)
            axes[1].plot(r["step"], r["movement"], ls=ls[r["optimizer"]], color=c)
            if r["optimizer"] != "gd":
                axes[2].plot(r["step"], np.asarray(r["effective_lr"]) / cfg["base_lr"], ls=ls[r["optimizer"]], color=c)
        axes[0].set_yscale("log")
        axes[0].set_ylabel("training loss")
        axes[1].set_yscale("log")
        axes[1].set_ylabel("max$_r$ ‖w$_r$(t) − w$_r$(0)‖")
        axes[2].set_yscale("log")
        axes[2].set_ylabel("hidden layer's effective rate / base rate")
        for ax in axes[:3]:
            ax.set_xlabel("step")
        legend(axes[0], fontsize=6)
        sc = sorted((r["scale"], r["relative_movement"]) for r in records if r["sweep"] == "scale")
        if sc:
            sig = sorted({s for s, _ in sc})
            axes[3].plot(sig, [np.mean([v for s, v in sc if s == x]) for x in sig], marker="o")
            axes[3].set_xscale("log", base=2)
            axes[3].set_yscale("log")
            axes[3].set_xlabel("init scale (× the initialization's std of W¹)")
            axes[3].set_ylabel("relative first-layer movement")
        return save_figure(fig, out, "width")

    def summary(self, cfg, records):
        lines = ["- Medians over the seeds, per width (all runs: every run takes the same steps)."]
        med = lambda rs, k: float(np.median([r[k] for r in rs])) if rs else math.nan  # noqa: E731
        for opt in cfg["optimizers"]:
            parts = []
            for m in sorted(cfg["widths"]):
                rs = [r for r in records if r["sweep"] == "width" and r["optimizer"] == opt and r["width"] == m]
                if rs:
                    part = (f"m = {m}: loss {med(rs, 'train_loss_0'):.3g} → {med(rs, 'final_loss'):.3g}, movement "
                            f"{med(rs, 'final_movement'):.3g}, η·λ_max {med(rs, 'eta_lambda'):.3g}"
                            if all("eta_lambda" in r and "train_loss_0" in r for r in rs) else
                            f"m = {m}: loss {med(rs, 'final_loss'):.3g}, movement {med(rs, 'final_movement'):.3g}")
                    if opt != "gd":
                        part += f", effective rate {med(rs, 'final_effective_lr') / cfg['base_lr']:.3g}× base"
                    parts.append(part)
            if parts:
                lines.append(f"- {opt}: " + "; ".join(parts) + ".")
        for a in cfg.get("alphas", ()):
            parts = []
            for m in sorted(cfg["alpha_widths"]):
                rs = [r for r in records if r["sweep"] == "alpha" and r["alpha"] == a and r["width"] == m]
                if rs:
                    parts.append(f"m = {m}: Eq. (13) loss {med(rs, 'train_loss_0'):.3g} → {med(rs, 'final_loss'):.3g}, "
                                 f"movement {med(rs, 'final_movement'):.3g}, η·λ_max {med(rs, 'eta_lambda'):.3g}")
            if parts:
                lines.append(f"- α = {a:g} (Fig. 7: output scaled by α, loss /α², both layers trained): "
                             + "; ".join(parts) + ".")
        sc = [r for r in records if r["sweep"] == "scale"]
        if sc:
            lines.append(f"- init std (m = {cfg['scale_width']}) → relative movement, RMS f(θ₀)/RMS y: "
                         + ", ".join(f"{x:g}: {med([r for r in sc if r['scale'] == x], 'relative_movement'):.3g}, "
                                     f"{med([r for r in sc if r['scale'] == x and 'output_ratio' in r], 'output_ratio'):.3g}"
                                     for x in sorted({r["scale"] for r in sc})) + ".")
        if cfg.get("alphas"):
            al = [r for r in records if r["sweep"] == "alpha" and math.isfinite(r.get("eta_lambda", math.nan))]
            lines.append(f"- Fig. 7's sweep runs at m ∈ {cfg['alpha_widths']}, where GD at the base rate with both "
                         "layers trained has η·λ_max at θ₀ (median) "
                         + ", ".join(f"{med([r for r in al if r['width'] == m], 'eta_lambda'):.3g} at m = {m}"
                                     for m in sorted({r["width"] for r in al}))
                         + f" (GD is unstable at θ₀ beyond {STABLE:g}; the widths are judged where the median is below).")
        lines.append(f"- Setting (004 Sect. 1): f = Σ_r a_r relu(w_rᵀx) without 1/√m, loss (1/n)Σ(f − y)², only the "
                     f"hidden layer trained, base rate {cfg['base_lr']}, RMSprop γ = {cfg['rmsprop_gamma']}, "
                     f"{cfg['steps']} full-batch steps, x ~ U(−1, 1)^d unscaled; here n = {cfg['n_train']} points in d = "
                     f"{cfg['data'].partition(':')[2]} (004: 1000 in d = 1000) and {init_note(cfg['init'])}. Runs are compared at equal steps, as 004 "
                     "compares them; a run whose loss is not finite is left out. AdaGrad's accumulator starts at "
                     f"{ADAGRAD_ACCUMULATOR:g} (TensorFlow's, 004's framework, which caps the rate at √10× base; "
                     "PyTorch's and fastntk's default is 0); RMSprop's average of squared gradients starts at 0 "
                     "(Eq. (8) as written, tf.keras' default).")
        if cfg["init"] == "glorot":
            lines.append("- Under Glorot-uniform weights the output weights' scale falls like 1/√m (their std is "
                         "√(2/(m + 1))), which brings back the 1/√m that 004's footnote 1 drops: GD's kernel, and its "
                         "η·λ_max at the base rate, does not grow with m, so no larger kernel makes the wider nets faster "
                         "as in 004 Fig. 1 (whether a wider net reaches 10⁻³ of its start sooner through the kernel's "
                         "small eigenvalues would need several times the preset's steps). Kept because 004 used TensorFlow, whose Dense layers draw so, and "
                         "because 004 Sect. 2.2's mechanism (the gradients shrink with the width) holds under it.")
        return lines

    def _per_seed(self, records, opt, key, sweep="width", x="width"):
        rs = [r for r in records if r["sweep"] == sweep and r["optimizer"] == opt
              and math.isfinite(r.get("final_loss", math.nan)) and math.isfinite(r.get(key, math.nan)) and r[key] > 0]
        return {(r["seed"], r[x]): r[key] for r in rs}

    @staticmethod
    def _grad_sq(records, width) -> float:
        """The median over seeds of AdaGrad's squared gradients summed over the run, per weight of W¹
        (the mean over W¹), at ``width``; nan where no run recorded it (a sum of 0, every unit dead, counts)."""
        got = [r["final_grad_sq"] for r in records if r.get("sweep") == "width" and r.get("optimizer") == "adagrad"
               and r["width"] == width and math.isfinite(r.get("final_grad_sq", math.nan))]
        return float(np.median(got)) if got else math.nan

    @staticmethod
    def _trend(values, seeds, xs):
        # No x to compare (a partial run, or every width unstable): no seed has a trend.
        return falling_trend(values, seeds, xs) if len(xs) > 1 else []

    def _stable(self, records):
        """The widths at which GD at the base rate is stable at θ₀ (median η·λ_max < 2),
        and {width: median η·λ_max}."""
        by = {}
        for r in records:
            if r["sweep"] == "width" and math.isfinite(r.get("eta_lambda", math.nan)):
                by.setdefault(r["width"], []).append(r["eta_lambda"])
        med = {m: float(np.median(v)) for m, v in by.items()}
        return sorted(m for m, v in med.items() if v < STABLE), med

    def _gradients_shrink(self, cfg, records):
        """004's mechanism for AdaGrad's and RMSprop's rates (Sects. 2.2, 2.4): the wider the
        net, the smaller its loss gradients, so the rates divided by them grow. None when the
        RMS gradient at θ₀ falls with the width (a per-seed rank trend, significant; a premise, so
        no size floor: a rank correlation has no units a seed spread could be set against), else
        the premise-not-met verdict naming the trend."""
        g = {(r["seed"], r["width"]): r["grad_rms"] for r in records if r["sweep"] == "width"
             and r["optimizer"] == "gd" and math.isfinite(r.get("grad_rms", math.nan))}
        widths = sorted(cfg["widths"])
        trends = falling_trend(g, cfg["seeds"], widths)
        if trend_direction(trends, len(cfg["seeds"])) == REPRODUCED:
            return None
        med = [float(np.median([g[(s, m)] for s in cfg["seeds"] if (s, m) in g])) if any((s, m) in g for s in
               cfg["seeds"]) else math.nan for m in widths]
        return premise_not_met("the loss gradients at θ₀ do not shrink with the width here (RMS per weight "
                               + " → ".join(f"{v:.3g}" for v in med) + f" over m = {widths}; falling in "
                               f"{sum(t > 0 for t in trends)} of {len(trends)} seeds; {init_note(cfg['init'])})")

    @staticmethod
    def _outputs_small(runs, where, init):
        """004's premise for lazy training (Sects. 3.1, 3.3): the output is close to zero at
        initialization, RMS f(θ₀) ≤ OUTPUT_SMALL·RMS y (median over ``runs``); None when it
        holds, else the premise-not-met verdict."""
        r = [x["output_ratio"] for x in runs if math.isfinite(x.get("output_ratio", math.nan))]
        if not r:
            return premise_not_met("the output at initialization was not recorded")
        med = float(np.median(r))
        if med <= OUTPUT_SMALL:
            return None
        return premise_not_met(f"the output is not close to zero at initialization {where}: RMS f(θ₀) / RMS y "
                               f"median {med:.3g} > {OUTPUT_SMALL} ({init_note(init)})")

    @staticmethod
    def _output_ratio(runs, **match) -> float:
        """The median RMS f(θ₀)/RMS y over the runs matching every key=value of ``match`` (NaN
        where none recorded it): reported where 004 states a finding regardless of the output."""
        r = [x["output_ratio"] for x in runs if all(x.get(k) == v for k, v in match.items())
             and math.isfinite(x.get("output_ratio", math.nan))]
        return float(np.median(r)) if r else math.nan

    @staticmethod
    def _every(verdicts: dict, what: str) -> str:
        """One verdict for a claim made "at every" value: not reproduced if some value is
        not, reproduced if every value is, inconclusive otherwise."""
        failed = [k for k, v in verdicts.items() if v == NOT_REPRODUCED]
        open_ = [k for k, v in verdicts.items() if v not in (REPRODUCED, NOT_REPRODUCED)]
        if failed:
            return NOT_REPRODUCED
        if open_:
            return f"{INCONCLUSIVE}: undecided at {what} = {open_}"
        return REPRODUCED

    @staticmethod
    def _floor(*arms) -> float:
        """The noise floor of a comparison of per-seed values: the larger of its arms' seed-to-seed
        spreads, each arm {(seed, …): value} reduced to one value per seed (the median over its
        other keys, as the differences are)."""
        return max([spread(per_seed(a)) for a in arms] + [0.0])

    @staticmethod
    def _start_note(lower, other) -> str:
        """Where a loss is compared after the same steps between settings whose losses at θ₀
        differ (the init std, α, the depth), how much of the order θ₀ already sets: per seed (the
        median over the other keys, as every paired row) the claimed order of the losses at θ₀,
        and of each run's loss relative to its own at θ₀, log(final / initial). ``lower`` and
        ``other``: {(seed, …): run} for the setting claimed to end lower and the other. Reported,
        not judged: 004 states and plots the loss itself (next28: the review of 480–487 found the
        init-std row's order set at θ₀, 1.15 against 6.96, the relative loss the other way in 8 of
        8; the pre-run review found a gate on the relative loss stricter than 004's claim, and
        one-sided)."""
        def finite(r):
            return all(math.isfinite(r.get(k, math.nan)) and r.get(k, 0) > 0 for k in ("final_loss", "train_loss_0"))
        keys = [k for k in lower if k in other and finite(lower[k]) and finite(other[k])]
        at0 = per_seed({k: math.log(other[k]["train_loss_0"] / lower[k]["train_loss_0"]) for k in keys})
        rel = per_seed({k: math.log(other[k]["final_loss"] / other[k]["train_loss_0"])
                        - math.log(lower[k]["final_loss"] / lower[k]["train_loss_0"]) for k in keys})
        if not keys:
            return ""
        return (f"; beside it, not judged (004 compares the loss itself): at θ₀ the claimed order already in "
                f"{sum(x > 0 for x in at0)} of {len(at0)} seeds (median log ratio {np.median(at0):.3g}), relative to "
                f"each run's own loss at θ₀ in {sum(x > 0 for x in rel)} of {len(rel)} (median {np.median(rel):.3g})")

    def _trend_verdict(self, values, seeds, xs):
        """A falling trend of {(seed, x): value > 0} over xs: per seed the rank correlation, judged by
        the sign test (a rank correlation has no units a seed spread could be set against: that
        floor is exempt), and the trend's size, per seed log(value at xs[0] / at xs[-1]), whose
        median must exceed the larger seed-to-seed spread of the log value at the two ends; a seed
        whose rank correlation is 0 shows neither sign (:func:`trend_direction`).
        Returns (the per-seed −ρ, the verdict, a text on the size)."""
        d = self._trend(values, seeds, xs)
        # trend_direction, not direction: a seed with no rank trend counts against either sign (next28: width's
        # movement trends still dropped such a seed as a tie, the one-sided reading next27 removed elsewhere).
        verdict = trend_direction(d, len(seeds))
        if len(xs) < 2:
            return d, verdict, ""
        lo, hi = xs[0], xs[-1]
        logs = {k: math.log(v) for k, v in values.items() if v > 0 and k[1] in (lo, hi)}
        ends = [logs[(s, lo)] - logs[(s, hi)] for s in seeds if (s, lo) in logs and (s, hi) in logs]
        floor = self._floor(*({k: v for k, v in logs.items() if k[1] == x} for x in (lo, hi)))
        size = direction(ends, len(seeds), "seeds", floor)
        text = (f"; size: log(value at m = {lo} / at m = {hi}) median {np.median(ends):.3g} against the seed spread "
                f"{floor:.3g} (the rank correlation's own floor exempt: it has no units)" if ends else
                f"; size: not measured (no seed has a value at m = {lo} and {hi})")
        if verdict == REPRODUCED and size != REPRODUCED:
            verdict = f"{INCONCLUSIVE}: the trend holds by rank, but its size does not clear the seed spread ({size})"
        return d, verdict, text

    def _gd_trains(self, cfg, gd, stable) -> str | None:
        """004 Fig. 1's speed premise: some GD run at the stable widths reaches REACH× its initial
        loss within the preset's steps (else no run has a step count to rank). None when one
        does, else the premise-not-met verdict with GD's loss ratio and η·λ_max per width: at
        004's base rate GD's η·λ_max sits far below the stable edge, so GD barely trains in the
        steps given; under Glorot-uniform a its kernel does not grow with m either."""
        runs = [r for r in gd if r["width"] in stable]
        if not runs or any(self._steps_to(r) <= r["step"][-1] for r in runs):
            return None
        med = lambda m, f: float(np.median([f(r) for r in runs if r["width"] == m]))  # noqa: E731
        ratio = ", ".join(f"{med(m, lambda r: r['final_loss'] / r['train_loss'][0]):.2g}" for m in stable)
        eta = [med(m, lambda r: r.get("eta_lambda", math.nan)) for m in stable]
        why = (f"no GD run reaches {REACH:g}× its initial loss in {cfg['steps']} steps (final/initial loss, median, "
               f"{ratio} at m = {stable}): at 004's base rate {cfg['base_lr']:g}, GD's η·λ_max at θ₀ (median) is "
               + ", ".join(f"{v:.2g}" for v in eta) + f", at most {max(eta):.2g} against the stable edge {STABLE:g} "
               f"({STABLE / max(eta):.3g}× below it), so GD barely trains in the steps given")
        if cfg["init"] == "glorot":
            why += ("; under Glorot-uniform a (TensorFlow's default) the output weights' scale falls like 1/√m, so "
                    "GD's kernel, and η·λ_max with it, does not grow with m: no larger kernel makes the wider nets "
                    "faster, and whether one reaches the level sooner through the kernel's small eigenvalues would "
                    "need several times the steps")
        return premise_not_met(why)

    @staticmethod
    def _adagrad_gate(records) -> str | None:
        """None where every AdaGrad run records TensorFlow's initial accumulator 0.1 (004 used
        "basic TensorFlow functions"), else the inconclusive verdict: 004's AdaGrad (Eq. (5)) is
        TensorFlow's, whose accumulator 0.1 caps the rate at η/√0.1 = √10× base and so bounds
        every step, loss and movement its rows compare; 004's text gives no ground on which the
        accumulator could not matter (Sect. 2.2 explains each AdaGrad effect by the rate's size)."""
        acc = {r.get("initial_accumulator", 0.0) for r in records
               if r.get("sweep") == "width" and r.get("optimizer") == "adagrad"}
        if acc and all(a == TF_ACCUMULATOR for a in acc):
            return None
        return (f"{INCONCLUSIVE}: fastntk's AdaGrad starts its accumulator at "
                f"{', '.join(f'{a:g}' for a in sorted(acc)) or '0'}, TensorFlow's (004's framework) at "
                f"{TF_ACCUMULATOR:g}, which caps the rate at √10× base; these runs are not 004's optimizer")

    @staticmethod
    def _steps_to(r, share=REACH):
        """The first recorded step at which the loss is ≤ share·(its initial loss); one past
        the last step when never (a run that did not get there ranks last)."""
        loss, steps = r["train_loss"], r["step"]
        for t, v in zip(steps, loss):
            if math.isfinite(v) and v <= share * loss[0]:
                return float(t)
        return float(steps[-1] + 1)

    def _adagrad_against_gd(self, cfg, records, stable, note, rates_premise):
        """004 Fig. 2: AdaGrad against GD at equal steps — slower for the narrow nets, faster
        for the wide ones — and AdaGrad's units moving less the wider the net. 004 names both
        groups' widths ("number of neurons = 10, 100" and "= 1000, 10000", Sect. 2.2), so each
        width is judged on its own (per seed the log ratio of the final losses; the floor the
        larger seed spread of the two methods' log losses at that width; GD only where it is
        stable at θ₀) and the group's verdict is :meth:`_every`'s: not reproduced if some width is
        not (next28: the review of 480–487 found m = 10, above GD in 6 of 8, pooled by the
        per-seed median with m = 100, above in 0 of 8). The wide nets' speed-up is 004's effect of
        AdaGrad's growing rate, so it shares that row's premise; for the narrow nets 004 names the
        cause, G_t growing rapidly at m = 10 and 100 so that the rate falls ("greatly reduced from this
        base value" at m = 10), so a narrow width where the rate ends at or above the base (median over
        seeds) is premise not met — AdaGrad's mean rate over W¹ is then at or above GD's base rate, which
        004's cause cannot slow — and the row is premise not met unless a width where no premise fails shows
        the claim false (next29-e read it at m = 10 only; next30 at m = 100 too: an audit of issue 25
        found the row's *not reproduced* resting on m = 100 with the rate at 2.74× base). The rate's
        time-average is printed beside, not judged. Every row is inconclusive unless the AdaGrad runs
        are TensorFlow's (_adagrad_gate)."""
        seeds, widths = cfg["seeds"], sorted(cfg["widths"])
        ada = self._per_seed(records, "adagrad", "final_loss")
        gd = self._per_seed(records, "gd", "final_loss")
        rate = self._per_seed(records, "adagrad", "final_effective_lr")
        # The rate's time-average over the recorded steps after θ₀, printed beside the final one (not judged).
        mean_rate = {(r["seed"], r["width"]): float(np.mean([v for v in r["effective_lr"][1:] if math.isfinite(v)]))
                     for r in records if r.get("sweep") == "width" and r.get("optimizer") == "adagrad"
                     and any(math.isfinite(v) for v in r.get("effective_lr", [])[1:])}
        out, gate = [], self._adagrad_gate(records)
        for group, sign, text in (([m for m in widths if m < 1000], 1, "narrow nets converge more slowly than under GD"),
                                  ([m for m in widths if m >= 1000], -1, "wide nets converge faster than under GD")):
            judged = [m for m in group if m in stable]
            each, parts, unmet = {}, [], {}
            for m in judged:
                pair = [s for s in seeds if (s, m) in ada and (s, m) in gd]
                d = [sign * math.log(ada[(s, m)] / gd[(s, m)]) for s in pair]
                floor = self._floor({(s,): math.log(ada[(s, m)]) for s in pair}, {(s,): math.log(gd[(s, m)]) for s in pair})
                each[m] = direction(d, len(seeds), "seeds", floor)
                # 004's cause of the narrow nets' slowness (Sect. 2.2): AdaGrad's rate pushed below the base by the
                # accumulated squared gradients. Where it ends at or above the base, the width cannot show that
                # effect (next29-e: the review of 490–497 found m = 10 and 100 at 1.67× and 2.75× base, unsaid;
                # next30: at every narrow width, the audit of issue 25).
                r = [rate[(s, m)] for s in seeds if (s, m) in rate]
                level = float(np.median(r)) / cfg["base_lr"] if r else math.nan
                mean = [mean_rate[(s, m)] for s in seeds if (s, m) in mean_rate]
                if sign > 0 and not level < 1:
                    sums = self._grad_sq(records, m)
                    unmet[m] = f"{level:.3g}× the base at m = {m} " + (
                        "(squared gradients' sum not measured)" if math.isnan(sums) else
                        f"(squared gradients summed to {sums:.3g} per weight, below {1 - TF_ACCUMULATOR:g}: the rate "
                        f"cannot fall below the base within this run's {cfg['steps']} steps)" if sums < 1 - TF_ACCUMULATOR
                        else f"(squared gradients summed to {sums:.3g} per weight, past {1 - TF_ACCUMULATOR:g}, yet "
                        "the weights' sums are uneven enough that the mean rate stays above the base)")
                    each[m] = premise_not_met(f"AdaGrad's effective rate ends at {unmet[m]} (median), not below it")
                parts.append(f"m = {m}: {'above' if sign > 0 else 'below'} GD's in {sum(x > 0 for x in d)} of {len(d)} "
                             f"seeds (median log ratio {sign * np.median(d) if d else math.nan:.3g}, seed spread "
                             f"{floor:.3g}; AdaGrad's effective rate ends at {level:.3g}× base, its time-average "
                             f"{float(np.median(mean)) / cfg['base_lr'] if mean else math.nan:.3g}× (medians); {each[m]})")
            verdict = (gate if judged else premise_not_met(f"GD is stable at θ₀ at none of m = {group}{note}"))
            if sign < 0:
                verdict = verdict or rates_premise
            every = self._every(each, "m")
            if unmet and every != NOT_REPRODUCED:
                # a width whose premise fails leaves the "at each m" claim unjudged there; a width shown not to
                # hold still decides the row (_every)
                verdict = verdict or premise_not_met(
                    f"AdaGrad's effective rate ends at {', '.join(unmet.values())} (medians), not below it, where 004 "
                    f"Sect. 2.2 has the narrow nets' G_t grow so that it falls (\"greatly reduced from this base value\" "
                    f"at m = 10); TensorFlow's accumulator {TF_ACCUMULATOR:g} starts it at √(1/{TF_ACCUMULATOR:g})× "
                    f"base, so below the base needs the accumulator above 1, the squared gradients' sum above "
                    f"{1 - TF_ACCUMULATOR:g} per weight (the rate a mean over W¹)")
            out.append(Claim(
                f"AdaGrad: {text} (at each m ∈ {judged or group}, final loss after {cfg['steps']} steps)",
                "004 Sect. 2.2 (\"number of neurons = 10, 100\" and \"= 1000, 10000\"), Fig. 2 (left) against Fig. 1 (left)",
                f"AdaGrad's final loss against GD's, each width judged on its own: {'; '.join(parts) or '—'}{note}",
                verdict or every))
        mv = self._per_seed(records, "adagrad", "final_movement")
        d, trend, size = self._trend_verdict(mv, seeds, widths)
        out.append(Claim("AdaGrad: the hidden units move less from their initialization in wider networks",
                         "004 Sect. 2.2, Fig. 2 (middle), Eq. (4) max_r‖w_r(t) − w_r(0)‖",
                         f"movement falls with the width (rank correlation < 0 over m ∈ {widths}) in "
                         f"{sum(x > 0 for x in d)} of {len(d)} seeds (median −ρ {np.median(d) if d else math.nan:.2f}){size}",
                         gate or trend))
        return out

    def _rmsprop_over_time(self, cfg, records):
        """004 Fig. 3: RMSprop's effective rate grows over training at every width (per seed,
        log of the last recorded rate over the first one after step 0), and its loss
        oscillates more than AdaGrad's (per seed, the median over the widths of the log ratio
        of the two methods' oscillation: the path length Σ|Δ log loss| of the recorded losses
        over the net decrease |log(final/initial)|, 1 for a monotone decay). Floors: per width the
        larger seed spread of the first and the last log rate; the larger seed spread of the two
        methods' per-seed log oscillation (that row also needs TensorFlow's AdaGrad, _adagrad_gate)."""
        seeds, widths = cfg["seeds"], sorted(cfg["widths"])
        rs = [r for r in records if r["sweep"] == "width" and r["optimizer"] == "rmsprop"]
        grow, ends = {}, ({}, {})
        for r in rs:
            e = [v for v in r["effective_lr"][1:] if math.isfinite(v) and v > 0]
            if len(e) > 1:
                grow[(r["seed"], r["width"])] = math.log(e[-1] / e[0])
                ends[0][(r["seed"], r["width"])], ends[1][(r["seed"], r["width"])] = math.log(e[0]), math.log(e[-1])
        floor = {m: self._floor(*({k: v for k, v in end.items() if k[1] == m} for end in ends)) for m in widths}
        each = {m: direction([grow[(s, m)] for s in seeds if (s, m) in grow], len(seeds), "seeds", floor[m])
                for m in widths}
        failed = [m for m, v in each.items() if v == NOT_REPRODUCED]
        open_ = [m for m, v in each.items() if v not in (REPRODUCED, NOT_REPRODUCED)]
        out = [Claim(f"RMSprop (γ = {cfg['rmsprop_gamma']}): the effective rate increases over training at every width",
                     "004 Sect. 2.4, Fig. 3 (right)",
                     "; ".join(f"m = {m}: last/first rate median "
                               f"{math.exp(np.median([grow[(s, m)] for s in seeds if (s, m) in grow])):.3g}×, up in "
                               f"{sum(grow[(s, m)] > 0 for s in seeds if (s, m) in grow)} of "
                               f"{sum((s, m) in grow for s in seeds)} seeds, seed spread of the log rate {floor[m]:.3g} "
                               f"({each[m]})" for m in widths if any((s, m) in grow for s in seeds)) or "—",
                     NOT_REPRODUCED if failed else f"{INCONCLUSIVE}: undecided at m = {open_}" if open_ else REPRODUCED)]
        if "adagrad" in cfg["optimizers"]:
            osc = {o: {(r["seed"], r["width"]): self._oscillation(r["train_loss"]) for r in records
                       if r["sweep"] == "width" and r["optimizer"] == o} for o in ("rmsprop", "adagrad")}
            pair = [k for k, v in osc["rmsprop"].items() if k in osc["adagrad"] and math.isfinite(v) and v > 0
                    and math.isfinite(osc["adagrad"][k]) and osc["adagrad"][k] > 0]
            d = per_seed({k: math.log(osc["rmsprop"][k] / osc["adagrad"][k]) for k in pair})
            floor = self._floor(*({k: math.log(osc[o][k]) for k in pair} for o in ("rmsprop", "adagrad")))
            out.append(Claim("RMSprop's training loss oscillates more than AdaGrad's",
                             "004 Sect. 2.4, Fig. 3 (left)",
                             f"oscillation (path length of log loss over its net decrease, recorded every "
                             f"{cfg['record_every']} steps) above AdaGrad's in {sum(x > 0 for x in d)} of {len(d)} seeds "
                             f"(median over the widths; median log ratio {np.median(d) if d else math.nan:.3g}, seed "
                             f"spread {floor:.3g})", self._adagrad_gate(records) or direction(d, len(seeds), "seeds", floor)))
        return out

    @staticmethod
    def _oscillation(loss) -> float:
        """Σ|Δ log loss| over |log(last/first)| of the recorded losses (1 for a monotone
        decay); NaN when a loss is not finite and positive or the net change is 0."""
        v = np.asarray(loss, float)
        if v.size < 2 or not np.all(np.isfinite(v)) or np.any(v <= 0):
            return math.nan
        lv = np.log(v)
        net = abs(lv[-1] - lv[0])
        return float(np.abs(np.diff(lv)).sum() / net) if net > 0 else math.nan

    def claims(self, cfg, records):
        out, seeds = [], cfg["seeds"]
        widths = sorted(cfg["widths"])
        stable, eta = self._stable(records)
        off = [m for m in widths if m not in stable]
        note = (f"; GD unstable at θ₀ (η·λ_max ≥ {STABLE:g}) at m = {off}: "
                + ", ".join(f"{eta.get(m, math.nan):.2g}" for m in off) + ", left out") if off else ""
        if "gd" in cfg["optimizers"]:
            gd = [r for r in records if r["sweep"] == "width" and r["optimizer"] == "gd"]
            steps = {(r["seed"], r["width"]): self._steps_to(r) for r in gd}
            mv = self._per_seed(records, "gd", "final_movement")
            scope = f" (m ≤ {max(stable)}, where GD is stable at θ₀)" if stable else ""
            for values, text, fig, what in (
                    (steps, f"GD: wider networks converge faster (fewer steps to {REACH:g}× the initial loss){scope}",
                     "004 Fig. 1 (left)", "steps"),
                    (mv, f"GD: the hidden units move less from their initialization in wider networks{scope}",
                     "004 Fig. 1 (middle), Eq. (4) max_r‖w_r(t) − w_r(0)‖", "movement")):
                d, trend, size = self._trend_verdict(values, seeds, stable)
                verdict = None
                if len(stable) < 3:
                    verdict = premise_not_met(f"GD stable at θ₀ at only {len(stable)} widths{note}")
                elif what == "steps":
                    verdict = self._gd_trains(cfg, gd, stable)
                    if verdict:  # no run has a step count: the ranks and the size are of the cap (next29-e)
                        size = f"; size: not measured (no GD run reaches {REACH:g}× its initial loss)"
                tied = {v for k, v in values.items() if k[1] in stable}
                ranks = (f"in {sum(x > 0 for x in d)} of {len(d)} seeds (median −ρ {np.median(d):.2f})" if d else
                         f"in no seed (every run ties at {tied.pop():g}: nothing to rank)" if len(tied) == 1 else
                         "in no seed (none has a value at every stable width to rank)")
                out.append(Claim(text, fig, f"{what} falls with the width (rank correlation < 0 over the stable m ∈ "
                                 f"{stable}) {ranks}{size}{note}",
                                 verdict or trend))
        base = cfg["base_lr"]
        wide = [m for m in widths if m >= 1000]
        if "adagrad" in cfg["optimizers"] and wide:
            e = self._per_seed(records, "adagrad", "final_effective_lr")
            premise = self._gradients_shrink(cfg, records)
            # The m = widths[0] half can pass only once AdaGrad's squared gradients have summed past 1 − accumulator
            # per weight (the mean over W¹; short of it the mean rate is above the base by Jensen): where the median
            # seed's m = widths[0] run stays short the row is premise not met, and not reproduced then only if the
            # wide half alone is shown false; otherwise every seed is judged, a short one counting against the claim
            # (next31, an audit of issue 25 and its pre-run reviews: on 620–627 the row read not reproduced from a
            # half whose sum was not measured).
            needed, narrow = 1 - TF_ACCUMULATOR, widths[0]
            sums = self._grad_sq(records, narrow)
            d = [min([math.log(e[(s, m)] / base) for m in wide] + [math.log(base / e[(s, narrow)])]) for s in seeds
                 if all((s, m) in e for m in wide + [narrow])]
            # The floor: the larger seed spread of the log rate at the widths compared with the base.
            floor = self._floor(*({(s, m): math.log(e[(s, m)]) for s in seeds if (s, m) in e} for m in [narrow] + wide))
            wide_d = [min(math.log(e[(s, m)] / base) for m in wide) for s in seeds if all((s, m) in e for m in wide)]
            wide_floor = self._floor(*({(s, m): math.log(e[(s, m)]) for s in seeds if (s, m) in e} for m in wide))
            verdict = self._adagrad_gate(records) or premise
            if not verdict and direction(wide_d, len(seeds), "seeds", wide_floor) == NOT_REPRODUCED:
                verdict = NOT_REPRODUCED
            elif not verdict and math.isnan(sums):
                verdict = (f"{INCONCLUSIVE}: the squared gradients' sum at m = {narrow} was not measured (no run "
                           "recorded final_grad_sq)")
            elif not verdict and sums < needed:
                verdict = premise_not_met(
                    f"at m = {narrow} AdaGrad's squared gradients summed over the run reach {sums:.3g} per weight of W¹ "
                    f"(median over seeds), short of the {needed:g} that TensorFlow's accumulator {TF_ACCUMULATOR:g} "
                    f"needs before the mean rate can fall below the base: within this run's {cfg['steps']} steps that "
                    "half cannot pass")

            def at(m):
                v = self._grad_sq(records, m)
                return (f"m = {m}: median {np.median([e[(s, m)] for s in seeds if (s, m) in e]) / base:.3g}× base "
                        + ("(squared gradients' sum not measured)" if math.isnan(v) else
                           f"(squared gradients' sum {v:.3g} per weight)"))
            out.append(Claim(f"AdaGrad: the hidden layer's effective rate ends above the base {base} for the wide nets "
                             f"(m ≥ 1000) and below it for m = {narrow}",
                             "004 Sect. 2.2, Fig. 2 (right); the rate as the mean of η/(√G + ε) over W¹; premise of the "
                             f"m = {narrow} half: the squared gradients summed to at least {needed:g} per weight in the "
                             f"median seed (TensorFlow's accumulator {TF_ACCUMULATOR:g} starts the rate at "
                             f"√(1/{TF_ACCUMULATOR:g})× base, so the wide half holds from θ₀ until the sum passes that)",
                             ", ".join(at(m) for m in [narrow] + wide if any((s, m) in e for s in seeds))
                             + f"; the claimed ordering in {sum(x > 0 for x in d)} of {len(d)} seeds (median margin "
                             f"{np.median(d) if d else math.nan:.3g} in log rate, seed spread {floor:.3g}); the wide "
                             f"half alone in {sum(x > 0 for x in wide_d)} of {len(wide_d)} seeds",
                             verdict or direction(d, len(seeds), "seeds", floor)))
        if {"gd", "adagrad"} <= set(cfg["optimizers"]):
            out += self._adagrad_against_gd(cfg, records, stable, note, self._gradients_shrink(cfg, records))
        if "rmsprop" in cfg["optimizers"]:
            e = self._per_seed(records, "rmsprop", "final_effective_lr")
            # per width against the fixed 300× base: the floor is the seed spread of the log rate there.
            each = {m: direction([math.log(e[(s, m)] / (300 * base)) for s in seeds if (s, m) in e], len(seeds), "seeds",
                                 spread([math.log(e[(s, m)]) for s in seeds if (s, m) in e])) for m in widths}
            failed = [m for m, v in each.items() if v == NOT_REPRODUCED]
            open_ = [m for m, v in each.items() if v not in (REPRODUCED, NOT_REPRODUCED)]
            verdict = self._gradients_shrink(cfg, records) or (
                NOT_REPRODUCED if failed else f"{INCONCLUSIVE}: undecided at m = {open_}" if open_ else REPRODUCED)
            out.append(Claim(f"RMSprop (γ = {cfg['rmsprop_gamma']}): the effective rate is at least 300× the base "
                             "at every width", "004 Sect. 2.4, Fig. 3 (right)",
                             "; ".join(f"m = {m}: median {np.median([e[(s, m)] for s in seeds if (s, m) in e]) / base:.3g}× "
                                       f"base, {sum(e[(s, m)] >= 300 * base for s in seeds if (s, m) in e)} of "
                                       f"{sum((s, m) in e for s in seeds)} seeds ({each[m]})"
                                       for m in widths if any((s, m) in e for s in seeds)) or "—",
                             verdict))
            out += self._rmsprop_over_time(cfg, records)
            a = self._per_seed(records, "rmsprop", "final_movement")
            for other, over in (("adagrad", widths), ("gd", stable)):
                if other not in cfg["optimizers"]:
                    continue
                # 004 Sect. 2.4: "these inflated rates shift the weight vectors of our hidden layer further
                # from their initializations, when compared to both Adagrad and standard gradient descent";
                # per seed the median over the widths (GD's where it is stable at θ₀) of the log ratio.
                b = self._per_seed(records, other, "final_movement")
                # At equal steps, as 004 Figs. 1–3 (middle) plot the movement over the same steps: 004's claim is
                # about what the inflated rates do in that time, not at equal loss.
                pair = [(s, m) for s in seeds for m in over if (s, m) in a and (s, m) in b]
                d = per_seed({k: math.log(a[k] / b[k]) for k in pair})
                floor = self._floor({k: math.log(a[k]) for k in pair}, {k: math.log(b[k]) for k in pair})
                gate = self._adagrad_gate(records) if other == "adagrad" else None
                out.append(Claim(f"RMSprop moves the hidden units further from their initialization than "
                                 f"{'AdaGrad' if other == 'adagrad' else 'GD'}", "004 Sect. 2.4",
                                 f"further in {sum(v > 0 for v in d)} of {len(d)} seeds (per seed the median over m ∈ "
                                 f"{over} of the log ratio of the movements after {cfg['steps']} steps, equal steps as "
                                 f"004 plots them; median {np.median(d) if d else math.nan:.3g}, seed spread {floor:.3g})",
                                 gate or direction(d, len(seeds), "seeds", floor)))
        lo_s, hi_s = min(cfg["init_scales"]), max(cfg["init_scales"])
        scale = [r for r in records if r["sweep"] == "scale"]
        # The movement stays relative to the initial norm: with ReLU positively homogeneous and a
        # frozen it scales like std by itself; 004's claim is about more than that.
        # The loss row is judged on 004's own metric, the absolute loss Fig. 5 plots ("keeping the
        # standard deviation low does in fact improve errors over time"), behind the premise below.
        abs_loss = {(r["seed"], r["scale"]): r["final_loss"] for r in scale
                    if math.isfinite(r["final_loss"]) and r["final_loss"] > 0}
        rel_mv = {(r["seed"], r["scale"]): r["relative_movement"] for r in scale
                  if math.isfinite(r.get("relative_movement", math.nan)) and r["relative_movement"] > 0}
        # 004's reading (Sect. 3.3): a small std makes the output hover close to zero, the premise of
        # lazy training. With a frozen and ReLU homogeneous, std σ is training at std 1 on targets y/σ,
        # so where the output is not close to zero at the smaller std the sweep only rescales the targets.
        small = self._outputs_small([r for r in scale if r["scale"] == lo_s], f"at std {lo_s}", cfg["init"])
        # Beside the loss row (next28): how much of its order θ₀ sets (_start_note).
        at_scale = {x: {(r["seed"],): r for r in scale if r["scale"] == x} for x in (lo_s, hi_s)}
        for v, text, sign in ((abs_loss, f"a smaller initialization std gives a lower loss after {cfg['steps']} steps "
                               f"(004's absolute loss, as Fig. 5 plots it; std {lo_s} against {hi_s}, m = "
                               f"{cfg['scale_width']})", 1),
                              (rel_mv, "a smaller initialization std moves the hidden units more, relative to their "
                               "initial norm", -1)):
            d = [sign * math.log(v[(s, hi_s)] / v[(s, lo_s)]) for s in seeds if (s, lo_s) in v and (s, hi_s) in v]
            # Both arms' seed spreads (next28: the std-0.25 arm's alone before), as every paired row.
            floor = self._floor(*({(s,): math.log(v[(s, x)]) for s in seeds if (s, x) in v} for x in (lo_s, hi_s)))
            start = self._start_note(at_scale[lo_s], at_scale[hi_s]) if v is abs_loss else ""
            out.append(Claim(text, "004 Sect. 3.3, Fig. 5 (GD here; 004 used SGD)",
                             f"in {sum(x > 0 for x in d)} of {len(d)} seeds (median log ratio "
                             f"{np.median(d) if d else math.nan:.3g}, seed spread {floor:.3g}){start}",
                             small or direction(d, len(seeds), "seeds", floor)))
        gap = {(r["seed"], r["scale"]): r["test_loss"] - r["final_loss"] for r in scale
               if math.isfinite(r.get("test_loss", math.nan)) and math.isfinite(r["final_loss"])}
        d = [gap[(s, hi_s)] - gap[(s, lo_s)] for s in seeds if (s, lo_s) in gap and (s, hi_s) in gap]
        floor = self._floor(*({(s,): gap[(s, x)] for s in seeds if (s, x) in gap} for x in (lo_s, hi_s)))
        out.append(Claim(f"a larger initialization std widens the gap between test and training loss (std {hi_s} "
                         f"against {lo_s}, m = {cfg['scale_width']}, after {cfg['steps']} steps)",
                         "004 Sect. 3.3, Fig. 6 (GD here; 004 used SGD)",
                         f"wider in {sum(x > 0 for x in d)} of {len(d)} seeds (median widening "
                         f"{np.median(d) if d else math.nan:.3g}, the larger seed spread of the gap at the two stds {floor:.3g}; "
                         f"{cfg['n_test']} test points)", small or direction(d, len(seeds), "seeds", floor)))
        if cfg.get("alphas"):
            out += self._alpha_claims(cfg, records)
        if cfg.get("alphas") and cfg.get("hidden_layers"):
            out += self._depth_claims(cfg, records)
        return out

    def _depth_claims(self, cfg, records):
        """004 Fig. 8 at m = depth_width: the deep nets reach a lower loss than the shallow ones
        whatever α, and move their weights much less (Eq. (14)). Judged at each α on its own
        (per seed the log ratio at equal steps, as Fig. 8 plots both; its floor the larger seed
        spread of the two depths' log values; one verdict per claim, not reproduced if some α is
        not), over the seeds whose runs at both depths are stable at θ₀ (η·λ_max < 2: beyond it
        GD at the base rate catapults, which no depth effect explains). No premise on the output at
        initialization (next24, a pre-run review): 004 states both "regardless of model scaling" and
        explains them by depth amplifying small parameter changes into large changes of the NTK, not
        by lazy training, so an output far from zero (α = 10 gives 10·f(θ₀)) is 004's own setting;
        the median RMS f(θ₀)/RMS y per depth and α is reported, and beside the loss row at each α
        how much of its order θ₀ sets (:meth:`_start_note`, next28)."""
        seeds, alphas = cfg["seeds"], sorted(cfg["alphas"])
        lo, hi = min(cfg["hidden_layers"]), max(cfg["hidden_layers"])
        rs = [r for r in records if r["sweep"] == "depth"]
        ok = {(r["seed"], r["alpha"], r["hidden"]): r for r in rs if math.isfinite(r.get("final_loss", math.nan))
              and r["final_loss"] > 0 and math.isfinite(r.get("mean_layer_movement", math.nan))
              and r["mean_layer_movement"] > 0 and r.get("eta_lambda", math.inf) < STABLE}
        unstable = sum(not r.get("eta_lambda", math.inf) < STABLE for r in rs)
        out = []
        for key, text, ref in (("final_loss", f"at width {cfg['depth_width']}, nets with {hi} hidden layers reach a "
                                f"lower loss than nets with {lo}, whatever α ∈ {alphas}", "004 Sect. 3.3, Fig. 8 (left)"),
                               ("mean_layer_movement", f"at width {cfg['depth_width']}, nets with {hi} hidden layers "
                                f"move their weights less than nets with {lo} (Eq. (14)), whatever α",
                                "004 Sect. 3.3, Fig. 8 (right), Eq. (14)")):
            each, parts = {}, []
            for a in alphas:
                both = [s for s in seeds if (s, a, lo) in ok and (s, a, hi) in ok]
                d = [math.log(ok[(s, a, lo)][key] / ok[(s, a, hi)][key]) for s in both]
                floor = self._floor(*({(s,): math.log(ok[(s, a, h)][key]) for s in both} for h in (lo, hi)))
                each[a] = direction(d, len(seeds), "seeds", floor)
                control = (self._start_note(*({(s,): ok[(s, a, h)] for s in both} for h in (hi, lo)))
                           if key == "final_loss" else "")
                parts.append(f"α = {a:g}: in {sum(x > 0 for x in d)} of {len(d)} stable seeds (median log({lo}-layer / "
                             f"{hi}-layer) {np.median(d) if d else math.nan:.3g}, seed spread {floor:.3g}{control}; RMS f(θ₀) / "
                             f"RMS y median {self._output_ratio(rs, alpha=a, hidden=lo):.3g} ({lo}-layer), "
                             f"{self._output_ratio(rs, alpha=a, hidden=hi):.3g} ({hi}-layer); {each[a]})")
            verdict = self._every(each, "α")
            out.append(Claim(text, ref, "; ".join(parts) + f"; after {cfg['steps']} steps, equal steps as 004 Fig. 8 "
                             f"plots them; {unstable} of {len(rs)} runs left out as unstable at θ₀ "
                             f"(η·λ_max ≥ {STABLE:g})", verdict))
        return out

    def _alpha_claims(self, cfg, records):
        """004 Fig. 7 over the widths at which GD with both layers trained is stable at θ₀ (the
        median η·λ_max < 2 for every α): the hidden units move less the wider the net, at
        every α; a larger α moves them less; a smaller α converges better (Eq. (13)'s loss; beside
        it how much of its order θ₀ sets: :meth:`_start_note`, next28)."""
        seeds, widths, alphas = cfg["seeds"], sorted(cfg["alpha_widths"]), sorted(cfg["alphas"])
        rs = [r for r in records if r["sweep"] == "alpha"]
        eta = {}
        for r in rs:
            if math.isfinite(r.get("eta_lambda", math.nan)):
                eta.setdefault(r["width"], []).append(r["eta_lambda"])
        stable = [m for m in widths if m in eta and float(np.median(eta[m])) < STABLE]
        off = [m for m in widths if m not in stable]
        note = (f"; GD with both layers unstable at θ₀ (η·λ_max ≥ {STABLE:g}) at m = {off}, left out" if off else "")
        ok = [r for r in rs if math.isfinite(r.get("final_loss", math.nan)) and r["final_loss"] > 0
              and math.isfinite(r.get("final_movement", math.nan)) and r["final_movement"] > 0]
        mv = {(r["seed"], r["alpha"], r["width"]): r["final_movement"] for r in ok}
        loss = {(r["seed"], r["alpha"], r["width"]): r["final_loss"] for r in ok}
        runs = {(r["seed"], r["alpha"], r["width"]): r for r in ok}
        premise = premise_not_met(f"GD stable at θ₀ at only {len(stable)} widths{note}") if len(stable) < 3 else None
        # No premise on the output at initialization (next24, a pre-run review: at α = 10 the output is
        # 10·f(θ₀), so it could never pass and every row read premise not met): 004 Fig. 7 trains Eq. (12)
        # with Eq. (13)'s 1/α² loss as Chizat et al. do and states its findings "regardless of scaling";
        # the output is 004's own setting, reported per α beside the rows.
        outs = "; RMS f(θ₀) / RMS y median " + ", ".join(
            f"{self._output_ratio([r for r in rs if r['width'] in stable], alpha=a):.3g} at α = {a:g}" for a in alphas)
        each = {a: self._trend_verdict({(s, m): mv[(s, a2, m)] for s, a2, m in mv if a2 == a}, seeds, stable)[1]
                for a in alphas}
        out = [Claim(f"with the output scaled by α and both layers trained, the hidden units move less the wider the "
                     f"net, at every α (m ≤ {max(stable) if stable else '—'})",
                     "004 Sect. 3.3, Fig. 7 (middle), Eqs. (12)–(13) (GD here; 004 used SGD)",
                     "; ".join(f"α = {a:g}: {each[a]}" for a in alphas) + f" (over the stable m ∈ {stable}){note}{outs}",
                     premise or self._every(each, "α"))]
        lo, hi = alphas[0], alphas[-1]
        for values, text, ref in ((mv, f"a larger output scale moves the hidden units less (α = {hi:g} against {lo:g})",
                                   "004 Sect. 3.3, Fig. 7 (middle)"),
                                  (loss, f"a smaller output scale converges better (lower Eq. (13) loss after "
                                   f"{cfg['steps']} steps, α = {lo:g} against {hi:g})", "004 Sect. 3.3, Fig. 7 (left)")):
            pair = [(s, m) for s in seeds for m in stable if (s, hi, m) in values and (s, lo, m) in values]
            d = per_seed({(s, m): math.log(values[(s, hi, m)] / values[(s, lo, m)]) * (-1 if values is mv else 1)
                          for s, m in pair})
            floor = self._floor(*({(s, m): math.log(values[(s, a, m)]) for s, m in pair} for a in (lo, hi)))
            control = (self._start_note(*({(s, m): runs[(s, a, m)] for s, m in pair} for a in (lo, hi)))
                       if values is loss else "")
            out.append(Claim(text, ref, f"in {sum(x > 0 for x in d)} of {len(d)} seeds (per seed the median log ratio "
                             f"over the stable m ∈ {stable}: {np.median(d) if d else math.nan:.3g}, seed spread "
                             f"{floor:.3g}){control}{note}{outs}", premise or direction(d, len(seeds), "seeds", floor)))
        return out
