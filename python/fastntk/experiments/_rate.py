"""Claims of an O(1/√m) rate: a distance that shrinks at least like m^(−1/2) over a sweep
of widths (000 Thm 1 for GD, Thm 3 for adaptive methods), judged from the log-log slope of
its mean over the usable runs, with a standard error jackknifed over θ₀."""
from __future__ import annotations

import math

from ._base import group, loglog_slope
from ._verdict import INCONCLUSIVE, LAZY, MIN_RUNS, Claim, excluded, jackknife_error, lazy_median, usable, within

RATE = -0.5      # the theorems' rate: the distance decays at least like m^(−1/2)
RATE_TOL = 0.2   # a fitted slope up to RATE + RATE_TOL still counts as O(1/√m)
MIN_WIDTHS = 3   # the fewest widths, each with MIN_RUNS usable runs, a slope is fitted over


def mean_slope(runs, widths, key) -> float:
    """The log-log slope of the mean of ``key`` over ``widths``."""
    g = group(runs, ["width"], key)
    ws = [m for m in widths if (m,) in g]
    return loglog_slope(ws, [g[(m,)][0] for m in ws]) if len(ws) > 1 else math.nan


def rate_claim(claim: str, paper: str, what: str, records, widths, key, tol, lazy: bool = True) -> Claim:
    """"``key`` shrinks like O(1/√m)" over the usable runs (converged to ``tol``, not
    degenerate) at the widths with at least MIN_RUNS of them and — the theorems' premise
    m ≥ C — whose runs are lazy (median ‖f_NN − f_lin‖/‖f_lin‖ ≤ LAZY, when ``lazy``).
    One-sided: O(1/√m) bounds the rate from above, so a steeper decay counts as the target
    itself."""
    widths = sorted(widths)
    ok, why = usable(records, tol)
    enough = [m for m in widths if sum(r["width"] == m for r in ok) >= MIN_RUNS]
    full = [m for m in enough if not lazy or lazy_median([r for r in ok if r["width"] == m]) <= LAZY]
    left = [m for m in enough if m not in full]
    runs = [r for r in ok if r["width"] in full]
    slope = mean_slope(runs, full, key)
    err = jackknife_error(lambda keep: mean_slope([r for r in runs if r["seed"] in keep], full, key),
                          sorted({r["seed"] for r in runs}))
    verdict = None
    if len(full) < MIN_WIDTHS:
        verdict = f"{INCONCLUSIVE}: {len(full)} width(s) with ≥ {MIN_RUNS} usable runs, needs ≥ {MIN_WIDTHS}"
    return Claim(claim, f"{paper} (log-log slope ≤ {RATE} + {RATE_TOL})",
                 f"slope {slope:.2f} ± {err:.2f} (jackknife over θ₀) of {what} over m ∈ {full} ({len(runs)} usable "
                 f"runs at those widths; {len(ok)} of {len(records)} usable in all{excluded(why)}"
                 + (f"; m ∈ {left} left out, not lazy (median > {LAZY})" if left else "") + ")",
                 verdict or within(max(slope, RATE) if math.isfinite(slope) else slope, RATE, RATE_TOL, len(runs),
                                   len(records), err=err))
