"""The paired "worse than GD" test of 000 Fig. 3's reading, one rule shared by adaptive and
overparameterization-ce (pre-run review of next22-c: overparameterization-ce's AdaGrad-worse rows
still went through overparameterization's floor drawn from the same paired differences)."""
from __future__ import annotations

import math

import numpy as np

from ._verdict import ALPHA, INCONCLUSIVE, MIN_PAIRS, NOT_REPRODUCED, REPRODUCED, too_few


def signed_rank(diffs) -> tuple[float, float]:
    """(p of a signed-rank sum at least the observed one, p of one at most it): the exact
    one-sided tails of Wilcoxon's signed-rank test on the non-zero ``diffs`` (ranks of |d|,
    ties averaged), under the null that each sign is + or − with probability ½ — enumerated,
    not approximated, so the level holds at n = 5. (1.0, 1.0) for no non-zero difference."""
    d = [x for x in diffs if math.isfinite(x) and x != 0]
    if not d:
        return 1.0, 1.0
    order = np.argsort(np.abs(d), kind="stable")
    ranks = np.empty(len(d))
    a = np.abs(np.asarray(d))[order]
    i = 0
    while i < len(d):  # average ranks over ties of |d|
        j = i
        while j + 1 < len(d) and a[j + 1] == a[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    twice = [int(round(2 * r)) for r in ranks]  # half-integer ranks as integers
    counts = {0: 1}  # the null distribution of 2·W+, by convolution over the ranks
    for r in twice:
        nxt = dict(counts)
        for w, c in counts.items():
            nxt[w + r] = nxt.get(w + r, 0) + c
        counts = nxt
    total = 2.0 ** len(d)
    w_obs = sum(r for r, x in zip(twice, d) if x > 0)
    return (sum(c for w, c in counts.items() if w >= w_obs) / total,
            sum(c for w, c in counts.items() if w <= w_obs) / total)


def paired_direction(diffs, n_made: int, what: str = "seeds", tie_note: str | None = None) -> str:
    """Verdict on "diff > 0" from one paired difference per θ₀ by an exact one-sided test at
    ALPHA (:func:`signed_rank`; at n = 5 it is the sign test's: only 5 of 5 positive reach p =
    1/32): *reproduced* when the claimed sign is significant, *not reproduced* when the
    opposite sign is significant at the same level, else *inconclusive* — too few usable
    seeds, half or more ties, or neither tail significant. 000 reads Fig. 3 as a direction (the
    adaptive methods' test performance worse, "a significant gap") and states no size for the
    gap, so no equivalence margin exists against which an absent gap could be shown: only the
    opposite sign contradicts the paper's reading. (next21's rule added a floor drawn from the
    same paired differences, whose "below the spread" branch read *not reproduced* in about
    25 % of null samples at n = 5.) ``tie_note``: what a tie is where the differences are
    themselves medians (overparameterization-ce's median over N: next23-b), instead of "the
    metric cannot resolve the effect"."""
    diffs = [d for d in diffs if math.isfinite(d)]
    reason = too_few(len(diffs), n_made, what, MIN_PAIRS)
    if reason:
        return reason
    ties = sum(d == 0 for d in diffs)
    if ties >= 0.5 * len(diffs):
        return (f"{INCONCLUSIVE}: no difference in {ties} of {len(diffs)} {what} ("
                + (tie_note or "the metric cannot resolve the effect") + ")")
    p_claim, p_opp = signed_rank(diffs)
    if p_claim <= ALPHA:
        return REPRODUCED
    if p_opp <= ALPHA:
        return NOT_REPRODUCED
    return (f"{INCONCLUSIVE}: the claimed sign in {sum(d > 0 for d in diffs)} of {len(diffs)} {what}, not "
            f"significant (exact one-sided signed-rank p = {p_claim:.3g}; the opposite p = {p_opp:.3g})")
