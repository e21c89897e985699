"""004: width versus convergence under GD/AdaGrad/RMSprop in 004's own setting — the
one-hidden-layer net of its Eq. (1), f(x) = Σ_r a_r relu(w_rᵀx) (no 1/√m: its footnote 1),
a_r = ±1 fixed and only W trained, its loss Eq. (2) (1/n)Σ(f − y)² (not ½: its
footnote 2), a fixed base rate 5·10⁻⁴ (RMSprop γ = 0.9), x ~ U(−1, 1)^d, y ~ N(0, 1) —
with the weight movement max_r‖w_r(t) − w_r(0)‖ (its Eq. 4), the hidden layer's effective
learning rate, and the init-scale sweep."""
from __future__ import annotations

import math

import numpy as np

from .. import datasets, plots
from ..dynamics import train
from ..model import MLP
from ._base import Experiment, legend, save_figure
from ._verdict import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, direction, per_seed, spread

# fastntk's squared loss is ½·mean((f − y)²); 004's is mean((f − y)²) = ½·mean((√2f − √2y)²):
# the net's output and the targets are scaled by √2, which makes the loss, the gradient
# in W and so every optimizer's step exactly 004's.
LOSS_SCALE = math.sqrt(2.0)


def net_004(d: int, m: int, seed: int, scale: float = 1.0):
    """004's model: the standard parametrization (θ is the weights themselves, c_l = 1),
    W¹ ~ N(0, scale²), W² = √2·a with a = ±1 (frozen; √2 is LOSS_SCALE), no biases."""
    net = MLP([d, m, 1], parametrization="standard", bias="none", dtype=np.float64)
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((m, d)) * scale
    a = np.where(rng.random((1, m)) < 0.5, -1.0, 1.0)
    return net, [W1, LOSS_SCALE * a]


class Width(Experiment):
    name = "width"
    title = "Width, convergence and weight movement (004's setting)"
    paper = "Kondracki, Roy, Dwarakanath (004 Sect. 2, Figs. 1–3, 5)"
    presets = {
        "quick": dict(data="gaussian:100", n_train=100, n_test=10, data_seed=0, widths=[10, 100, 1000, 4000],
                      optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2, 3, 4], steps=1000, record_every=20,
                      base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 1.0, 4.0]),
        # Seeds 10–17: new for the rerun in 004's own model (the 2026-12-02 runs used 0–2 and 1/√m).
        "standard": dict(data="gaussian:200", n_train=200, n_test=10, data_seed=0, widths=[10, 100, 1000, 10000],
                         optimizers=["gd", "adagrad", "rmsprop"], seeds=list(range(10, 18)), steps=2000, record_every=20,
                         base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 1.0, 4.0]),
        "paper": dict(data="gaussian:1000", n_train=1000, n_test=10, data_seed=0, widths=[10, 100, 1000, 10000],
                      optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2], steps=10000, record_every=50,
                      base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 0.5, 1.0, 2.0, 4.0]),
    }

    def jobs(self, cfg):
        jobs = [dict(sweep="width", width=m, optimizer=o, scale=1.0, seed=s)
                for m in cfg["widths"] for o in cfg["optimizers"] for s in cfg["seeds"]]
        jobs += [dict(sweep="scale", width=cfg["scale_width"], optimizer="gd", scale=sc, seed=s)
                 for sc in cfg["init_scales"] for s in cfg["seeds"]]
        return jobs

    def _data(self, cfg):
        name, _, arg = cfg["data"].partition(":")
        if name != "gaussian":
            raise ValueError(f"width: 004's setting is the Gaussian regression data (gaussian:d), not {cfg['data']!r}")
        # 004's inputs are x ~ U(−1, 1)^d as drawn, not scaled onto the sphere.
        return datasets.gaussian_regression(cfg["n_train"], cfg["n_test"], d=int(arg or 1000),
                                            seed=cfg["data_seed"], normalize=None)

    def run_job(self, cfg, job, ctx):
        ds = self._data(cfg)
        net, params = net_004(ds.d, job["width"], job["seed"], job["scale"])
        hyper = {"alpha": cfg["rmsprop_gamma"]} if job["optimizer"] == "rmsprop" else {}
        res = ctx.check(train(net, params, ds.X, LOSS_SCALE * ds.Y, optimizer=job["optimizer"], lr=cfg["base_lr"], tol=1e-300,
                              max_steps=cfg["steps"], record_every=cfg["record_every"], train_layers=[1],
                              divergence_factor=1e300, callback=ctx.callback, **hyper))
        h = res.history
        w0 = float(np.linalg.norm(params[0], axis=1).mean())
        return dict(status=res.status, lr=res.lr, step=h["step"], train_loss=h["train_loss"],
                    movement=h["max_unit_movement"], effective_lr=h["effective_lr"],
                    final_loss=float(h["train_loss"][-1]), final_movement=float(h["max_unit_movement"][-1]),
                    final_effective_lr=float(h["effective_lr"][-1]),
                    relative_movement=float(h["max_unit_movement"][-1] / w0))

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(4, width=3.4)
        rs = [r for r in records if r["sweep"] == "width"]
        ls = {o: s for o, s in zip(cfg["optimizers"], ["-", "--", ":", "-."])}
        for r in rs:
            c = plots.plt.cm.viridis(cfg["widths"].index(r["width"]) / max(1, len(cfg["widths"]) - 1))
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
            axes[3].set_xlabel("init scale (std of W¹)")
            axes[3].set_ylabel("relative first-layer movement")
        return save_figure(fig, out, "width")

    def summary(self, cfg, records):
        lines = []
        for opt in cfg["optimizers"]:
            rs = sorted((r["width"], r["final_movement"], r["final_loss"], r["final_effective_lr"]) for r in records
                        if r["sweep"] == "width" and r["optimizer"] == opt)
            if rs:
                line = (f"- {opt}: final max unit movement " + ", ".join(f"m={w}: {mv:.3g}" for w, mv, _, _ in rs)
                        + "; final training loss " + ", ".join(f"{tl:.2g}" for _, _, tl, _ in rs))
                if opt != "gd":
                    line += "; effective rate / base " + ", ".join(f"{e / cfg['base_lr']:.3g}" for *_, e in rs)
                lines.append(line + ".")
        sc = sorted((r["scale"], r["relative_movement"]) for r in records if r["sweep"] == "scale")
        if sc:
            lines.append("- init scale → relative movement: " + ", ".join(f"{s}: {v:.3g}" for s, v in sc) + ".")
        lines.append(f"- Setting (004 Sect. 1): f = Σ_r a_r relu(w_rᵀx) without 1/√m, loss (1/n)Σ(f − y)², only the "
                     f"hidden layer trained, base rate {cfg['base_lr']}, RMSprop γ = {cfg['rmsprop_gamma']}, "
                     f"{cfg['steps']} full-batch steps, x ~ U(−1, 1)^d unscaled. Runs are compared at equal steps, as "
                     "004 compares them; a run whose loss is not finite is left out.")
        return lines

    def _per_seed(self, records, opt, key, sweep="width", x="width"):
        rs = [r for r in records if r["sweep"] == sweep and r["optimizer"] == opt
              and math.isfinite(r.get("final_loss", math.nan)) and math.isfinite(r.get(key, math.nan)) and r[key] > 0]
        return {(r["seed"], r[x]): r[key] for r in rs}

    @staticmethod
    def _trend(values, seeds, xs):
        """Per seed with a value at every x: −(Spearman rank correlation of x and log value),
        positive when the value falls as x grows."""
        out = []
        for s in seeds:
            if all((s, x) in values for x in xs):
                rx = np.argsort(np.argsort(xs))
                ry = np.argsort(np.argsort([math.log(values[(s, x)]) for x in xs]))
                out.append(-float(np.corrcoef(rx, ry)[0, 1]))
        return out

    def claims(self, cfg, records):
        out, seeds = [], cfg["seeds"]
        widths = sorted(cfg["widths"])
        lo_m = widths[0]
        if "gd" in cfg["optimizers"]:
            for key, text, fig in (("final_loss", "GD: wider networks converge faster (lower loss after the same steps)",
                                    "004 Fig. 1 (left)"),
                                   ("final_movement", "GD: the hidden units move less from their initialization in "
                                    "wider networks", "004 Fig. 1 (middle), Eq. (4) max_r‖w_r(t) − w_r(0)‖")):
                v = self._per_seed(records, "gd", key)
                d = self._trend(v, seeds, widths)
                out.append(Claim(text, fig, f"falls with the width (rank correlation < 0 over m ∈ {widths}) in "
                                 f"{sum(x > 0 for x in d)} of {len(d)} seeds (median −ρ "
                                 f"{np.median(d) if d else math.nan:.2f})", direction(d, len(seeds), "seeds")))
        base = cfg["base_lr"]
        wide = [m for m in widths if m >= 1000]
        if "adagrad" in cfg["optimizers"] and wide:
            e = self._per_seed(records, "adagrad", "final_effective_lr")
            d = [min([math.log(e[(s, m)] / base) for m in wide] + [math.log(base / e[(s, lo_m)])]) for s in seeds
                 if all((s, m) in e for m in wide + [lo_m])]
            out.append(Claim(f"AdaGrad: the hidden layer's effective rate ends above the base {base} for the wide nets "
                             f"(m ≥ 1000) and below it for m = {lo_m}", "004 Sect. 2.2, Fig. 2 (right)",
                             ", ".join(f"m = {m}: {np.mean([e[(s, m)] for s in seeds if (s, m) in e]) / base:.3g}× base"
                                       for m in [lo_m] + wide if any((s, m) in e for s in seeds)),
                             direction(d, len(seeds), "seeds")))
        if "rmsprop" in cfg["optimizers"]:
            e = self._per_seed(records, "rmsprop", "final_effective_lr")
            each = {m: direction([math.log(e[(s, m)] / (300 * base)) for s in seeds if (s, m) in e], len(seeds), "seeds")
                    for m in widths}
            failed = [m for m, v in each.items() if v == NOT_REPRODUCED]
            open_ = [m for m, v in each.items() if v not in (REPRODUCED, NOT_REPRODUCED)]
            verdict = (NOT_REPRODUCED if failed else
                       f"{INCONCLUSIVE}: undecided at m = {open_}" if open_ else REPRODUCED)
            out.append(Claim(f"RMSprop (γ = {cfg['rmsprop_gamma']}): the effective rate is at least 300× the base "
                             "at every width", "004 Sect. 2.4, Fig. 3 (right)",
                             "; ".join(f"m = {m}: median {np.median([e[(s, m)] for s in seeds if (s, m) in e]) / base:.3g}× "
                                       f"base ({each[m]})" for m in widths if any((s, m) in e for s in seeds)) or "—",
                             verdict))
            if "adagrad" in cfg["optimizers"]:
                a = self._per_seed(records, "rmsprop", "final_movement")
                b = self._per_seed(records, "adagrad", "final_movement")
                d = per_seed({k: math.log(a[k] / b[k]) for k in sorted(set(a) & set(b))})
                out.append(Claim("RMSprop moves the hidden units further from their initialization than AdaGrad",
                                 "004 Sect. 2.4", f"further in {sum(v > 0 for v in d)} of {len(d)} seeds (median over "
                                 "the widths of the log ratio)", direction(d, len(seeds), "seeds")))
        lo_s, hi_s = min(cfg["init_scales"]), max(cfg["init_scales"])
        for key, text, sign in (("final_loss", f"a smaller initialization std gives a lower loss after {cfg['steps']} "
                                 f"steps (std {lo_s} against {hi_s}, m = {cfg['scale_width']})", 1),
                                ("final_movement", "a smaller initialization std moves the hidden units more "
                                 "(max_r‖w_r(t) − w_r(0)‖)", -1)):
            v = {(r["seed"], r["scale"]): r[key] for r in records if r["sweep"] == "scale"
                 and math.isfinite(r.get(key, math.nan)) and r[key] > 0}
            d = [sign * math.log(v[(s, hi_s)] / v[(s, lo_s)]) for s in seeds if (s, lo_s) in v and (s, hi_s) in v]
            floor = spread([math.log(v[(s, lo_s)]) for s in seeds if (s, lo_s) in v])
            out.append(Claim(text, "004 Sect. 3.3, Fig. 5 (GD here; 004 used SGD)",
                             f"in {sum(x > 0 for x in d)} of {len(d)} seeds (median log ratio "
                             f"{np.median(d) if d else math.nan:.3g}, seed spread {floor:.3g})",
                             direction(d, len(seeds), "seeds", floor)))
        return out
