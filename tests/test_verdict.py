"""The verdict rules on synthetic records: equal-loss filtering, inconclusive with too few
converged runs, direction and value claims, and the table every summary opens with."""
import math

import numpy as np

from fastntk.experiments import _verdict as v
from fastntk.experiments.adaptive import Adaptive


def rec(seed, status="converged", loss=5e-6, **kw):
    return dict(seed=seed, status=status, train_loss=loss, **kw)


def test_converged_keeps_only_runs_at_the_tolerance():
    rs = [rec(0), rec(1, status="max_steps", loss=2e-3), rec(2, loss=math.nan), rec(3, loss=2e-5)]
    assert [r["seed"] for r in v.converged(rs)] == [0, 3]
    assert [r["seed"] for r in v.converged(rs, tol=1e-5)] == [0]


def test_degenerate_runs_are_excluded_and_counted():
    """The overparameterization-ce run that "converged" in 1 step at the top of find_lr's
    grid with a cross-entropy of exactly 0 must not decide a verdict."""
    rs = [rec(0, steps=5000), rec(1, loss=0.0, steps=5000), rec(2, steps=1), rec(3, steps=2), rec(5, steps=3)]
    ok, why = v.usable(rs, tol=1e-5)
    assert [r["seed"] for r in ok] == [0, 5]
    assert why == {"degenerate (training loss exactly 0)": 1, "degenerate (converged within 2 steps)": 2}
    text = v.excluded(why)
    assert text.startswith("; excluded: ") and "1 degenerate (training loss exactly 0)" in text
    assert v.excluded(v.usable([rec(0, steps=100)])[1]) == ""


def test_pairs_match_seeds_of_converged_runs_only():
    a = [rec(0, x=1), rec(1, x=2), rec(2, status="max_steps", x=3)]
    b = [rec(0, x=10), rec(2, x=30), rec(3, x=40)]
    assert [(p["x"], q["x"]) for p, q in v.pairs(a, b)] == [(1, 10)]


def test_sign_test_tails():
    assert v.sign_test([1, 1, 1, 1, 1]) == (5, 5, 1 / 32, 1.0)
    pos, n, p_claim, p_opp = v.sign_test([1, -1, 0, 2])
    assert (pos, n) == (2, 3) and p_claim == 0.5 and p_opp == 7 / 8


def test_direction_verdicts_fail_both_ways():
    assert v.direction([1, 2, 3, 4, 5], 5) == v.REPRODUCED                 # p = 1/32
    assert v.direction([-1, -2, -3, -4, -5], 5) == v.NOT_REPRODUCED        # the opposite sign, significant
    # No tendency is not evidence of no effect: without a floor it cannot be told from noise.
    assert v.direction([1, -2, 3, -4, -5, 0.5], 6).startswith("inconclusive: the claimed sign in 3 of 6")
    mixed = v.direction([1, 2, 3, 4, -5], 5)                               # 4 of 5: p = 0.19
    assert mixed.startswith("inconclusive: the claimed sign in 4 of 5") and "not significant" in mixed
    # Significant but smaller than the seed-to-seed spread: not an effect the runs can show.
    small = v.direction([1, 2, 3, 4, 5], 5, floor=10.0)
    assert small.startswith("inconclusive") and "below the seed-to-seed spread" in small
    # Ties are the metric's resolution, not evidence against the claim.
    assert v.direction([0, 0, 0, 0, 0.01], 5).startswith("inconclusive: no difference in 4 of 5")
    assert v.direction([0, 0, 1, 1, 1, 1, 1, 1], 8) == v.REPRODUCED                # 6 of 6 non-zero
    assert v.direction([0, 1, -1, -1, -1, 0.5], 6).startswith("inconclusive: the claimed sign in 2 of 5")
    assert v.direction([0, 1, 1, -1, -1, 0.5], 6).startswith("inconclusive: the claimed sign in 3 of 5")
    # Too few usable pairs: inconclusive however clear the sign.
    assert v.direction([1, 2, 3, 4], 4).startswith("inconclusive: only 4 of 4")
    assert v.direction([1, 2, 3, 4, 5], 12).startswith("inconclusive: only 5 of 12")   # fewer than half
    assert v.direction([1, 2, 3, 4, 5, 6], 12) == v.REPRODUCED
    assert v.direction([math.nan, 1, 2, 3, 4], 5).startswith("inconclusive")


def test_trend_direction_counts_no_trend_seeds_against_either_sign():
    """A seed whose rank correlation is exactly 0 shows neither sign: six claimed and two flat
    of eight is not significant (p = 0.145), nor six opposite and two flat (next27: the
    opposite side had dropped them and read 6 of 6, p = 1/64); without flat seeds the verdict
    is direction()'s."""
    from fastntk.experiments._base import trend_direction
    assert trend_direction([0.5] * 6 + [0.0] * 2, 8).startswith("inconclusive: the claimed trend in 6 of 8")
    assert trend_direction([-0.5] * 6 + [0.0] * 2, 8).startswith("inconclusive: the opposite trend in 6 of 8 seeds, "
                                                                  "none in 2 (p = 0.145")
    assert trend_direction([-0.5] * 8, 8) == v.NOT_REPRODUCED and trend_direction([0.5] * 8, 8) == v.REPRODUCED
    assert trend_direction([-0.5] * 7 + [0.0], 8) == v.NOT_REPRODUCED  # 7 of 8: p = 9/256


def test_direction_reads_an_absent_effect_only_against_its_floor():
    # No tendency, and every difference below the noise the claim states: no effect the runs can show.
    assert v.direction([0.1, -0.1, 0.2, -0.2, -0.05], 5, floor=1.0) == v.NOT_REPRODUCED
    # A tendency below the floor is not evidence against the claim.
    assert v.direction([0.1, 0.1, 0.2, -0.2, 0.05], 5, floor=1.0).startswith("inconclusive: the claimed sign in 4")
    # A noisy metric (its differences swing across the floor): neither way.
    noisy = v.direction([-0.8, 0.5, -0.3, 0.6, -0.6], 5, floor=0.45)
    assert noisy.startswith("inconclusive: the claimed sign in 2 of 5")
    # The opposite sign, significant, fails the claim whatever the floor.
    assert v.direction([-5, -6, -7, -8, -9], 5, floor=0.1) == v.NOT_REPRODUCED


def test_within_weighs_the_value_with_its_error():
    assert v.within(0.1, 0.0, 0.25, 5, 5, err=0.05) == v.REPRODUCED
    assert v.within(0.4, 0.0, 0.25, 5, 5, err=0.05) == v.NOT_REPRODUCED
    edge = v.within(0.24, 0.0, 0.25, 5, 5, err=0.03)
    assert edge.startswith("inconclusive: 0.24 ± 0.03") and "straddles" in edge
    assert v.within(0.24, 0.0, 0.25, 5, 5) == v.REPRODUCED          # no run-to-run noise: the value alone
    assert v.within(0.1, 0.0, 0.25, 5, 5, err=math.nan).startswith("inconclusive")


def test_errors_of_a_median_and_of_a_jackknifed_estimate():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert math.isclose(v.median_error(x), math.sqrt(math.pi / 2) * np.std(x, ddof=1) / math.sqrt(5))
    assert math.isnan(v.median_error([1.0]))
    # The jackknife SE of the mean is the usual s/√n.
    assert math.isclose(v.jackknife_error(lambda g: float(np.mean(g)), x), np.std(x, ddof=1) / math.sqrt(5))
    assert math.isnan(v.jackknife_error(lambda g: float(np.mean(g)), x[:2]))


def test_per_seed_counts_each_theta0_once():
    diffs = {(0, 0.1): 1.0, (0, 0.5): 3.0, (1, 0.1): -1.0, (1, 0.5): math.nan, (2, 0.1): 2.0}
    assert v.per_seed(diffs) == [2.0, -1.0, 2.0]


def test_approx_needs_its_control_outside_the_band():
    assert v.approx(0.02, 0.1, 0.3, 5, 5) == v.REPRODUCED
    assert v.approx(0.2, 0.1, 0.3, 5, 5) == v.NOT_REPRODUCED
    inside = v.approx(0.02, 0.1, 0.05, 5, 5, control_name="AdaGrad's")
    assert inside.startswith("inconclusive: AdaGrad's (0.05) lies inside the band")
    assert v.approx(0.02, 0.1, math.nan, 5, 5).startswith("inconclusive")
    assert v.approx(0.02, 0.1, 0.3, 2, 5).startswith("inconclusive: only 2 of 5")


def test_premise_verdicts():
    lazy = [dict(lin_distance=0.05), dict(lin_distance=0.08), dict(lin_distance=0.2)]
    assert v.lazy_premise(lazy) is None
    busy = [dict(lin_distance=0.3), dict(lin_distance=0.5)]
    assert v.lazy_premise(busy) == "inconclusive: premise not met (not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ 0.4 > 0.1)"
    assert v.lazy_premise([{}]).startswith("inconclusive: premise not met")


def test_within_verdicts():
    assert v.within(3.9, 4.0, 0.75, 5, 5) == v.REPRODUCED
    assert v.within(2.0, 4.0, 0.75, 5, 5) == v.NOT_REPRODUCED
    assert v.within(4.0, 4.0, 0.75, 1, 5).startswith("inconclusive")
    assert v.within(math.nan, 4.0, 0.75, 5, 5).startswith("inconclusive")


def test_table_escapes_pipes():
    lines = v.table([v.Claim("a|b", "000 Fig. 2", "x", v.REPRODUCED)])
    assert lines[0] == "| claim | paper (figure, number) | measured | verdict |"
    assert lines[2] == "| a∣b | 000 Fig. 2 | x | reproduced |"


def test_adaptive_claims_ignore_unconverged_runs():
    """GD never converged in these records, so no comparison is made: inconclusive, even
    though the unconverged GD runs test worse (the opposite of the claim)."""
    cfg = Adaptive.presets["quick"]
    recs = []
    for seed in cfg["seeds"]:
        for m in cfg["widths"]:
            recs.append(dict(depth=2, width=m, seed=seed, optimizer="gd", status="max_steps", train_loss=1e-3,
                             steps=100, test_loss=0.9, test_pred=[0.0], lin_pred=[0.0]))
            for o in ("adagrad", "adam"):
                recs.append(dict(depth=2, width=m, seed=seed, optimizer=o, status="converged", train_loss=5e-6,
                                 steps=100, test_loss=0.1 + 0.01 * seed, test_pred=[1.0], lin_pred=[1.0]))
    claims = Adaptive().claims(cfg, recs)
    assert claims and all(c.verdict.startswith("inconclusive: only 0 of") for c in claims), [c.verdict for c in claims]
    # Once GD converges (and tests better), the claim is reproduced.
    for r in recs:
        if r["optimizer"] == "gd":
            r.update(status="converged", train_loss=5e-6, test_loss=0.05 + 0.001 * r["seed"])
    verdicts = [c.verdict for c in Adaptive().claims(cfg, recs)]
    assert verdicts[0] == v.REPRODUCED


def _gap_records(rate, widths=(1000, 2000, 4000), seeds=range(5), noise=0.02, moved=()):
    rng = np.random.default_rng(0)
    return [dict(depth=2, width=m, seed=s, status="converged", steps=100, train_loss=5e-6,
                 kernel_ratio=1.5 if m in moved else 1.01, lin_distance=0.05,
                 gap_rms=0.1 * (m / 1000) ** rate * math.exp(noise * rng.standard_normal()))
            for m in widths for s in seeds]


def test_linearization_judges_thm1_rate_from_above_only():
    from fastntk.experiments.linearization import Linearization
    exp = Linearization()
    cfg = dict(depths=[2], widths=[1000, 2000, 4000], seeds=list(range(5)), tol=1e-5, sigma=4.0)
    assert exp.claims(cfg, _gap_records(-0.5))[0].verdict == v.REPRODUCED
    assert exp.claims(cfg, _gap_records(-1.0))[0].verdict == v.REPRODUCED   # faster than O(1/√m) is O(1/√m)
    assert exp.claims(cfg, _gap_records(0.0))[0].verdict == v.NOT_REPRODUCED  # no decay
    two = exp.claims(dict(cfg, widths=[1000, 2000]), _gap_records(-0.5, widths=(1000, 2000)))[0].verdict
    assert two.startswith("inconclusive: 2 width(s)")
    # A width whose kernel moved is outside the theorem's regime: left out of the fit, so three
    # widths leave two.
    moved = exp.claims(cfg, _gap_records(-0.5, moved=(1000,)))[0]
    assert moved.verdict.startswith("inconclusive: 2 width(s)") and "m ∈ [1000] left out" in moved.measured


def test_linear_regression_pairs_the_two_models_by_seed():
    from fastntk.experiments.linear_regression import LinearRegression
    cfg = dict(n_train=100, dims=[80, 120], seeds=list(range(5)), steps=10)
    recs = [dict(d=d, seed=s, status="max_steps", excess=(1e-6 if d == 120 else 1e-2), min_cosine_0=(-0.3 if d == 120
                 else -0.4), cosine_std_0=(0.1 if d == 120 else 0.2)) for d in (80, 120) for s in range(5)]
    speed, confusion = LinearRegression().claims(cfg, recs)
    assert speed.verdict == confusion.verdict == v.REPRODUCED
    flipped = [dict(r, excess=1e-2 if r["d"] == 120 else 1e-6) for r in recs]
    assert LinearRegression().claims(cfg, flipped)[0].verdict == v.NOT_REPRODUCED
