"""How the experiments train: the papers' learning-rate rules, to equal training loss,
with the laziness of each run measured.

Learning rates (000 App. D, and what the theorems assume):
- GD: η = 1.9·N/λ_max(K₀), the linear model's rate.
- SGD: every mini-batch step stable for the kernel at θ₀: η = 1.9·min_B |B|/λ_max(K₀[B, B])
  over the batches the run takes (the first ``SGD_EPOCHS`` epochs of its schedule), and
  never above GD's η.
- AdaGrad, RMSprop, Adam: the largest η on a halving grid for which the training loss
  decays monotonically (find_lr over the first 50 steps as the first guess).
For every full-batch optimizer the loss must decay monotonically over the *whole* run
(checked at every record, and between records as the run goes): where it stops
decaying — GD at 1.9N/λ_max(K₀) oscillates once the kernel grows along the run — the
run is redone at half the rate (at most ``RETRIES`` times) and the record says so.
Mini-batch SGD's full training loss is not monotone even when SGD converges (003
Thm 3.1: it descends linearly to a neighbourhood whose size the gradient confusion
sets; each step descends on its own batch only), so an SGD run is redone at half the
rate only when its full training loss rises above its value at θ₀ or stops being finite.
"""
from __future__ import annotations

import math

import numpy as np

from ..dynamics import batch_schedule, default_lr, find_lr, train
from ..kernels import ntk
from ._base import Interrupted

RETRIES = 4
SGD_EPOCHS = 100
ADAPTIVE = ("adagrad", "rmsprop", "adam")


def sgd_lr(net, theta, X, batch_size, *, shuffle, seed, max_steps):
    """1.9·min over the run's batches of |B|/λ_max(K₀[B, B]), capped at GD's rate."""
    N = X.shape[0]
    K = ntk(net, theta, X).astype(np.float64)
    steps = min(max_steps, SGD_EPOCHS * math.ceil(N / batch_size)) if shuffle else math.ceil(N / batch_size)
    sched = batch_schedule(N, batch_size, max(1, steps), shuffle=shuffle, seed=seed)
    worst = math.inf
    for rows in {tuple(r[r >= 0]) for r in sched}:
        idx = np.array(rows)
        lam = np.linalg.eigvalsh(K[np.ix_(idx, idx)])[-1]
        worst = min(worst, len(idx) / lam)
    return min(1.9 * worst, default_lr(net, theta, X))


class _Watch:
    """The progress callback: stops a full-batch run whose loss rose since the last call
    (the loss no longer decays), and passes on to the sweep's own callback. A mini-batch
    run is judged on its recorded history when it ends (``decays(from_start=True)``):
    the callback does not see the loss at θ₀."""

    def __init__(self, inner, watch=True):
        self.inner, self.last, self.rose, self.watch = inner, math.inf, False, watch

    def __call__(self, step, loss):
        if self.watch and math.isfinite(loss) and loss > self.last:
            self.rose = True
            return False
        self.last = min(self.last, loss) if math.isfinite(loss) else self.last
        return True if self.inner is None else self.inner(step, loss)


def decays(res, from_start=False) -> bool:
    """The recorded training loss is finite and never rises (``from_start``: never
    rises above its value at θ₀)."""
    loss = np.asarray(res.history["train_loss"], float)
    if not np.all(np.isfinite(loss)):
        return False
    return bool(np.all(loss[1:] <= loss[0])) if from_start else bool(np.all(np.diff(loss) <= 0))


def fit(net, theta, X, Y, *, optimizer="gd", lr=None, tol, max_steps, X_test=None, callback=None,
        record_every=20, batch_size=None, shuffle=False, seed=0, model="network", **hyper):
    """Train to ``tol`` under the rules above; returns (TrainResult, info) with info =
    dict(lr_first, lr, retries, oscillated). Ctrl-C raises Interrupted."""
    kw = dict(X_test=X_test, tol=tol, max_steps=max_steps, record_every=record_every, model=model, **hyper)
    minibatch = batch_size is not None and batch_size < X.shape[0]
    if minibatch:
        kw.update(batch_size=batch_size, shuffle=shuffle, seed=seed)
    if lr is None:
        if optimizer in ADAPTIVE:
            lr = find_lr(net, theta, X, Y, optimizer=optimizer, model=model, **hyper)
        elif optimizer == "sgd" and minibatch:
            lr = sgd_lr(net, theta, X, batch_size, shuffle=shuffle, seed=seed, max_steps=max_steps)
        else:
            lr = default_lr(net, theta, X)
    first, retries = lr, 0
    while True:
        watch = _Watch(callback, watch=not minibatch)
        res = train(net, theta, X, Y, optimizer=optimizer, lr=lr, callback=watch, **kw)
        if res.status == "interrupted" and not watch.rose:
            raise Interrupted()
        ok = not watch.rose and res.status != "diverged" and decays(res, from_start=minibatch)
        if ok or retries == RETRIES:
            if res.status == "interrupted":  # stopped for a rise on the last try: not converged
                res.status = "not monotone"
            return res, dict(lr_first=first, lr=lr, retries=retries, oscillated=retries > 0 or not ok)
        lr /= 2
        retries += 1


def laziness(net, theta0, params_T, X, pred_test, lin_test) -> dict:
    """lin_distance = ‖f_NN(X_T) − f_lin(X_T)‖/‖f_lin(X_T)‖ (the trained net against its
    linearization trained the same way) and kernel_ratio = λ_max(K_T)/λ_max(K₀)."""
    pred, lin = np.asarray(pred_test, float), np.asarray(lin_test, float)
    lam0 = np.linalg.eigvalsh(ntk(net, theta0, X).astype(np.float64))[-1]
    lamT = np.linalg.eigvalsh(ntk(net, params_T, X).astype(np.float64))[-1]
    return dict(lin_distance=float(np.linalg.norm(pred - lin) / max(np.linalg.norm(lin), 1e-300)),
                kernel_ratio=float(lamT / lam0))
