"""004: width versus convergence under GD/AdaGrad/RMSprop in 004's own setting — a
one-hidden-layer net f(x) = (1/√m) Σ_r a_r relu(w_rᵀx) with a_r = ±1 fixed and only the
hidden layer trained, at a fixed base rate 5·10⁻⁴ (RMSprop γ = 0.9), on x ~ U(−1, 1)^d,
y ~ N(0, 1) — with the weight movement max_r‖w_r(t) − w_r(0)‖, the hidden layer's
effective learning rate, and the init-scale sweep."""
from __future__ import annotations

import math

import numpy as np

from .. import datasets, plots
from ..dynamics import train
from ..model import MLP
from ._base import Experiment, legend, save_figure
from ._verdict import Claim, direction


def net_004(d: int, m: int, seed: int, scale: float = 1.0):
    """004's model in fastntk's NTK parametrization: with σ = d^{1/4} the multipliers are
    c₁ = d^{−1/4} and c₂ = d^{1/4}/√m, so c₂c₁ = 1/√m and f is 004's f exactly; W¹ ~
    N(0, scale²), W² = a = ±1 (frozen), no biases."""
    net = MLP([d, m, 1], sigma=d ** 0.25, bias="none", dtype=np.float64)
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((m, d)) * scale
    a = np.where(rng.random((1, m)) < 0.5, -1.0, 1.0)
    return net, [W1, a]


class Width(Experiment):
    name = "width"
    title = "Width, convergence and weight movement (004's setting)"
    paper = "Kondracki, Roy, Dwarakanath (004 Sect. 2, Figs. 1–3, 5)"
    presets = {
        "quick": dict(data="gaussian:100", n_train=100, n_test=10, data_seed=0, widths=[10, 100, 1000, 4000],
                      optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2], steps=1000, record_every=20,
                      base_lr=5e-4, rmsprop_gamma=0.9, scale_width=100, init_scales=[0.25, 1.0, 4.0]),
        "standard": dict(data="gaussian:200", n_train=200, n_test=10, data_seed=0, widths=[10, 100, 1000, 10000],
                         optimizers=["gd", "adagrad", "rmsprop"], seeds=[0, 1, 2], steps=2000, record_every=20,
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
        res = ctx.check(train(net, params, ds.X, ds.Y, optimizer=job["optimizer"], lr=cfg["base_lr"], tol=1e-300,
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
        lines.append(f"- Setting: only the hidden layer trained, base rate {cfg['base_lr']}, RMSprop γ = "
                     f"{cfg['rmsprop_gamma']}, {cfg['steps']} full-batch steps, x ~ U(−1, 1)^d unscaled.")
        return lines

    def _per_seed(self, records, opt, key, sweep="width", x="width"):
        rs = [r for r in records if r["sweep"] == sweep and r["optimizer"] == opt]
        return {(r["seed"], r[x]): r[key] for r in rs}

    def claims(self, cfg, records):
        out, seeds = [], cfg["seeds"]
        lo_m, hi_m = min(cfg["widths"]), max(cfg["widths"])
        if "gd" in cfg["optimizers"]:
            loss = self._per_seed(records, "gd", "final_loss")
            d = [math.log(loss[(s, lo_m)] / loss[(s, hi_m)]) for s in seeds if (s, lo_m) in loss and (s, hi_m) in loss]
            out.append(Claim("GD: wider networks converge faster", "004 Fig. 1 (left)",
                             f"training loss after {cfg['steps']} steps lower at m = {hi_m} than at m = {lo_m} in "
                             f"{sum(v > 0 for v in d)} of {len(d)} seeds", direction(d, len(seeds), "seeds")))
            mv = self._per_seed(records, "gd", "final_movement")
            d = [math.log(mv[(s, lo_m)] / mv[(s, hi_m)]) for s in seeds if (s, lo_m) in mv and (s, hi_m) in mv]
            out.append(Claim("GD: the hidden units move less from their initialization in wider networks",
                             "004 Fig. 1 (middle), max_r‖w_r(t) − w_r(0)‖",
                             f"movement smaller at m = {hi_m} than at m = {lo_m} in {sum(v > 0 for v in d)} of "
                             f"{len(d)} seeds", direction(d, len(seeds), "seeds")))
        base = cfg["base_lr"]
        if "adagrad" in cfg["optimizers"]:
            e = self._per_seed(records, "adagrad", "final_effective_lr")
            wide = [m for m in cfg["widths"] if m >= 1000]
            d = [min(math.log(e[(s, hi_m)] / base), math.log(base / e[(s, lo_m)])) for s in seeds
                 if (s, lo_m) in e and (s, hi_m) in e]
            out.append(Claim(f"AdaGrad: the hidden layer's effective rate ends above the base {base} for wide nets "
                             f"and below it for m = {lo_m}", "004 Sect. 2.2, Fig. 2 (right)",
                             ", ".join(f"m = {m}: {np.mean([e[(s, m)] for s in seeds if (s, m) in e]) / base:.3g}× base"
                                       for m in [lo_m] + wide if any((s, m) in e for s in seeds)),
                             direction(d, len(seeds), "seeds")))
        if "rmsprop" in cfg["optimizers"]:
            e = self._per_seed(records, "rmsprop", "final_effective_lr")
            d = [math.log(v / (300 * base)) for v in e.values()]
            out.append(Claim(f"RMSprop (γ = {cfg['rmsprop_gamma']}): the effective rate is at least 300× the base "
                             "at every width", "004 Sect. 2.4, Fig. 3 (right)",
                             f"effective rate / base from {min(e.values()) / base:.3g} to {max(e.values()) / base:.3g} "
                             f"over {len(e)} runs" if e else "—",
                             direction(d, len(cfg["widths"]) * len(seeds), "runs")))
            if "adagrad" in cfg["optimizers"]:
                a = self._per_seed(records, "rmsprop", "final_movement")
                b = self._per_seed(records, "adagrad", "final_movement")
                d = [math.log(a[k] / b[k]) for k in sorted(set(a) & set(b))]
                out.append(Claim("RMSprop moves the hidden units further from their initialization than AdaGrad",
                                 "004 Sect. 2.4", f"further in {sum(v > 0 for v in d)} of {len(d)} (seed, width) pairs",
                                 direction(d, len(cfg["widths"]) * len(seeds), "pairs")))
        rel = {(r["seed"], r["scale"]): r["relative_movement"] for r in records if r["sweep"] == "scale"}
        lo_s, hi_s = min(cfg["init_scales"]), max(cfg["init_scales"])
        d = [math.log(rel[(s, lo_s)] / rel[(s, hi_s)]) for s in seeds if (s, lo_s) in rel and (s, hi_s) in rel]
        out.append(Claim("a larger initialization scale makes training lazier (less relative weight movement)",
                         "004 Sect. 3, Fig. 5", f"relative movement smaller at scale {hi_s} than {lo_s} in "
                         f"{sum(v > 0 for v in d)} of {len(d)} seeds", direction(d, len(seeds), "seeds")))
        return out
