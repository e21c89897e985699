"""The theorems' prerequisite and rate in λ₀ = λ_min(Θ(X, X)), the smallest eigenvalue of
the infinite-width NTK on the data (000 Sect. 2).

Thms 1–3 and Lemma 1 of 000 assume λ₀ > 0 ("non-degenerate data") and a "sufficiently
small" step size, and their width requirement is C = poly(N, 1/δ, 1/λ₀, 1/σ): the
smaller λ₀, the wider the network must be. In the limit they describe, GD on
(1/2N)‖f − Y‖² moves the training residual by r_{t+1} = (I − ηΘ/N) r_t, so it contracts
by ρ = max(|1 − ηλ₀/N|, |1 − ηλ_max/N|) per step (Du et al. 2019, Thm 4.1, in this loss
convention) and converges for every η < 2N/λ_max.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import positive, real, to_host_matrix, to_host_vector
from ..infinite import kernels
from ._common import _net

# λ₀ below this fraction of λ_max is a singular Θ in float64 (KernelSolver's limit)
DEGENERATE = 1e-12


@dataclass(frozen=True)
class Prerequisites:
    """lambda0, lambda_max : extreme eigenvalues of Θ(X, X) (N × N, float64);
    non_degenerate : λ₀ > 10⁻¹²·λ_max, the theorems' assumption;
    lr_max : 2N/λ_max, the step sizes below which infinite-width GD converges;
    n : N."""
    lambda0: float
    lambda_max: float
    non_degenerate: bool
    lr_max: float
    n: int

    def contraction(self, lr: float) -> float:
        """ρ(η) = max(|1 − ηλ₀/N|, |1 − ηλ_max/N|): the residual's worst per-step factor."""
        lr = positive(lr, "lr")
        return max(abs(1 - lr * self.lambda0 / self.n), abs(1 - lr * self.lambda_max / self.n))


def prerequisites(net, X) -> Prerequisites:
    """λ₀ and λ_max of the infinite-width NTK Θ of ``net`` on X (N, d), and what they
    imply for 000's theorems (this module's docstring). O(N²dL + N³)."""
    net = _net(net)
    X = to_host_matrix(X, "X", np.float64, net.input_dim)
    lam = np.linalg.eigvalsh(kernels(net, X, get="ntk").ntk)
    n = X.shape[0]
    return Prerequisites(float(lam[0]), float(lam[-1]), bool(lam[0] > DEGENERATE * lam[-1]),
                         float(2 * n / lam[-1]) if lam[-1] > 0 else float("inf"), n)


def gd_loss_bound(net, X, Y, lr: float, steps, *, f0=None) -> np.ndarray:
    """The upper bound L_t ≤ ρ(η)^{2t}·L₀ on the training loss (1/2N)‖f_t − Y‖² of GD with
    step ``lr`` on the infinite-width network at the steps ``steps`` (array of t ≥ 0),
    with L₀ from the initial outputs ``f0`` (N,; default 0, the ensemble mean). Equality
    holds when f0 − Y lies along Θ's eigenvector of the contraction's eigenvalue."""
    pre = prerequisites(net, X)
    rho = pre.contraction(lr)
    Y = to_host_vector(Y, "Y", np.float64, pre.n)
    f0 = np.zeros(pre.n) if f0 is None else to_host_vector(f0, "f0", np.float64, pre.n)
    steps = np.asarray([real(t, "steps", 0.0) for t in np.atleast_1d(steps)])
    loss0 = 0.5 * float(np.mean((f0 - Y) ** 2))
    return loss0 * rho ** (2 * steps)
