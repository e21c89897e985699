"""Verdicts on the papers' claims, computed from all of a preset's runs.

The rules are fixed before any run and are the same for every experiment:

- Equal training loss. A comparison uses only runs that reached the preset's
  tolerance (status "converged"); the others are excluded and counted in the
  verdict. A run compared with another is paired by its seed (same θ₀).
- Too few runs. A claim judged on fewer than ``MIN_RUNS`` converged runs (or
  pairs), or on fewer than half of those the preset made, is *inconclusive*.
- Direction claims ("A is larger than B"). *Reproduced* when at least 3/4 of the
  paired differences have the claimed sign, *not reproduced* when at most 1/4 do,
  *inconclusive* (mixed) in between.
- Value claims ("the slope is 2L"). *Reproduced* when the measured value lies
  within the stated tolerance of the paper's, *not reproduced* otherwise.

Every summary.md opens with the table :func:`table` writes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
MIN_RUNS = 3
AGREE = 0.75


@dataclass
class Claim:
    claim: str      # what the paper says, in a line
    paper: str      # where and what number: "000 Fig. 2 (slope 2L = 4)"
    measured: str   # what the runs gave
    verdict: str    # reproduced / not reproduced / inconclusive (reason)


def converged(records, tol=None):
    """The runs that reached the tolerance (a finite final training loss below tol)."""
    out = []
    for r in records:
        loss = r.get("train_loss", math.nan)
        if r.get("status") == "converged" and math.isfinite(loss) and (tol is None or loss < tol):
            out.append(r)
    return out


def pairs(a_runs, b_runs, key=("seed",)):
    """(a, b) of runs with equal ``key`` (the same θ₀), both converged."""
    index = {tuple(r[k] for k in key): r for r in converged(b_runs)}
    return [(a, index[tuple(a[k] for k in key)]) for a in converged(a_runs)
            if tuple(a[k] for k in key) in index]


def too_few(n_used: int, n_made: int, what: str = "runs") -> str | None:
    """The reason a claim is inconclusive for lack of converged runs, or None."""
    if n_used < MIN_RUNS or n_used < 0.5 * n_made:
        return (f"{INCONCLUSIVE}: only {n_used} of {n_made} {what} reached the training-loss tolerance "
                f"(needs ≥ {MIN_RUNS} and ≥ half)")
    return None


def direction(diffs, n_made: int, what: str = "pairs") -> str:
    """Verdict on "diff > 0" from the converged pairs' differences (n_made: all pairs the
    preset made, converged or not)."""
    diffs = [d for d in diffs if math.isfinite(d)]
    reason = too_few(len(diffs), n_made, what)
    if reason:
        return reason
    share = float(np.mean(np.asarray(diffs) > 0))
    if share >= AGREE:
        return REPRODUCED
    if share <= 1 - AGREE:
        return NOT_REPRODUCED
    return f"{INCONCLUSIVE}: mixed, the claimed sign in {share:.0%} of {len(diffs)} {what}"


def within(value: float, target: float, tol: float, n_used: int, n_made: int, what: str = "runs") -> str:
    """Verdict on "value = target ± tol", measured on n_used of n_made runs."""
    reason = too_few(n_used, n_made, what)
    if reason:
        return reason
    if not math.isfinite(value):
        return f"{INCONCLUSIVE}: the value could not be measured"
    return REPRODUCED if abs(value - target) <= tol else NOT_REPRODUCED


def lazy_note(records, threshold: float = 0.1) -> str:
    """Whether the runs were in the kernel regime: the median relative distance of the
    trained net's test predictions from its linearization's, and of λ_max(K_T)/λ_max(K₀)."""
    d = [r["lin_distance"] for r in records if math.isfinite(r.get("lin_distance", math.nan))]
    k = [r["kernel_ratio"] for r in records if math.isfinite(r.get("kernel_ratio", math.nan))]
    if not d:
        return "laziness not measured"
    med = float(np.median(d))
    state = "lazy" if med <= threshold else "not lazy"
    ratio = f", λ_max(K_T)/λ_max(K₀) median {np.median(k):.2f}" if k else ""
    return f"{state}: median ‖f_NN − f_lin‖/‖f_lin‖ on the test set {med:.3f}{ratio}"


def table(claims) -> list[str]:
    """The Markdown table every summary.md opens with."""
    lines = ["| claim | paper (figure, number) | measured | verdict |", "|---|---|---|---|"]
    for c in claims:
        cells = [c.claim, c.paper, c.measured, c.verdict]
        lines.append("| " + " | ".join(str(x).replace("|", "∣").replace("\n", " ") for x in cells) + " |")
    return lines
