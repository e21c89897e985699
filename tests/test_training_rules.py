"""The experiments' training rules (experiments/_training.py): when a run is redone at
half the rate — GD where it diverges, the adaptive methods where their loss is not
monotone, SGD where its full loss climbs above its start — and what the record keeps."""
import numpy as np
import pytest

import fastntk
from fastntk import datasets
from fastntk.dynamics import default_lr
from fastntk.experiments._training import CURVE_POINTS, MONOTONE_TOL, RETRIES, decays_from_start, fit, sgd_lr


@pytest.fixture(scope="module")
def problem():
    ds = datasets.digits(n_train=40)
    net = fastntk.MLP([ds.d, 200, 1], sigma=2.0)
    return net, net.init(0), ds.X, ds.Y


def test_sgd_keeps_its_rate_while_the_full_loss_fluctuates(problem):
    # 003 Thm 3.1: constant-rate SGD descends to a neighbourhood, its full loss need not
    # fall at every record; it is halved only when that loss climbs above its θ₀ value.
    net, p, X, Y = problem
    res, info = fit(net, p, X, Y, optimizer="sgd", batch_size=10, shuffle=True, seed=0, tol=1e-3,
                    max_steps=20000, record_every=500)
    loss = np.asarray(res.history["train_loss"])
    assert np.any(np.diff(loss) > 0), "the run must exercise a rise between records"
    assert res.status == "converged" and info["retries"] == 0 and info["lr"] == info["lr_first"]
    assert info["max_climb"] > 0  # the climb between records is recorded, and the run was not redone
    assert decays_from_start(res, 500)


def test_gd_keeps_the_papers_rate_while_its_loss_oscillates(problem):
    """GD trains at its rate as the papers do: a loss that climbs (here by 93 % at 1.3× the
    rate) is not redone, and the record keeps its largest climb."""
    net, p, X, Y = problem
    lr = 1.3 * default_lr(net, p, X)
    free = fastntk.train(net, p, X, Y, lr=lr, tol=1e-4, max_steps=3000, record_every=1)
    loss = free.history["train_loss"]
    climb = float(np.max(loss[1:] / np.minimum.accumulate(loss)[:-1] - 1))
    assert free.status != "diverged" and climb > 100 * MONOTONE_TOL, "the run must oscillate without diverging"
    res, info = fit(net, p, X, Y, optimizer="gd", lr=lr, tol=1e-4, max_steps=3000, record_every=10**6)
    assert info["retries"] == 0 and info["lr"] == info["lr_first"] == lr and info["oscillated"]
    assert res.status == free.status and res.steps == free.steps
    assert info["max_climb"] == pytest.approx(climb, rel=1e-12)


def test_gd_that_diverges_is_halved(problem):
    net, p, X, Y = problem
    lr = 5 * default_lr(net, p, X)
    assert fastntk.train(net, p, X, Y, lr=lr, tol=1e-4, max_steps=3000).status == "diverged"
    res, info = fit(net, p, X, Y, optimizer="gd", lr=lr, tol=1e-4, max_steps=3000)
    assert info["retries"] >= 1 and info["lr"] == lr / 2 ** info["retries"] and info["oscillated"]
    assert res.status != "diverged" or info["retries"] == RETRIES


def test_adaptive_rate_judged_monotone_at_every_step_not_at_the_records(problem):
    """The adaptive methods' rate is the largest with a monotone loss (001 App. D); a rise
    between two records is caught: the core judges the full loss every step."""
    net, p, X, Y = problem
    lr = 2.0
    free = fastntk.train(net, p, X, Y, optimizer="adagrad", lr=lr, tol=1e-4, max_steps=3000, record_every=1)
    loss = free.history["train_loss"]
    first = int(np.flatnonzero(loss[1:] > (1 + MONOTONE_TOL) * np.minimum.accumulate(loss)[:-1])[0]) + 1
    res, info = fit(net, p, X, Y, optimizer="adagrad", lr=lr, tol=1e-4, max_steps=3000, record_every=10**6)
    assert info["retries"] >= 1 and info["lr"] == lr / 2 ** info["retries"]
    again = fastntk.train(net, p, X, Y, optimizer="adagrad", lr=lr, tol=1e-4, max_steps=3000, record_every=10**6,
                          monotone=MONOTONE_TOL)
    assert again.status == "not monotone" and again.steps == first
    if info["retries"] < RETRIES:
        replay = fastntk.train(net, p, X, Y, optimizer="adagrad", lr=info["lr"], tol=1e-4, max_steps=3000,
                               record_every=1)
        loss = replay.history["train_loss"]
        assert np.all(loss <= (1 + MONOTONE_TOL) * np.minimum.accumulate(loss)) and replay.steps == res.steps
        assert info["max_climb"] <= MONOTONE_TOL


def test_sgd_rise_is_read_at_the_every_records_only():
    """The loss curve's extra log-spaced records (steps 1, 2, 3, …) do not enter SGD's rule: a
    rise above θ₀ in the first steps is no failure to converge; one at a 20-step record is."""
    class Res:
        def __init__(self, steps, loss):
            self.history = dict(step=np.array(steps), train_loss=np.array(loss))
    early = Res([0, 1, 2, 3, 20, 40, 45], [1.0, 1.5, 0.9, 0.8, 0.5, 0.4, 0.3])
    assert decays_from_start(early, 20)
    assert not decays_from_start(Res([0, 1, 20, 40], [1.0, 0.9, 1.2, 0.4]), 20)
    assert not decays_from_start(Res([0, 20, 33], [1.0, 0.5, 1.1]), 20)  # the last record counts


def test_the_record_keeps_a_thinned_log_spaced_loss_curve(problem):
    net, p, X, Y = problem
    res, info = fit(net, p, X, Y, optimizer="gd", tol=1e-4, max_steps=3000, record_every=20)
    curve = info["curve"]
    assert len(curve["step"]) <= CURVE_POINTS and curve["step"][0] == 0 and curve["step"][-1] == res.steps
    assert {1, 2, 3, 4, 10} <= set(curve["step"]) and np.all(np.diff(curve["step"]) > 0)
    hist = dict(zip(res.history["step"].tolist(), res.history["train_loss"].tolist()))
    assert all(hist[t] == v for t, v in zip(curve["step"], curve["train_loss"]))


def test_sgd_rate_is_the_least_batch_rate(problem):
    net, p, X, Y = problem
    K = fastntk.ntk(net, p, X)
    lam = [np.linalg.eigvalsh(K[i:i + 10, i:i + 10])[-1] for i in range(0, 40, 10)]
    want = min(min(fastntk.linalg.gd_rate(10, l) for l in lam), default_lr(net, p, X))
    got = sgd_lr(net, p, X, 10, shuffle=False, seed=0, max_steps=100)
    assert got == pytest.approx(want, rel=1e-12)


def test_sgd_whose_loss_climbs_above_its_start_is_halved(problem):
    net, p, X, Y = problem
    res, info = fit(net, p, X, Y, optimizer="sgd", batch_size=10, shuffle=True, seed=0, lr=40.0, tol=1e-3,
                    max_steps=2000, record_every=50)
    assert info["retries"] >= 1 and info["lr"] < 40.0
