"""Training dynamics against the NumPy reference, and the dynamics identities."""
import numpy as np
import pytest
from conftest import RTOL, TOL, assert_close, make_data
from hypothesis import given
from hypothesis import strategies as st

import fastntk
from fastntk import reference as ref
from strategies import networks

OPTS = ["gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"]


def data(n=8, d=4, seed=0, n_test=5):
    return make_data(n, d, seed, n_test)


def run_pair(net, theta, X, Y, model, optimizer, lr, steps, batch_size=None, shuffle=False, path="auto", **hyper):
    res = fastntk.train(net, theta, X, Y, model=model, optimizer=optimizer, lr=lr, max_steps=steps,
                        tol=1e-300, record_every=1, batch_size=batch_size, shuffle=shuffle, seed=3,
                        path=path, **hyper)
    sched = fastntk.batch_schedule(X.shape[0], batch_size, steps, shuffle=shuffle, seed=3)
    thetas, losses = ref.train(net, net.flatten(theta).astype(np.float64), X.astype(np.float64), Y,
                               model=model, optimizer=optimizer, lr=lr, schedule=sched, **hyper)
    return res, thetas, losses


@given(st.sampled_from(OPTS), st.sampled_from(["network", "linearized"]),
       st.sampled_from([np.float32, np.float64]), st.sampled_from(["zero", "normal", "none"]),
       st.integers(1, 3), st.integers(0, 1000))
def test_steps_match_reference(optimizer, model, dtype, bias, depth, seed):
    net = fastntk.MLP.uniform(4, 6, depth, bias=bias, dtype=dtype, sigma=1.2)
    X, Y, _ = data(seed=seed)
    theta = net.flatten(net.init(seed))
    # GD-type steps at most N/λ_max(K) (half the stability limit): some draws have a λ_max
    # for which a fixed 0.3 diverges within the six steps compared.
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(
        optimizer, min(0.3, fastntk.default_lr(net, theta, X.astype(dtype)) / 1.9))
    bs = 3 if optimizer in ("sgd", "momentum") else None
    paths = ["auto"] if model == "network" else (["function", "matrix-free", "materialized"] if optimizer in ("gd", "sgd", "momentum") else ["matrix-free", "materialized"])
    for path in paths:
        res, thetas, losses = run_pair(net, theta, X.astype(dtype), Y, model, optimizer, lr, 6,
                                       batch_size=bs, shuffle=bs is not None, path=path)
        assert res.steps == 6 and res.status == "max_steps"
        np.testing.assert_array_equal(res.history["step"], np.arange(7))
        # Adaptive updates divide by √v: rounding of g is amplified where g ≈ 0.
        scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
        assert_close(res.theta, thetas[-1], dtype, scale=scale * (1 + np.abs(thetas[-1]).max()))
        assert_close(res.history["train_loss"], losses, dtype, scale=scale * (1 + losses.max()))


def test_optimizer_scalars_are_the_core_s_per_update_rule():
    """The per-update scalars both loops read (the GPU's through _core.OptimizerRule): AdaGrad's
    rate divisor 1 + (t − 1)·lr_decay, momentum's first step and 1 − dampening, Adam's bias
    corrections; t counts updates from 1."""
    from fastntk import _core
    rule = lambda **kw: _core.OptimizerRule(fastntk.TrainConfig(lr=0.1, **kw))  # noqa: E731
    assert rule(optimizer="adagrad", lr_decay=0.1).scalars(3) == (1.2, False, 1.0, 1.0, 1.0)
    assert rule(optimizer="momentum", dampening=0.3).scalars(1) == (1.0, True, 1.0, 1.0, 1.0)
    assert rule(optimizer="momentum", dampening=0.3).scalars(2) == (1.0, False, 0.7, 1.0, 1.0)
    divisor, first, damp, bc1, sqrt_bc2 = rule(optimizer="adam", betas=(0.8, 0.9)).scalars(2)
    assert (divisor, first, damp) == (1.0, False, 1.0)
    assert bc1 == pytest.approx(1 - 0.8**2, rel=1e-15) and sqrt_bc2 == pytest.approx(np.sqrt(1 - 0.9**2), rel=1e-15)
    with pytest.raises(ValueError, match="t: expected an update number"):
        rule(optimizer="sgd").scalars(0)


@pytest.mark.parametrize("model", ["network", "linearized"])
def test_adagrad_lr_decay_matches_reference(model):
    net = fastntk.MLP.uniform(4, 6, 2, dtype=np.float64)
    X, Y, _ = data()
    theta = net.init(0)
    res, thetas, losses = run_pair(net, theta, X, Y, model, "adagrad", 0.05, 8, lr_decay=0.1)
    assert_close(res.theta, thetas[-1], np.float64, scale=1 + np.abs(thetas[-1]).max())
    assert_close(res.history["train_loss"], losses, np.float64, scale=1 + losses.max())


ROW_SPACE_RUNS = [("gd", {}), ("sgd", dict(batch_size=3)), ("sgd", dict(batch_size=4, shuffle=True)),
                  ("momentum", {}), ("momentum", dict(batch_size=3, shuffle=True, nesterov=True)),
                  ("momentum", dict(batch_size=5, dampening=0.3))]


@given(networks(max_depth=4), st.integers(1, 9), st.sampled_from(ROW_SPACE_RUNS), st.integers(0, 2**16))
def test_row_space_path_equals_direct_path_and_reference(net, n, run, seed):
    """W¹(t) = W¹(0) + C(t)X (docs/design.md §1) is exact: losses, test predictions, the
    movement records and θ agree with the direct path and with the NumPy reference,
    for N < d and N ≥ d."""
    optimizer, kw = run
    kw = dict(kw, batch_size=min(kw.get("batch_size", n), n))
    X, Y, Xt = make_data(n, net.input_dim, seed, n_test=4)
    X, Xt = X.astype(net.dtype), Xt.astype(net.dtype)
    theta = net.flatten(net.init(seed))
    # Half of N/λ_max: at N/λ_max itself a one-sample GD step can land on the loss's zero,
    # where the two paths' rounding decides whether the run stops there.
    try:
        lr = min(0.3, 0.5 * fastntk.default_lr(net, theta, X) / 1.9)
    except ValueError:  # a dead ReLU net: K = 0, any rate leaves it where it is
        lr = 0.1
    if optimizer == "momentum":
        lr *= 1 - 0.9  # heavy ball: about 1/(1 − μ) times the step
    runs = [fastntk.train(net, theta, X, Y, optimizer=optimizer, lr=lr, max_steps=7, tol=1e-300, record_every=2,
                          X_test=Xt, seed=5, path=path, **kw) for path in ("direct", "row-space")]
    assert [r.path for r in runs] == ["direct", "row-space"]
    direct, row = runs
    assert (row.status, row.steps) == (direct.status, direct.steps)
    if row.status == "diverged":  # a deep net can still blow up; both paths stop at the same step
        return
    hyper = {k: v for k, v in kw.items() if k not in ("batch_size", "shuffle")}
    sched = fastntk.batch_schedule(n, kw["batch_size"], 7, shuffle=kw.get("shuffle", False), seed=5)
    thetas, losses = ref.train(net, theta.astype(np.float64), X.astype(np.float64), Y, model="network",
                               optimizer=optimizer, lr=lr, schedule=sched, **hyper)
    scale = 1 + np.abs(thetas[-1]).max()
    assert_close(row.theta, thetas[-1], net.dtype, scale=scale)
    assert_close(row.theta, direct.theta, net.dtype, scale=scale)
    for key in ("train_loss", "test_pred", "param_distance", "max_unit_movement"):
        h = direct.history[key]
        assert_close(row.history[key], h, net.dtype, scale=1 + np.abs(h).max())
    np.testing.assert_array_equal(row.history["step"], direct.history["step"])


def test_row_space_is_chosen_when_it_pays_and_never_for_adaptive_optimizers():
    X, Y, Xt = make_data(6, 10, 0)
    net = fastntk.MLP.uniform(10, 8, 2)
    p = net.init(0)
    for opt in ("gd", "sgd", "momentum"):
        assert fastntk.train(net, p, X, Y, optimizer=opt, lr=0.1, max_steps=2).path == "row-space"
    for opt in ("adagrad", "rmsprop", "adam"):
        assert fastntk.train(net, p, X, Y, optimizer=opt, lr=0.01, max_steps=2).path == "direct"
        with pytest.raises(ValueError, match="row-space"):
            fastntk.train(net, p, X, Y, optimizer=opt, lr=0.01, max_steps=2, path="row-space")
    X2, Y2, _ = make_data(12, 10, 0)  # N ≥ d: the direct path is cheaper
    assert fastntk.train(net, p, X2, Y2, lr=0.1, max_steps=2).path == "direct"
    assert fastntk.train(net, p, X2, Y2, lr=0.1, max_steps=2, path="row-space").path == "row-space"
    with pytest.raises(ValueError, match="path"):
        fastntk.train(net, p, X, Y, lr=0.1, max_steps=2, path="function")
    with pytest.raises(ValueError, match="path"):
        fastntk.train(net, p, X, Y, model="linearized", lr=0.1, max_steps=2, path="row-space")
    r = fastntk.train(net, p, X, Y, lr=0.1, max_steps=3, record_D=True, path="row-space")
    np.testing.assert_array_equal(r.history["D"], 1)


def test_function_space_equals_parameter_space_and_closed_form():
    net = fastntk.MLP.uniform(4, 30, 2, bias="normal")
    X, Y, Xt = data(n=10)
    theta = net.init(1)
    preds = []
    for path in ["function", "matrix-free", "materialized"]:
        r = fastntk.train(net, theta, X, Y, model="linearized", path=path, X_test=Xt, max_steps=300,
                          tol=1e-300, record_every=50, lr=0.5)
        assert r.path == path
        preds.append(r.history["test_pred"])
        np.testing.assert_array_equal(r.history["step"], [0, 50, 100, 150, 200, 250, 300])
    np.testing.assert_allclose(preds[0], preds[1], rtol=0, atol=RTOL[np.float64])
    np.testing.assert_allclose(preds[0], preds[2], rtol=0, atol=RTOL[np.float64])
    closed = fastntk.gd_closed_form(net, theta, X, Y, Xt, [0, 50, 100, 150, 200, 250, 300], lr=0.5)
    np.testing.assert_allclose(closed, preds[0], rtol=0, atol=RTOL[np.float64])


def test_closed_form_at_the_default_lr_oscillating_directions():
    """At η = 1.9N/λ_max the top directions have 1 − ηλ/N < 0 (GD oscillates there):
    the closed form still equals iterated linearized GD step for step."""
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, Xt = data(n=10)
    theta = net.init(2)
    r = fastntk.train(net, theta, X, Y, model="linearized", X_test=Xt, max_steps=40, tol=1e-300, record_every=1)
    K = fastntk.ntk(net, theta, X)
    assert r.lr * np.linalg.eigvalsh(K)[-1] / X.shape[0] > 1
    closed = fastntk.gd_closed_form(net, theta, X, Y, Xt, r.history["step"])
    np.testing.assert_allclose(closed, r.history["test_pred"], rtol=0, atol=TOL["routes"])
    with pytest.raises(ValueError, match="whole step counts"):
        fastntk.gd_closed_form(net, theta, X, Y, Xt, [2.5])


def test_shuffled_full_batch_is_full_batch():
    """A full batch in shuffled order is the same step on every path."""
    net = fastntk.MLP.uniform(4, 12, 2, bias="normal")
    X, Y, Xt = data(n=9)
    theta = net.init(3)
    preds = []
    for path in ["function", "matrix-free", "materialized"]:
        for shuffle in (False, True):
            r = fastntk.train(net, theta, X, Y, model="linearized", optimizer="sgd", batch_size=9,
                              shuffle=shuffle, path=path, X_test=Xt, lr=0.3, max_steps=40, tol=1e-300)
            preds.append(r.history["test_pred"][-1])
    for p in preds[1:]:
        np.testing.assert_allclose(p, preds[0], atol=TOL["exact"])


def test_linearized_gd_converges_to_kernel_regressor():
    """Thm 1, linearized model: f_lin,∞ = f₀ + K(x,X)K⁻¹(Y − f₀(X))."""
    net = fastntk.MLP.uniform(4, 40, 3, bias="normal")
    X, Y, Xt = data(n=12)
    theta = net.init(2)
    K = fastntk.ntk(net, theta, X)
    Kt = fastntk.ntk(net, theta, Xt, X)
    expected = net.apply(theta, Xt) + Kt @ np.linalg.solve(K, Y - net.apply(theta, X))
    r = fastntk.train(net, theta, X, Y, model="linearized", X_test=Xt, tol=1e-14, max_steps=10**6)
    assert r.status == "converged"
    np.testing.assert_allclose(r.history["test_pred"][-1], expected, atol=TOL["converged_gd"])
    np.testing.assert_allclose(fastntk.gd_closed_form(net, theta, X, Y, Xt, [np.inf])[0], expected, atol=TOL["routes"])


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch", [1, 3, 5])
def test_sgd_reaches_gd_minimizer(batch, shuffle):
    """Thm 4a: with D = 1, mini-batch SGD (any batch size, shuffled or not) and GD
    reach the same linearized minimizer."""
    net = fastntk.MLP.uniform(4, 30, 2)
    X, Y, Xt = data(n=10)
    theta = net.init(0)
    limit = fastntk.gd_closed_form(net, theta, X, Y, Xt, [np.inf])[0]
    r = fastntk.train(net, theta, X, Y, model="linearized", optimizer="sgd", batch_size=batch,
                      shuffle=shuffle, X_test=Xt, tol=1e-16, max_steps=10**6, lr=0.3)
    assert r.status == "converged"
    np.testing.assert_allclose(r.history["test_pred"][-1], limit, atol=TOL["converged"])


def test_wide_network_approaches_linearization():
    X, Y, Xt = data(n=6)
    gaps = []
    for m in (64, 1024, 8192):
        net = fastntk.MLP.uniform(4, m, 2)
        theta = net.init(0)
        a = fastntk.train(net, theta, X, Y, X_test=Xt, tol=1e-8)
        b = fastntk.gd_closed_form(net, theta, X, Y, Xt, [np.inf])[0]
        assert a.status == "converged"
        gaps.append(np.abs(a.history["test_pred"][-1] - b).max())
    assert gaps[2] < gaps[0] / 4, gaps


def test_divergence_is_reported_and_keeps_history():
    net = fastntk.MLP.uniform(4, 20, 2)
    X, Y, Xt = data()
    theta = net.init(0)
    lr = 10 * fastntk.default_lr(net, theta, X)
    for model in ("network", "linearized"):
        r = fastntk.train(net, theta, X, Y, model=model, lr=lr, X_test=Xt, record_every=1, max_steps=10**5)
        assert r.status == "diverged"
        assert r.steps < 10**5 and len(r.history["step"]) == r.steps + 1
        assert r.history["test_pred"].shape == (r.steps + 1, Xt.shape[0])


def test_monotone_stops_where_the_full_loss_rises_above_its_least():
    """With monotone=δ a run ends as "not monotone" the step its full training loss exceeds
    (1 + δ)× its least so far — every step at full batch, the full-loss steps with mini-batches;
    δ = 0 at the first rise; a run whose loss decays is the same run either way."""
    net = fastntk.MLP.uniform(4, 20, 2)
    X, Y, Xt = data()
    theta = net.init(0)
    lr = 1.2 * fastntk.default_lr(net, theta, X)  # past 2N/λ_max: the top direction oscillates and grows
    for model in ("network", "linearized"):
        free = fastntk.train(net, theta, X, Y, model=model, lr=lr, record_every=1, max_steps=400, tol=1e-300)
        loss = free.history["train_loss"]
        least = np.minimum.accumulate(loss)
        stops = set()
        for delta in (0.0, 0.05, 0.5):
            over = np.flatnonzero(loss[1:] > (1 + delta) * least[:-1]) + 1
            assert over.size, (model, delta)
            stops.add(int(over[0]))
            r = fastntk.train(net, theta, X, Y, model=model, lr=lr, record_every=1, max_steps=400, tol=1e-300,
                              monotone=delta)
            assert r.status == "not monotone" and r.steps == over[0], (model, delta, r.steps, over[0])
            np.testing.assert_array_equal(r.history["train_loss"], loss[:r.steps + 1])
        assert len(stops) == 3, (model, stops)  # each δ stops the run at its own step
        calm = dict(model=model, lr=0.5 * fastntk.default_lr(net, theta, X), max_steps=300, tol=1e-300,
                    record_every=7)
        a = fastntk.train(net, theta, X, Y, **calm)
        b = fastntk.train(net, theta, X, Y, monotone=0.0, **calm)
        assert np.all(np.diff(a.history["train_loss"]) <= 0) and a.status == b.status == "max_steps"
        np.testing.assert_array_equal(a.theta, b.theta)
    sgd = dict(optimizer="sgd", batch_size=2, lr=lr, max_steps=300, tol=1e-300, record_every=1)
    free = fastntk.train(net, theta, X, Y, **sgd)
    rise = np.flatnonzero(np.diff(free.history["train_loss"]) > 0)
    r = fastntk.train(net, theta, X, Y, monotone=0.0, **sgd)
    assert rise.size and r.status == "not monotone" and r.steps == rise[0] + 1
    # With mini-batches the full loss is known only at the epoch starts and the records: the rule reads those
    # steps alone, and the least so far comes from them
    sparse = dict(sgd, record_every=5)
    known = np.array([t for t in range(301) if t % 5 == 0 or t % (X.shape[0] // 2) == 0])
    at = free.history["train_loss"][known]
    over = np.flatnonzero(at[1:] > np.minimum.accumulate(at)[:-1]) + 1
    r = fastntk.train(net, theta, X, Y, monotone=0.0, **sparse)
    assert over.size and r.status == "not monotone" and r.steps == known[over[0]], (r.steps, known[over[0]])
    with pytest.raises(TypeError, match="monotone: expected a real number"):
        fastntk.train(net, theta, X, Y, monotone=True, max_steps=1)
    with pytest.raises(ValueError, match="monotone: expected a finite number in \\[0"):
        fastntk.train(net, theta, X, Y, monotone=-1.0, max_steps=1)


def test_max_climb_is_the_largest_rise_above_the_least_so_far():
    """TrainResult.max_climb = max_t L_t / min_{s<t} L_s − 1 over the steps where the full loss
    is known — every step at full batch (0 for a decaying run), measured whether or not the
    monotone rule stops the run; with mini-batches over the full-loss steps only."""
    net = fastntk.MLP.uniform(4, 20, 2)
    X, Y, _ = data()
    theta = net.init(0)
    edge = fastntk.default_lr(net, theta, X)
    for model in ("network", "linearized"):
        for factor, delta in ((0.5, None), (1.2, None), (1.2, 0.05)):
            r = fastntk.train(net, theta, X, Y, model=model, lr=factor * edge, max_steps=300, tol=1e-300,
                              record_every=1, monotone=delta)
            loss = r.history["train_loss"]
            want = max(0.0, float((loss[1:] / np.minimum.accumulate(loss)[:-1] - 1).max()))
            assert r.max_climb == pytest.approx(want, rel=1e-12, abs=0), (model, factor, delta)
            assert (r.max_climb == 0) == (factor < 1)
    # records at the epoch starts: the history holds exactly the steps where the full loss was known
    epoch = X.shape[0] // 2
    sgd = fastntk.train(net, theta, X, Y, optimizer="sgd", batch_size=2, lr=1.2 * edge, max_steps=75 * epoch,
                        tol=1e-300, record_every=epoch)
    loss = sgd.history["train_loss"]
    assert sgd.max_climb == pytest.approx(max(0.0, float((loss[1:] / np.minimum.accumulate(loss)[:-1] - 1).max())),
                                          rel=1e-12)


def test_record_D_and_effective_lr():
    net = fastntk.MLP.uniform(4, 10, 2)
    X, Y, _ = data()
    r = fastntk.train(net, net.init(0), X, Y, optimizer="adagrad", lr=0.01, max_steps=7, tol=1e-300,
                      record_D=True, record_every=1)
    assert r.history["D"].shape == (7, net.num_params)
    assert np.isnan(r.history["effective_lr"][0])
    np.testing.assert_allclose(r.history["effective_lr"][1:], 0.01 * r.history["D"].mean(axis=1), rtol=TOL["exact"])
    g = fastntk.train(net, net.init(0), X, Y, lr=0.1, max_steps=3, tol=1e-300)
    assert np.all(g.history["effective_lr"] == 0.1)


def _first_reached(D, eps):
    """Per coordinate the first row of D below 1/(2·eps) (the last row where none is)."""
    below = D < 0.5 / eps
    at = np.where(below.any(axis=0), below.argmax(axis=0), D.shape[0] - 1)
    return D[at, np.arange(D.shape[1])]


def test_record_D_ends_keeps_the_first_reached_and_last_update():
    """record_D="ends": per coordinate D_t at the first update a gradient above eps reached it,
    and at the last; nothing between. A coordinate reached only later (an input that is 0 in the
    first batch) keeps its D_t from then, not eps's value 1/eps."""
    net = fastntk.MLP.uniform(4, 10, 2)
    X, Y, _ = data()
    for optimizer in ("adagrad", "rmsprop", "adam", "gd"):
        kw = dict(optimizer=optimizer, lr=0.01, tol=1e-300)
        every = fastntk.train(net, net.init(0), X, Y, max_steps=7, record_D=True, **kw)
        ends = fastntk.train(net, net.init(0), X, Y, max_steps=7, record_D="ends", **kw)
        np.testing.assert_array_equal(ends.history["D"], every.history["D"][[0, -1]])
        np.testing.assert_array_equal(ends.theta, every.theta)
        one = fastntk.train(net, net.init(0), X, Y, max_steps=1, record_D="ends", **kw)
        np.testing.assert_array_equal(one.history["D"], every.history["D"][:1])
    late = X.copy()
    late[:4, 0] = 0.0  # the first batch (rows 0–3) sees input 0 as 0: its first-layer weights get no gradient
    kw = dict(optimizer="adagrad", lr=0.01, tol=1e-300, batch_size=4, max_steps=9)
    every = fastntk.train(net, net.init(0), late, Y, record_D=True, **kw)
    ends = fastntk.train(net, net.init(0), late, Y, record_D="ends", **kw)
    D, eps = every.history["D"], every.config.eps
    reached_late = (D[0] >= 0.5 / eps) & (D[-1] < 0.5 / eps)
    assert reached_late.sum() >= 5
    np.testing.assert_array_equal(ends.history["D"], np.stack([_first_reached(D, eps), D[-1]]))
    assert np.all(ends.history["D"][0, reached_late] < 0.5 / eps)
    assert "D" not in fastntk.train(net, net.init(0), X, Y, lr=0.01, max_steps=2).history
    with pytest.raises(TypeError, match='record_D: expected True, False or "ends"'):
        fastntk.train(net, net.init(0), X, Y, lr=0.01, record_D="last")
    # find_lr takes the run's settings as train does; the probe records nothing
    lr = fastntk.find_lr(net, net.init(0), X, Y, optimizer="adagrad")
    assert fastntk.find_lr(net, net.init(0), X, Y, optimizer="adagrad", record_D="ends") == lr
    with pytest.raises(TypeError, match="record_D"):
        fastntk.find_lr(net, net.init(0), X, Y, optimizer="adagrad", record_D="last")


def test_unit_movement_and_distance():
    net = fastntk.MLP.uniform(4, 16, 2, bias="normal")
    X, Y, _ = data()
    theta = net.init(0)
    for model in ("network", "linearized"):
        r = fastntk.train(net, theta, X, Y, model=model, lr=0.5, max_steps=20, tol=1e-300, record_every=20)
        delta = r.theta - net.flatten(theta)
        np.testing.assert_allclose(r.history["param_distance"][-1], np.linalg.norm(delta), rtol=TOL["routes"])
        W = delta[:16 * 4].reshape(16, 4)
        np.testing.assert_allclose(r.history["max_unit_movement"][-1], np.linalg.norm(W, axis=1).max(), rtol=TOL["routes"])


def test_train_many_equals_one_by_one():
    X, Y, Xt = data(n=10)
    runs = []
    for sigma in (0.5, 1.0, 2.0):
        for opt in ("gd", "adam"):
            net = fastntk.MLP.uniform(4, 32, 2, sigma=sigma)
            runs.append(dict(net=net, params=net.init(1), optimizer=opt, lr=0.01 if opt == "adam" else None,
                             max_steps=200, tol=1e-300))
    many = fastntk.train_many(runs, X, Y, X_test=Xt)
    for run, res in zip(runs, many):
        kw = {k: v for k, v in run.items() if k not in ("net", "params")}
        one = fastntk.train(run["net"], run["params"], X, Y, X_test=Xt, **kw)
        assert one.status == res.status and one.steps == res.steps
        np.testing.assert_allclose(res.theta, one.theta, rtol=0, atol=RTOL[np.float64])


def test_callback_can_stop_a_run():
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    seen = []

    def cb(step, loss):
        seen.append(step)
        return False

    r = fastntk.train(net, net.init(0), X, Y, lr=1e-4, max_steps=10**8, tol=1e-300, callback=cb,
                      model="linearized")
    assert r.status == "interrupted" and seen and r.steps < 10**8


def test_batch_schedule():
    s = fastntk.batch_schedule(7, 3, 4)
    np.testing.assert_array_equal(s, [[0, 1, 2], [3, 4, 5], [6, -1, -1], [0, 1, 2]])
    s = fastntk.batch_schedule(7, 3, 3, shuffle=True, seed=1)
    assert sorted(x for x in s.ravel() if x >= 0) == list(range(7))


def test_step_controller_batches_stops_and_records_for_stacked_runs():
    """The loop control both backends run over (step_control.hpp): the core's batch
    order, the full loss asked for at epoch starts, record steps and the cap, each run's
    own stop, records every record_every steps and at the stop, and interrupt."""
    from fastntk import _core
    from fastntk.config import TrainConfig
    cfg = TrainConfig(lr=0.1, optimizer="sgd", batch_size=3, shuffle=True, seed=5, tol=0.5, max_steps=7,
                      record_every=3)
    control = _core.StepController(cfg, 3, 7)
    sched = fastntk.batch_schedule(7, 3, 8, shuffle=True, seed=5)
    losses = {0: [1.0, 1.0, 1.0], 3: [0.1, np.nan, 1.0], 6: [0.0, 0.0, 2.0], 7: [0.0, 0.0, 0.9]}
    needs, records = [], {}
    while True:
        rows, need = control.next_batch()
        t = control.step
        np.testing.assert_array_equal(rows, sched[t][sched[t] >= 0])
        needs.append(need)
        rec = control.judge(np.array(losses.get(t, [np.nan] * 3)), need)
        if rec.size:
            records[t] = rec.tolist()
        if not control.any_active():
            break
        control.advance()
    # Epochs start at 0, 3 and 6, records are due at 0, 3 and 6, the cap at 7.
    assert needs == [True, False, False, True, False, False, True, True]
    assert records == {0: [0, 1, 2], 3: [0, 1, 2], 6: [2], 7: [2]}
    assert [control.status(r) for r in range(3)] == ["converged", "diverged", "max_steps"]
    assert [control.steps(r) for r in range(3)] == [3, 3, 7]
    assert control.last_loss == 0.9

    control = _core.StepController(cfg.replace(batch_size=None), 2, 7)
    assert control.next_batch() == (None, False)  # the full batch: its loss is the full loss
    control.judge(np.array([1.0, 0.2]), True)
    control.advance()
    assert control.active().tolist() == [True, False]
    assert control.interrupt().tolist() == [0]
    assert (control.status(0), control.steps(0), control.status(1)) == ("interrupted", 1, "converged")
    with pytest.raises(ValueError, match="losses"):
        control.judge(np.zeros(3), True)


def test_find_lr_is_monotone_and_largest():
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    theta = net.init(0)
    lr = fastntk.find_lr(net, theta, X, Y, optimizer="adam", steps=30)
    ok = fastntk.train(net, theta, X, Y, optimizer="adam", lr=lr, max_steps=30, tol=1e-300, record_every=1)
    assert np.all(np.diff(ok.history["train_loss"]) < 0)
    bad = fastntk.train(net, theta, X, Y, optimizer="adam", lr=2 * lr, max_steps=30, tol=1e-300, record_every=1)
    assert not np.all(np.diff(bad.history["train_loss"]) < 0)


def test_find_lr_extends_its_grid_past_lr_max():
    """A rate at the top of the grid is a degenerate run (overparameterization-ce's AdaGrad
    "converged" in one step at find_lr's old top, η = 10): when lr_max itself passes, the
    search goes up until a rate fails, so the answer has a failing rate one step above."""
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    theta = net.init(0)
    top = fastntk.find_lr(net, theta, X, Y, optimizer="adam", steps=30)
    low = fastntk.find_lr(net, theta, X, Y, optimizer="adam", steps=30, lr_max=top / 64)
    assert low == pytest.approx(top, rel=1e-12)
    bad = fastntk.train(net, theta, X, Y, optimizer="adam", lr=2 * low, max_steps=30, tol=1e-300, record_every=1)
    assert not np.all(np.diff(bad.history["train_loss"]) < 0)


@pytest.mark.parametrize("settings", [dict(train_layers=[2]), dict(batch_size=4, shuffle=True, seed=3),
                                      dict(path="direct")])
def test_train_without_lr_probes_the_run_it_will_make(settings):
    """lr=None with an adaptive optimizer takes find_lr's rate for the run's own trained
    layers, batches and path (the probe once trained every layer, full batch), and that
    rate passes App. D's rule on the run itself while twice it fails."""
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    theta = net.init(0)
    res = fastntk.train(net, theta, X, Y, optimizer="adam", max_steps=1, **settings)
    assert res.lr == fastntk.find_lr(net, theta, X, Y, optimizer="adam", **settings)
    for rate, monotone in ((res.lr, True), (2 * res.lr, False)):
        run = fastntk.train(net, theta, X, Y, optimizer="adam", lr=rate, max_steps=50, tol=1e-300, record_every=1,
                            **settings)
        assert bool(np.all(np.diff(run.history["train_loss"]) < 0)) == monotone


@pytest.mark.parametrize("path", ["matrix-free", "materialized"])
def test_find_lr_probes_on_the_run_s_own_path(monkeypatch, path):
    """Every probe of train's rate search runs the path the run will take (a linearized net's
    two parameter-space paths are both exact, so only the probes' configs can tell)."""
    from fastntk._cpu import CpuBackend
    seen = []
    inner = CpuBackend.train

    def spy(self, net, problem, config, progress):
        seen.append((config.path, config.model, config.batch_size))
        return inner(self, net, problem, config, progress)
    monkeypatch.setattr(CpuBackend, "train", spy)
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    fastntk.train(net, net.init(0), X, Y, model="linearized", optimizer="adagrad", path=path, max_steps=1)
    assert len(seen) > 2 and set(seen) == {(path, "linearized", None)}


def test_find_lr_names_an_unknown_setting():
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    with pytest.raises(TypeError, match="weight_decay"):
        fastntk.find_lr(net, net.init(0), X, Y, optimizer="adam", weight_decay=0.1)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(optimizer="sgd", batch_size=9), ValueError, "batch_size"),
    (dict(optimizer="gd", batch_size=3), ValueError, "full-batch"),
    (dict(split_ratio=0.0, optimizer="sgd"), ValueError, "split_ratio"),
    (dict(split_ratio=1.5, optimizer="sgd"), ValueError, "split_ratio"),
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-1.0), ValueError, "lr"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer"),
    (dict(model="kernel"), ValueError, "model"),
    (dict(weight_decay=0.1), TypeError, "hyper-parameter"),
    (dict(model="linearized", optimizer="adam", path="function", lr=0.1), ValueError, "function space"),
])
def test_bad_training_input(kwargs, exc, match):
    net = fastntk.MLP.uniform(4, 8, 2)
    X, Y, _ = data()
    with pytest.raises(exc, match=match):
        fastntk.train(net, net.init(0), X, Y, max_steps=5, **kwargs)


def test_bad_training_data():
    net = fastntk.MLP.uniform(4, 8, 2)
    X, Y, _ = data()
    with pytest.raises(ValueError, match=r"Y: expected shape \(8,\)"):
        fastntk.train(net, net.init(0), X, Y[:5])
    # a column (N, 1) is one output's targets, as neural-tangents writes them
    np.testing.assert_array_equal(fastntk.train(net, net.init(0), X, Y[:, None], lr=0.1, max_steps=3).theta,
                                  fastntk.train(net, net.init(0), X, Y, lr=0.1, max_steps=3).theta)
    with pytest.raises(ValueError, match=r"Y: expected shape \(8,\) or \(8, 1\)"):
        fastntk.train(net, net.init(0), X, Y[:, None, None])
    Yn = Y.copy()
    Yn[2] = np.nan
    with pytest.raises(ValueError, match="Y: contains NaN"):
        fastntk.train(net, net.init(0), X, Yn)
    with pytest.raises(ValueError, match="X_test"):
        fastntk.train(net, net.init(0), X, Y, X_test=np.ones((3, 2)))


@given(st.sampled_from(OPTS), st.sampled_from(["network", "linearized"]), st.integers(2, 3),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 1000))
def test_train_layers_freezes_the_others_and_matches_a_masked_reference(optimizer, model, depth, dtype, seed):
    """Training a subset of the layers equals the full update with the frozen blocks'
    gradients zeroed (PyTorch: those parameters have requires_grad=False)."""
    net = fastntk.MLP.uniform(4, 6, depth, bias="normal", dtype=dtype, sigma=1.1)
    X, Y, _ = data(seed=seed)
    theta = net.flatten(net.init(seed))
    layers = [1] if depth == 2 else [1, 3]
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.1)
    bs = 3 if optimizer in ("sgd", "momentum") else None
    res = fastntk.train(net, theta, X.astype(dtype), Y, model=model, optimizer=optimizer, lr=lr, max_steps=5,
                        tol=1e-300, record_every=1, batch_size=bs, shuffle=bs is not None, seed=3,
                        train_layers=layers)
    sizes = [p.size for p in net.unflatten(theta)]
    mask = np.concatenate([np.full(n, (i // 2 + 1) in layers) for i, n in enumerate(sizes)])
    np.testing.assert_array_equal(res.theta[~mask], theta[~mask])
    sched = fastntk.batch_schedule(X.shape[0], bs, 5, shuffle=bs is not None, seed=3)
    thetas, losses = ref.train(net, theta.astype(np.float64), X, Y, model=model, optimizer=optimizer, lr=lr,
                               schedule=sched, mask=mask)
    scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
    assert_close(res.theta, thetas[-1], dtype, scale=scale * (1 + np.abs(thetas[-1]).max()))
    assert_close(res.history["train_loss"], losses, dtype, scale=scale * (1 + losses.max()))


def test_train_layers_errors_and_effective_lr():
    net = fastntk.MLP.uniform(4, 6, 2)
    X, Y, _ = data()
    p = net.init(0)
    with pytest.raises(ValueError, match="train_layers"):
        fastntk.train(net, p, X, Y, lr=0.1, max_steps=1, train_layers=[3])
    with pytest.raises(ValueError, match="train_layers"):
        fastntk.train(net, p, X, Y, lr=0.1, max_steps=1, train_layers=[])
    with pytest.raises(ValueError, match="train_layers"):
        fastntk.train(net, p, X, Y, model="linearized", lr=0.1, max_steps=1, train_layers=[1], path="function")
    r = fastntk.train(net, p, X, Y, model="linearized", lr=0.1, max_steps=2, train_layers=[2])
    assert r.path in ("materialized", "matrix-free")
    # AdaGrad's effective rate is the mean over the trained parameters only (the frozen
    # ones would add D = 1/ε).
    r = fastntk.train(net, p, X, Y, optimizer="adagrad", lr=0.01, max_steps=3, tol=1e-300, record_every=1,
                      train_layers=[1], record_D=True)
    assert np.all(r.history["effective_lr"][1:] < 1e3)
    D = r.history["D"]
    W1, b1 = p[:2]
    assert np.all(D[:, W1.size + b1.size:] == 0)


@given(st.sampled_from(OPTS), st.sampled_from(["network", "linearized"]),
       st.sampled_from([np.float32, np.float64]), st.sampled_from(["zero", "normal", "none"]),
       st.integers(1, 3), st.booleans(), st.integers(0, 1000))
def test_logistic_steps_match_reference(optimizer, model, dtype, bias, depth, pm_labels, seed):
    """The two-class cross-entropy on every optimizer, model and path (the row space
    included: d = 12 > N = 8), labels {0, 1} or ±1, against the NumPy reference."""
    net = fastntk.MLP.uniform(12, 6, depth, bias=bias, dtype=dtype, sigma=1.2)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 12))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = (rng.random(8) > 0.5).astype(float)
    if pm_labels:
        Y = 2 * Y - 1
    theta = net.flatten(net.init(seed))
    lr = {"adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}.get(optimizer, 0.3)
    bs = 3 if optimizer in ("sgd", "momentum") else None
    paths = ["auto", "direct"] if model == "network" else (["function", "matrix-free", "materialized"] if optimizer in ("gd", "sgd", "momentum") else ["matrix-free", "materialized"])
    for path in paths:
        res = fastntk.train(net, theta, X.astype(dtype), Y, model=model, optimizer=optimizer, lr=lr, max_steps=6,
                            tol=1e-300, record_every=1, batch_size=bs, shuffle=bs is not None, seed=3, path=path,
                            loss="logistic")
        sched = fastntk.batch_schedule(8, bs, 6, shuffle=bs is not None, seed=3)
        thetas, losses = ref.train(net, theta.astype(np.float64), X.astype(dtype).astype(np.float64), Y, model=model,
                                   optimizer=optimizer, lr=lr, schedule=sched, loss="logistic")
        scale = 1.0 if optimizer not in ("adagrad", "rmsprop", "adam") else 1e3 if dtype == np.float32 else 1e2
        assert_close(res.theta, thetas[-1], dtype, scale=scale * (1 + np.abs(thetas[-1]).max()))
        assert_close(res.history["train_loss"], losses, dtype, scale=scale * (1 + losses.max()))


def test_logistic_gradient_by_finite_differences():
    """One GD step moves θ by −η∇L with L = (1/N)Σ log(1 + e^{−ỹf}): ∇L from the step
    against central differences of L (float64)."""
    net = fastntk.MLP.uniform(3, 8, 2, bias="normal")
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((6, 3)), np.array([0, 1, 1, 0, 1, 0.0])
    theta = net.flatten(net.init(2))
    step = fastntk.train(net, theta, X, Y, loss="logistic", lr=1.0, max_steps=1, tol=1e-300)
    grad = theta - step.theta

    def loss(th):
        return float(np.mean(np.logaddexp(0.0, -np.where(Y > 0, 1.0, -1.0) * net.apply(th, X))))

    h = 1e-6
    for v in rng.standard_normal((5, net.num_params)):
        fd = (loss(theta + h * v) - loss(theta - h * v)) / (2 * h)
        assert fd == pytest.approx(grad @ v, rel=TOL["finite_diff"], abs=TOL["finite_diff"] * 1e-2)


def test_logistic_labels_and_stopping():
    net = fastntk.MLP.uniform(3, 32, 2)
    X = np.random.default_rng(0).standard_normal((6, 3))
    with pytest.raises(ValueError, match=r"Y: the logistic loss takes two-class labels"):
        fastntk.train(net, net.init(0), X, np.linspace(0, 1, 6), loss="logistic", lr=0.1)
    with pytest.raises(ValueError, match="loss: expected one of"):
        fastntk.train(net, net.init(0), X, np.ones(6), loss="hinge", lr=0.1)
    # The loss's own stopping rule: its value below tol (separable data, so it gets there).
    r = fastntk.train(net, net.init(0), X, np.array([0, 1, 0, 1, 0, 1.0]), loss="logistic", lr=2.0, tol=0.05,
                      max_steps=100000)
    assert r.status == "converged" and r.history["train_loss"][-1] < 0.05


def test_malformed_training_inputs_are_named():
    """The last holes the fuzzing found: a ragged Y, a run of another input dimension, an
    empty list of runs, an infinite lr_min."""
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = data()
    theta = net.init(0)
    with pytest.raises(TypeError, match="Y: expected a real numeric array"):
        fastntk.train(net, theta, X, [[1.0, 2.0]] + [[0.0]] * (X.shape[0] - 1), max_steps=2)
    other = fastntk.MLP.uniform(5, 16, 2)
    with pytest.raises(ValueError, match=r"runs\[1\]\.net: every run must have runs\[0\]'s input dimension"):
        fastntk.train_many([dict(net=net, params=theta), dict(net=other, params=other.init(0))], X, Y)
    with pytest.raises(ValueError, match="runs: expected at least one run"):
        fastntk.train_many([], X, Y)
    with pytest.raises(ValueError, match="lr_min"):
        fastntk.find_lr(net, theta, X, Y, optimizer="adam", lr_min=float("inf"))
    with pytest.raises(ValueError, match="lr_min"):
        fastntk.find_lr(net, theta, X, Y, optimizer="adam", lr_min=100.0, lr_max=1.0)
