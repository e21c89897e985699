"""000 Fig. 1's σ panels: GD's test loss at two initialization sizes σ, at each training-set
size. The runs are overparameterization's (the same nested training sets, one test set, the
same width, GD to the same tolerance), at two σ instead of one; the row judges per training-set
size whether the larger σ tests worse, per θ₀. The row is not gated by the kernel regime and its
nets are not lazy at every training-set size: next21's σ = 8 nets at N = 100 lie 0.20–0.25 from
their linearizations (above 0.1), so at that size the row reads the test loss of nets outside the
regime Thm 2 assumes; the laziness is reported per σ and size beside it. (``claims``' docstring
paraphrases 000 Fig. 1 as "at every training-set size"; it is part of the claim rules' fingerprint
and is left as it is.)"""
from __future__ import annotations

import math

import numpy as np

from .. import plots
from ._base import log_axes, plot_grouped, save_figure
from ._verdict import (INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, direction, excluded, lazy_median, spread,
                       usable)
from .overparameterization import Overparameterization


class SigmaBySize(Overparameterization):
    name = "sigma-by-size"
    title = "Test loss versus training-set size at two initialization sizes σ (000 Fig. 1)"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Fig. 1)"
    figure = "000 Fig. 1"
    presets = {
        "quick": dict(data="digits", n_sizes=[10, 20, 50], n_test=100, data_seed=0, depth=2, width=1000,
                      optimizers=["gd"], sigmas=[1.0, 4.0], seeds=[0, 1, 2, 3, 4], batch_ratio=0.2, tol=1e-4,
                      max_steps=20000),
        # Seeds 270–274: new after a review of 260–264 found the row not saying what σ = 4 against 8 can show (the
        # initialization term already dominates at σ = 4: Thm 2's σᴸ term, not that a small σ helps), the laziness
        # pooled over the sizes (every σ = 8 net at N ≥ 25 above 0.1 behind a pooled 0.14) and "at every
        # training-set size" worded as the paper's (now "at each training-set size run", N listed).
        # Seeds 260–264 at σ = 4 and 8: the run with 250–254 at σ = 1 and 4 could not decide — every σ = 1 run
        # stopped at the 60,000-step cap (1.2–87× the tolerance), as the project's earlier records at width 2000
        # had shown; a pilot (seeds 0, 1 at N = 100) found σ = 2 capped too (3.1·10⁻⁵, 7.3·10⁻⁵). σ = 4 converged
        # in 63–3,321 steps at every N.
        # Seeds 250–254, registered with the rules before any run: overparameterization's standard setting (width
        # 2000, N = 10, 25, 100 nested, tolerance 10⁻⁵) at σ = 1 and 4, GD only.
        # Seeds 300–304 (next19): for next19's training procedure (every step judged monotone; loss curves); the
        # rules unchanged.
        # Seeds 310–314 (next20): next19's per-step rule ended a run at any rise of its loss, which halved runs
        # on the single-step blips of a ReLU net's activation pattern (5·10⁻⁷ of the loss) into the step cap; a rise
        # now counts above 10⁻³ of the least loss so far, and SGD's rise above θ₀ is read at the 20-step records only
        # (the loss curve's early records had made it stricter); seeds 300–30x discarded after four experiments.
        # Seeds 320–324 (next21): GD trains at the papers' rate throughout (001 App. D), redone at half the rate only
        # where it diverges (next20 halved it wherever its loss rose above 10⁻³ of its least, which a review of late-
        # linearization found deciding rows); the adaptive methods keep the monotone rule, the papers' own; every
        # record keeps max_climb and steps_tried.
        "standard": dict(data="mnist", n_sizes=[10, 25, 100], n_test=100, data_seed=0, depth=2, width=2000,
                         optimizers=["gd"], sigmas=[4.0, 8.0], seeds=[320, 321, 322, 323, 324], batch_ratio=0.2,
                         tol=1e-5, max_steps=60000),
        "paper": dict(data="mnist", n_sizes=[10, 20, 50, 100, 200], n_test=100, data_seed=0, depth=2, width=4000,
                      optimizers=["gd"], sigmas=[0.5, 1.0, 4.0], seeds=[0, 1, 2, 3, 4], batch_ratio=0.2, tol=1e-5,
                      max_steps=200000),
    }

    def plot(self, cfg, records, out):
        fig, axes = plots.figure(1)
        ax = axes[0]
        for i, s in enumerate(cfg["sigmas"]):
            plot_grouped(ax, [r for r in records if r["sigma"] == s], "n_train", "test_loss", f"GD, σ = {s:g}", f"C{i}")
        log_axes(ax, "training-set size N", "test loss", f"m = {cfg['width']}")
        return save_figure(fig, out, "sigma_by_size")

    def summary(self, cfg, records):
        lines = ["- Medians over the usable runs (converged, not degenerate), as in the table."]
        ok = usable(records, cfg["tol"])[0]
        for s in cfg["sigmas"]:
            at = [r for r in ok if r["sigma"] == s]
            by_n = [f"N = {n}: {float(np.median([r['test_loss'] for r in at if r['n_train'] == n])):.3g}"
                    for n in sorted(cfg["n_sizes"]) if any(r["n_train"] == n for r in at)]
            lazy = [f"N = {n}: {lazy_median([r for r in at if r['n_train'] == n]):.3g}"
                    for n in sorted(cfg["n_sizes"]) if any(r["n_train"] == n for r in at)]
            lines.append(f"- σ = {s:g}: test loss by N: {', '.join(by_n) or '— (no usable run)'}"
                         + (f"; median ‖f_NN − f_lin‖/‖f_lin‖ by N: {', '.join(lazy)} (lazy: ≤ 0.1)." if at else "."))
        lines.append("- 000 Fig. 1 shows GD, SGD and AdaGrad at several σ on MNIST 0 vs 1 (5 repetitions, trained to "
                     f"10⁻⁵); here GD alone at σ ∈ {cfg['sigmas']}, width {cfg['width']}, data {cfg['data']} (the "
                     "standard preset's σ = 1 end stopped at the step cap in an earlier run and was dropped; see "
                     "docs/results.md).")
        return lines

    def claims(self, cfg, records):
        """000 Fig. 1: the test loss depends considerably on σ at every training-set size.
        Read in the direction the figure and Thm 2 give it — the larger σ tests worse — per
        training-set size: per θ₀ the log ratio of the test losses at the largest and smallest
        σ, a sign test over the seeds with the median above the seed spread of the log ratios
        ("considerably"). Reproduced where every size reproduces it, not reproduced where some
        size reads not reproduced (named), else inconclusive (each size's reason). Not gated by
        the kernel regime: the figure's point is that the effect appears in less
        overparameterized settings too; the nets' laziness is reported beside it."""
        lo, hi = min(cfg["sigmas"]), max(cfg["sigmas"])
        ok, why = usable(records, cfg["tol"])
        by = {(r["sigma"], r["seed"], r["n_train"]): r["test_loss"] for r in ok}
        verdicts, cells = {}, []
        for n in sorted(cfg["n_sizes"]):
            d = [math.log(by[(hi, s, n)] / by[(lo, s, n)]) for s in cfg["seeds"] if (hi, s, n) in by and (lo, s, n) in by]
            floor = spread(d)
            verdicts[n] = direction(d, len(cfg["seeds"]), "seeds", floor)
            cells.append(f"N = {n}: above in {sum(x > 0 for x in d)} of {len(d)} seeds, median log ratio "
                         f"{float(np.median(d)):.3g} (seed spread {floor:.3g})" if d else f"N = {n}: no usable pair")
        # The runs the row cannot use, with where they stopped (a run at the cap is not at equal loss).
        capped = [r for r in records if r["status"] == "max_steps"]
        cap_text = (f"; {len(capped)} run(s) stopped at the cap of {cfg['max_steps']} steps at "
                    f"{min(r['train_loss'] for r in capped) / cfg['tol']:.3g}–"
                    f"{max(r['train_loss'] for r in capped) / cfg['tol']:.3g}× the tolerance (σ = "
                    + ", ".join(f"{x:g}" for x in sorted({r['sigma'] for r in capped})) + ")" if capped else "")
        failed = [n for n, v in verdicts.items() if v == NOT_REPRODUCED]
        if all(v == REPRODUCED for v in verdicts.values()):
            verdict = REPRODUCED
        elif failed:
            verdict = f"{NOT_REPRODUCED}: at N ∈ {failed}"
        else:
            verdict = f"{INCONCLUSIVE}: " + "; ".join(f"N = {n}: {v.split(': ', 1)[-1]}" for n, v in verdicts.items()
                                                      if v != REPRODUCED)
        # Laziness per σ and size: pooled over the sizes it hid the sizes where the nets are not lazy.
        lazy = "; ".join(f"σ = {s:g}: " + ", ".join(
            f"N = {n}: " + (f"{lazy_median(at):.3g}" if at else "—")
            for n in sorted(cfg["n_sizes"]) for at in [[r for r in ok if r["sigma"] == s and r["n_train"] == n]])
            for s in (lo, hi))
        return [Claim(
            f"GD: the test loss is higher at the larger σ at each training-set size run (N ∈ {sorted(cfg['n_sizes'])}; "
            f"σ = {hi:g} against {lo:g}, m = {cfg['width']})",
            f"{self.figure} (the test performance depends considerably on σ, also in less overparameterized settings; "
            "fastntk's reading: at each size run, the larger σ worse, as Thm 2's σᴸ term; per size a sign test over the "
            "seeds with the effect above their spread; not gated by the kernel regime; where the smaller σ's "
            "initialization term already dominates its test loss the row checks that σᴸ term, not that a small σ helps)",
            f"test loss at σ = {hi:g} over σ = {lo:g}, per size: " + "; ".join(cells)
            + f"; median ‖f_NN − f_lin‖/‖f_lin‖ by σ and size {lazy} ({len(ok)} of {len(records)} runs usable"
            + f"{excluded(why)}"
            + f"{cap_text})",
            verdict)]
