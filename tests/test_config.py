"""The training configuration (one owner of defaults and checks), the network's
public layout (against the core's own), and the backend boundary."""
import dataclasses

import numpy as np
import pytest
from conftest import fresh_python, make_data
from hypothesis import given
from hypothesis import strategies as st

import fastntk
from fastntk import _core
from fastntk.config import FIELDS, make_config


def test_config_is_frozen_and_owns_the_defaults():
    cfg = fastntk.TrainConfig(lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 0.2
    assert (cfg.model, cfg.optimizer, cfg.tol, cfg.max_steps, cfg.path) == ("network", "gd", 1e-5, 100_000, "auto")
    # eps None is PyTorch's default for the optimizer, resolved once, here.
    assert fastntk.TrainConfig(lr=1, optimizer="adagrad").eps == 1e-10
    assert fastntk.TrainConfig(lr=1, optimizer="adam").eps == 1e-8
    assert fastntk.TrainConfig(lr=1, optimizer="adam", eps=0.0).eps == 0.0
    assert cfg.replace(optimizer="adam").optimizer == "adam" and cfg.optimizer == "gd"
    assert fastntk.TrainConfig(lr=1, train_layers=[2, 1, 2]).train_layers == (1, 2)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(lr=0), ValueError, r"lr: expected a finite number in \(0, inf\), got 0"),
    (dict(lr=float("nan")), ValueError, "lr"),
    (dict(lr="fast"), TypeError, "lr: expected a real number, got .fast."),
    (dict(lr=1, model="cnn"), ValueError, "model: expected one of"),
    (dict(lr=1, optimizer="lbfgs"), ValueError, "optimizer: expected one of"),
    (dict(lr=1, path="function"), ValueError, "path: expected one of .* for model='network'"),
    (dict(lr=1, optimizer="adam", path="row-space"), ValueError, "row-space"),
    (dict(lr=1, model="linearized", optimizer="adam", path="function"), ValueError, "function space"),
    (dict(lr=1, max_steps=1.5), TypeError, "max_steps: expected an integer"),
    (dict(lr=1, record_every=0), ValueError, "record_every: expected an integer >= 1"),
    (dict(lr=1, betas=(0.9, 1.0)), ValueError, "betas"),
    (dict(lr=1, betas=0.9), ValueError, "betas"),
    (dict(lr=1, eps=-1), ValueError, "eps"),
    (dict(lr=1, train_layers=[]), ValueError, "train_layers"),
    (dict(lr=1, train_layers=[0]), ValueError, "train_layers"),
])
def test_config_checks_name_the_field(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fastntk.TrainConfig(**kwargs)


def test_problem_checks_and_unknown_settings():
    with pytest.raises(ValueError, match="batch_size: expected 1 <= batch_size <= N = 5"):
        make_config(5, 2, lr=1, optimizer="sgd", batch_size=6)
    with pytest.raises(ValueError, match="train_layers: expected layer numbers 1 … 2"):
        make_config(5, 2, lr=1, train_layers=[3])
    with pytest.raises(TypeError, match="unknown training setting.*'momentun'"):
        make_config(5, 2, lr=1, momentun=0.9)
    assert make_config(10, 2, lr=1, optimizer="sgd", split_ratio=0.25).batch_size == 3
    with pytest.raises(ValueError, match="at most one"):
        make_config(10, 2, lr=1, optimizer="sgd", split_ratio=0.5, batch_size=2)


def test_train_takes_a_config_and_keywords_override_it():
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = make_data(6, 4)
    theta = net.init(0)
    cfg = fastntk.TrainConfig(lr=0.3, max_steps=7, tol=1e-300, record_every=2)
    a = fastntk.train(net, theta, X, Y, config=cfg)
    b = fastntk.train(net, theta, X, Y, lr=0.3, max_steps=7, tol=1e-300, record_every=2)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.config == cfg and a.steps == 7
    c = fastntk.train(net, theta, X, Y, config=cfg, max_steps=3)
    assert c.steps == 3 and c.config == cfg.replace(max_steps=3)
    with pytest.raises(TypeError, match="config: expected a fastntk.TrainConfig"):
        fastntk.train(net, theta, X, Y, config=dict(lr=0.1))


def test_learning_rate_is_chosen_before_the_config_is_made():
    """lr=None: default_lr (gd, sgd, momentum) or find_lr (adaptive), and the result's
    config holds the chosen value; bad settings fail before any trial training."""
    net = fastntk.MLP.uniform(4, 16, 2)
    X, Y, _ = make_data(6, 4)
    theta = net.init(0)
    r = fastntk.train(net, theta, X, Y, max_steps=2)
    assert r.config.lr == r.lr == pytest.approx(fastntk.default_lr(net, theta, X))
    a = fastntk.train(net, theta, X, Y, optimizer="adam", max_steps=2)
    assert a.lr == fastntk.find_lr(net, theta, X, Y, optimizer="adam")
    calls = []
    with pytest.raises(ValueError, match="betas"):
        fastntk.train(net, theta, X, Y, optimizer="adam", betas=(2, 0), callback=lambda *a: calls.append(a))
    assert not calls


def test_every_field_reaches_the_core():
    """The binding reads every TrainConfig field by name: a config with none of its
    defaults trains without error, and a field the binding does not know is caught
    by this list."""
    assert set(FIELDS) == {"lr", "model", "optimizer", "loss", "batch_size", "shuffle", "seed", "tol", "max_steps",
                           "record_every", "records_per_decade", "record_D", "path", "divergence_factor", "monotone", "train_layers",
                           "momentum", "dampening", "nesterov", "eps", "alpha", "betas", "initial_accumulator_value",
                           "lr_decay", "progress_seconds"}
    net = fastntk.MLP.uniform(4, 8, 2)
    X, Y, _ = make_data(6, 4)
    r = fastntk.train(net, net.init(0), X, Y, config=fastntk.TrainConfig(
        lr=0.05, optimizer="momentum", batch_size=3, shuffle=True, seed=3, tol=1e-300, max_steps=4,
        record_every=2, records_per_decade=3, record_D=True, path="direct", divergence_factor=1e6, monotone=1e-3, train_layers=(2,), momentum=0.5,
        dampening=0.1, nesterov=False, progress_seconds=0.0))
    assert r.steps == 4 and r.history["D"].shape == (4, net.num_params)
    first = slice(0, net.layout.weight_offset[2])
    np.testing.assert_array_equal(r.theta[first], net.flatten(net.init(0))[first])


@given(st.lists(st.integers(1, 7), min_size=2, max_size=5), st.floats(0.1, 3.0),
       st.sampled_from(["ntk", "standard"]), st.sampled_from(["zero", "normal", "none"]),
       st.sampled_from(["relu", "tanh", "identity", "linear"]), st.one_of(st.none(), st.floats(0.0, 3.0)))
def test_public_layout_equals_the_core(widths, sigma, parametrization, bias, activation, sigma_b):
    widths = widths[:-1] + [1]
    net = fastntk.MLP(widths, sigma=sigma, parametrization=parametrization, bias=bias, activation=activation,
                      sigma_b=sigma_b)
    spec = _core.Spec(widths, sigma, net.sigma_b, parametrization, bias, activation)
    lay = net.layout
    assert lay.P == net.num_params == spec.num_params and lay.L == spec.depth
    for l in range(1, lay.L + 1):
        assert lay.weight_offset[l] == spec.weight_offset(l)
        assert lay.c[l] == pytest.approx(spec.weight_multiplier(l), rel=1e-15)
        assert lay.beta[l] == pytest.approx(spec.bias_multiplier(l), rel=1e-15)
        if net.has_bias:
            assert lay.bias_offset[l] == spec.bias_offset(l)
    theta = np.arange(lay.P, dtype=float)
    views = net.unflatten(theta)
    for l in range(1, lay.L + 1):
        np.testing.assert_array_equal(lay.W(theta, l), views[(l - 1) * (2 if net.has_bias else 1)])


def test_numpy_calls_import_nothing_of_the_gpu_backend():
    code = ("import sys, numpy as np, fastntk; net = fastntk.MLP.uniform(2, 3, 2); th = net.init(0); "
            "X = np.ones((3, 2)); fastntk.ntk(net, th, X); fastntk.train(net, th, X, np.ones(3), max_steps=2); "
            "fastntk.train_many([dict(net=net, params=th, lr=0.1, max_steps=2)], X, np.ones(3)); "
            "print(sorted(m for m in sys.modules if m.startswith('fastntk._gpu') or m.startswith('cupy')))")
    stdout = fresh_python(code)
    assert stdout.strip() == "[]"


def test_mixed_array_kinds_are_refused_by_the_dispatch():
    from fastntk._dispatch import backend_for, cpu
    assert backend_for(X=np.ones(2), params=[np.ones(1)]) is cpu()
    fake = type("ndarray", (), {"__module__": "cupy._core.core"})()
    fake.device = type("D", (), {"id": 0})()
    with pytest.raises(TypeError, match="X: expected CuPy arrays like params"):
        backend_for(params=fake, X=np.ones(2))


def test_unflatten_on_the_host_converts_and_names_theta():
    """The CPU side of MLP.unflatten's backend call: any real θ of P values is converted
    (views into the converted θ), a wrong size is named."""
    from fastntk._dispatch import backend_for
    net = fastntk.MLP([3, 4, 2], bias="normal")
    theta = net.flatten(net.init(0))
    views = net.unflatten(theta)
    assert all(v.base is theta for v in views)
    for v, w in zip(net.unflatten(theta.astype(np.float32).tolist()), views):
        np.testing.assert_allclose(v, w, rtol=1e-7)
    with pytest.raises(ValueError, match=r"theta: expected shape \(26,\), got \(25,\)"):
        net.unflatten(theta[:-1])
    params = net.init(0)
    assert backend_for(params=params).host(params) is params


def test_public_functions_do_not_branch_on_placement():
    """Where arrays live is decided behind the backend boundary (_dispatch, _arrays, the
    backends): no public module tests an array's placement itself."""
    import pathlib
    import re
    root = pathlib.Path(fastntk.__file__).parent
    inside = {"_dispatch.py", "_arrays.py", "_validate.py", "_cpu.py", "_protocol.py"}
    found = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
             if p.name not in inside and p.parent.name not in ("_gpu", "experiments")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\b(is_device_array|placement)\(|__module__.*[\x27\"]cupy", line)]
    assert not found, found


# Deliberate imports up the layers, each inside a function that runs when a call needs it
# (the CLI's and the experiments' own code is above everything they import), with its reason.
LAZY_UP: dict[tuple[str, str], str] = {
    ("fastntk.experiments._runner", "fastntk.experiments"):
        "the runner looks experiments up in the package's REGISTRY, which imports every experiment; "
        "the experiments package is fingerprinted code, so the circle stays lazy and listed",
}


def imports_of(source: str, name: str, is_package: bool, names: set, compiled: frozenset = frozenset()) -> set:
    """The fastntk modules (among ``names``) that module ``name`` imports, the lazy imports
    inside functions included. ``from X import a`` is an import of the submodule X.a when
    there is one (``compiled``: the compiled ones, not in the graph), else of X itself — a
    name defined in X's ``__init__`` (``from . import __version__``) is an import of the package."""
    import ast
    package = name if is_package else name.rpartition(".")[0]
    deps = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif node.module and (node.module == "fastntk" or node.module.startswith("fastntk.")):
                target = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                deps.add(sub if sub in names or sub in compiled else target)
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name == "fastntk" or a.name.startswith("fastntk."))
    return {d for d in deps if d in names and d != name}


def import_graph() -> dict[str, set]:
    """{module: the fastntk modules it imports}, for every module of the package."""
    import pathlib
    root = pathlib.Path(fastntk.__file__).parent
    mods = {p: ".".join(("fastntk",) + p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for p in root.rglob("*.py")}
    names = set(mods.values())
    compiled = frozenset(".".join(("fastntk",) + p.relative_to(root).with_suffix("").parts)
                         for p in root.rglob("*.pyi"))  # _core: its stub stands for the extension
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", names, compiled)
            for path, name in mods.items()}


def test_the_import_parser_sees_names_from_a_package_init():
    """``from . import name`` where the name lives in the package's __init__ is an import
    of the package (the lazy circles _blas → fastntk and _runner → experiments hid there)."""
    names = {"fastntk", "fastntk._blas", "fastntk.predict", "fastntk.experiments", "fastntk.experiments._runner",
             "fastntk.experiments._base"}
    assert imports_of("def f():\n    from . import __version__\n", "fastntk._blas", False, names) == {"fastntk"}
    assert imports_of("def f():\n    from . import REGISTRY\n", "fastntk.experiments._runner", False,
                      names) == {"fastntk.experiments"}
    assert imports_of("from . import _base, REGISTRY\nfrom .. import predict, set_num_threads\n",
                      "fastntk.experiments._runner", False, names) == {
        "fastntk.experiments._base", "fastntk.experiments", "fastntk.predict", "fastntk"}
    assert imports_of("from . import _core, predict\nimport fastntk.experiments\nfrom fastntk import _blas\n",
                      "fastntk", True, names, frozenset({"fastntk._core"})) == {
        "fastntk.predict", "fastntk.experiments", "fastntk._blas"}


def test_imports_form_no_circle():
    """The package's imports, the lazy ones inside functions and the root package's
    included, form no circle once the deliberate upward ones (LAZY_UP, each listed with
    its reason) are set aside: every layer imports downward (docs/design.md §4)."""
    graph = import_graph()
    for a, b in LAZY_UP:
        assert b in graph.get(a, ()), f"LAZY_UP lists {a} → {b}, which no longer imports it"
        graph[a].discard(b)

    state = {}

    def visit(n, stack):
        state[n] = "open"
        for m in sorted(graph[n]):
            if state.get(m) == "open":
                raise AssertionError("import circle: " + " → ".join(stack[stack.index(m):] + [m]))
            if m not in state:
                visit(m, stack + [m])
        state[n] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])


def _design_layers():
    """docs/design.md §4's drawing of the package, top to bottom: [(names on the line, line)],
    and its list of deliberate lazy upward imports as module pairs."""
    import pathlib
    import re
    text = (pathlib.Path(__file__).parents[1] / "docs" / "design.md").read_text(encoding="utf-8")
    section = text[text.index("## 4. The architecture"):text.index("## 5.")]
    block = section[section.index("The package, top to bottom"):].split("\n\n", 2)
    drawing, rest = block[1], block[2]
    layers = []
    for line in drawing.splitlines():
        m = re.match(r"    (\S.*?)(?:\s{2,}|$)", line)
        if m:
            layers.append([n.strip() for n in m.group(1).split(",")])

    def module(path):
        parts = path.strip("/").removesuffix(".py").split("/")
        return ".".join(["fastntk"] + [p for p in parts if p != "__init__"])

    lazy = {(module(a), module(b)) for a, b in re.findall(r"^- `([^`]+)` → `([^`]+)`", rest, re.M)}
    return layers, lazy, module


def test_design_draws_the_true_import_layers():
    """docs/design.md §4 places every module of the package once, and each layer imports
    (eagerly or lazily) only what is below it, but for the lazy upward imports it lists —
    the same list as LAZY_UP."""
    layers, lazy, module = _design_layers()
    assert lazy == set(LAZY_UP), f"design.md lists {sorted(lazy)}, LAZY_UP {sorted(LAZY_UP)}"
    graph = import_graph()
    packages = {module(n) for line in layers for n in line if n.endswith("/")}

    def room(m):
        return next((p for p in packages if m.startswith(p + ".")), m)

    level = {}
    for i, line in enumerate(layers):
        for n in line:
            assert module(n) not in level, f"design.md places {n} twice"
            level[module(n)] = i
    unplaced = sorted({room(m) for m in graph} - set(level))
    assert not unplaced, f"design.md §4 does not place {unplaced}"
    assert not set(level) - {room(m) for m in graph}, f"design.md places modules that do not exist: " \
        f"{sorted(set(level) - {room(m) for m in graph})}"
    upward = sorted(f"{a} → {b}" for a, deps in graph.items() for b in deps
                    if room(a) != room(b) and (a, b) not in LAZY_UP and level[room(b)] <= level[room(a)])
    assert not upward, "imports not below their importer in design.md §4: " + ", ".join(upward)


def test_a_missing_optional_library_names_its_extra():
    """`import fastntk` needs NumPy, threadpoolctl and the core alone; a feature whose
    library is missing says which extra installs it."""
    from fastntk._optional import require
    with pytest.raises(ImportError, match=r"drawing needs matplotlib_missing: pip install matplotlib_missing"):
        require("matplotlib_missing", "drawing")
    with pytest.raises(ImportError, match=r"needs tqdm: pip install 'fastntk\[experiments\]'"):
        require("tqdm.no_such_module", "a bar")
    code = ("import sys, fastntk; print(sorted(m for m in ('matplotlib', 'tqdm', 'sklearn', 'scipy', 'dask', 'torch') "
            "if m in sys.modules))")
    stdout = fresh_python(code)
    assert stdout.strip() == "[]"


@pytest.mark.parametrize("settings, message", [
    (dict(path="row-space", optimizer="adam"), "'row-space' is exact only for gd, sgd and momentum"),
    (dict(model="linearized", path="function", optimizer="rmsprop"), "function space is exact only for D = 1"),
    (dict(model="linearized", path="direct"), "expected one of"),
    (dict(model="linearized", path="function", train_layers=[1]), "the 'function' path trains every layer"),
    (dict(path="row-space", train_layers=[2]), "the 'row-space' path trains every layer"),
])
def test_which_path_is_exact_is_one_rule_of_the_core(settings, message):
    """TrainConfig and the training loop refuse an inexact path by the same function,
    _core.check_path, before anything runs."""
    from fastntk.config import make_config
    with pytest.raises(ValueError, match=message):
        make_config(8, 2, lr=0.1, **settings)
    with pytest.raises(ValueError, match="not 'adam'"):
        _core.check_path("network", "row-space", "adam", True)


def test_log_spaced_records_give_a_loss_curve_in_few_records():
    """records_per_decade = n records the first step of each 1/n decade besides every
    record_every steps and the last: the same on every path (one controller), and its
    losses those of the dense run at those steps."""
    net = fastntk.MLP.uniform(4, 8, 2)
    X, Y, _ = make_data(6, 4)
    dense = fastntk.train(net, net.init(0), X, Y, lr=0.05, tol=1e-300, max_steps=1000, record_every=1)
    sparse = fastntk.train(net, net.init(0), X, Y, lr=0.05, tol=1e-300, max_steps=1000, record_every=10**6,
                           records_per_decade=4)
    steps = list(sparse.history["step"])
    want = [0] + [t for t in range(1, 1001)
                  if np.floor(4 * np.log10(t) + 1e-9) > (np.floor(4 * np.log10(t - 1) + 1e-9) if t > 1 else -1)]
    assert steps == sorted(set(want + [1000])) and len(steps) < 20
    np.testing.assert_allclose(sparse.history["train_loss"], dense.history["train_loss"][steps], rtol=1e-12)
    with pytest.raises(ValueError, match="records_per_decade: expected an integer >= 0"):
        fastntk.TrainConfig(lr=1, records_per_decade=-1)


def test_command_line_help_loads_no_experiment():
    """`fastntk --help` (and claims, data, gram) load neither the experiments nor matplotlib: the
    command line starts as fast as `import fastntk` (issue 31 measured --help 0.18 s behind it)."""
    code = ("import sys, contextlib, io\nfrom fastntk import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        cli.main(['--help'])\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('fastntk.experiments', 'matplotlib'))))")
    assert fresh_python(code).strip() == "[]"
