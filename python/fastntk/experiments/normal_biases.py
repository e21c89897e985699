"""000 Thm 2 with standard-normal biases: how the initialization term of Eq. (4) scales with σ.

Without bias parameters the features scale as φ_σ = σᴸφ₁, so f_int does not depend on σ and
the initialization term f₀(x) − K(x, X)K⁻¹f₀(X) scales exactly as σᴸ (000 Sect. 3; an identity,
tests/test_theory.py; with trainable zero biases only nearly, their features scaling as
σ^(L−l+1)). 000 Thm 2 adds: "With standard normally initialized biases, the same bounds hold
with both σᴸ replaced by σ", and says the behaviour "is more complex" there (001 App. F.2, whose
formulas the extracted text lost). The GD limit of the linearized net is f_lin = f_int + init
term, with the init term in the form f₀(x) − K(x, X)K⁻¹f₀(X) (Eq. (4)'s (1/L)φ(x)(1 − P_F)θ₀
needs the homogeneity biases break; this form does not), and the trained net is within O(1/√m)
of it (Thm 1; judged by the linearization experiment, not here). This experiment computes both
on the papers' MNIST setting from θ₀ alone — kernels and solves, no training — at the σ of 000
Fig. 2. By the triangle inequality the excess e = RMSE(f_lin) − RMSE(f_int) lies between
RMS(init) − 2·RMSE(f_int) and RMS(init), so the init term's exponent decides every row: below
the bound's exponent it suffices; above it, the upper bound is refuted where the envelope holds
most of the init term at the largest σ and e/σ rises from σ = 1 to it (measured at those two σ;
that it grows without bound is inferred). The bias-free net (exactly σᴸ) is the control; zero
biases are reported beside.
"""
from __future__ import annotations

import math

import numpy as np

from .. import plots, theory
from ..linalg import SingularKernelError
from ..model import MLP
from ._base import Experiment, group, half_mse, log_axes, loglog_slope, save_figure
from ._verdict import (INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Claim, jackknife_error, too_few, within)

SLOPE_TOL = 0.25     # a log-log slope within this of the claimed exponent counts as that power of σ
CONTROL_TOL = 0.01   # the bias-free control is an identity (exactly σᴸ): its slope must sit this close to L
ENVELOPE_SHARE = 0.5  # the upper bound is refuted only where the excess is at least this share of the init term


_MODE = {"normal": "normal biases", "zero": "zero biases", "none": "no biases"}


def _rmse(half_mse_value: float) -> float:
    """RMSE = √(2·L_T), L_T the half mean square error the records keep."""
    return math.sqrt(2 * half_mse_value)


def _lower_envelope(r) -> float:
    """The excess e's lower envelope at run ``r``, RMS(init) − 2·RMSE(f_int) (the triangle inequality
    on Thm 2's decomposition; the refute side's reading and the figure's line, one formula)."""
    return r["init_rms"] - 2 * _rmse(r["test_loss_int"])


def _rms(v) -> float:
    v = np.asarray(v, np.float64)
    return float(np.linalg.norm(v) / math.sqrt(v.size))


def _bound(slope: float, err: float, limit: float, above: bool, n_used: int, n_made: int,
           envelope: str | None = None) -> str:
    """Verdict on a one-sided exponent: slope ≤ limit (above=False) or slope ≥ limit
    (above=True), each with SLOPE_TOL of slack and the slope's standard error ``err``."""
    reason = too_few(n_used, n_made, "θ₀")
    if reason:
        return reason
    if not (math.isfinite(slope) and math.isfinite(err)):
        return f"{INCONCLUSIVE}: the slope could not be measured"
    edge = limit - SLOPE_TOL if above else limit + SLOPE_TOL
    inside = (slope - err >= edge) if above else (slope + err <= edge)
    outside = (slope + err < edge) if above else (slope - err > edge)
    if inside:
        return REPRODUCED
    if outside and envelope is not None:
        # An upper bound on the excess is refuted by the init term's exponent only where the excess's lower
        # envelope, RMS(init) − 2·RMSE(f_int), holds most of the init term and e/σ rises over the range.
        return f"{INCONCLUSIVE}: the init term's exponent exceeds the bound's, but {envelope}"
    if outside:
        return NOT_REPRODUCED
    return f"{INCONCLUSIVE}: {slope:.3g} ± {err:.2g} (standard error) straddles the edge {edge:g}"


class NormalBiases(Experiment):
    name = "normal-biases"
    title = "Thm 2 with normal biases: the initialization term against σ"
    paper = "Nonnenmacher, Reeb, Steinwart (000 Thm 2, its normal-bias sentence; 001 App. F.2)"
    paired = ("depths", "widths")  # jobs zip them: L = depths[i] at width widths[i]
    presets = {
        "quick": dict(data="digits", n_train=50, n_test=100, data_seed=0, depths=[2, 3], widths=[256, 128],
                      sigmas=[0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], biases=["normal", "none", "zero"],
                      seeds=[0, 1, 2]),
        # Seeds 470–474 (next27, the review of 450–454: the refute side reads the top three σ's slope as the pass
        # side does — a curve ∝ σ² to σ = 4 and ∝ σ after had read not reproduced on the range's slope alone).
        # Seeds 450–454 (next26-b3, after the review of the run on 440–444, which found the upper-bound row's text
        # claiming what it did not measure — "e grows like the init term and e/σ is unbounded" from an envelope
        # positive at one σ — and its pass side blind to a curve flat up to σ = 8 and steep after: the row now refutes
        # only where, for every θ₀, the envelope at σ = 16 is at least half the init term and e(16)/16 exceeds e(1)'s
        # ceiling RMS(init)(1), says that e/σ rising is measured and its growth without bound inferred, and passes
        # only where the top three σ's slope is below the edge too. The verdicts of 440–444 were known: as 430–434's.)
        # Seeds 440–444 (next26-b2, after the review of the run on 430–434, which found the upper-bound row's rule
        # unsound: the log-log slope of the excess over σ ∈ {4, 8, 16} is inflated by the crossover from the excess
        # far below f_int's error to the excess near the init term — on the bias-free net, whose excess is at most an
        # exact Cσ², it reads 2.55 ± 0.07, so the same rule would reject the proven σᴸ bound. The row now judges the
        # init term's exponent over σ ≥ 1, which the excess lies under, and refutes only where the excess's lower
        # envelope RMS(init) − 2·RMSE(f_int) is positive at the largest σ for every θ₀; the excess's slope beside.
        # The verdicts of 430–434 were known: upper bound not reproduced at L = 2 and 3, the other rows reproduced.)
        # Seeds 430–434 (next26-b's pre-run review, before any run: the upper-bound row judged the init term, which only
        # bounds the excess √L_T(f_lin) − √L_T(f_int) from above — now the excess itself over σ ∈ {4, 8, 16}; the
        # control was trainable zero biases, only nearly σᴸ — now no biases, exactly σᴸ, zero biases reported; a
        # kernel the solver refuses is recorded, not a crash). The reviewer computed, before this commit, the kernels'
        # condition numbers at σ = 1/8 on seeds 420–424 (L = 3, normal: 1.1–2.0e10) and the slopes on seeds
        # 7001–7003 at these widths (init term 2.00 at L = 2, 3.05 at L = 3 with normal biases; the excess about 2.5
        # and 3.2), hence new seeds. Before that (seeds 420–424, next26-b as first committed): 000 Fig. 2's
        # setting (MNIST 0 vs 1, N = 100, 100 test points; L = 2 at m = 4000, L = 3 at m = 2000; σ 1/8 … 16), in
        # float64 (at small σ the kernel with biases is nearly rank one: K ≈ σ²(11ᵀ + O(σ²))). Registered knowing a
        # one-off look at θ₀ (session 21: L = 2, m = 2000, normal biases, σ = 4, 8, 16, RMS 0.17, 0.69, 2.7) and a
        # toy check and the quick preset on digits this session, before this commit (d = 4, m = 512, 3 draws; digits,
        # m = 256 and 128, seeds 0–2: slopes 2.00 at L = 2 in both bias modes, 2.5–3.5 at L = 3).
        "standard": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2, 3], widths=[4000, 2000],
                         sigmas=[0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
                         biases=["normal", "none", "zero"], seeds=[490, 491, 492, 493, 494]),
        # Seeds 490–494, paper preset 20–29 (next28-e): the excess's lower envelope one helper for the rows and the
        # figure (the figure restated it), read per θ₀ by seed (a zip over the seeds misaligned where one lacked a
        # run at σ_max; no committed run lacked one).
        "paper": dict(data="mnist", n_train=100, n_test=100, data_seed=0, depths=[2, 3], widths=[4000, 2000],
                      sigmas=[0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], biases=["normal", "none", "zero"],
                      seeds=list(range(20, 30))),  # 20–29 (next28-e; 10–19 ran under next27, 0–9 under next26-b3)
    }

    def jobs(self, cfg):
        return [dict(depth=L, width=m, bias=b, sigma=s, seed=k) for L, m in zip(cfg["depths"], cfg["widths"])
                for b in cfg["biases"] for s in cfg["sigmas"] for k in cfg["seeds"]]

    def run_job(self, cfg, job, ctx):
        ds = ctx.dataset()
        X, Xt = np.asarray(ds.X, np.float64), np.asarray(ds.X_test, np.float64)
        net = MLP.uniform(ds.d, job["width"], job["depth"], sigma=job["sigma"], bias=job["bias"],
                          dtype=np.float64)
        theta = net.init(job["seed"])  # θ₀ ~ N(0, 1) whatever σ: the same draw at every σ of a seed
        try:
            dec = theory.decompose(net, theta, X, ds.Y, Xt)
        except SingularKernelError as e:  # the solver's own limit (condition number > 1e12): left out, said why
            return dict(status="degenerate", train_loss=0.0, cond=math.inf, init_rms=math.nan,
                        rmse_excess=math.nan, refused=str(e).split(";")[0])
        return dict(status="converged", train_loss=0.0, cond=float(dec.cond), init_rms=_rms(dec.init_term),
                    f0_rms=_rms(dec.f0), test_loss_lin=half_mse(dec.f_lin, ds.Y_test),
                    test_loss_int=half_mse(dec.f_int, ds.Y_test),
                    rmse_excess=_rmse(half_mse(dec.f_lin, ds.Y_test)) - _rmse(half_mse(dec.f_int, ds.Y_test)),
                    input_scale=float(np.mean(np.linalg.norm(X, axis=1)) / math.sqrt(ds.d)))

    @staticmethod
    def _usable(records):
        return [r for r in records if math.isfinite(r.get("init_rms", math.nan))]

    @staticmethod
    def _slope(runs, sigmas, key="init_rms"):
        g = group(runs, ["sigma"], key)
        ss = [s for s in sigmas if (s,) in g]
        return loglog_slope(ss, [g[(s,)][0] for s in ss]) if len(ss) > 1 else math.nan

    def _fit(self, records, L, bias, sigmas, key="init_rms"):
        """The log-log slope of the mean ``key`` over ``sigmas``, its jackknife error over θ₀,
        and the θ₀ with a usable, positive value at every σ of the range (only those enter)."""
        at = [r for r in self._usable(records) if r["depth"] == L and r["bias"] == bias and r["sigma"] in sigmas
              and math.isfinite(r.get(key, math.nan)) and r[key] > 0]
        seeds = sorted(s for s in {r["seed"] for r in at}
                       if sorted(r["sigma"] for r in at if r["seed"] == s) == sorted(sigmas))
        runs = [r for r in at if r["seed"] in seeds]
        slope = self._slope(runs, sigmas, key)
        err = jackknife_error(lambda keep: self._slope([r for r in runs if r["seed"] in keep], sigmas, key), seeds)
        return slope, err, seeds

    def plot(self, cfg, records, out):
        depths = sorted(set(cfg["depths"]))
        fig, axes = plots.figure(len(depths), nrows=2)
        s = np.array(sorted(cfg["sigmas"]), float)
        for col, L in enumerate(depths):
            for row, (key, what) in enumerate((("init_rms", "RMS of the init term (test set)"),
                                               ("rmse_excess", "RMSE(f_lin) − RMSE(f_int), mean where > 0"))):
                ax = axes[row * len(depths) + col]
                for i, b in enumerate(cfg["biases"]):
                    # the mean over every usable θ₀ (a mean over the positive ones only would overstate e where it
                    # changes sign), drawn where it is positive: a log axis
                    g = group([r for r in self._usable(records) if r["depth"] == L and r["bias"] == b], ["sigma"], key)
                    xs = [x for x in s if (x,) in g and g[(x,)][0] > 0]
                    plots.errorbar(ax, xs, [g[(x,)][0] for x in xs], [g[(x,)][1] for x in xs],
                                   f"{_MODE[b]} (mean ± s.d. over θ₀)", f"C{i}")
                if key == "rmse_excess" and "normal" in cfg["biases"]:
                    # e's lower envelope for normal biases, RMS(init) − 2·RMSE(f_int), the refute side's reading (mean
                    # over θ₀, drawn where positive); e lies between it and RMS(init) (the review of 470–474).
                    nb = [r for r in self._usable(records) if r["depth"] == L and r["bias"] == "normal"]
                    env = {x: float(np.mean([_lower_envelope(r) for r in nb if r["sigma"] == x]))
                           for x in s if any(r["sigma"] == x for r in nb)}
                    xs = [x for x in s if env.get(x, 0.0) > 0]
                    ax.plot(xs, [env[x] for x in xs], color="0.5", lw=1, ls="-.",
                            label="normal biases: RMS(init) − 2·RMSE(f_int), e's lower envelope")
                # The guides start from normal biases' init term at σ = 1, the ceiling of e there (the review of
                # 450–454: anchored at the largest σ, every point lay under ∝ σ and read as if e ≤ Cσ held).
                one = [r["init_rms"] for r in self._usable(records) if r["depth"] == L and r["sigma"] == 1.0
                       and r["bias"] == "normal"]
                anchor = float(np.mean(one)) if one else 1.0
                ax.plot(s, anchor * s, "k:", label="∝ σ from RMS(init) at σ = 1")
                ax.plot(s, anchor * s ** L, "k--", label=f"∝ σ^{L} from the same")
                log_axes(ax, "σ", what, f"L = {L}", xbase=2)
                ax.legend(fontsize=6 if row else 7, loc="lower right" if row else "upper left")
        return save_figure(fig, out, "normal_biases")

    def summary(self, cfg, records):
        ok = self._usable(records)
        solved = [r["cond"] for r in ok]
        scale = [r["input_scale"] for r in ok if "input_scale" in r]
        lines = [f"- Kernels solved: {len(ok)} of {len(records)} (the solver refuses a condition number above 1e12); "
                 f"largest condition number solved {max(solved, default=math.nan):.3g}. No network is trained: every "
                 "number is a closed form from θ₀ (Thm 1, Eq. (4)); the trained nets' distance from f_lin, O(1/√m) "
                 "with a constant that may grow with σ, is not measured here, nor is the width condition m ≥ "
                 "poly(1/σ); one data split (data_seed), so the errors cover θ₀ only."]
        if scale:
            lines.append(f"- The first layer's input term W¹x/√d has standard deviation ‖x‖/√d, mean {np.mean(scale):.3g} "
                         "over the training inputs, against N(0, 1) biases: with normal biases the first layer is "
                         "driven by its biases.")
        for L, m in zip(cfg["depths"], cfg["widths"]):
            for b in cfg["biases"]:
                at = [r for r in ok if r["depth"] == L and r["bias"] == b]
                cells = []
                for s in sorted(cfg["sigmas"]):
                    rs = [r for r in at if r["sigma"] == s]
                    if rs:
                        cells.append(f"σ = {s:g}: RMS(init) {np.mean([r['init_rms'] for r in rs]):.3g}, "
                                     f"RMSE(f_lin) − RMSE(f_int) {np.mean([r['rmse_excess'] for r in rs]):+.3g}, "
                                     f"RMSE(f_int) {np.mean([_rmse(r['test_loss_int']) for r in rs]):.3g}")
                lines.append(f"- L = {L}, m = {m}, {_MODE[b]} (means over θ₀): " + "; ".join(cells) + ".")
                local = [self._slope(at, [a, c]) for a, c in zip(sorted(cfg["sigmas"]), sorted(cfg["sigmas"])[1:])]
                lines.append(f"- L = {L}, {_MODE[b]}: local log-log slopes of the init term between successive σ: "
                             + ", ".join(f"{x:.2f}" for x in local) + ".")
        return lines

    def claims(self, cfg, records):
        out = []
        made = len(cfg["seeds"])
        every = sorted(cfg["sigmas"])
        large = sorted(s for s in cfg["sigmas"] if s >= 1.0)
        small = sorted(s for s in cfg["sigmas"] if s <= 1.0)
        for L, m in zip(cfg["depths"], cfg["widths"]):
            control = None
            if "none" in cfg["biases"]:
                c_slope, c_err, c_seeds = self._fit(records, L, "none", every)
                control = within(c_slope, float(L), CONTROL_TOL, len(c_seeds), made, "θ₀", err=c_err)
                out.append(Claim(
                    f"L = {L}, m = {m}, no biases: the initialization term scales as σᴸ (the control; an identity, an "
                    "extra check, not a claim)",
                    f"000 Sect. 3 (φ_σ = σᴸφ₁ without bias parameters; the exponent {L} ± {CONTROL_TOL})",
                    f"log-log slope of the mean init-term RMS over σ ∈ {every}: {c_slope:.4f} ± {c_err:.2g} "
                    f"(jackknife over {len(c_seeds)} θ₀)", control))
            if "normal" not in cfg["biases"]:
                continue
            blind = None
            if control is None:
                blind = f"{INCONCLUSIVE}: no bias-free control was run, so the measurement of an exponent is unchecked"
            elif control != REPRODUCED:
                blind = (f"{INCONCLUSIVE}: the bias-free control reads {control!r}, so the measurement of an exponent "
                         "cannot be trusted")

            def beside(rng, key="init_rms"):
                zero = self._fit(records, L, "zero", rng, key)[0] if "zero" in cfg["biases"] else math.nan
                return f"; beside it, zero biases over the same σ: {zero:.3f}" if math.isfinite(zero) else ""
            slope, err, seeds = self._fit(records, L, "normal", large)
            excess_slope = self._fit(records, L, "normal", large[-3:], key="rmse_excess")[0]
            top_slope, top_err, _ = self._fit(records, L, "normal", large[-3:])
            at = {(r["seed"], r["sigma"]): r for r in self._usable(records) if r["depth"] == L
                  and r["bias"] == "normal" and r["seed"] in seeds}
            hi, lo = large[-1], large[0]
            # Per θ₀ (keyed by seed: next28-e, a zip over the seeds misaligned where a seed lacked a run at σ_max).
            low = {k: _lower_envelope(at[(k, hi)]) for k in seeds if (k, hi) in at}
            share = [x / at[(k, hi)]["init_rms"] for k, x in low.items()]
            # e(σ_max)/σ_max at least (its lower envelope), against e(σ_min)/σ_min at most (RMS(init) there).
            rise = [(x / hi) / (at[(k, lo)]["init_rms"] / lo) for k, x in low.items() if (k, lo) in at]
            envelope = None
            if not (share and len(share) == len(seeds) and min(share) >= ENVELOPE_SHARE):
                envelope = (f"the excess's lower envelope RMS(init) − 2·RMSE(f_int) at σ = {hi:g} is below "
                            f"{ENVELOPE_SHARE:g} of the init term for some θ₀ (least {min(share, default=math.nan):.3g}), "
                            "so the excess need not follow it")
            elif not (len(rise) == len(seeds) and min(rise) > 1):
                envelope = (f"e(σ)/σ does not rise from σ = {lo:g} to {hi:g} for every θ₀ (least ratio "
                            f"{min(rise, default=math.nan):.3g})")
            verdict = blind or _bound(slope, err, 1.0, False, len(seeds), made, envelope)
            top = _bound(top_slope, top_err, 1.0, False, len(seeds), made)
            if verdict == REPRODUCED and top != REPRODUCED:
                verdict = (f"{INCONCLUSIVE}: the slope over σ ∈ {large[-3:]}, {top_slope:.3g} ± {top_err:.2g}, is not "
                           f"below {1 + SLOPE_TOL:g}, so one slope over the range could hide a late rise")
            elif verdict == NOT_REPRODUCED and top != NOT_REPRODUCED:
                # Both sides read the top three σ (next27, the review of 450–454: a curve ∝ σ² to σ = 4 and ∝ σ
                # after refuted the bound on the range's slope alone).
                verdict = (f"{INCONCLUSIVE}: the slope over σ ≥ 1 is above {1 + SLOPE_TOL:g}, but over σ ∈ "
                           f"{large[-3:]} it is {top_slope:.3g} ± {top_err:.2g}, not above it, so the largest σ need "
                           "not grow faster than σ")
            out.append(Claim(
                f"L = {L}, m = {m}, normal biases: the excess test RMSE of f_lin over f_int grows at most like σ at "
                "σ ≥ 1 (Thm 2's upper bound with σᴸ replaced by σ)",
                "000 Thm 2 (√L_T(f_NN) ≤ √L_T(f_int) + O(σ + 1/√m), read literally: a σ-free constant, over all σ — "
                "the sentence may mean a weakening only where σ ≤ 1, which the σ ≤ 1 row judges; the excess e = "
                "RMSE(f_lin) − RMSE(f_int) lies between RMS(init) − 2·RMSE(f_int) and RMS(init), so the init term's "
                f"log-log slope ≤ {1 + SLOPE_TOL:g} over σ ≥ 1 and over the top three σ suffices; above it over both the "
                f"bound is refuted where, for every θ₀, the lower envelope at the largest σ is at least {ENVELOPE_SHARE:g} "
                "of the init term and e(σ_max)/σ_max exceeds e(1)'s ceiling RMS(init)(1): e/σ rising over the range is "
                "measured; that it grows without bound is inferred from the exponent, not measured)",
                f"log-log slope of the mean init-term RMS over σ ∈ {large}: {slope:.3f} ± {err:.2g}, over "
                f"{large[-3:]}: {top_slope:.3f} ± {top_err:.2g} (jackknife over {len(seeds)} θ₀); at σ = {hi:g} the "
                f"lower envelope is {min(share, default=math.nan):.3g}–{max(share, default=math.nan):.3g} of the init "
                f"term; e({hi:g})/{hi:g} ≥ {min(rise, default=math.nan):.3g}× e({lo:g})'s ceiling (least over θ₀); not "
                f"judged: e's own slope over {large[-3:]} {excess_slope:.3f} (inflated by the crossover from e ≪ "
                f"RMSE(f_int) to e ≈ RMS(init)){beside(large)}",
                verdict))
            for rng, what, paper in (
                    (large, "grows at least like σ at σ ≥ 1",
                     "the lower bound √L_T(f_NN) ≥ σJ − √L_T(f_int) − O(1/√m): the init term's exponent at least 1, "
                     "which suffices (the triangle inequality); over σ ∈ [1, 16] an exponent L ≥ 1 passes it, as zero "
                     "biases do, so the row is weak"),
                    (small, "shrinks at least like σ at σ ≤ 1",
                     "the upper bound's O(σ) as σ → 0: the init term's exponent at least 1, which suffices (the "
                     "triangle inequality); an exponent L > 1 passes it, as zero biases do, the bound then loose")):
                slope, err, seeds = self._fit(records, L, "normal", rng)
                out.append(Claim(
                    f"L = {L}, m = {m}, normal biases: the initialization term {what} (Thm 2 with σᴸ replaced by σ)",
                    f"000 Thm 2 ({paper}; read as a log-log slope ≥ {1 - SLOPE_TOL:g})",
                    f"log-log slope of the mean init-term RMS over σ ∈ {rng}: {slope:.3f} ± {err:.2g} (jackknife over "
                    f"{len(seeds)} θ₀){beside(rng)}",
                    blind or _bound(slope, err, 1.0, True, len(seeds), made)))
        return out
