"""Solves with Gram matrices: Cholesky, with an eigendecomposition fallback that
reports the condition number (docs/design.md §2, projection onto the feature subspace)."""
from __future__ import annotations

import numpy as np

from ._interrupt import interruptible, lapack_is_long


# GD on (1/2N)‖f − Y‖² with kernel K is stable for η < 2N/λ_max(K); fastntk's default
# rate stays just inside that edge (App. E of Nonnenmacher et al., "Wide neural networks
# are interpolating kernel methods": η = 1.9/λ_max for the loss summed over the samples).
STABLE_FRACTION = 1.9


def gd_rate(n: int, lam_max: float) -> float:
    """η = 1.9·N/λ_max: the learning rate fastntk picks for GD (and its infinite-width
    limit) on N samples with the kernel's largest eigenvalue λ_max."""
    return STABLE_FRACTION * n / lam_max


def gd_factor(lam, steps, lr, n):
    """(1 − (1 − ηλ/N)ᵗ)/λ per eigenvalue λ of a kernel: K⁻¹(I − (I − ηK/N)ᵗ) in K's
    eigenbasis, the t-step GD map of the loss (1/2N)‖f − Y‖² on a kernel model. Stable
    as λ → 0 (→ ηt/N) and exact for the oscillating directions ηλ/N ≥ 1 (whole t);
    t = ∞ gives 1/λ (0 where λ ≤ 0)."""
    if np.isinf(steps):
        return np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
    a = lr * lam / n
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        smooth = -np.expm1(steps * np.log1p(-np.where(a >= 1, 0.0, a)))
        g = np.where(a >= 1, 1.0 - np.power(1.0 - a, steps), smooth) / lam
        return np.where(np.abs(lam) > 1e-300, g, lr * steps / n)


def flow_factor(lam, tau):
    """(1 − e^{−λτ})/λ per eigenvalue λ of a kernel: K⁻¹(I − e^{−Kτ}) in K's eigenbasis, the
    gradient flow of a kernel model run for the time τ (the continuous-time gd_factor).
    Stable as λ → 0 (→ τ); τ = ∞ gives 1/λ (0 where λ ≤ 0). ``tau`` may be an array: the
    result then has its shape followed by λ's."""
    lam = np.asarray(lam, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inf = np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
        finite = np.where(np.abs(lam) > 1e-300, -np.expm1(-lam * tau) / np.where(lam == 0, 1.0, lam), tau)
    return np.where(np.isinf(tau), inf, finite)


def _lapack(fn, n):
    """A dense N×N factorization: on a worker thread when long, so Ctrl-C is seen."""
    return interruptible(fn) if lapack_is_long(n) else fn()


class SingularKernelError(ValueError):
    """K is singular or too ill-conditioned to solve with in the working precision."""


class KernelSolver:
    """K⁻¹ applied to vectors/matrices for a symmetric positive (semi)definite K (N × N).

    Cholesky first (float64). If it fails, or the condition number λ_max/λ_min exceeds
    ``max_cond``, the eigendecomposition decides: ``pinv=False`` raises
    SingularKernelError naming the condition number and what to do; ``pinv=True``
    solves with the pseudo-inverse (eigenvalues below rcond·λ_max dropped).
    """

    def __init__(self, K, *, pinv: bool = False, max_cond: float = 1e12, rcond: float = 1e-12):
        K = np.asarray(K, dtype=np.float64)
        if K.ndim != 2 or K.shape[0] != K.shape[1]:
            raise ValueError(f"K: expected a square matrix, got shape {K.shape}")
        if not np.isfinite(K).all():
            raise ValueError("K: contains NaN or Inf")
        self.n = K.shape[0]
        if not isinstance(pinv, (bool, np.bool_)):
            raise TypeError(f"pinv: expected True or False, got {pinv!r}")
        self.pinv = bool(pinv)
        self._chol = None
        self._eig = None
        # The eigenvalues (not the Cholesky diagonal, which can understate the
        # condition number by orders of magnitude) decide; Cholesky solves when it can.
        ev = _lapack(lambda: np.linalg.eigvalsh(K), self.n)
        self.cond = float(ev[-1] / ev[0]) if ev[0] > 0 else np.inf
        if self.cond <= max_cond:
            try:
                self._chol = _lapack(lambda: np.linalg.cholesky(K), self.n)
                return
            except np.linalg.LinAlgError:
                pass
        lam, Q = _lapack(lambda: np.linalg.eigh(K), self.n)
        lam_max = max(abs(lam[-1]), np.finfo(float).tiny)
        self.cond = float(lam_max / lam[0]) if lam[0] > 0 else np.inf
        if not pinv and (lam[0] <= 0 or self.cond > max_cond):
            raise SingularKernelError(
                f"K: singular or ill-conditioned (condition number {self.cond:.3e}, "
                f"λ_min = {lam[0]:.3e}, λ_max = {lam[-1]:.3e}); duplicate or nearly duplicate "
                "inputs make K singular: remove them, or pass pinv=True for the minimum-norm "
                "(pseudo-inverse) solution")
        keep = lam > rcond * lam_max
        self.rank = int(keep.sum())
        self._eig = (lam, Q, keep)

    def solve(self, b) -> np.ndarray:
        b = np.asarray(b, dtype=np.float64)
        if b.shape[0] != self.n:
            raise ValueError(f"b: expected leading dimension {self.n}, got shape {b.shape}")
        if self._chol is not None:
            L = self._chol
            y = np.linalg.solve(L, b)
            return np.linalg.solve(L.T, y)
        lam, Q, keep = self._eig
        inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
        c = Q.T @ b
        return Q @ (inv[:, None] * c if c.ndim == 2 else inv * c)
