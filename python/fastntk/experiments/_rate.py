"""Claims of an O(1/√m) rate: a distance that shrinks at least like m^(−1/2) over a sweep
of widths (000 Thm 1 for GD, Thm 3 for adaptive methods), judged from the log-log slope of
its mean over the usable runs, with a standard error jackknifed over θ₀."""
from __future__ import annotations

import math

from ._base import group, loglog_slope
import numpy as np

from ._verdict import INCONCLUSIVE, MIN_RUNS, Claim, excluded, jackknife_error, usable, within

RATE = -0.5      # the theorems' rate: the distance decays at least like m^(−1/2)
RATE_TOL = 0.2   # a fitted slope up to RATE + RATE_TOL still counts as O(1/√m)
MIN_WIDTHS = 3   # the fewest widths, each with MIN_RUNS usable runs, a slope is fitted over
KERNEL_MOVE = 0.1  # the kernel regime (the theorems' m ≥ C): median |λ_max(K_T)/λ_max(K₀) − 1| at most this; read
                   # from the kernel, not from the net's distance to its closed form, which is what the slope measures


def mean_slope(runs, widths, key) -> float:
    """The log-log slope of the mean of ``key`` over ``widths``."""
    g = group(runs, ["width"], key)
    ws = [m for m in widths if (m,) in g]
    return loglog_slope(ws, [g[(m,)][0] for m in ws]) if len(ws) > 1 else math.nan


def needed_width(distance: float, target: float, m: int) -> int:
    """The width at which a distance of the net from its linearization, ``distance`` measured at
    width m, would fall to ``target`` if it shrinks like O(1/√m) (000 Thm 1 / Lemma 1's bound on
    |f_NN − f_lin|): m·(distance/target)², rounded up to a hundred. An extrapolation, not a run:
    the rows that quote it say so (issue 25: a row whose premise the preset's width misses names
    the width it would need)."""
    return int(math.ceil(m * (distance / target) ** 2 / 100.0)) * 100


def _kernel_moved(runs) -> float:
    v = [abs(r["kernel_ratio"] - 1.0) for r in runs if math.isfinite(r.get("kernel_ratio", math.nan))]
    return float(np.median(v)) if v else math.nan


def rate_claim(claim: str, paper: str, what: str, records, widths, key, tol) -> Claim:
    """"``key`` shrinks like O(1/√m)" over the usable runs (converged to ``tol``, not
    degenerate) at the widths with at least MIN_RUNS of them and — the theorems' premise
    m ≥ C — whose kernel stayed put (median |λ_max(K_T)/λ_max(K₀) − 1| ≤ KERNEL_MOVE).
    One-sided: O(1/√m) bounds the rate from above, so a steeper decay counts as the target
    itself."""
    widths = sorted(widths)
    ok, why = usable(records, tol)
    enough = [m for m in widths if sum(r["width"] == m for r in ok) >= MIN_RUNS]
    full = [m for m in enough if _kernel_moved([r for r in ok if r["width"] == m]) <= KERNEL_MOVE]
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
                 + (f"; m ∈ {left} left out, the kernel moved (median |λ_max(K_T)/λ_max(K₀) − 1| > {KERNEL_MOVE})"
                    if left else "") + ")",
                 verdict or within(max(slope, RATE) if math.isfinite(slope) else slope, RATE, RATE_TOL, len(runs),
                                   len(records), err=err))
