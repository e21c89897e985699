"""000 Thm 3's premise: the adaptive matrices D_t concentrate around a D.

000 Sect. 4 says D_t concentrates around D when ‖D_t − D‖_op / D_max ≤ Z/√m for every t,
with D_max = sup_t ‖D_t‖_op. fastntk reads it on the diagonals a run records
(``record_D``), with D = D_T, the last update's: the drift sup_t ‖D_t − D_T‖ / sup_t ‖D_t‖.
Z is not given, so no bound follows from the formula; the premise counts as met where the
drift is at most CONCENTRATED, the package's one "stayed put" number (the kernel regime's,
``_rate.KERNEL_MOVE``), at every width judged.
"""
from __future__ import annotations

import math

import numpy as np

from ._rate import KERNEL_MOVE
from ._verdict import premise_not_met

CONCENTRATED = KERNEL_MOVE


def drift(D, eps: float) -> tuple[float, int]:
    """(sup_t ‖D_t − D_T‖ / sup_t ‖D_t‖, coordinates left out) over the diagonals ``D``
    (updates × P, float): every update's, or for AdaGrad the first and the last
    (``record_D="ends"``) — AdaGrad's D_t = 1/(√(Σ_{u≤t} g_u²) + eps) falls monotonically in
    each coordinate, so both suprema sit at the first update and the two rows give the same
    value as the whole history.

    The coordinates the run never moved are left out and counted: those whose D_t stayed at
    least 1/(2·eps) throughout (for AdaGrad, √(Σ_u g_u²) ≤ eps: no gradient above eps ever
    reached them), where D_t is eps's value, not the method's (000's D_t is infinite there),
    constant, and would set sup_t ‖D_t‖ alone — on MNIST every unit has weights on pixels that
    are 0 in every image, and the drift would read about 10⁻⁴ whatever the other coordinates
    do. A coordinate that starts there and later gets a gradient is kept: its D_t moves by
    about its whole size, which the drift then says. NaN where no coordinate is left."""
    D = np.asarray(D, np.float64)
    if D.ndim != 2 or not D.shape[0] or not D.shape[1]:
        return math.nan, 0
    kept = D.min(axis=0) < 0.5 / eps
    if not kept.any():
        return math.nan, int(D.shape[1])
    d = D[:, kept]
    return float(np.max(np.abs(d - d[-1])) / np.max(np.abs(d))), int((~kept).sum())


def concentration_note(runs) -> str:
    """Each width's median drift (``d_drift``) over ``runs``, and the coordinates left out."""
    widths = sorted({r["width"] for r in runs if math.isfinite(r.get("d_drift", math.nan))})
    if not widths:
        return "D_t's drift not recorded"
    left = [r.get("d_left_out", 0) for r in runs]
    return ("D_t's drift sup_t ‖D_t − D_T‖ / sup_t ‖D_t‖, median per width: "
            + ", ".join(f"m = {w}: {_median(runs, w):.3g} ({len(_drifts(runs, w))} runs)" for w in widths)
            + f" (the coordinates no gradient above eps ever reached left out, D_t there eps's value: median "
            f"{float(np.median(left)):.0f} per run)")


def _drifts(runs, width) -> list:
    return [r["d_drift"] for r in runs if r["width"] == width and math.isfinite(r.get("d_drift", math.nan))]


def _median(runs, width) -> float:
    d = _drifts(runs, width)
    return float(np.median(d)) if d else math.nan


def concentration_premise(runs) -> str | None:
    """None where D_t concentrated in ``runs`` at every width they span (the median drift at
    most CONCENTRATED), else the premise-not-met verdict naming the widths where it did not."""
    widths = sorted({r["width"] for r in runs})
    meds = {w: _median(runs, w) for w in widths}
    if not widths or any(not math.isfinite(v) for v in meds.values()):
        return premise_not_met("D_t's drift not recorded")
    off = {w: v for w, v in meds.items() if v > CONCENTRATED}
    if not off:
        return None
    return premise_not_met(
        "D_t does not concentrate: median sup_t ‖D_t − D_T‖ / sup_t ‖D_t‖ "
        + ", ".join(f"{v:.3g} at m = {w}" for w, v in off.items())
        + f" > {CONCENTRATED} (fastntk's reading of 000 Thm 3's ‖D_t − D‖_op ≤ Z·D_max/√m)")
