"""The theorems of the papers as executable formulas (docs/design.md §3).

Nonnenmacher, Reeb, Steinwart, "Which minimizer does my neural network converge
to?" (papers 000/001) and "Wide neural networks are interpolating kernel
methods" (002); Sankararaman et al., "The impact of neural network
overparameterization on gradient confusion and SGD" (003).

Every function takes the network, θ₀ and data, and evaluates the formula without
forming P × P matrices: K⁻¹ is only ever applied to N-vectors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_matrix, as_vector, positive, positive_int
from .dynamics import default_lr, train
from .kernels import adaptive_ntk, jacobian, jvp, ntk, vjp
from .linalg import KernelSolver, SingularKernelError
from .model import MLP

__all__ = [
    "Decomposition", "decompose", "project_features", "thm2_bounds", "init_term_scaling",
    "select_sigma", "SigmaSelection", "adaptive_closed_form", "constant_D_minimizer",
    "minimizer_distance", "sgd_vs_gd", "underparameterized_minimizer", "last_layer_kernel",
    "last_layer_minimizer", "GradientConfusion", "gradient_confusion", "linearization_gap",
    "SingularKernelError", "Thm2Bounds", "strategy41_params", "gradient_confusion_along_training",
]


def _setup(net, params, X, X_test=None):
    if not isinstance(net, MLP):
        raise TypeError(f"net: expected a fastntk.MLP, got {type(net).__name__}")
    theta = net.flatten(params)
    X = as_matrix(X, "X", net.dtype, net.input_dim)
    Xt = None if X_test is None else as_matrix(X_test, "X_test", net.dtype, net.input_dim)
    return theta, X, Xt


def _labels(Y, n, name="Y"):
    Y = np.asarray(Y)
    if Y.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of shape ({n},), got shape {Y.shape}")
    return as_vector(Y, name, np.float64, n)


def _require_overparameterized(net, n):
    if net.num_params < n:
        raise ValueError(
            f"P = {net.num_params} < N = {n}: this is the underparameterized regime, where K = φφᵀ "
            "is singular; use theory.underparameterized_minimizer instead")


@dataclass
class Decomposition:
    """Thm 1: f_lin,∞(X_T) = f_int(X_T) + init_term(X_T) (all shape (N_T,), float64)."""
    f_int: np.ndarray         # K(X_T, X) K⁻¹ Y, the minimum-RKHS-norm interpolator
    init_term: np.ndarray     # f₀(X_T) − K(X_T, X)K⁻¹f₀(X) = (1/L)φ(X_T)(1 − P_F)θ₀ (zero biases)
    f_lin: np.ndarray         # the converged linearized network on X_T
    f0: np.ndarray            # f₀(X_T)
    norm_PF_theta0: float     # ‖P_F θ₀‖
    norm_perp_theta0: float   # ‖(1 − P_F) θ₀‖
    cond: float               # condition number of K(X, X)


def decompose(net: MLP, params, X, Y, X_test, *, pinv: bool = False) -> Decomposition:
    """Thm 1 (Nonnenmacher et al., Eq. (4)) at θ₀: the GD-trained wide network is
    f_int + the initialization term, which vanishes on the training inputs.

    Singular K (duplicate inputs) raises SingularKernelError with the condition
    number, unless ``pinv=True`` asks for the pseudo-inverse.
    """
    theta, X, Xt = _setup(net, params, X, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    Y = _labels(Y, X.shape[0])
    _require_overparameterized(net, X.shape[0])
    solver = KernelSolver(ntk(net, theta, X), pinv=pinv)
    Kt = ntk(net, theta, Xt, X).astype(np.float64)
    f0X = net.apply(theta, X).astype(np.float64)
    f0T = net.apply(theta, Xt).astype(np.float64)
    f_int = Kt @ solver.solve(Y)
    init = f0T - Kt @ solver.solve(f0X)
    # ‖P_Fθ₀‖² = (φθ₀)ᵀK⁻¹(φθ₀): one JVP and one solve.
    u = jvp(net, theta, X, theta).astype(np.float64)
    pf2 = max(0.0, float(u @ solver.solve(u)))
    t2 = float(np.dot(theta.astype(np.float64), theta.astype(np.float64)))
    return Decomposition(f_int=f_int, init_term=init, f_lin=f_int + init, f0=f0T,
                         norm_PF_theta0=math.sqrt(min(pf2, t2)),
                         norm_perp_theta0=math.sqrt(max(0.0, t2 - pf2)), cond=solver.cond)


def project_features(net: MLP, params, X, v, *, pinv: bool = False) -> np.ndarray:
    """P_F v = φ(X)ᵀ K⁻¹ φ(X) v for v of shape (P,), matrix-free: JVP, solve, VJP."""
    theta, X, _ = _setup(net, params, X)
    v = as_vector(v, "v", net.dtype, net.num_params)
    _require_overparameterized(net, X.shape[0])
    solver = KernelSolver(ntk(net, theta, X), pinv=pinv)
    c = solver.solve(jvp(net, theta, X, v).astype(np.float64))
    return vjp(net, theta, X, c.astype(net.dtype))


@dataclass
class Thm2Bounds:
    """Thm 2, Eq. (5), stated for root-mean-square errors ‖·‖/√N_T (= √(2L_T))."""
    J: float                  # ‖(1/L)φ₁(X_T)(1 − P_F)θ₀‖/√N_T = ‖init term at σ = 1‖/√N_T
    sigma_L_J: float          # σᴸ J: the RMSE of the initialization term at this σ
    rmse_int: float           # ‖f_int(X_T) − Y_T‖/√N_T
    lower_bound: float        # σᴸJ − rmse_int ≤ RMSE of the trained wide net (up to O(1/√m))
    rmse_trained: float | None  # the trained network's RMSE, when given


def thm2_bounds(net: MLP, params, X, Y, X_test, Y_test, *, trained_pred=None) -> Thm2Bounds:
    """J(X_T) and the lower bound of Eq. (5) (zero biases; σᴸ → σ with normal biases)."""
    theta, X, Xt = _setup(net, params, X, X_test)
    Yt = _labels(Y_test, Xt.shape[0], "Y_test")
    one = decompose(net.replace(sigma=1.0), theta, X, Y, Xt)
    here = decompose(net, theta, X, Y, Xt)
    nT = Xt.shape[0]
    J = float(np.linalg.norm(one.init_term) / math.sqrt(nT))
    scale = net.sigma ** net.depth if net.bias in ("zero", "none") else net.sigma
    rmse_int = float(np.linalg.norm(here.f_int - Yt) / math.sqrt(nT))
    rmse = None
    if trained_pred is not None:
        rmse = float(np.linalg.norm(as_vector(trained_pred, "trained_pred", np.float64, nT) - Yt) / math.sqrt(nT))
    return Thm2Bounds(J=J, sigma_L_J=scale * J, rmse_int=rmse_int, lower_bound=scale * J - rmse_int,
                      rmse_trained=rmse)


def init_term_scaling(net: MLP, params, X, Y, X_test, sigmas) -> np.ndarray:
    """‖init term(X_T)‖ at each σ with the same θ₀: ∝ σᴸ exactly without biases (Thm 2)."""
    sigmas = [positive(s, "sigmas") for s in sigmas]
    return np.array([np.linalg.norm(decompose(net.replace(sigma=s), params, X, Y, X_test).init_term)
                     for s in sigmas])


@dataclass
class SigmaSelection:
    sigma: float                     # the σ with the smallest validation loss
    params: list                     # that run's trained parameters
    path: list = field(default_factory=list)  # dicts: sigma, val_loss, train_loss, steps, status


def select_sigma(net: MLP, params, X, Y, X_val, Y_val, *, sigma_start: float = 1.0,
                 shrink: float = 0.7, margin: float = 0.01, max_rounds: int = 12,
                 max_steps: int = 100_000, model: str = "network", **train_kwargs) -> SigmaSelection:
    """Sect. 3's algorithm: train at σ′ = sigma_start, then with the same θ₀ at
    successively smaller σ (×shrink) while the validation loss (1/2N_V)‖f − Y_V‖²
    improves by more than ``margin`` (relative); stop when it does not, or when a run
    stops converging within ``max_steps`` (training too slow). Returns the run with the
    smallest validation loss (the first one if none converged; see ``path``)."""
    shrink = positive(shrink, "shrink")
    if shrink >= 1:
        raise ValueError(f"shrink: expected a factor in (0, 1), got {shrink}")
    theta, X, Xv = _setup(net, params, X, X_val)
    Yv = _labels(Y_val, Xv.shape[0], "Y_val")
    sigma, best, path = positive(sigma_start, "sigma_start"), None, []
    for _ in range(positive_int(max_rounds, "max_rounds")):
        n = net.replace(sigma=sigma)
        res = train(n, theta, X, Y, model=model, X_test=Xv, max_steps=max_steps, **train_kwargs)
        val = float(0.5 * np.mean((res.history["test_pred"][-1].astype(np.float64) - Yv) ** 2))
        path.append(dict(sigma=sigma, val_loss=val, train_loss=float(res.history["train_loss"][-1]),
                         steps=res.steps, status=res.status))
        improved = best is None or val < best[1] * (1 - margin)
        if best is None or val < best[1]:
            best = (sigma, val, res.params)
        # Stop when the loss stops improving, or training became too slow to converge.
        if not improved or res.status != "converged":
            break
        sigma *= shrink
    return SigmaSelection(sigma=best[0], params=best[2], path=path)


def _as_diagonals(D, P):
    D = np.asarray(D, dtype=np.float64)
    if D.ndim != 2 or D.shape[1] != P:
        raise ValueError(f"D: expected shape (t, P) with P = {P}, got {D.shape}")
    if not np.isfinite(D).all():
        raise ValueError("D: contains NaN or Inf")
    return D


def adaptive_closed_form(net: MLP, params, X, Y, X_test, D, lr: float) -> np.ndarray:
    """Thm 3, Eq. (7): linearized full-batch adaptive training after t = len(D) steps,

        f_t(x) = f₀(x) + φ(x)A_t[1 − Π_{u<t}(1 − M_u)](Y − f₀(X)) + φ(x)B_t,
        M_u = (η/N)φD_uφᵀ, A_t = D_{t−1}φᵀ(φD_{t−1}φᵀ)⁻¹,
        B_t = Σ_{v=2..t}(A_{v−1} − A_v)[1 − Π_{w≤v−2}(1 − M_w)](Y − f₀(X)),

    with φ(x)A_v = K_{D_{v−1}}(x, X)K_{D_{v−1}}⁻¹. D is (t × P): the diagonals
    D_0 … D_{t−1} that ``train(..., record_D=True)`` records. Returns (N_T,). Costs t
    adaptive kernels, so it is for checking the theory, not for long runs.
    """
    theta, X, Xt = _setup(net, params, X, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    Y = _labels(Y, X.shape[0])
    D = _as_diagonals(D, net.num_params)
    lr = positive(lr, "lr")
    N, t = X.shape[0], D.shape[0]
    f0X = net.apply(theta, X).astype(np.float64)
    f0T = net.apply(theta, Xt).astype(np.float64)
    r = Y - f0X                      # r_u = Π_{w<u}(1 − M_w) r_0
    r0 = r.copy()
    G = []                           # G_u = K_{D_u}(X_T, X) K_{D_u}⁻¹
    S = [np.zeros(N)]                # S_u r_0 = r_0 − r_u
    for u in range(t):
        d = D[u].astype(net.dtype)
        Ku = adaptive_ntk(net, theta, X, d=d).astype(np.float64)
        Ktu = adaptive_ntk(net, theta, Xt, X, d=d).astype(np.float64)
        G.append(KernelSolver(Ku).solve(Ktu.T).T)
        r = r - (lr / N) * (Ku @ r)
        S.append(r0 - r)
    if t == 0:
        return f0T
    out = f0T + G[t - 1] @ S[t]
    for v in range(2, t + 1):
        out += (G[v - 2] - G[v - 1]) @ S[v - 1]
    return out


def constant_D_minimizer(net: MLP, params, X, Y, X_test, d, *, pinv: bool = False) -> np.ndarray:
    """Example 1: with a constant diagonal D, training converges to
    f₀(X_T) + K_D(X_T, X) K_D⁻¹ (Y − f₀(X)), shape (N_T,)."""
    theta, X, Xt = _setup(net, params, X, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    Y = _labels(Y, X.shape[0])
    d = as_vector(d, "d", net.dtype, net.num_params)
    _require_overparameterized(net, X.shape[0])
    solver = KernelSolver(adaptive_ntk(net, theta, X, d=d), pinv=pinv)
    Kt = adaptive_ntk(net, theta, Xt, X, d=d).astype(np.float64)
    return net.apply(theta, Xt).astype(np.float64) + Kt @ solver.solve(Y - net.apply(theta, X))


def minimizer_distance(pred_a, pred_b) -> float:
    """RMS distance between two predictors on the test points: ‖a − b‖/√N_T."""
    a, b = np.asarray(pred_a, np.float64), np.asarray(pred_b, np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"pred_a, pred_b: expected two 1-D arrays of one shape, got {a.shape}, {b.shape}")
    return float(np.linalg.norm(a - b) / math.sqrt(a.size))


def sgd_vs_gd(net: MLP, params, X, Y, X_test, *, optimizer: str = "sgd",
              split_ratios=(0.1, 0.2, 0.5, 1.0), shuffle: bool = False, model: str = "linearized",
              tol: float = 1e-8, max_steps: int = 200_000, **train_kwargs) -> dict:
    """Thm 4: train with mini-batches of each split ratio and with full batches, and
    report the test-prediction distance to the full-batch minimizer. With D = 1 (sgd)
    the distances vanish (4a); with AdaGrad/Adam they do not (4b).

    Returns dict(split_ratio → dict(distance, status, steps, pred)); ratio 1.0 is the
    full-batch reference."""
    theta, X, Xt = _setup(net, params, X, X_test)
    full_opt = "gd" if optimizer == "sgd" else optimizer
    ref = train(net, theta, X, Y, model=model, optimizer=full_opt, X_test=Xt, tol=tol,
                max_steps=max_steps, **train_kwargs)
    ref_pred = ref.history["test_pred"][-1]
    out = {}
    for ratio in split_ratios:
        opt = optimizer if optimizer != "sgd" or ratio < 1 else "gd"
        r = ref if float(ratio) == 1.0 else train(
            net, theta, X, Y, model=model, optimizer=opt, split_ratio=ratio, shuffle=shuffle,
            X_test=Xt, tol=tol, max_steps=max_steps, **train_kwargs)
        pred = r.history["test_pred"][-1]
        out[float(ratio)] = dict(distance=minimizer_distance(pred, ref_pred), status=r.status,
                                 steps=r.steps, pred=pred)
    return out


def underparameterized_minimizer(net: MLP, params, X, Y, X_test) -> np.ndarray:
    """App. A: for P < N the linearized model has a unique minimizer,
    f₀(X_T) + φ(X_T)(φᵀφ)⁻¹φᵀ(Y − f₀(X)) — the same for every optimizer and D; with
    zero biases the initialization term cancels (Lemma 4), so it is φ(X_T)(φᵀφ)⁻¹φᵀY."""
    theta, X, Xt = _setup(net, params, X, X_test)
    if Xt is None:
        raise ValueError("X_test: required")
    Y = _labels(Y, X.shape[0])
    if net.num_params >= X.shape[0]:
        raise ValueError(f"P = {net.num_params} >= N = {X.shape[0]}: the minimizer is not unique in the "
                         "overparameterized regime; use theory.decompose")
    phi = jacobian(net, theta, X).astype(np.float64)
    delta, *_ = np.linalg.lstsq(phi, Y - net.apply(theta, X), rcond=None)
    return net.apply(theta, Xt).astype(np.float64) + jacobian(net, theta, Xt).astype(np.float64) @ delta


def _last_layer_mask(net: MLP) -> np.ndarray:
    d = np.zeros(net.num_params, net.dtype)
    d[net._spec.weight_offset(net.depth):] = 1
    return d


def last_layer_kernel(net: MLP, params, X1, X2=None) -> np.ndarray:
    """The kernel of the last-layer features (paper 002, Thm 1):
    K_last(x, x′) = c_L² a^{L−1}(x)·a^{L−1}(x′) + β_L², i.e. φ D φᵀ with D the
    indicator of (W^L, b^L)."""
    return adaptive_ntk(net, params, X1, X2, d=_last_layer_mask(net))


def last_layer_minimizer(net: MLP, params, X, Y, X_test, *, pinv: bool = False) -> np.ndarray:
    """Training only the last layer from W^L = 0 (and b^L = 0) converges to the
    interpolator K_last(X_T, X) K_last⁻¹ Y (paper 002, Thm 1)."""
    theta, X, Xt = _setup(net, params, X, X_test)
    Y = _labels(Y, X.shape[0])
    solver = KernelSolver(last_layer_kernel(net, theta, X), pinv=pinv)
    return last_layer_kernel(net, theta, Xt, X).astype(np.float64) @ solver.solve(Y)


@dataclass
class GradientConfusion:
    """Pairwise statistics of per-sample (or mini-batch) loss gradients (paper 003)."""
    inner: np.ndarray          # ⟨∇ℓ_i, ∇ℓ_j⟩, N × N
    cosine: np.ndarray         # their cosines (0 where a gradient vanishes)
    min_cosine: float          # min over i ≠ j: the confusion bound of Def. 2.1 in cosine form
    mean_cosine: float         # mean over i ≠ j
    min_inner: float           # min over i ≠ j of ⟨∇ℓ_i, ∇ℓ_j⟩ (−η in Def. 2.1)
    batch_inner: np.ndarray | None = None
    batch_cosine: np.ndarray | None = None
    batch_min_cosine: float | None = None
    batch_mean_cosine: float | None = None

    def offdiagonal_cosines(self, batches: bool = False) -> np.ndarray:
        c = self.batch_cosine if batches else self.cosine
        return c[~np.eye(c.shape[0], dtype=bool)]


def _pair_stats(inner):
    norms = np.sqrt(np.maximum(np.diag(inner), 0.0))
    denom = np.outer(norms, norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(denom > 0, inner / denom, 0.0)
    off = ~np.eye(inner.shape[0], dtype=bool)
    if off.any():
        return cos, float(cos[off].min()), float(cos[off].mean()), float(inner[off].min())
    return cos, float("nan"), float("nan"), float("nan")


def strategy41_params(net: MLP, kappa: float = 0.5, seed: int = 0) -> list:
    """Sankararaman et al.'s Strategy 4.1 initialization for a ``standard``-parametrized
    net: W¹ ~ N(0, 1/d), W^p ~ N(0, 1/(κ m_{p−1})) for p ≥ 2, zero biases (κ = 1/2 is He
    initialization for ReLU, κ = 1 the usual choice for tanh)."""
    if net.parametrization != "standard":
        raise ValueError("net: Strategy 4.1 is an initialization of the 'standard' parametrization")
    kappa = positive(kappa, "kappa")
    rng = np.random.default_rng(seed)
    params = []
    for l in range(1, net.depth + 1):
        m, mp = net.widths[l], net.widths[l - 1]
        var = 1.0 / mp if l == 1 else 1.0 / (kappa * mp)
        params.append((rng.standard_normal((m, mp)) * math.sqrt(var)).astype(net.dtype))
        if net.has_bias:
            params.append(np.zeros(m, net.dtype))
    return params


def gradient_confusion(net: MLP, params, X, Y, *, loss: str = "squared", batch_size: int | None = None,
                       num_batches: int = 32, seed: int = 0) -> GradientConfusion:
    """All pairwise inner products of per-sample loss gradients from the Gram matrix:
    ∇ℓ_i = r_i φ(x_i), so ⟨∇ℓ_i, ∇ℓ_j⟩ = r_i r_j K_ij, without materializing gradients.

    loss="squared": ℓ_i = ½(f_i − y_i)², r_i = f_i − y_i; loss="logistic": labels
    {0, 1} (or ±1) as ỹ = ±1, ℓ_i = log(1 + e^{−ỹ_i f_i}), r_i = −ỹ_i/(1 + e^{ỹ_i f_i}).
    With batch_size, also ``num_batches`` random mini-batches B (drawn without
    replacement, seeded): ⟨g_B, g_B′⟩ = r_Bᵀ K_{BB′} r_{B′}/(|B||B′|).
    """
    theta, X, _ = _setup(net, params, X)
    Y = _labels(Y, X.shape[0])
    f = net.apply(theta, X).astype(np.float64)
    if loss == "squared":
        r = f - Y
    elif loss == "logistic":
        s = np.where(Y > 0, 1.0, -1.0)
        r = -s / (1.0 + np.exp(np.clip(s * f, -700, 700)))
    else:
        raise ValueError(f"loss: expected 'squared' or 'logistic', got {loss!r}")
    K = ntk(net, theta, X).astype(np.float64)
    inner = r[:, None] * K * r[None, :]
    cos, mn, mean, mi = _pair_stats(inner)
    out = GradientConfusion(inner=inner, cosine=cos, min_cosine=mn, mean_cosine=mean, min_inner=mi)
    if batch_size is not None:
        b = positive_int(batch_size, "batch_size")
        if b > X.shape[0]:
            raise ValueError(f"batch_size: expected 1 <= batch_size <= N = {X.shape[0]}, got {b}")
        nb = positive_int(num_batches, "num_batches")
        rng = np.random.default_rng(seed)
        S = np.zeros((nb, X.shape[0]))
        for k in range(nb):
            rows = rng.choice(X.shape[0], size=b, replace=False)
            S[k, rows] = r[rows] / b
        binner = S @ K @ S.T
        bcos, bmn, bmean, _ = _pair_stats(binner)
        out.batch_inner, out.batch_cosine = binner, bcos
        out.batch_min_cosine, out.batch_mean_cosine = bmn, bmean
    return out


def gradient_confusion_along_training(net: MLP, params, X, Y, checkpoints, *, lr: float | None = None,
                                      loss: str = "squared", batch_size: int | None = None,
                                      model: str = "network", seed: int = 0) -> list:
    """Gradient confusion at θ_t for each t in ``checkpoints`` (increasing step counts)
    along one full-batch GD run: GD keeps no state besides θ, so training in segments
    between checkpoints is the same run. Returns [(t, GradientConfusion), …]."""
    steps = [int(t) for t in checkpoints]
    if any(t < 0 for t in steps) or steps != sorted(steps):
        raise ValueError(f"checkpoints: expected increasing step counts >= 0, got {list(checkpoints)}")
    theta, X, _ = _setup(net, params, X)
    lr = default_lr(net, theta, X) if lr is None else positive(lr, "lr")
    out, done, current = [], 0, theta
    for t in steps:
        if t > done:
            res = train(net, current, X, Y, model=model, optimizer="gd", lr=lr, max_steps=t - done,
                        tol=1e-300, record_every=t - done)
            if res.status != "max_steps":
                raise RuntimeError(f"gradient_confusion_along_training: the GD run stopped early ({res.status}) "
                                   f"at step {done + res.steps}")
            current, done = res.theta, t
        out.append((t, gradient_confusion(net, current, X, Y, loss=loss, batch_size=batch_size, seed=seed)))
    return out


def linearization_gap(widths, X, Y, X_test, *, depth: int = 2, sigma: float = 1.0, seeds=(0,),
                      bias: str = "zero", dtype=np.float64, tol: float = 1e-6,
                      max_steps: int = 100_000) -> dict:
    """sup over test points of |f_NN − f_lin,∞| after GD training, for each width m
    (averaged over ``seeds``), and the fitted slope of log(gap) against log(m)
    (theory: −1/2)."""
    widths = [positive_int(m, "widths") for m in widths]
    X = np.asarray(X)
    gaps = np.zeros(len(widths))
    for i, m in enumerate(widths):
        net = MLP.uniform(X.shape[1], m, depth, sigma=sigma, bias=bias, dtype=dtype)
        for seed in seeds:
            theta = net.init(seed)
            res = train(net, theta, X, Y, X_test=X_test, tol=tol, max_steps=max_steps)
            lin = decompose(net, theta, X, Y, X_test).f_lin
            gaps[i] += float(np.max(np.abs(res.history["test_pred"][-1] - lin))) / len(seeds)
    slope = float(np.polyfit(np.log(widths), np.log(gaps), 1)[0]) if len(widths) > 1 else float("nan")
    return dict(widths=np.array(widths), gaps=gaps, slope=slope)
