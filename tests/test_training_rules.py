"""The experiments' training rules (experiments/_training.py): when a run is redone at
half the rate."""
import numpy as np
import pytest

import fastntk
from fastntk import datasets
from fastntk.dynamics import default_lr
from fastntk.experiments._training import RETRIES, decays, fit


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
    assert res.status == "converged" and info["retries"] == 0 and not info["oscillated"]
    assert decays(res, from_start=True) and not decays(res)


def test_gd_past_its_stability_edge_is_halved(problem):
    net, p, X, Y = problem
    res, info = fit(net, p, X, Y, optimizer="gd", lr=1.6 * default_lr(net, p, X), tol=1e-4, max_steps=3000,
                    record_every=1)
    assert info["retries"] >= 1 and info["lr"] < info["lr_first"]
    assert info["retries"] == RETRIES or decays(res)


def test_sgd_whose_loss_climbs_above_its_start_is_halved(problem):
    net, p, X, Y = problem
    res, info = fit(net, p, X, Y, optimizer="sgd", batch_size=10, shuffle=True, seed=0, lr=40.0, tol=1e-3,
                    max_steps=2000, record_every=50)
    assert info["retries"] >= 1 and info["lr"] < 40.0
