"""The verdict rules on synthetic records: equal-loss filtering, inconclusive with too few
converged runs, direction and value claims, and the table every summary opens with."""
import math

from fastntk.experiments import _verdict as v
from fastntk.experiments.adaptive import Adaptive


def rec(seed, status="converged", loss=5e-6, **kw):
    return dict(seed=seed, status=status, train_loss=loss, **kw)


def test_converged_keeps_only_runs_at_the_tolerance():
    rs = [rec(0), rec(1, status="max_steps", loss=2e-3), rec(2, loss=math.nan), rec(3, loss=2e-5)]
    assert [r["seed"] for r in v.converged(rs)] == [0, 3]
    assert [r["seed"] for r in v.converged(rs, tol=1e-5)] == [0]


def test_pairs_match_seeds_of_converged_runs_only():
    a = [rec(0, x=1), rec(1, x=2), rec(2, status="max_steps", x=3)]
    b = [rec(0, x=10), rec(2, x=30), rec(3, x=40)]
    assert [(p["x"], q["x"]) for p, q in v.pairs(a, b)] == [(1, 10)]


def test_direction_verdicts():
    assert v.direction([1, 2, 3, 4], 4) == v.REPRODUCED
    assert v.direction([1, 2, 3, -4], 4) == v.REPRODUCED          # 3/4 agree
    assert v.direction([-1, -2, -3, 4], 4) == v.NOT_REPRODUCED    # 1/4 agree
    assert v.direction([1, 2, -3, -4], 4).startswith("inconclusive: mixed")
    # Too few converged: inconclusive however clear the sign.
    assert v.direction([1, 2], 10).startswith("inconclusive: only 2 of 10")
    assert v.direction([1, 2, 3], 10).startswith("inconclusive: only 3 of 10")   # fewer than half
    assert v.direction([1, 2, 3, 4, 5], 10) == v.REPRODUCED
    assert v.direction([math.nan, 1, 2], 3).startswith("inconclusive")


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
                             test_loss=0.9, test_pred=[0.0], lin_pred=[0.0]))
            for o in ("adagrad", "adam"):
                recs.append(dict(depth=2, width=m, seed=seed, optimizer=o, status="converged", train_loss=5e-6,
                                 test_loss=0.1, test_pred=[1.0], lin_pred=[1.0]))
    claims = Adaptive().claims(cfg, recs)
    assert claims and all(c.verdict.startswith("inconclusive: only 0 of") for c in claims)
    # Once GD converges (and tests better), the claim is reproduced.
    for r in recs:
        if r["optimizer"] == "gd":
            r.update(status="converged", train_loss=5e-6, test_loss=0.05)
    verdicts = [c.verdict for c in Adaptive().claims(cfg, recs)]
    assert verdicts[0] == v.REPRODUCED
