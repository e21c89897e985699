"""Verdicts on the papers' claims, computed from all of a preset's runs.

The rules are registered before the runs they judge (the README lists every change made
after seeing results), and a fingerprint of them is written into each run's
config.json (:func:`fastntk.experiments._provenance.rules_fingerprint`), so a committed
verdict cannot outlive the rule that produced it. They are the same for every
experiment:

- Equal training loss. A comparison uses only *usable* runs: status "converged" at a
  finite training loss below the preset's tolerance, and not degenerate. A run is
  degenerate when its training loss is exactly 0 (the loss underflowed: the margins
  saturated), or when it "converged" within ``FIRST_STEPS`` steps (a rate so large the
  first step lands on the data). ``find_lr`` never returns the top of its grid (it
  extends the grid until a rate fails). Excluded runs are counted in the verdict's
  text by reason. Compared runs are paired by θ₀ (their seed).
- Too few runs. A value claim judged on fewer than ``MIN_RUNS`` usable runs, or a
  direction claim on fewer than ``MIN_PAIRS`` usable pairs, or either on fewer than
  half of those the preset made, is *inconclusive*.
- Direction claims ("A is larger than B"): a one-sided sign test on the paired
  differences, one per θ₀ (differences over ratios, sizes or widths of one seed are
  reduced to their median first: they are not independent). *Reproduced* when the
  claimed sign is significant (p ≤ ``ALPHA``) and the median difference exceeds the
  noise floor the claim states (the seed-to-seed spread of the compared quantity); *not
  reproduced* only on evidence against the claim: the opposite sign is significant, or
  at most half of the differences show the claimed sign and they lie below a positive
  floor significantly often (no tendency, and no effect as large as the noise the claim
  states); *inconclusive* otherwise — when half or more are ties (the metric cannot
  resolve the effect), for a significant effect below the floor, for a tendency that is
  not significant, and for differences that swing across the floor (a noisy metric read
  on few seeds cannot tell an absent effect from a hidden one). With ``MIN_PAIRS`` = 5
  seeds a claim is reproduced only when all 5 agree (p = 1/32); where runs are cheap the
  presets take 8 seeds (7 of 8 suffice, p = 0.035).
- Value claims ("the slope is 2L"): measured with its standard error where it is a
  statistic of several runs; *reproduced* when the value lies within the stated
  tolerance of the paper's by more than its error, *not reproduced* when it lies outside
  by more than its error, *inconclusive* when the error straddles the tolerance's edge.
- "≈" claims ("A is basically B"): *reproduced* only when A lies inside the band and
  the control the paper says differs lies outside it; a band the control passes too
  cannot tell, and the verdict is *inconclusive*.
- Premises. A claim whose premise fails in the run (the net is not lazy where the
  theorem assumes the kernel regime, λ₀ ≈ 0, the loss is not the paper's) is
  *inconclusive: premise not met (…)*, never *not reproduced*.

Every summary.md opens with the table :func:`table` writes; ``fastntk report DIR
--check`` recomputes it from the records and fails when it differs.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
MIN_RUNS = 3
MIN_PAIRS = 5     # the fewest pairs a one-sided sign test can decide at ALPHA (2⁻⁵ = 0.031)
ALPHA = 0.05
LAZY = 0.1        # median ‖f_NN − f_lin‖/‖f_lin‖ on the test set at or below which runs count as lazy
FIRST_STEPS = 2    # a run that "converged" within this many steps is degenerate
SAME_MINIMIZER = 10.0  # two minimizers trained to loss tol are "the same" within SAME_MINIMIZER·√tol RMS


@dataclass
class Claim:
    claim: str      # what the paper says, in a line
    paper: str      # where and what number: "000 Fig. 2 (slope 2L = 4)"
    measured: str   # what the runs gave
    verdict: str    # reproduced / not reproduced / inconclusive (reason)


def exclusion(r: dict, tol: float | None = None) -> str | None:
    """Why run ``r`` cannot enter a comparison at equal training loss, or None."""
    loss = r.get("train_loss", math.nan)
    if r.get("status") != "converged":
        return "not converged"
    if not isinstance(loss, (int, float)) or not math.isfinite(loss) or (tol is not None and loss >= tol):
        return "not converged"
    if loss == 0.0:
        return "degenerate (training loss exactly 0)"
    if r.get("steps", math.inf) <= FIRST_STEPS:
        return f"degenerate (converged within {FIRST_STEPS} steps)"
    return None


def usable(records, tol=None) -> tuple[list, Counter]:
    """(the usable runs, Counter of the others' exclusion reasons)."""
    out, why = [], Counter()
    for r in records:
        reason = exclusion(r, tol)
        if reason is None:
            out.append(r)
        else:
            why[reason] += 1
    return out, why


def converged(records, tol=None):
    """The usable runs (see :func:`usable`)."""
    return usable(records, tol)[0]


def excluded(why: Counter) -> str:
    """'; excluded: 2 not converged, 1 degenerate (…)' or ''."""
    if not why:
        return ""
    return "; excluded: " + ", ".join(f"{n} {reason}" for reason, n in sorted(why.items()))


def pairs(a_runs, b_runs, key=("seed",), tol=None):
    """(a, b) of usable runs with equal ``key`` (the same θ₀)."""
    index = {tuple(r[k] for k in key): r for r in converged(b_runs, tol)}
    return [(a, index[tuple(a[k] for k in key)]) for a in converged(a_runs, tol)
            if tuple(a[k] for k in key) in index]


def too_few(n_used: int, n_made: int, what: str = "runs", least: int = MIN_RUNS) -> str | None:
    """The reason a claim is inconclusive for lack of usable runs, or None."""
    if n_used < least or n_used < 0.5 * n_made:
        return f"{INCONCLUSIVE}: only {n_used} of {n_made} {what} usable (needs ≥ {least} and ≥ half)"
    return None


def sign_test(diffs) -> tuple[int, int, float, float]:
    """(positives, non-zero count, p of ≥ that many positives, p of ≥ that many negatives)
    under the null of a fair sign: the one-sided binomial tails."""
    pos = sum(d > 0 for d in diffs)
    neg = sum(d < 0 for d in diffs)
    n = pos + neg

    def tail(k):
        return sum(math.comb(n, j) for j in range(k, n + 1)) / 2.0**n if n else 1.0

    return pos, n, tail(pos), tail(neg)


def direction(diffs, n_made: int, what: str = "pairs", floor: float = 0.0) -> str:
    """Verdict on "diff > 0" from the usable pairs' differences, one per independent unit
    (a seed: differences over ratios, sizes or widths of one θ₀ are first reduced to
    their median by :func:`per_seed`); n_made: all units the preset made; ``floor``: the
    noise floor the median difference must exceed (the seed-to-seed spread of the
    compared quantity)."""
    diffs = [d for d in diffs if math.isfinite(d)]
    reason = too_few(len(diffs), n_made, what, MIN_PAIRS)
    if reason:
        return reason
    pos, n, p_claim, p_opp = sign_test(diffs)
    ties = len(diffs) - n
    if ties >= 0.5 * len(diffs):
        return (f"{INCONCLUSIVE}: no difference in {ties} of {len(diffs)} {what} (the metric cannot resolve "
                "the effect)")
    med = float(np.median(diffs))
    if p_claim <= ALPHA and med > floor:
        return REPRODUCED
    if p_opp <= ALPHA:
        return NOT_REPRODUCED
    if p_claim <= ALPHA:
        return (f"{INCONCLUSIVE}: the claimed sign in {pos} of {n} {what} (p = {p_claim:.3g}), but "
                f"the median effect {med:.3g} is below the seed-to-seed spread {floor:.3g}")
    if floor > 0 and pos <= 0.5 * n:
        _, _, p_small, _ = sign_test([floor - d for d in diffs])
        if p_small <= ALPHA:
            return NOT_REPRODUCED
    return f"{INCONCLUSIVE}: the claimed sign in {pos} of {n} {what}, not significant (p = {p_claim:.3g})"


def per_seed(diffs_by_key: dict, seed_index=0) -> list[float]:
    """{key tuple: difference} → one difference per θ₀ (key[seed_index], an index or a
    slice): the median over its other keys, so that runs sharing θ₀ count once in a sign
    test."""
    by: dict = {}
    for key, d in diffs_by_key.items():
        if math.isfinite(d):
            by.setdefault(key[seed_index], []).append(d)
    return [float(np.median(v)) for _, v in sorted(by.items())]


def spread(values) -> float:
    """The seed-to-seed standard deviation (ddof 1) of finite values; 0 for fewer than two."""
    v = [x for x in values if math.isfinite(x)]
    return float(np.std(v, ddof=1)) if len(v) > 1 else 0.0


def within(value: float, target: float, tol: float, n_used: int, n_made: int, what: str = "runs",
           err: float = 0.0) -> str:
    """Verdict on "value = target ± tol", measured on n_used of n_made runs with standard
    error ``err`` (0 for a value no run-to-run noise enters)."""
    reason = too_few(n_used, n_made, what)
    if reason:
        return reason
    if not (math.isfinite(value) and math.isfinite(err)):
        return f"{INCONCLUSIVE}: the value could not be measured"
    gap = abs(value - target)
    if gap + err <= tol:
        return REPRODUCED
    if gap - err > tol:
        return NOT_REPRODUCED
    return (f"{INCONCLUSIVE}: {value:.3g} ± {err:.2g} (standard error) straddles the tolerance's edge "
            f"{target:g} ± {tol:g}")


def median_error(values) -> float:
    """The standard error of the median of finite ``values`` (√(π/2)·s/√n, s with ddof 1);
    NaN for fewer than two."""
    v = [x for x in values if math.isfinite(x)]
    return math.sqrt(math.pi / 2) * float(np.std(v, ddof=1)) / math.sqrt(len(v)) if len(v) > 1 else math.nan


def jackknife_error(estimate, groups) -> float:
    """The jackknife standard error of ``estimate(subset)`` over ``groups`` (one per θ₀):
    √((n−1)/n·Σ(θ₋ᵢ − θ̄)²) of the estimates leaving one group out; NaN for fewer than
    three groups or where a leave-one-out estimate is not finite."""
    n = len(groups)
    if n < 3:
        return math.nan
    loo = [estimate(groups[:i] + groups[i + 1:]) for i in range(n)]
    if not all(math.isfinite(x) for x in loo):
        return math.nan
    return math.sqrt((n - 1) / n * sum((x - float(np.mean(loo))) ** 2 for x in loo))


def approx(value: float, band: float, control: float, n_used: int, n_made: int, what: str = "runs",
           control_name: str = "the control") -> str:
    """Verdict on "value ≈ 0" (value ≤ band), which only counts when ``control`` — the
    same measure for the method the paper says differs — lies outside the band."""
    reason = too_few(n_used, n_made, what)
    if reason:
        return reason
    if not math.isfinite(value):
        return f"{INCONCLUSIVE}: the value could not be measured"
    if value > band:
        return NOT_REPRODUCED
    if not math.isfinite(control):
        return f"{INCONCLUSIVE}: {control_name} could not be measured, so the band {band:g} is untested"
    if control <= band:
        return (f"{INCONCLUSIVE}: {control_name} ({control:.3g}) lies inside the band {band:g} too, "
                "so it cannot tell an effect from none")
    return REPRODUCED


def same_band(tol: float) -> float:
    """The RMS distance of test predictions within which two minimizers trained to loss
    ``tol`` count as the same (one yardstick for every "same"/"different" claim)."""
    return SAME_MINIMIZER * math.sqrt(tol)


def premise_not_met(what: str) -> str:
    return f"{INCONCLUSIVE}: premise not met ({what})"


def lazy_median(records) -> float:
    d = [r["lin_distance"] for r in records if math.isfinite(r.get("lin_distance", math.nan))]
    return float(np.median(d)) if d else math.nan


def lazy_premise(records) -> str | None:
    """None when the runs were in the kernel regime (median ‖f_NN − f_lin‖/‖f_lin‖ ≤ LAZY),
    else the premise-not-met verdict naming the value."""
    med = lazy_median(records)
    if not math.isfinite(med):
        return premise_not_met("laziness not measured")
    if med > LAZY:
        return premise_not_met(f"not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ {med:.3g} > {LAZY}")
    return None


def lazy_note(records, threshold: float = LAZY) -> str:
    """Whether the runs were in the kernel regime: the median relative distance of the
    trained net's test predictions from its linearization's, and of λ_max(K_T)/λ_max(K₀)."""
    med = lazy_median(records)
    k = [r["kernel_ratio"] for r in records if math.isfinite(r.get("kernel_ratio", math.nan))]
    if not math.isfinite(med):
        return "laziness not measured"
    state = "lazy" if med <= threshold else "not lazy"
    ratio = f", λ_max(K_T)/λ_max(K₀) median {np.median(k):.2f}" if k else ""
    return f"{state}: median ‖f_NN − f_lin‖/‖f_lin‖ on the test set {med:.3f}{ratio} ({len(records)} runs)"


def table(claims) -> list[str]:
    """The Markdown table every summary.md opens with."""
    lines = ["| claim | paper (figure, number) | measured | verdict |", "|---|---|---|---|"]
    for c in claims:
        cells = [c.claim, c.paper, c.measured, c.verdict]
        lines.append("| " + " | ".join(str(x).replace("|", "∣").replace("\n", " ") for x in cells) + " |")
    return lines
