"""Nonnenmacher, Reeb, Steinwart, "Which minimizer does my neural network converge
to?" (paper 000; appendices in 001): Thms 1–4 and the σ-selection algorithm.

Every function takes the network, θ₀ and data, and evaluates the formula without
forming P × P matrices: K⁻¹ is only ever applied to N-vectors."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._validate import _real, integer, positive, positive_int, real, to_host_matrix, to_host_vector
from ..config import TrainConfig
from ..dynamics import train
from ..kernels import adaptive_ntk, jvp, ntk, vjp
from ..linalg import KernelSolver
from ..model import MLP
from ._common import _labels, _require_overparameterized, _setup


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
    v = to_host_vector(v, "v", net.dtype, net.num_params)
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
    theta, X, Xt = _setup(net, params, X, X_test, required=True)
    Yt = _labels(Y_test, Xt.shape[0], "Y_test")
    one = decompose(net.replace(sigma=1.0), theta, X, Y, Xt)
    here = decompose(net, theta, X, Y, Xt)
    nT = Xt.shape[0]
    J = float(np.linalg.norm(one.init_term) / math.sqrt(nT))
    scale = net.sigma ** net.depth if net.bias in ("zero", "none") else net.sigma
    rmse_int = float(np.linalg.norm(here.f_int - Yt) / math.sqrt(nT))
    rmse = None
    if trained_pred is not None:
        rmse = float(np.linalg.norm(to_host_vector(trained_pred, "trained_pred", np.float64, nT) - Yt) / math.sqrt(nT))
    return Thm2Bounds(J=J, sigma_L_J=scale * J, rmse_int=rmse_int, lower_bound=scale * J - rmse_int,
                      rmse_trained=rmse)


def init_term_scaling(net: MLP, params, X, Y, X_test, sigmas) -> np.ndarray:
    """‖init term(X_T)‖ at each σ with the same θ₀: ∝ σᴸ exactly without biases (Thm 2)."""
    _setup(net, params, X, X_test)
    if isinstance(sigmas, (str, bytes)) or not hasattr(sigmas, "__iter__"):
        raise TypeError(f"sigmas: expected a sequence of values > 0, got {sigmas!r}")
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
                 max_steps: int | None = None, model: str = "network", trainer: Callable | None = None,
                 **train_kwargs) -> SigmaSelection:
    """Sect. 3's algorithm: train at σ′ = sigma_start, then with the same θ₀ at
    successively smaller σ (×shrink) while the validation loss (1/2N_V)‖f − Y_V‖²
    improves by more than ``margin`` (relative); stop when it does not, or when a run
    stops converging within ``max_steps`` (training too slow). Returns the converged run
    with the smallest validation loss — a run that did not converge is the signal to stop,
    not a candidate (the first run if none converged; see ``path``).

    ``trainer(net, params, X, Y, X_val, max_steps)`` trains one round and returns a
    :class:`~fastntk.TrainResult` with the validation predictions recorded; the default is
    :func:`fastntk.train` with ``model`` and ``train_kwargs`` (its rate rule: 1.9N/λ_max
    for GD). A caller with its own rate rules (halving on a rising loss, say) passes them
    here, so the algorithm stays this one."""
    shrink = positive(shrink, "shrink")
    if shrink >= 1:
        raise ValueError(f"shrink: expected a factor in (0, 1), got {shrink}")
    margin = real(margin, "margin", 0.0, 1.0, high_open=True)
    theta, X, Xv = _setup(net, params, X, X_val, test_name="X_val", required=True)
    Yv = _labels(Y_val, Xv.shape[0], "Y_val")
    # None: TrainConfig's default, the one owner of training defaults (a trainer gets the number)
    max_steps = TrainConfig.max_steps if max_steps is None else positive_int(max_steps, "max_steps")
    sigma, best, path = positive(sigma_start, "sigma_start"), None, []
    for _ in range(positive_int(max_rounds, "max_rounds")):
        n = net.replace(sigma=sigma)
        if trainer is None:
            res = train(n, theta, X, Y, model=model, X_test=Xv, max_steps=max_steps, **train_kwargs)
        else:
            res = trainer(n, theta, X, Y, Xv, max_steps)
        val = float(0.5 * np.mean((res.history["test_pred"][-1].astype(np.float64) - Yv) ** 2))
        path.append(dict(sigma=sigma, val_loss=val, train_loss=float(res.history["train_loss"][-1]),
                         steps=res.steps, status=res.status, lr=float(res.lr)))
        improved = best is None or val < best[1] * (1 - margin)
        if best is None or (res.status == "converged" and (val < best[1] or path[0]["status"] != "converged")):
            best = (sigma, val, res.params)
        # Stop when the loss stops improving, or training became too slow to converge.
        if not improved or res.status != "converged":
            break
        sigma *= shrink
    return SigmaSelection(sigma=best[0], params=best[2], path=path)


def _as_diagonals(D, P):
    D = _real(D, "D").astype(np.float64)
    if D.ndim != 2 or D.shape[1] != P:
        raise ValueError(f"D: expected shape (t, P) with P = {P}, got {D.shape}")
    if not np.isfinite(D).all():
        raise ValueError("D: contains NaN or Inf")
    return D


def adaptive_closed_form(net: MLP, params, X, Y, X_test, D, lr: float, *, pinv: bool = False) -> np.ndarray:
    """Thm 3, Eq. (7): linearized full-batch adaptive training after t = len(D) steps,

        f_t(x) = f₀(x) + φ(x)A_t[1 − Π_{u<t}(1 − M_u)](Y − f₀(X)) + φ(x)B_t,
        M_u = (η/N)φD_uφᵀ, A_t = D_{t−1}φᵀ(φD_{t−1}φᵀ)⁻¹,
        B_t = Σ_{v=2..t}(A_{v−1} − A_v)[1 − Π_{w≤v−2}(1 − M_w)](Y − f₀(X)),

    with φ(x)A_v = K_{D_{v−1}}(x, X)K_{D_{v−1}}⁻¹. D is (t × P): the diagonals
    D_0 … D_{t−1} that ``train(..., record_D=True)`` records. Returns (N_T,). Costs t
    adaptive kernels, so it is for checking the theory, not for long runs. A singular K_{D_u}
    raises SingularKernelError naming its condition number, unless ``pinv=True`` asks for the
    pseudo-inverse (the minimum-norm A_t), as :func:`decompose`.
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
        G.append(KernelSolver(Ku, pinv=pinv).solve(Ktu.T).T)
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
    d = to_host_vector(d, "d", net.dtype, net.num_params)
    _require_overparameterized(net, X.shape[0])
    solver = KernelSolver(adaptive_ntk(net, theta, X, d=d), pinv=pinv)
    Kt = adaptive_ntk(net, theta, Xt, X, d=d).astype(np.float64)
    return net.apply(theta, Xt).astype(np.float64) + Kt @ solver.solve(Y - net.apply(theta, X))


def minimizer_distance(pred_a, pred_b) -> float:
    """RMS distance between two predictors on the test points: ‖a − b‖/√N_T."""
    a = to_host_vector(pred_a, "pred_a", np.float64)
    b = to_host_vector(pred_b, "pred_b", np.float64)
    if a.shape != b.shape:
        raise ValueError(f"pred_a, pred_b: expected two 1-D arrays of one shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("pred_a, pred_b: expected predictions on at least one test point, got empty arrays")
    return float(np.linalg.norm(a - b) / math.sqrt(a.size))


def sgd_vs_gd(net: MLP, params, X, Y, X_test, *, optimizer: str = "sgd",
              split_ratios=(0.1, 0.2, 0.5, 1.0), shuffle: bool = False, model: str = "linearized",
              tol: float = 1e-8, max_steps: int = 200_000, **train_kwargs) -> dict:
    """Thm 4: train with mini-batches of each split ratio and with full batches, and
    report the test-prediction distance to the full-batch minimizer. With D = 1 (sgd)
    the distances vanish (4a); with AdaGrad/Adam they do not (4b).

    Returns dict(split_ratio → dict(distance, status, steps, pred)); ratio 1.0 is the
    full-batch reference."""
    theta, X, Xt = _setup(net, params, X, X_test, required=True)
    if isinstance(split_ratios, (str, bytes)) or not hasattr(split_ratios, "__iter__"):
        raise TypeError(f"split_ratios: expected a sequence of values in (0, 1], got {split_ratios!r}")
    split_ratios = [real(r, "split_ratios", 0.0, 1.0, low_open=True) for r in split_ratios]
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


def linearization_gap(widths, X, Y, X_test, *, depth: int = 2, sigma: float = 1.0, seeds=(0,),
                      bias: str = "zero", dtype=np.float64, tol: float = 1e-6,
                      max_steps: int | None = None) -> dict:
    """sup over test points of |f_NN − f_lin,∞| after GD training, for each width m
    (averaged over ``seeds``), and the fitted slope of log(gap) against log(m)
    (theory: −1/2)."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths: expected a sequence of widths, got {widths!r}")
    widths = [positive_int(m, "widths") for m in widths]
    if not widths:
        raise ValueError("widths: expected at least one width")
    X = to_host_matrix(X, "X", np.float64)
    if np.ndim(X_test) != 2 or np.shape(X_test)[1] != X.shape[1]:
        raise ValueError(f"X, X_test: expected inputs of one dimension d, got shapes {X.shape} and "
                         f"{np.shape(X_test)}")
    depth = positive_int(depth, "depth")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__") or not list(seeds):
        raise TypeError(f"seeds: expected a non-empty sequence of seeds, got {seeds!r}")
    seeds = [integer(s, "seeds", 0, 2**64 - 1) for s in seeds]
    max_steps = TrainConfig.max_steps if max_steps is None else max_steps  # None: TrainConfig's default
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
