"""How the experiments train: the papers' learning-rate rules, to equal training loss,
with the laziness of each run measured and its loss curve kept.

Learning rates (000 App. D, and what the theorems assume):
- GD: η = 1.9·N/λ_max(K₀), the linear model's rate (``linalg.gd_rate``).
- SGD: every mini-batch step stable for the kernel at θ₀: η = gd_rate(|B|, λ_max(K₀[B, B]))
  at its least over the batches the run takes (the first ``SGD_EPOCHS`` epochs of its
  schedule), and never above GD's η.
- AdaGrad, RMSprop, Adam: the largest η on a halving grid for which the training loss
  decays monotonically (find_lr over the first 50 steps as the first guess, then the
  whole run, below).
GD trains at its rate for the whole run, as the papers do (001 App. D, 002 App. E: "the
theoretical value" 1.9/λ_max): its loss is not required to fall monotonically, and the run
is redone at half the rate (at most ``RETRIES`` times) only where it diverges. GD at
1.9N/λ_max(K₀) may oscillate once the kernel grows along the run; next20 redid such runs at
half the rate, which a replay of late-linearization found deciding its rows (every run
halved, the θ_T distance of a narrow net 0.115 at η/2 against 0.022 at the paper's η). The
record keeps the run's largest climb above its least loss so far (``max_climb``, the core's
statistic) so that a row whose theorem needs "η small enough" can read it as a premise.
The adaptive methods' rate is the papers' own rule, "the largest value for the learning
rate that still guarantees a monotonous decay of the training loss" (001 App. D): their
loss is judged at every step by the core's stop rule (``TrainConfig.monotone``) and the run
redone at half the rate where it climbs more than ``MONOTONE_TOL`` above its least so far.
The tolerance lets through the single-step blips of a ReLU net whose activation pattern
changes (a replay found one of 5·10⁻⁷ of the loss in 18,090 steps at ηλ_max/N = 0.59,
where a strict rule had halved the run four times).
Mini-batch SGD's full training loss is not monotone even when SGD converges (003
Thm 3.1: it descends linearly to a neighbourhood whose size the gradient confusion
sets; each step descends on its own batch only), so an SGD run is redone at half the
rate only when its full training loss at the records every ``record_every`` steps rises
above its value at θ₀ or stops being finite (the loss curve's extra log-spaced records are
not read: a transient climb above θ₀ in the first steps — 17 of 30 SGD runs of
overparameterization's seeds 310–314 climb by up to 3.8× within steps 1–13, then converge — is
no failure to converge).
Each run's record keeps its loss curve: the training loss at log-spaced steps
(``CURVE_PER_DECADE`` a decade) and at the records, thinned to at most ``CURVE_POINTS``.
"""
from __future__ import annotations

import math

import numpy as np

from ..dynamics import batch_schedule, default_lr, find_lr, train
from ..kernels import ntk
from ..linalg import gd_rate
from ._base import Interrupted

RETRIES = 4
SGD_EPOCHS = 100
MONOTONE_TOL = 1e-3
CURVE_PER_DECADE = 10
CURVE_POINTS = 120
ADAPTIVE = ("adagrad", "rmsprop", "adam")


def sgd_lr(net, theta, X, batch_size, *, shuffle, seed, max_steps):
    """The least gd_rate(|B|, λ_max(K₀[B, B])) over the run's batches, capped at GD's rate."""
    N = X.shape[0]
    K = ntk(net, theta, X).astype(np.float64)
    steps = min(max_steps, SGD_EPOCHS * math.ceil(N / batch_size)) if shuffle else math.ceil(N / batch_size)
    sched = batch_schedule(N, batch_size, max(1, steps), shuffle=shuffle, seed=seed)
    rates = [gd_rate(len(rows), np.linalg.eigvalsh(K[np.ix_(np.array(rows), np.array(rows))])[-1])
             for rows in {tuple(r[r >= 0]) for r in sched}]
    return min(min(rates), default_lr(net, theta, X))


def decays_from_start(res, every) -> bool:
    """The training loss recorded at the steps that are multiples of ``every`` (θ₀ among
    them) and at the last is finite and never rises above its value at θ₀."""
    steps = np.asarray(res.history["step"])
    loss = np.asarray(res.history["train_loss"], float)[(steps % every == 0) | (steps == steps[-1])]
    return bool(np.all(np.isfinite(loss)) and np.all(loss[1:] <= loss[0]))


def loss_curve(res) -> dict:
    """The run's recorded training loss, thinned to at most CURVE_POINTS records spaced
    evenly in log(1 + record number), the first and the last kept: {"step": [...],
    "train_loss": [...]}."""
    steps, loss = np.asarray(res.history["step"]), np.asarray(res.history["train_loss"], float)
    pick = np.unique(np.round(np.geomspace(1, len(steps), min(CURVE_POINTS, len(steps)))).astype(int) - 1)
    return dict(step=[int(t) for t in steps[pick]], train_loss=[float(v) for v in loss[pick]])


def fit(net, theta, X, Y, *, optimizer="gd", lr=None, tol, max_steps, X_test=None, callback=None,
        record_every=20, batch_size=None, shuffle=False, seed=0, model="network", **hyper):
    """Train to ``tol`` under the rules above; returns (TrainResult, info) with info =
    dict(lr_first, lr, retries, oscillated, max_climb, steps_tried, curve): ``oscillated``
    where the run was redone, its last try failed or its loss climbed more than MONOTONE_TOL
    above its least so far, ``max_climb`` the last try's largest
    relative climb above its least loss so far, ``steps_tried`` the steps of every try
    together. Ctrl-C raises Interrupted."""
    kw = dict(X_test=X_test, tol=tol, max_steps=max_steps, record_every=record_every,
              records_per_decade=CURVE_PER_DECADE, model=model, callback=callback, **hyper)
    minibatch = batch_size is not None and batch_size < X.shape[0]
    if minibatch:
        kw.update(batch_size=batch_size, shuffle=shuffle, seed=seed)
    elif optimizer in ADAPTIVE:
        kw.update(monotone=MONOTONE_TOL)
    if lr is None:
        if optimizer in ADAPTIVE:
            lr = find_lr(net, theta, X, Y, optimizer=optimizer, model=model, **hyper)
        elif optimizer == "sgd" and minibatch:
            lr = sgd_lr(net, theta, X, batch_size, shuffle=shuffle, seed=seed, max_steps=max_steps)
        else:
            lr = default_lr(net, theta, X)
    first, retries, tried = lr, 0, 0
    while True:
        res = train(net, theta, X, Y, optimizer=optimizer, lr=lr, **kw)
        if res.status == "interrupted":
            raise Interrupted()
        tried += res.steps
        ok = res.status not in ("diverged", "not monotone") and (not minibatch or decays_from_start(res, record_every))
        if ok or retries == RETRIES:
            return res, dict(lr_first=first, lr=lr, retries=retries,
                             oscillated=retries > 0 or not ok or res.max_climb > MONOTONE_TOL,
                             max_climb=float(res.max_climb), steps_tried=tried, curve=loss_curve(res))
        lr /= 2
        retries += 1


def climb_note(runs) -> str:
    """How many of ``runs`` (records with ``max_climb``) saw their loss climb more than
    MONOTONE_TOL above its least so far, and by how much at most: '' where none recorded it."""
    climbs = [r["max_climb"] for r in runs if isinstance(r.get("max_climb"), (int, float))]
    if not climbs:
        return ""
    up = [c for c in climbs if c > MONOTONE_TOL]
    return (f"its loss climbed more than {MONOTONE_TOL:g} above its least so far in {len(up)} of {len(climbs)} runs"
            + (f" (by up to {max(up):.3g}× that least)" if up else ""))


def laziness(net, theta0, params_T, X, pred_test, lin_test) -> dict:
    """lin_distance = ‖f_NN(X_T) − f_lin(X_T)‖/‖f_lin(X_T)‖ (the trained net against its
    linearization trained the same way) and kernel_ratio = λ_max(K_T)/λ_max(K₀)."""
    pred, lin = np.asarray(pred_test, float), np.asarray(lin_test, float)
    lam0 = np.linalg.eigvalsh(ntk(net, theta0, X).astype(np.float64))[-1]
    lamT = np.linalg.eigvalsh(ntk(net, params_T, X).astype(np.float64))[-1]
    return dict(lin_distance=float(np.linalg.norm(pred - lin) / max(np.linalg.norm(lin), 1e-300)),
                kernel_ratio=float(lamT / lam0))
