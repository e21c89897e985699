"""000 Thm 3's premise: the adaptive matrices D_t concentrate around a D.

000 Sect. 4 says D_t concentrates around D when ‖D_t − D‖_op / D_max ≤ Z/√m for every t,
with D_max = sup_t ‖D_t‖_op. fastntk reads it on the diagonals a run records
(``record_D``), with the D that fits best — per coordinate the middle of the range its D_t
covers — as the drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ (a number in [0, ½]). Z is not given,
so no bound follows from the formula at one width; the premise counts as met where the drift
is at most CONCENTRATED, the package's one "stayed put" number (the kernel regime's,
``_rate.KERNEL_MOVE``), at every width judged. The reading is literal: 000's Example 1, a D_t
that changes by a scalar factor only (which leaves Eq. (7)'s A_t unchanged), does not meet it
either, though 000 evaluates Thm 3 there.

For AdaGrad with PyTorch's zero initial accumulator the premise is not expected to hold at any
width (ADAGRAD): D_t,i = 1/(√(Σ_{u≤t} g_{u,i}²) + eps) falls, from the first update that reaches
coordinate i, by the ratio of its accumulated gradient to its first, which nothing ties to m,
and the drift takes the largest such fall over P ∝ m coordinates (a pre-run review measured
0.49999 of the ceiling ½ on two adaptive-closed-form runs at m = 200 and 800, and 0.478 over
the 99th percentile of coordinates). The rows say so; the rule still reads it, as it would
pass for a D_t that does concentrate (a large initial accumulator, in the tests).
"""
from __future__ import annotations

import math

import numpy as np

from ._rate import KERNEL_MOVE
from ._verdict import premise_not_met

CONCENTRATED = KERNEL_MOVE
UNRECORDED = premise_not_met("D_t's drift not recorded")
NO_RUNS = premise_not_met("no judged AdaGrad net to read D_t's drift on")
UNREAD = (UNRECORDED, NO_RUNS)   # the premise not read, as against read and failed
ADAGRAD = ("for AdaGrad with PyTorch's zero initial accumulator not expected at any width: D_t,i = 1/(√(Σ_(u≤t) "
           "g_(u,i)²) + eps) falls, from the first update that reaches coordinate i, by the ratio of its accumulated "
           "gradient to its first, which nothing ties to m, and the drift takes the largest such fall over P ∝ m "
           "coordinates (000 Sect. 4 calls concentration the simplest sufficient assumption, App. F.4 approximate "
           "linearization enough)")


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


def _drifts(runs, width) -> list:
    return [r["d_drift"] for r in runs if r["width"] == width and math.isfinite(r.get("d_drift", math.nan))]


def _median(values) -> float:
    return float(np.median(values)) if values else math.nan


def concentration_note(runs) -> str:
    """Each width's median drift (``d_drift``) over ``runs``, and its coordinates left out."""
    read = [r for r in runs if math.isfinite(r.get("d_drift", math.nan))]
    widths = sorted({r["width"] for r in read})
    if not widths:
        return "D_t's drift not recorded" if runs else "no judged AdaGrad net to read D_t's drift on"
    return ("D_t's drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ (D per coordinate the middle of its range, so at most ½; each "
            "coordinate from the first update a gradient above eps reached it), median per width: "
            + ", ".join(f"m = {w}: {_median(_drifts(read, w)):.3g} ({len(_drifts(read, w))} runs; coordinates never "
                        f"reached, left out: median "
                        f"{_median([r.get('d_left_out', 0) for r in read if r['width'] == w]):.0f})" for w in widths))


def concentration_premise(runs) -> str | None:
    """None where D_t concentrated in ``runs`` at every width they span (the median drift at
    most CONCENTRATED); NO_RUNS for no runs, UNRECORDED where a width has no drift; else the
    premise-not-met verdict naming the widths where it did not."""
    widths = sorted({r["width"] for r in runs})
    if not widths:
        return NO_RUNS
    meds = {w: _median(_drifts(runs, w)) for w in widths}
    if any(not math.isfinite(v) for v in meds.values()):
        return UNRECORDED
    off = {w: v for w, v in meds.items() if v > CONCENTRATED}
    if not off:
        return None
    return premise_not_met(
        "D_t does not concentrate: median drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ "
        + ", ".join(f"{v:.3g} at m = {w}" for w, v in off.items())
        + f" > {CONCENTRATED}; fastntk's literal reading of 000 Thm 3's ‖D_t − D‖_op ≤ Z·D_max/√m, Z not given")
