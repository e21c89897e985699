"""The initialization rows' texts on hand-made runs: an error printed only where there is one,
the σ with too few usable runs named, and the widths extrapolated per σ."""
import math

from fastntk.experiments.initialization import Initialization, _with_error


def run(sigma, seed, distance):
    return dict(sigma=sigma, seed=seed, lin_distance=distance, lin_T_distance=distance, status="converged")


MADE = [run(1.0, s, 0.05) for s in range(5)] + [run(2.0, s, 0.2) for s in range(5)]


def test_one_value_has_no_error():
    assert _with_error("2.7", 0.19, 5) == "2.7 ± 0.19"
    assert _with_error("2.7", math.nan, 1) == "2.7 (1 seed, so no standard error)"


def test_too_few_named_where_no_sigma_needs_a_width():
    # σ = 1 is lazy (no width needed), σ = 2 has 1 of 5 usable: named all the same.
    text = Initialization._width_needed(MADE[:6], MADE, 500)
    assert "σ = 2 (1 of 5 usable)" in text and "m ≈" not in text
    assert Initialization._width_needed(MADE[:5], MADE[:5], 500) == ""


def test_premise_width_per_sigma():
    # The largest σ's width, not the pooled median's; a σ with too few runs feeds no maximum.
    text = Initialization._premise_width(MADE, MADE, 500)
    assert "by m ≈ 2000" in text and "σ = 1: 0.05 ± 0 (≤ 0.1 at m = 500)" in text
    few = Initialization._premise_width(MADE[:5] + [run(2.0, 0, 0.9)], MADE, 500)
    assert "m ≈" not in few and "too few runs to extrapolate at σ = 2 (1 of 5)" in few
