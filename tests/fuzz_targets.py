"""Malformed calls of every public function, for tests/test_fuzz.py.

A case is (target, argument, bad value), three indices into the tables below; the
child process (``python fuzz_targets.py CASES.json``) builds each call from a
valid one by replacing one argument, runs it, and prints one JSON line per case:
what it raised (type and message) or that it returned. The parent judges; a crash
of the child (a segfault, an abort) is a failure of the whole batch.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

P_NET = dict(widths=[3, 5, 1])  # P = 3·5 + 5 + 5 + 1 = 26


def _net():
    import fastntk
    return fastntk.MLP(**P_NET)


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.linspace(-1, 1, 6), X[:4] * 0.5


# Each target: name -> (function, {argument: (kind, valid value)}), called with the
# valid values except the one replaced. Kinds say which bad values apply.
def targets():
    import fastntk
    from fastntk import datasets, theory
    net = _net()
    theta = net.flatten(net.init(0))
    X, Y, Xt = _data()
    P = net.num_params
    K = fastntk.ntk(net, theta, X)
    small = dict(max_steps=3, tol=1e-300)
    return {
        "MLP": (fastntk.MLP, dict(widths=("widths", [3, 5, 1]), sigma=("pos", 1.0), parametrization=("str", "ntk"),
                                  bias=("str", "zero"), activation=("str", "relu"), dtype=("dtype", np.float64),
                                  sigma_b=("nonneg", 1.0))),
        "MLP.uniform": (fastntk.MLP.uniform, dict(d=("count", 3), width=("count", 4), depth=("count", 2))),
        "init": (net.init, dict(seed=("seed", 0))),
        "flatten": (net.flatten, dict(params=("params", theta))),
        "unflatten": (net.unflatten, dict(theta=("vecPany", theta))),
        "apply": (net.apply, dict(params=("params", theta), X=("X", X))),
        "ntk": (fastntk.ntk, dict(net=("net", net), params=("params", theta), X1=("X", X), X2=("Xopt", None),
                                  tile=("count", 8), trace_axes=("axes", (-1,)))),
        "jacobian": (fastntk.jacobian, dict(net=("net", net), params=("params", theta), X=("X", X))),
        "jacobian_chunks": (lambda **k: list(fastntk.jacobian_chunks(**k)),
                            dict(net=("net", net), params=("params", theta), X=("X", X), max_bytes=("count", 512))),
        "jvp": (fastntk.jvp, dict(net=("net", net), params=("params", theta), X=("X", X), v=("vecP", theta))),
        "vjp": (fastntk.vjp, dict(net=("net", net), params=("params", theta), X=("X", X), r=("vecN", Y))),
        "adaptive_ntk": (fastntk.adaptive_ntk, dict(net=("net", net), params=("params", theta), X1=("X", X),
                                                    X2=("Xopt", None), d=("vecP", np.ones(P)),
                                                    max_bytes=("count", 4096), trace_axes=("axes", ()))),
        "train": (lambda **k: fastntk.train(**k, **small),
                  dict(net=("net", net), params=("params", theta), X=("X", X), Y=("vecN", Y), X_test=("Xopt", Xt),
                       lr=("posopt", 0.1), optimizer=("str", "gd"), model=("str", "network"),
                       record_every=("count", 1), seed=("seed", 0), shuffle=("bool", False),
                       callback=("callback", None), progress=("bool", False))),
        "train.hyper": (lambda **k: fastntk.train(net, theta, X, Y, optimizer="momentum", lr=0.1, **k, **small),
                        dict(momentum=("unit", 0.9), dampening=("unit", 0.0), nesterov=("bool", False))),
        "train.adam": (lambda **k: fastntk.train(net, theta, X, Y, optimizer="adam", lr=0.01, **k, **small),
                       dict(betas=("betas", (0.9, 0.999)), eps=("nonneg", 1e-8))),
        "train.sgd": (lambda **k: fastntk.train(net, theta, X, Y, optimizer="sgd", lr=0.1, **k),
                      dict(batch_size=("countopt", 2), split_ratio=("unitopt", None), max_steps=("count0", 3),
                           tol=("pos", 1e-300))),
        "train_many": (fastntk.train_many, dict(runs=("runs", [dict(net=net, params=theta, lr=0.1, **small)]),
                                                X=("X", X), Y=("vecN", Y))),
        "default_lr": (fastntk.default_lr, dict(net=("net", net), params=("params", theta), X=("X", X))),
        "find_lr": (fastntk.find_lr, dict(net=("net", net), params=("params", theta), X=("X", X), Y=("vecN", Y),
                                          optimizer=("str", "adam"), steps=("count", 3), lr_max=("pos", 1.0),
                                          factor=("pos", 2.0))),
        "gd_closed_form": (fastntk.gd_closed_form, dict(net=("net", net), params=("params", theta), X=("X", X),
                                                        Y=("vecN", Y), X_test=("X", Xt), steps=("steps", [0, 5]),
                                                        lr=("posopt", None))),
        "batch_schedule": (fastntk.batch_schedule, dict(n=("count", 6), batch_size=("countopt", 2),
                                                        steps=("count0", 4), shuffle=("bool", True),
                                                        seed=("seed", 0))),
        "set_num_threads": (fastntk.set_num_threads, dict(n=("count", 2))),
        "TrainConfig": (fastntk.TrainConfig, dict(lr=("pos", 0.1), record_every=("count", 1),
                                                  divergence_factor=("pos", 1e8), monotone=("nonneg", 0.0), lr_decay=("nonneg", 0.0),
                                                  alpha=("unit", 0.99), initial_accumulator_value=("nonneg", 0.0))),
        "theory.decompose": (theory.decompose, dict(net=("net", net), params=("params", theta), X=("X", X),
                                                    Y=("vecN", Y), X_test=("X", Xt), pinv=("bool", False))),
        "theory.project_features": (theory.project_features, dict(net=("net", net), params=("params", theta),
                                                                  X=("X", X), v=("vecP", theta))),
        "theory.init_term_scaling": (theory.init_term_scaling, dict(net=("net", net), params=("params", theta),
                                                                    X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                                                    sigmas=("reals", [0.5, 1.0]))),
        "theory.last_layer_kernel": (theory.last_layer_kernel, dict(net=("net", net), params=("params", theta),
                                                                    X1=("X", X))),
        "theory.minimizer_distance": (theory.minimizer_distance, dict(pred_a=("vecN", Y), pred_b=("vecN", Y))),
        "theory.gradient_confusion": (theory.gradient_confusion, dict(net=("net", net), params=("params", theta),
                                                                      X=("X", X), Y=("vecN", Y),
                                                                      batch_size=("countopt", None),
                                                                      seed=("seed", 0))),
        "theory.strategy41_params": (theory.strategy41_params, dict(net=("net", net.replace(parametrization="standard")),
                                                                    kappa=("pos", 0.5),
                                                                    seed=("seed", 0))),
        "theory.constant_D_minimizer": (theory.constant_D_minimizer, dict(net=("net", net), params=("params", theta),
                                                                          X=("X", X), Y=("vecN", Y),
                                                                          X_test=("X", Xt), d=("vecP", np.ones(P)))),
        "theory.thm2_bounds": (theory.thm2_bounds, dict(net=("net", net), params=("params", theta), X=("X", X),
                                                        Y=("vecN", Y), X_test=("X", Xt), Y_test=("vec4", Y[:4]))),
        "theory.underparameterized_minimizer": (theory.underparameterized_minimizer,
                                                dict(net=("net", fastntk.MLP([3, 1], bias="none")),
                                                     params=("params3", np.ones(3)), X=("X", X), Y=("vecN", Y),
                                                     X_test=("X", Xt))),
        "theory.last_layer_minimizer": (theory.last_layer_minimizer, dict(net=("net", net), params=("params", theta),
                                                                          X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                                                          pinv=("bool", True))),
        "theory.adaptive_closed_form": (theory.adaptive_closed_form, dict(net=("net", net), params=("params", theta),
                                                                          X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                                                          D=("diag", np.ones((2, P))),
                                                                          lr=("pos", 0.01))),
        "theory.select_sigma": (lambda **k: theory.select_sigma(**k, max_steps=50, max_rounds=2),
                                dict(net=("net", net), params=("params", theta), X=("X", X), Y=("vecN", Y),
                                     X_val=("X", Xt), Y_val=("vec4", Y[:4]), sigma_start=("pos", 1.0),
                                     shrink=("unitopen", 0.5))),
        "theory.sgd_vs_gd": (lambda **k: theory.sgd_vs_gd(**k, max_steps=20, tol=1e-3),
                             dict(net=("net", net), params=("params", theta), X=("X", X), Y=("vecN", Y),
                                  X_test=("X", Xt), split_ratios=("reals", [0.5, 1.0]), shuffle=("bool", False))),
        "theory.gradient_confusion_along_training": (
            theory.gradient_confusion_along_training,
            dict(net=("net", net), params=("params", theta), X=("X", X), Y=("vecN", Y),
                 checkpoints=("steps", [0, 2]), lr=("posopt", 0.1))),
        "theory.linearization_gap": (lambda **k: theory.linearization_gap(**k, max_steps=20, tol=1e-2),
                                     dict(widths=("counts", [4, 8]), X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                          depth=("count", 2), seeds=("seeds", (0,)))),
        "infinite.kernels": (fastntk.infinite.kernels, dict(net=("net", net), X1=("X", X), X2=("Xopt", None),
                                                            get=("getk", "ntk"), tile=("count", 8))),
        "infinite.lambda0": (fastntk.infinite.lambda0, dict(net=("net", net), X=("X", X))),
        "infinite.gd_mse_ensemble": (fastntk.infinite.gd_mse_ensemble,
                                     dict(net=("net", net), X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                          steps=("tsteps", 10), lr=("posopt", 0.1), compute_cov=("bool", True))),
        "predict.gradient_descent_mse": (
            lambda t=1.0, **k: fastntk.predict.gradient_descent_mse(**k)(t),
            dict(k_train_train=("kernel", K), y_train=("targets", Y), learning_rate=("pos", 1.0),
                 diag_reg=("nonneg", 0.0), t=("time", 1.0))),
        "predict.gp_inference": (lambda **k: fastntk.predict.gp_inference(**k)(),
                                 dict(k_train_train=("kernel", K), y_train=("targets", Y), diag_reg=("nonneg", 0.1))),
        "infinite.nngp_posterior": (fastntk.infinite.nngp_posterior,
                                    dict(net=("net", net), X=("X", X), Y=("vecN", Y), X_test=("X", Xt),
                                         noise=("nonneg", 0.1))),
        "train.logistic": (lambda **k: fastntk.train(net, theta, X, (Y > 0).astype(float), lr=0.1, **k, **small),
                           dict(loss=("str", "logistic"), optimizer=("str", "adam"))),
        "datasets.load": (datasets.load, dict(spec=("dataspec", "sphere:3"), n_train=("count", 4),
                                              n_test=("count", 4), seed=("seed", 0))),
        "datasets.gaussian_bump": (datasets.gaussian_bump, dict(n_train=("count", 5), n_test=("count", 7),
                                                                seed=("seed", 0))),
        "datasets.sphere": (datasets.sphere, dict(n_train=("count", 5), n_test=("count", 7), d=("count", 3),
                                                  seed=("seed", 0))),
        "datasets.digits": (datasets.digits, dict(n_train=("count", 10), n_test=("count", 10),
                                                  seed=("seed", 0))),
        "theory.prerequisites": (theory.prerequisites, dict(net=("net", net), X=("X", X))),
        "theory.gd_loss_bound": (theory.gd_loss_bound, dict(net=("net", net), X=("X", X), Y=("vecN", Y),
                                                            lr=("pos", 0.1), steps=("steps", [0, 5]))),
        **_optional_targets(net, theta, X, Y, Xt),
    }


def _optional_targets(net, theta, X, Y, Xt):
    """The targets of optional extras, where they are installed."""
    import importlib.util
    import tempfile
    out = {}
    if all(importlib.util.find_spec(m) for m in ("dask", "zarr")):
        import atexit
        import shutil

        from fastntk import distributed
        root = tempfile.mkdtemp(prefix="fastntk-fuzz-")  # every store of this process, removed at exit
        atexit.register(shutil.rmtree, root, True)

        def fresh():
            return tempfile.mkdtemp(dir=root) + "/k.zarr"
        out.update({
            "distributed.ntk": (lambda **k: distributed.ntk(**k).compute(),
                                dict(net=("net", net), params=("params", theta), X1=("X", X), X2=("Xopt", None),
                                     chunks=("count", 4))),
            "distributed.gram_to_zarr": (lambda **k: distributed.gram_to_zarr(store=fresh(), **k),
                                         dict(net=("net", net), params=("params", theta), X1=("X", X),
                                              X2=("Xopt", None), chunks=("count", 4),
                                              max_feature_bytes=("count", 2**20), overwrite=("bool", False))),
            "distributed.gram_to_zarr.store": (lambda **k: distributed.gram_to_zarr(net, theta, X, **k),
                                               dict(store=("store", fresh()))),
            "distributed.cg_solve": (distributed.cg_solve,
                                     dict(K=("matN", np.eye(6) * 2.0), y=("vecN", Y), ridge=("nonneg", 0.0),
                                          tol=("pos", 1e-10), max_iter=("countopt", None),
                                          precondition=("precond", None), rank=("count", 3))),
            "distributed.kernel_regression": (distributed.kernel_regression,
                                              dict(net=("net", net), params=("params", theta), X=("X", X),
                                                   Y=("vecN", Y), X_test=("X", Xt), ridge=("nonneg", 1e-3),
                                                   method=("str", "cg"), chunks=("count", 4), rank=("count", 3),
                                                   tol=("pos", 1e-8))),
        })
    if importlib.util.find_spec("torch"):
        import fastntk
        import torch
        module = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1)).double()
        out.update({
            "from_torch": (fastntk.from_torch, dict(module=("module", module), parametrization=("stropt", None),
                                                    sigma=("posopt", None), sigma_b=("nonneg", None))),
            "to_torch": (fastntk.to_torch, dict(net=("net", net), params=("params", theta))),
        })
    return out


# Bad values by kind: each of them is wrong for every argument of that kind, so a call
# that returns normally with one of them accepted it silently.
_ANY = ["abc", object(), [1, "a"], {"a": 1}]
_NUM = [float("nan"), float("inf"), -float("inf"), 1 + 2j, True]
BAD = {
    "count": _ANY + _NUM + [None, -1, 0, 2.5, "3", 2**63, 2**70],
    "count0": _ANY + _NUM + [None, -1, 2.5, "3", 2**63, 2**70],
    "countopt": _ANY + _NUM + [-1, 0, 2.5, "3", 2**63],
    "seed": _ANY + _NUM + [None, -1, 2.5, 2**200],
    "pos": _ANY + _NUM + [None, 0, -1.0, "1"],
    "posopt": _ANY + _NUM + [0, -1.0, "1"],
    "nonneg": _ANY + [float("nan"), float("inf"), True, -1e-3, "0"],
    "unit": _ANY + [float("nan"), float("inf"), True, -0.1, 1.5],
    "unitopt": _ANY + [float("nan"), 0, -0.5, 1.5, True],
    "bool": _ANY + [None, "no", 1, 0, 2.5],
    "str": _ANY + [None, 1, "", "NTK "],
    "dtype": _ANY[:2] + [None, np.int32, np.complex128, "float16"],
    "callback": ["abc", 1, object()],
    "widths": _ANY + [None, [], [3], [3, 0, 1], [3, -5, 1], [3, 2.5, 1], ["3", 5, 1], [2**62, 4, 1],
                      [True, 5, 1], "351"],
    "net": _ANY + [None, 3, np.ones(3)],
    "params": _ANY + [None, 3, np.ones(5), np.ones((26, 1)), np.full(26, np.nan), np.full(26, np.inf),
                      np.ones(26, complex), np.ones(26, bool), np.array(["1"] * 26), [np.ones((5, 3))],
                      [np.ones((5, 3)), np.ones(5), np.ones((1, 5)), np.ones(1, complex)]],
    "vecP": _ANY + [None, 3, np.ones(5), np.ones((26, 1)), np.full(26, np.nan), np.ones(26, complex),
                    np.ones(26, bool), np.array(["1"] * 26)],
    "vecPany": _ANY + [None, 3, np.ones(5), np.ones((26, 1)), np.ones(26, complex), np.ones(26, bool),
                       np.array(["1"] * 26)],
    "vecN": _ANY + [None, 3, np.ones(5), np.ones((6, 2)), np.full(6, np.nan), np.ones(6, complex),
                    np.ones(6, bool), np.array(["1"] * 6), np.ones(0)],
    "X": _ANY + [None, 3, np.ones(3), np.ones((6, 2)), np.ones((6, 3, 1)), np.full((6, 3), np.nan),
                 np.full((6, 3), np.inf), np.ones((6, 3), complex), np.ones((6, 3), bool), np.ones((0, 3)),
                 np.array([["1"] * 3] * 6)],
    "Xopt": _ANY + [3, np.ones(3), np.ones((6, 2)), np.full((6, 3), np.nan), np.ones((6, 3), complex),
                    np.ones((0, 3))],
    "reals": _ANY + [None, 3, [0.5, float("nan")], [0.5, -1.0], ["a"]],
    "betas": _ANY + [None, 0.9, (0.9,), (0.9, 1.0), (float("nan"), 0.9), (0.9, 0.9, 0.9)],
    "steps": _ANY + [None, [-1], [float("nan")], ["a"]],
    "vec4": _ANY + [None, 3, np.ones(5), np.ones((4, 1)), np.full(4, np.nan), np.ones(4, complex)],
    "params3": _ANY + [None, np.ones(5), np.full(3, np.nan), np.ones(3, complex)],
    "diag": _ANY + [None, np.ones(26), np.ones((2, 5)), np.full((2, 26), np.nan), np.ones((2, 26), complex)],
    "unitopen": _ANY + [float("nan"), 0.0, 1.0, 1.5, -0.5, True],
    "counts": _ANY + [None, 3, [], [0], [-1], [2.5], ["a"]],
    "seeds": _ANY[:2] + [None, 3, [], [-1], [2.5]],
    "dataspec": _ANY[:2] + [None, 3, "imagenet", "sphere:abc", "sphere:0", "mnist:/does/not/exist"],
    "tsteps": _ANY + [float("nan"), -1.0, True, None, "1", -float("inf")],
    "getk": _ANY[:2] + [None, 3, "cov", ("ntk", "cov"), ()],
    "axes": _ANY + [None, 0, 2, (0,), (-1, 0), (True,), (0.5,), "-1"],
    "runs": _ANY[:2] + [None, 3, [None], [{}], [dict(net=None, params=None)], [dict(params=np.ones(26))]],
    "store": [object(), [1, "a"], {"a": 1}, None, 3, 2.5],
    "matN": _ANY + [None, 3, np.ones(6), np.eye(5), np.full((6, 6), np.nan), np.diag(np.full(6, np.inf))],
    "precond": _ANY[1:] + [3, "jacobi", ""],
    "module": _ANY + [None, 3],
    "stropt": _ANY + [1, "", "NTK "],
    "targets": _ANY + [None, 3, np.ones(5), np.ones((6, 1, 1)), np.full(6, np.nan), np.ones(6, complex),
                       np.ones(6, bool), np.array(["1"] * 6), np.ones(0)],
    # a kernel on the training points: square (any N is valid with targets of that N)
    "kernel": _ANY + [None, 3, np.ones(6), np.ones((6, 5)), np.ones((6, 6, 2)), np.full((6, 6), np.nan),
                      np.ones((6, 6), complex), np.ones((6, 6), bool)],
    "time": _ANY + [float("nan"), -1.0, True, "1", 1 + 2j, np.array([1.0, -1.0])],
}


def cases():
    """Every (target, argument, bad value) triple, as names and an index."""
    out = []
    for name, (_, args) in targets().items():
        for arg, (kind, _) in args.items():
            for i in range(len(BAD[kind])):
                out.append((name, arg, i))
    return out


def pair_cases(n: int, seed: int = 0):
    """``n`` calls with two bad arguments at once (target, arg, index, arg2, index2), drawn
    with a fixed seed from every target with two or more arguments: the error must name
    one of them."""
    rng = np.random.default_rng(seed)
    table = targets()
    names = sorted(name for name, (_, args) in table.items() if len(args) >= 2)
    out = set()
    while len(out) < n:
        name = names[rng.integers(len(names))]
        args = sorted(table[name][1])
        a, b = rng.choice(len(args), 2, replace=False)
        a, b = args[a], args[b]
        ka, kb = table[name][1][a][0], table[name][1][b][0]
        ia, ib = int(rng.integers(len(BAD[ka]))), int(rng.integers(len(BAD[kb])))
        if ka == kb and ia == ib:
            continue  # one wrong value twice can be a consistent call (two predictions of one wrong length)
        out.add((name, a, ia, b, ib))
    return sorted(out)


def cli_cases(root: str):
    """Malformed command lines of every subcommand (argv lists), with the files they
    need made under ``root``: missing, empty, garbage and wrong-shaped inputs, and bad
    values of every option."""
    os.makedirs(root, exist_ok=True)
    P = lambda *p: os.path.join(root, *p)  # noqa: E731
    np.save(P("x.npy"), np.ones((6, 3), np.float32))
    np.save(P("x4.npy"), np.ones((6, 4), np.float32))
    np.save(P("x3d.npy"), np.ones((6, 3, 1), np.float32))
    np.save(P("xnan.npy"), np.full((6, 3), np.nan, np.float32))
    np.save(P("xstr.npy"), np.array(["a", "b"]))
    np.save(P("theta5.npy"), np.ones(5))
    with open(P("garbage.npy"), "wb") as f:
        f.write(b"\x93NUMPY garbage")
    with open(P("text.txt"), "w") as f:
        f.write("hello")
    os.makedirs(P("empty"), exist_ok=True)
    os.makedirs(P("badrun"), exist_ok=True)
    with open(P("badrun", "config.json"), "w") as f:
        f.write("{not json")
    os.makedirs(P("norecords"), exist_ok=True)
    with open(P("norecords", "config.json"), "w") as f:
        json.dump({"experiment": "kernel-convergence", "preset": "quick"}, f)
    missing = P("missing", "nothing.npy")
    cases = [[], ["nonsense"], ["list", "extra"], ["config", "--x"], ["report"], ["claims", "--format", "xml"],
             ["data"], ["data", "fetch", "imagenet"], ["run"], ["run", "nope"], ["gram"]]
    for d in (missing, P("text.txt"), P("empty"), P("badrun"), P("norecords")):
        cases += [["report", d], ["report", "--check", d], ["report", "--table", d]]
    for d in (missing, P("text.txt")):  # a folder without results is allowed: the claims show no verdicts
        cases += [["claims", "--results", d], ["claims", "--format", "json", "--results", d]]
    bad_int = ["0", "-1", "abc", "1.5", "", "nan", "1e999", "99999999999999999999999"]
    bad_float = ["abc", "", "nan", "inf", "-1", "0"]
    out = P("runout")
    exp = "kernel-convergence"
    base = ["run", exp, "--out", out, "--no-progress"]
    cases += [base + ["--preset", v] for v in ("", "huge", "1", "paper2")]
    cases += [base + [flag, v] for flag in ("--jobs", "--threads") for v in bad_int]
    cases += [base + ["--data", v] for v in ("imagenet", "mnist:" + missing, "sphere:abc", "sphere:0", "",
                                             "mnist:" + P("empty"), "digits:3")]
    cases += [base + [f, v] for f in ("--n-train", "--n-test", "--data-seed") for v in bad_int if v != "0" or f != "--data-seed"]
    cases += [base + ["--sigma", v] for v in bad_float]
    cases += [base + [f, v] for f in ("--widths", "--depths", "--seeds") for v in ("", "a,b", "1,,2", "-1", "0", "2.5",
                                                                                  "[1", "nan")
              if not (f == "--seeds" and v == "0")]
    cases += [base + ["--bias", v] for v in ("", "sometimes", "1")]
    cases += [["run", exp, "--out", P("text.txt"), "--no-progress", "--n-train", "3"]]
    x = P("x.npy")
    g = ["gram", x, P("k.zarr"), "--no-progress", "--width", "8", "--depth", "2", "--chunks", "3"]
    cases += [["gram", d, P("k.zarr"), "--no-progress"] for d in (missing, P("garbage.npy"), P("text.txt"), P("empty"),
                                                                P("x3d.npy"), P("xnan.npy"), P("xstr.npy"))]
    # any non-negative integer is a seed (NumPy's SeedSequence takes them all)
    cases += [g + [f, v] for f in ("--width", "--depth", "--chunks", "--seed", "--workers") for v in bad_int
              if not (f in ("--seed", "--workers") and v == "0") and not (f == "--seed" and v.isdigit())]
    cases += [g + ["--sigma", v] for v in bad_float]
    cases += [g + [f, v] for f, vs in (("--dtype", ["float16", "int32", ""]), ("--bias", ["", "x"]),
                                       ("--activation", ["softmax", ""]), ("--parametrization", ["", "mup"]))
              for v in vs]
    cases += [g + ["--params", v] for v in (missing, P("garbage.npy"), P("theta5.npy"), P("text.txt"), P("xnan.npy"))]
    cases += [g + ["--x2", v] for v in (missing, P("x4.npy"), P("garbage.npy"), P("xnan.npy"), P("x3d.npy"))]
    cases += [["gram", x, P("text.txt"), "--no-progress", "--width", "8", "--depth", "2", "--chunks", "3"],
              ["gram", x, P("badrun"), "--no-progress", "--width", "8", "--depth", "2", "--chunks", "3"],
              g + ["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"]]
    # every run case its own --out, so that no case's leftovers decide another's
    for k, argv in enumerate(cases):
        if argv[:1] == ["run"] and "--out" in argv:
            i = argv.index("--out") + 1
            if argv[i] == out:
                argv[i] = f"{out}{k}"
    return cases


def run_cli(batch) -> None:
    """Each command line through fastntk.cli.main in this process: its exit status and
    what it wrote to stderr."""
    import contextlib
    import io
    import warnings
    warnings.simplefilter("ignore")
    from fastntk import cli
    for argv in batch:
        err, outbuf = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(outbuf):
                code = cli.main(argv)
        except SystemExit as e:  # argparse's own errors
            code = e.code if isinstance(e.code, int) else 2
        except BaseException as e:  # noqa: BLE001 - judged by the parent
            code = f"raised {type(e).__name__}: {str(e)[:200]}"
        text = err.getvalue()  # its first and last lines: argparse's usage, then the error
        text = text if len(text) <= 1200 else text[:600] + "\n…\n" + text[-600:]
        print(json.dumps(dict(target="cli", argv=argv, code=code, stderr=text)), flush=True)


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array{v.shape}:{v.dtype}"
    return repr(v)[:60]


def run(batch) -> None:
    import warnings
    warnings.simplefilter("ignore")
    table = targets()
    for case in batch:
        name, bad = case[0], list(zip(case[1::2], case[2::2]))
        fn, args = table[name]
        kwargs = {k: v for k, (_, v) in args.items()}
        for arg, i in bad:
            kwargs[arg] = BAD[args[arg][0]][i]
        row = dict(target=name, arg=bad[0][0], value=_describe(kwargs[bad[0][0]]),
                   args=[a for a, _ in bad], values=[_describe(kwargs[a]) for a, _ in bad])
        try:
            fn(**kwargs)
            row["outcome"] = "returned"
        except Exception as e:  # everything is judged by the parent
            row.update(outcome="raised", type=type(e).__name__,
                       bases=[c.__name__ for c in type(e).__mro__], message=str(e)[:300])
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        batch = json.load(f)
    if len(sys.argv) > 2 and sys.argv[2] == "cli":
        os.chdir(os.path.dirname(os.path.abspath(sys.argv[1])))  # a default --out lands in the temporary folder
        run_cli(batch)
    else:
        run([tuple(c) for c in batch])
