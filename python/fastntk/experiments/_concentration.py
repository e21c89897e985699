"""000 Thm 3's concentration premise, measured and reported beside the rows that apply Thm 3
to AdaGrad.

000 Sect. 4 says D_t concentrates around D when ‖D_t − D‖_op / D_max ≤ Z/√m for every t,
with D_max = sup_t ‖D_t‖_op. fastntk measures it on the diagonals a run records
(``record_D``), with the D that fits best — per coordinate the middle of the range its D_t
covers — as the drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖, a number in [0, ½].

It is not a premise of the rows (next29-f): the premise is asymptotic (Z fixed, m ≥ C: the drift
must fall like 1/√m; at one width any drift meets it for some Z), and for AdaGrad as 000 defines
it (line 120 of its text: D_t = diag(Σ_{u=0}^t g_u g_uᵀ)^(−1/2), no initial accumulator) nothing
ties the drift to m (ADAGRAD); 000 applies Thm 3 to AdaGrad all the same — in Sect. 4, Example 1 (whose scalar
D_t fails the literal reading too) and Fig. 3 — on the ground its line 120 gives: "in general we
only need that the linearization during training holds approximately (App. F.4)". The rows'
premise is that one, the nets in the kernel regime; the drift is printed beside them, so a
reader sees how far the literal premise is from holding.
"""
from __future__ import annotations

import math

import numpy as np

from ._rate import mean_slope

ADAGRAD = ("000 Thm 3's premise as worded, D_t concentrating (‖D_t − D‖_op ≤ Z·D_max/√m for m ≥ C, Z fixed), "
           "asks the drift to fall like 1/√m; for AdaGrad as 000 defines it (D_t = diag(Σ_(u≤t) g_u g_uᵀ)^(−1/2)) "
           "nothing ties it to m: it is set by the coordinates with the largest D_t, those whose first gradient was "
           "smallest, and their D_t falls by the ratio of their accumulated gradient to their first (about "
           "½(1 − first/accumulated)); 000 applies Thm 3 to AdaGrad where the linearization holds approximately "
           "(its App. F.4), which is this row's premise, and the drift and its slope over m are reported beside it, "
           "not judged")


def drift(D, eps: float) -> tuple[float, int]:
    """(sup_t ‖D_t − D‖ / sup_t ‖D_t‖ with D per coordinate the middle of its D_t's range,
    coordinates left out) over the diagonals ``D`` (rows: every update's, or the two rows of
    ``record_D="ends"``, which for AdaGrad — D_t falling monotonically per coordinate from the
    first update a gradient above eps reached it — bound the whole path).

    Each coordinate is read over the updates where its D_t was below 1/(2·eps): a gradient
    above eps had reached it. Before that D_t is eps's value, 1/(√0 + eps), not the method's
    (000's D_t is infinite there), and would set sup_t ‖D_t‖ alone — on MNIST every unit has
    weights on pixels that are 0 in every image, and a unit that starts firing on an image with
    a rare pixel reaches new weights late. A coordinate never reached is left out and counted.
    NaN from fewer than two updates or where no coordinate is left."""
    D = np.asarray(D, np.float64)
    if D.ndim != 2 or D.shape[0] < 2 or not D.shape[1]:
        return math.nan, 0
    reached = np.where(D < 0.5 / eps, D, np.nan)
    kept = ~np.isnan(reached).all(axis=0)
    if not kept.any():
        return math.nan, int(D.shape[1])
    hi, lo = np.nanmax(reached[:, kept], axis=0), np.nanmin(reached[:, kept], axis=0)
    return float(np.max(hi - lo) / 2 / np.max(hi)), int((~kept).sum())


def _median(values) -> float:
    return float(np.median(values)) if values else math.nan


def concentration_note(runs) -> str:
    """Each width's median drift (``d_drift``) over ``runs`` and its coordinates left out; the
    widths whose runs have no drift are named."""
    widths = sorted({r["width"] for r in runs})
    if not widths:
        return "D_t's drift: no AdaGrad net to read it on"
    read = {w: [r for r in runs if r["width"] == w and math.isfinite(r.get("d_drift", math.nan))] for w in widths}
    cells = [f"m = {w}: {_median([r['d_drift'] for r in rs]):.3g} ({len(rs)} runs; coordinates never reached, left "
             f"out: median {_median([r.get('d_left_out', 0) for r in rs]):.0f})" for w, rs in read.items() if rs]
    unread = [w for w, rs in read.items() if not rs]
    have = [w for w, rs in read.items() if rs]
    slope = mean_slope([r for rs in read.values() for r in rs], have, "d_drift") if len(have) > 1 else math.nan
    return ("D_t's drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ (D per coordinate the middle of its range, so at most ½; each "
            "coordinate from the first update a gradient above eps reached it; reported, not judged), median per "
            "width: " + (", ".join(cells) or "none recorded")
            + (f"; not recorded at m = {unread}" if unread and cells else "")
            + (f"; log-log slope of its mean over m {slope:.2f} (the premise asks about −½)" if math.isfinite(slope)
               else ""))
