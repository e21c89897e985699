"""Every experiment end to end in a tiny configuration; resuming; the command line."""
import json
import os

import pytest

pytest.importorskip("matplotlib")

from conftest import TOL, fresh_python  # noqa: E402
from fastntk import cli, experiments  # noqa: E402
from fastntk.experiments import REGISTRY  # noqa: E402
from fastntk.experiments._verdict import same_band  # noqa: E402


def read(path):
    with open(path) as f:
        return f.read()

TINY = {
    "initialization": dict(depths=[2], widths=[20], sigmas=[1.0, 4.0], seeds=[0], n_train=10, n_test=10, max_steps=300),
    "adaptive": dict(depths=[2, 2, 3], widths=[20, 40, 20], optimizers=["gd", "adam"], seeds=[0], n_train=10, n_test=10, max_steps=200),
    # trend_widths: the standard preset's [4000, 8000, 16000] would train m = 16000 nets in the toy test (> 300 s).
    "stochastic": dict(widths=[20], ratios=[0.5, 1.0], optimizers=["sgd", "adagrad"], n_train=10, n_test=10,
                       max_steps=200, trend_widths=[40]),
    "overparameterization": dict(n_sizes=[5, 10], width=20, optimizers=["gd", "sgd", "adagrad"], sigmas=[1.0],
                                 n_test=10, max_steps=200),
    "sigma-selection": dict(width=20, max_rounds=3, seeds=[0], n_train=10, n_val=10, n_test=10, max_steps=2000),
    "bump": dict(widths=[50], sigmas=[1.0, 4.0], seeds=[0], n_train=5, n_test=20, max_steps=2000),
    "gradient-confusion": dict(widths=[10, 20], depths=[2, 3], fixed_width=10, fixed_depth=2, seeds=[0],
                               max_steps=20, n_train=10, batch_size=3, theory_data="sphere:5"),
    "width": dict(data="gaussian:10", n_train=10, widths=[5, 20], optimizers=["gd", "adagrad", "rmsprop"], steps=50,
                  record_every=10, scale_width=20, init_scales=[0.5, 1.0], alpha_widths=[5, 10, 20], depth_width=5),
    "overparameterization-ce": dict(n_sizes=[5, 10], width=20, optimizers=["gd", "sgd", "adagrad"], sigmas=[1.0],
                                    n_test=10, max_steps=200),
    "kernel-convergence": dict(depths=[2, 3], widths=[16, 64], seeds=[0, 1], n_train=8),
    "linear-regression": dict(seeds=[0, 1], steps=200, record_every=50),
    "linearization": dict(widths=[20, 40, 80], seeds=[0, 1, 2], n_train=10, n_test=10, max_steps=300),
    "infinite-ensemble": dict(width=32, depth=2, members=[0, 1, 2], steps=50),
    "underparameterized": dict(n_train=100, n_test=5, under_width=1, over_width=10, optimizers=["gd", "adam"],
                               sigmas=[1.0], max_steps=300),
    "adaptive-closed-form": dict(data="sphere:4", n_train=5, n_test=10, widths=[20, 40, 80], seeds=[0, 1, 2, 3, 4],
                                 max_steps=300),
    "late-linearization": dict(n_train=10, n_test=10, widths=[20], seeds=[0, 1], max_steps=300),
    "sigma-by-size": dict(n_sizes=[5, 10], width=20, sigmas=[1.0, 2.0], seeds=[0, 1], n_test=10, max_steps=200),
    "normal-biases": dict(depths=[2, 3], widths=[16, 8], sigmas=[0.5, 1.0, 2.0, 4.0], seeds=[0, 1, 2], n_train=8,
                          n_test=10),
    "ridge": dict(data="sphere:8", depths=[2, 3], widths=[2, 2], sigmas=[0.5, 1.0, 3.0], rhos=[1e-6, 1e-3],
                  seeds=[0, 1, 2], n_train=40, n_test=5),
    "last-layer": dict(data="sphere:4", n_train=6, n_test=5, depths=[2, 3], widths=[20, 20], seeds=[0, 1, 2],
                       tol=1e-8, max_steps=50000),
    "generalization-bounds": dict(n_train=10, n_test=10, sigmas=[4.0], widths=[20, 40], seeds=[0, 1], max_steps=300),
    "classifier-widths": dict(n_train=60, n_test=10, widths=[5, 20], curve_seeds=[0, 1], epochs=4, early_epoch=1,
                              late_epoch=3, gap_width=10, gap_seeds=[0, 1], gap_epochs=2),
}


def test_every_experiment_has_a_tiny_test():
    assert set(TINY) == set(REGISTRY)


def test_load_returns_a_runs_records(tmp_path):
    """experiments.load: the records as dicts (a DataFrame where pandas is installed);
    a folder that is not a run folder is named."""
    out = str(tmp_path / "lr")
    experiments.run("linear-regression", "quick", out, dict(seeds=[0, 1], steps=50, record_every=10), progress=False)
    records = experiments.load(out)
    assert len(records) == 4 and all(isinstance(r, dict) and "key" in r for r in records)
    with pytest.raises(experiments.ExperimentError, match="not a fastntk run directory"):
        experiments.load(str(tmp_path))
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"needs pandas: pip install pandas"):
            experiments.load(out, frame=True)
    else:
        assert len(experiments.load(out, frame=True)) == 4


def test_figures_leave_matplotlib_global_state_alone(tmp_path):
    """Drawing an experiment's figures neither switches a notebook's backend nor changes
    its rcParams (a Figure on the Agg canvas, the style in a context)."""
    code = ("import matplotlib, fastntk.experiments as e; "
            "before = (matplotlib.get_backend(), matplotlib.rcParams['font.size']); "
            f"e.run('linear-regression', 'quick', {str(tmp_path / 'lr')!r}, dict(seeds=[0, 1], steps=50, "
            "record_every=10), progress=False); "
            "print(before == (matplotlib.get_backend(), matplotlib.rcParams['font.size']), before)")
    env = dict(os.environ, MPLBACKEND="pdf")
    stdout = fresh_python(code, env=env, timeout=300)
    assert stdout.startswith("True ('pdf', 10.0)"), stdout
    assert any(f.endswith(".png") for f in os.listdir(tmp_path / "lr"))


@pytest.mark.parametrize("name", sorted(TINY))
def test_experiment_end_to_end(name, tmp_path):
    out = str(tmp_path / name)
    r = experiments.run(name, "quick", out, TINY[name], progress=False)
    assert r["done"] == r["total"] > 0 and not r["interrupted"]
    lines = read(os.path.join(out, "records.jsonl")).splitlines()
    assert len(lines) == r["total"]
    pngs = [f for f in os.listdir(out) if f.endswith(".png")]
    assert pngs and all(os.path.getsize(os.path.join(out, f)) > 1000 for f in pngs)
    summary = read(os.path.join(out, "summary.md"))
    assert "Claims and measurements" in summary and "Partial" not in summary
    assert experiments.report(out) == summary


@pytest.mark.parametrize("name", sorted(TINY))
def test_standard_preset_end_to_end(name, tmp_path, capsys):
    """The standard preset at toy size, on MNIST-format files where it reads MNIST; its
    summary opens with the verdict table, one verdict per claim."""
    from test_datasets import fake_mnist
    over = dict(TINY[name])
    cfg = experiments.resolve_config(name, "standard")
    if cfg.get("data") == "mnist":
        over["data"] = f"mnist:{fake_mnist(tmp_path / 'mnist', n=60)}"
        over.update({k: 10 for k in ("n_train", "n_test", "n_val") if k in cfg})
    out = str(tmp_path / name)
    r = experiments.run(name, "standard", out, over, progress=False)
    assert r["done"] == r["total"] > 0
    if r["total"] > 1:  # the estimate of the whole sweep, printed after the first run
        assert "will take about" in capsys.readouterr().err
    summary = read(os.path.join(out, "summary.md")).splitlines()
    assert summary[0] == "| claim | paper (figure, number) | measured | verdict |"
    rows = [line for line in summary[2:] if line.startswith("| ")]
    assert rows and summary.index(rows[-1]) == len(rows) + 1
    for row in rows:
        verdict = row.rstrip(" |").rsplit("| ", 1)[-1]
        assert verdict.split(":")[0] in ("reproduced", "not reproduced", "inconclusive"), row


def test_interrupted_sweep_resumes_without_redoing(tmp_path, monkeypatch):
    exp = REGISTRY["initialization"]
    out = str(tmp_path / "run")
    calls = []
    original = type(exp).run_job

    def flaky(self, cfg, job, ctx):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, cfg, job, ctx)

    monkeypatch.setattr(type(exp), "run_job", flaky)
    r = experiments.run("initialization", "quick", out, TINY["initialization"], progress=False)
    assert r["interrupted"] and r["done"] == 1 and r["total"] == 2
    assert "Partial" in read(os.path.join(out, "summary.md"))
    calls.clear()
    r = experiments.run("initialization", "quick", out, TINY["initialization"], progress=False)
    assert r["done"] == 2 and len(calls) == 1 and calls[0]["sigma"] == 4.0
    assert "Partial" not in read(os.path.join(out, "summary.md"))


def test_parallel_jobs_give_the_same_records(tmp_path):
    a = experiments.run("initialization", "quick", str(tmp_path / "a"), TINY["initialization"], progress=False)
    b = experiments.run("initialization", "quick", str(tmp_path / "b"), TINY["initialization"], progress=False,
                        workers=2)
    assert a["done"] == b["done"] == 2
    ra = {json.loads(x)["key"]: json.loads(x) for x in read(str(tmp_path / "a" / "records.jsonl")).splitlines()}
    rb = {json.loads(x)["key"]: json.loads(x) for x in read(str(tmp_path / "b" / "records.jsonl")).splitlines()}
    assert ra.keys() == rb.keys()
    for k in ra:
        assert ra[k]["steps"] == rb[k]["steps"]
        assert abs(ra[k]["test_loss_nn"] - rb[k]["test_loss_nn"]) <= TOL["routes"] * (1 + ra[k]["test_loss_nn"])


def test_truncated_record_line_is_redone(tmp_path):
    out = str(tmp_path / "run")
    experiments.run("initialization", "quick", out, TINY["initialization"], progress=False)
    path = os.path.join(out, "records.jsonl")
    lines = read(path).splitlines()
    with open(path, "w") as f:
        f.write(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])
    r = experiments.run("initialization", "quick", out, TINY["initialization"], progress=False)
    assert r["done"] == 2


def test_changed_settings_are_refused(tmp_path):
    out = str(tmp_path / "run")
    experiments.run("initialization", "quick", out, TINY["initialization"], progress=False)
    with pytest.raises(experiments.ExperimentError, match="different settings"):
        experiments.run("initialization", "quick", out, {**TINY["initialization"], "seeds": [1]}, progress=False)


def test_cli_run_list_report(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "initialization" in listed and "000 = Nonnenmacher, Reeb, Steinwart" in listed  # the papers' key
    args = ["run", "initialization", "--out", out, "--no-progress", "--depths", "2", "--widths", "20",
            "--sigmas", "1,4", "--seeds", "0", "--n-train", "10", "--n-test", "10", "--max-steps", "200"]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "2 of 2 runs done" in text and "slope" in text
    cfg = json.loads(read(os.path.join(out, "config.json")))
    assert cfg["sigmas"] == [1.0, 4.0] and cfg["widths"] == [20]
    assert cli.main(["report", out]) == 0
    assert cli.main(["config"]) == 0


@pytest.mark.parametrize("name, args", [
    ("initialization", ["--depths", "2", "--widths", "20", "--sigmas", "1,4", "--seeds", "0", "--max-steps", "100"]),
    ("adaptive", ["--depths", "2", "--widths", "20", "--optimizers", "gd,adagrad", "--seeds", "0", "--max-steps", "100"]),
    ("stochastic", ["--widths", "20", "--ratios", "0.5,1", "--optimizers", "sgd,adagrad", "--trend-widths", "40",
                    "--max-steps", "100"]),
])
def test_fashion_presets_run_on_idx_files(tmp_path, capsys, name, args):
    """001 App. E's Fashion-MNIST versions of Figs. 2–4 run with `--data fashion:PATH` on the
    IDX files `fastntk data fetch fashion` leaves (here a tiny fixture of that format:
    Fashion-MNIST's files are MNIST's format, classes 0 vs 1, T-shirt against trouser), and the
    run names its data."""
    from test_datasets import fake_mnist
    folder = fake_mnist(tmp_path / "fashion", n=60)
    out = str(tmp_path / name)
    assert cli.main(["run", name, "--data", f"fashion:{folder}", "--n-train", "10", "--n-test", "6", "--out", out,
                     "--no-progress"] + args) == 0, capsys.readouterr()
    assert json.loads(read(os.path.join(out, "config.json")))["data"] == "fashion"  # never where the files lay
    records = experiments.load(out)
    assert records and all(r["status"] in ("converged", "max_steps") for r in records)


@pytest.mark.parametrize("args, message, status", [
    (["run", "nope"], "unknown experiment", 2),
    (["run", "initialization", "--preset", "huge"], "unknown preset", 2),
    (["run", "initialization", "--data", "mnist:/does/not/exist", "--no-progress"], "no such file", 1),
    (["run", "initialization", "--data", "imagenet", "--no-progress"], "unknown dataset", 2),
    (["run", "initialization", "--widths", "x", "--no-progress"], "--widths", 2),
    (["report", "/does/not/exist"], "not a fastntk run directory", 1),
    (["run", "initialization", "--seeds", "-1", "--no-progress"], "--seeds: expected integers >= 0", 2),
    (["run", "initialization", "--seeds", "", "--no-progress"], "--seeds: expected at least one value", 2),
    (["run", "initialization", "--sigmas", "0", "--no-progress"], "--sigmas: expected finite values > 0", 2),
    (["run", "initialization", "--sigmas", "nan", "--no-progress"], "--sigmas: expected finite values > 0", 2),
    (["run", "initialization", "--widths", "0", "--no-progress"], "--widths: expected integers >= 1", 2),
    (["run", "initialization", "--tol", "0", "--no-progress"], "--tol: expected finite values > 0", 2),
    (["run", "initialization", "--threads", "0", "--no-progress"], "--threads: expected an integer in [1, 1024]", 2),
    (["run", "initialization", "--jobs", "0", "--no-progress"], "--jobs: expected an integer in [1, 1024]", 2),
    (["run", "initialization", "--data", "sphere:abc", "--no-progress"], "expected a dimension", 2),
    (["run", "initialization", "--depths", "2,3", "--widths", "100", "--no-progress"], "must have one length", 2),
    (["run", "stochastic", "--ratios", "1.5", "--no-progress"], "--ratios: expected finite values in (0, 1]", 2),
])
def test_cli_errors(args, message, status, capsys, tmp_path):
    """A command line wrong as written exits 2; one that fails while running (a missing
    file or folder) exits 1; either way one line on stderr."""
    if "--no-progress" in args:
        args = args + ["--out", str(tmp_path / "o")]
    assert cli.main(args) == status
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_help_and_the_registry_load_no_plotting_or_progress_library():
    """`fastntk --help`, `fastntk run --help` and the experiments' registry import neither
    matplotlib nor tqdm (they load where a figure is drawn or a bar is shown)."""
    code = ("import sys, contextlib, io; from fastntk import cli; import fastntk.experiments\n"
            "for args in (['--help'], ['run', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try: cli.main(args)\n"
            "        except SystemExit: pass\n"
            "print(sorted(m for m in ('matplotlib', 'tqdm', 'sklearn', 'dask') if m in sys.modules))")
    stdout = fresh_python(code)
    assert stdout.strip() == "[]"


def _subcommands(parser, path=()):
    """Every subcommand path of an argparse parser, the top level (()) first, with its parser."""
    import argparse
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subcommands(sub, path + (name,))


def test_cli_help_and_version_exit_0(capsys):
    """`--help` at every level exits 0 (every subcommand of the parser, walked, and `run NAME`)
    and `--version` names the version (git's and pip's conventions); `run` without a name is a
    usage error that still names the experiments."""
    import fastntk
    levels = [list(path) for path, _ in _subcommands(cli._parser())]
    assert ["data", "fetch"] in levels and ["gram"] in levels and ["run"] in levels, levels
    for args in ([*level, "--help"] for level in levels):
        try:
            code = cli.main(args)
        except SystemExit as e:
            code = e.code
        assert code == 0, args
    for args in (["run", "-h"], ["run", "initialization", "--help"], ["--version"]):
        try:
            code = cli.main(args)
        except SystemExit as e:
            code = e.code
        assert code == 0, args
    out = capsys.readouterr().out
    assert fastntk.__version__ in out and "initialization" in out and "standard" in out
    assert cli.main(["run"]) == 2


def test_cli_every_option_states_its_default():
    """Every option of every subcommand, and of `run NAME` for every experiment, says in its
    help what it is when not given ("default …", "none" included)."""
    import argparse
    from fastntk.experiments import REGISTRY
    parsers = [(" ".join(path), p) for path, p in _subcommands(cli._parser())]
    parsers += [(f"run {name}", cli._run_parser(name)[0]) for name in REGISTRY]
    missing = []
    for where, parser in parsers:
        for action in parser._actions:
            if not action.option_strings or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if "default" not in (action.help or ""):
                missing.append(f"{where} {action.option_strings[-1]}")
    assert not missing, missing


def test_cli_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli.main(["run", "initialization", "--out", str(f), "--no-progress"]) == 1  # a failure, not a usage error
    assert "not a directory" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only directories")
def test_cli_out_read_only(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    assert cli.main(["run", "initialization", "--out", str(d / "x"), "--no-progress"]) == 1


def test_cli_damaged_output_folders_are_one_line_errors(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "config.json").write_text("{garbage")
    assert cli.main(["run", "initialization", "--out", str(out), "--no-progress"]) == 1
    assert cli.main(["report", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("is damaged") == 2 and err.count("\n") == 2


def test_cli_garbage_data_files_are_one_line_errors(tmp_path, capsys):
    import struct
    for name, content in (("gz", os.urandom(64)), ("idx", struct.pack(">I", 2051) + struct.pack(">III", *[2**31] * 3))):
        folder = tmp_path / name
        folder.mkdir()
        for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                  "t10k-labels-idx1-ubyte"):
            (folder / (f + ".gz" if name == "gz" else f)).write_bytes(content)
        code = cli.main(["run", "initialization", "--data", f"mnist:{folder}", "--out", str(tmp_path / f"o{name}"),
                         "--no-progress"])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.skipif(not os.path.exists("/proc"), reason="reads the process table from /proc")
def test_workers_end_with_a_killed_parent(tmp_path):
    """SIGKILL of a --jobs 2 sweep (no handler runs) leaves no worker behind."""
    import signal
    import subprocess
    import sys
    import time

    def children(pid):
        kids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    kids.append(int(entry))
        return kids

    def cmdline(pid):
        try:
            with open(f"/proc/{pid}/cmdline") as f:
                return f.read().replace("\0", " ")
        except OSError:
            return ""

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    p = subprocess.Popen([sys.executable, "-m", "fastntk.cli", "run", "initialization", "--jobs", "2", "--no-progress",
                          "--out", str(tmp_path / "o"), "--max-steps", "100000000", "--tol", "1e-300"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = [c for c in children(p.pid) if "spawn_main" in cmdline(c)]
    assert len(workers) >= 2, "the sweep did not start its workers"
    p.send_signal(signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.2)
    left = [w for w in workers if alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent"


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")
def test_cli_ctrl_c_stops_the_sweep_at_once_and_resumes(tmp_path):
    """One Ctrl-C ends `fastntk run` within a couple of seconds with status 130, the
    finished runs saved; the same command then resumes."""
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "o"
    args = [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from fastntk.cli import main; sys.exit(main(sys.argv[1:]))", "run", "initialization", "--no-progress",
            "--out", str(out), "--widths", "40,30", "--sigmas", "1,2,4,8", "--seeds", "0", "--n-train", "10",
            "--n-test", "10", "--max-steps", "200000000", "--tol", "1e-300"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / "config.json").exists():
        time.sleep(0.2)
    time.sleep(2.0)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    took = time.monotonic() - sent
    assert p.returncode == 130, stderr
    assert "interrupted" in stderr and took < 5, (took, stderr)


def test_a_start_that_failed_before_its_first_run_does_not_bind_the_folder(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", "kernel-convergence", "--out", str(out), "--no-progress", "--data", "digits:3"]) == 2
    assert "takes no argument" in capsys.readouterr().err
    assert cli.main(["run", "kernel-convergence", "--out", str(out), "--no-progress", "--widths", "16,32",
                     "--depths", "2", "--seeds", "0,1"]) == 0


def test_report_and_claims_name_what_is_wrong_with_a_folder(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text('{"experiment": "kernel-convergence", "preset": "quick"}')
    assert cli.main(["report", str(tmp_path / "r")]) == 1
    assert cli.main(["claims", "--results", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "lacks the settings" in err[0] and "is not a directory" in err[1]
def test_gradient_confusion_rules_on_made_records():
    """gradient-confusion's rules on records made to order: a seed whose values all tie counts
    as no trend (not dropped), a trained run whose mini-batch cosines are all positive is
    counted (excluding it would filter on the value judged), the size check's floor is the
    robust spread (1.4826·MAD) of the per-seed changes, not set by one outlying seed, the
    density rows judge the RMS about 0 (next18f; was the negative side), and the trained rows
    need their runs trained to 003's 200 epochs (next21; was median ‖∇F‖/‖g_B‖ ≤ LAZY, now
    reported beside them)."""
    import math as _math
    name = "gradient-confusion"
    cfg = experiments.resolve_config(name, "standard")
    seeds = cfg["seeds"]

    def made(job):
        x = job[job["sweep"]]
        grow = _math.log(x) if job["sweep"] == "width" else -x  # the claimed direction: rises with width
        if job["data"] == "main" and job["sweep"] == "depth":
            grow = x  # MNIST init depth: the opposite of the claim
        jitter = 1e-3 * (job["seed"] - seeds[0])
        r = dict(job, status="converged", steps=100, train_loss=1e-6, tol=1e-5,
                 epochs_trained=cfg["epochs"] if job["data"] == "theory" else 10.0,
                 measured_at="tolerance" if job["data"] == "theory" else "end", batch_spread=0.3,
                 min_cosine=-0.9 + 0.01 * grow + jitter, min_inner=-1.0, batch_rms0=0.5, batch_neg_rms=0.2,
                 batch_min_cosine=-0.9 + 0.01 * grow + jitter, batch_grad_norm=1.0,
                 full_grad_norm=0.05 if job["data"] == "theory" else 0.5)
        if job["stage"] == "trained" and job["seed"] == seeds[0] and x == cfg["widths"][1]:
            r["batch_min_cosine"] = 0.3  # every mini-batch cosine positive
        if job["data"] == "theory" and job["sweep"] == "depth" and job["stage"] == "init":
            # the claimed rise of the RMS about 0, small but in every seed, and one seed far out
            r["batch_rms0"] = 0.5 + 0.001 * x * (1 + jitter) + (5.0 * x if job["seed"] == seeds[-1] else 0.0)
        r["batch_c_rms0"] = r["batch_rms0"]  # the density rows' statistic, at θ₀ too (next27)
        return r

    records = [made(j) for j in REGISTRY[name].jobs(cfg)]
    rows = {c.claim.split(" (")[0]: c for c in REGISTRY[name].claims(cfg, records)}
    sphere_init = rows["sphere:100, init: wider nets have less gradient confusion"]
    assert sphere_init.verdict == "reproduced", sphere_init
    assert "spread of the per-seed changes" in sphere_init.measured and "not judged" in sphere_init.measured
    flat = rows["sphere:100, init: mini-batch gradient cosines concentrate more around 0 as width grows"]
    assert f"none in {len(seeds)}" in flat.measured, flat  # every seed ties: counted, not dropped
    trained = rows["sphere:100, trained: wider nets have less gradient confusion"]
    # The run whose mini-batch cosines all agree is counted, not excluded: it breaks its seed's trend.
    assert "not at a minimizer" not in trained.measured and f"of {len(seeds)} seeds" in trained.measured
    assert rows["mnist, init: wider nets have less gradient confusion"].verdict == "reproduced"
    assert rows["mnist, init: deeper nets have more gradient confusion"].verdict == "not reproduced"
    # One seed's outlying change would set a standard-deviation floor above the median change.
    deep = rows["sphere:100, init: mini-batch gradient cosines concentrate less around 0 as depth grows"]
    assert deep.verdict == "reproduced" and "RMS about 0 of the centred cosines" in deep.measured, deep
    assert "1.4826·MAD" in deep.measured and "negative side (RMS of min(cos, 0))" in deep.measured
    # Measured at the tolerance on the sphere, not on MNIST: premise not met there only (next22: one training loss for
    # every width and depth); the gradient ratio beside, not judged.
    assert "premise not met" not in trained.verdict and "median ‖∇F‖/‖g_B‖ there 0.05" in trained.measured, trained
    assert "median training loss where measured" in trained.measured and "after 200 epochs" in trained.paper
    # a continuation that diverged leaves no end of training, but the judged figures came before it
    lost = [dict(r, cont_status="diverged") if r["stage"] == "trained" and r["seed"] == seeds[0] else r
            for r in records]
    gone = {c.claim.split(" (")[0]: c for c in REGISTRY[name].claims(cfg, lost)}[
        "sphere:100, trained: wider nets have less gradient confusion"]
    assert gone.verdict == trained.verdict and "diverged after the tolerance" not in gone.measured, gone
    far = rows["mnist, trained: wider nets have less gradient confusion"]
    assert far.verdict.startswith("inconclusive: premise not met (not measured at one training loss"), far
    assert "the trend test alone, not judged: reproduced" in far.measured
    # Records without the judged field say so; records measured after 200 epochs (next21's) fail the premise.
    old = [{k: v for k, v in r.items() if k not in ("batch_c_rms0", "measured_at")} for r in records]
    rows = {c.claim.split(" (")[0]: c for c in REGISTRY[name].claims(cfg, old)}
    assert "not recorded" in rows["mnist, init: mini-batch gradient cosines concentrate more around 0 as width grows"].verdict
    assert "not measured at one training loss" in rows["sphere:100, trained: wider nets have less gradient confusion"].verdict
    # A run that converged after a halving whose first attempt ran the whole cap is named in the speed row (next27).
    ran = [dict(r, steps_tried=r["steps"] + cfg["max_steps"]) if r["stage"] == "trained" and r["data"] == "main"
           and r["sweep"] == "width" and r["seed"] == seeds[1] and r["width"] == cfg["widths"][0] else r for r in records]
    speed = {c.claim.split(" (")[0]: c for c in REGISTRY[name].claims(cfg, ran)}[
        "mnist, trained: wider nets converge faster under SGD"]
    assert (f"0 runs at the cap of {cfg['max_steps']}, counted there; 1 more converged after an attempt that ran the "
            f"cap and was halved away (width {cfg['widths'][0]}, seed {seeds[1]}: {100 + cfg['max_steps']} steps in "
            "all)") in speed.measured, speed


def test_gradient_confusion_next22_trained_density_and_speed_rules():
    """gradient-confusion (next22, pre-run review of next22-c): the trained density rows judge the
    RMS about 0 of the centred mini-batch gradients' cosines, cos(g_B − ∇F, g_B′ − ∇F) — not the raw
    cosines' RMS about 0 (carried by the mean cosine) nor their spread about the mean (squeezed by a
    rising mean: cosines are bounded by 1). Depth: the mean rising and the raw spread falling in
    every seed, which the spread rule read *not reproduced*, reads reproduced where the centred RMS
    rises, not reproduced where it falls, inconclusive where flat; width likewise. The raw
    cosines' RMS, spread and mean and the figures after 200 epochs are beside; the paper column
    says where fastntk measures (the tolerance, not 003's end) and that centring is its reading.
    The speed rows count every attempt's steps and read inconclusive where the last attempt's
    steps alone would reach another verdict."""
    import math as _math
    name = "gradient-confusion"
    cfg = experiments.resolve_config(name, "standard")
    seeds, exp = cfg["seeds"], REGISTRY[name]

    def made(job, centred_slope, halve=False):
        x = job[job["sweep"]]
        lx = _math.log(x) if job["sweep"] == "width" else x / 4
        jitter = 1e-3 * (job["seed"] - seeds[0])
        # the raw cosines' mean rises with depth (and with width): bounded by 1, their spread shrinks
        mean = min(0.2 + 0.05 * lx, 0.9)
        spread_ = 0.5 * (1 - mean) + jitter
        centred = 0.3 + centred_slope * lx + jitter
        steps = int(1000 / x) + 10 + job["seed"] if job["sweep"] == "width" else 100 + 10 * x + job["seed"]
        tried = steps
        if halve and job["sweep"] == "depth" and x == max(cfg["depths"]):
            steps, tried = 50, 5000  # the last attempt quick, the attempts together slow
        r = dict(job, status="converged", steps=steps, steps_tried=tried, train_loss=1e-6, tol=1e-5,
                 measured_at="tolerance", epochs_trained=cfg["epochs"], min_cosine=-0.5, min_inner=-1.0,
                 batch_min_cosine=-0.5 + 0.01 * lx + jitter, batch_grad_norm=1.0, full_grad_norm=0.5,
                 batch_spread=spread_, batch_mean=mean, batch_rms0=_math.sqrt(spread_ ** 2 + mean ** 2),
                 batch_c_rms0=centred, batch_c_mean=0.0, batch_neg_rms=0.1, train_loss_end=1e-20,
                 end_batch_spread=0.2, end_batch_rms0=0.2, end_batch_mean=0.0, end_batch_min_cosine=-0.6,
                 end_batch_c_rms0=0.25)
        return r

    def rows(recs):
        return {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}

    deep = "mnist, trained: mini-batch gradient cosines concentrate less sharply around 0 as depth grows"
    wide = "sphere:100, trained: mini-batch gradient cosines concentrate more sharply around 0 as width grows"
    up = rows([made(j, 0.02) for j in exp.jobs(cfg)])
    assert up[deep].verdict == "reproduced", up[deep]  # next22's first rule (the raw spread) read not reproduced
    assert up[wide].verdict == "not reproduced", up[wide]
    c = up[deep]
    assert "RMS about 0 of the centred cosines cos(g_B − ∇F, g_B′ − ∇F)" in c.measured, c
    assert "the raw cosines': RMS about 0" in c.measured and "spread about their mean" in c.measured, c
    assert "mean cosine 0.225 → 0.250 → 0.300 → 0.350" in c.measured and "centred cosines' mean 0.000" in c.measured
    assert "after 200 epochs" in c.measured and "unequal losses" in c.measured, c
    assert "at the training tolerance" in c.paper and "not at 003's end" in c.paper and "fastntk's reading" in c.paper
    assert "centred by the full-batch ∇F" in c.paper and "200 epochs at a decayed rate" in c.paper, c
    down = rows([made(j, -0.02) for j in exp.jobs(cfg)])
    assert down[deep].verdict == "not reproduced" and down[wide].verdict == "reproduced", down[deep]
    flat = rows([made(j, 0.0) for j in exp.jobs(cfg)])
    assert flat[deep].verdict.startswith("inconclusive") and flat[wide].verdict.startswith("inconclusive")
    # Records without the centred cosines (older than the field) say so.
    old = rows([{k: v for k, v in made(j, 0.02).items() if k != "batch_c_rms0"} for j in exp.jobs(cfg)])
    assert old[deep].verdict.startswith("inconclusive: RMS about 0 of the centred cosines"), old[deep]
    assert "not recorded" in old[deep].verdict
    deep_speed = "mnist, trained: deeper nets converge more slowly under SGD"
    both = flat[deep_speed]
    assert both.verdict == "reproduced" and "every attempt" in both.measured, both
    split = rows([made(j, 0.0, halve=True) for j in exp.jobs(cfg)])[deep_speed]
    assert split.verdict.startswith("inconclusive: the verdict rests on how the halved attempts are counted"), split


def test_gradient_confusion_centred_cosines_from_the_gram():
    """centred_cosines (pre-run review of next22-c): from the per-sample Gram alone, the cosines of
    g_B − ∇F with ∇F the full-batch gradient (the batches overlap, so not their sample mean) equal
    those computed from explicit gradient vectors; the batches are those theory.gradient_confusion
    draws (its batch Gram is reproduced, else an error); on a real net the measurement records them."""
    import types
    import numpy as _np
    from fastntk.experiments import confusion as C
    rng = _np.random.default_rng(3)
    n, b, p = 12, 3, 40
    shared = rng.standard_normal(p)
    G = 2.0 * shared + rng.standard_normal((n, p))  # per-sample gradients sharing a direction
    M = C.batch_members(n, b, C.NUM_BATCHES, 7)
    gc = types.SimpleNamespace(inner=G @ G.T, batch_inner=M @ G @ G.T @ M.T)
    got = C.centred_cosines(gc, n, b, 7)
    gB = M @ G - G.mean(axis=0)
    unit = gB / _np.linalg.norm(gB, axis=1, keepdims=True)
    cos = (unit @ unit.T)[~_np.eye(len(gB), dtype=bool)]
    assert abs(got["batch_c_rms0"] - _np.sqrt(_np.mean(cos ** 2))) < 1e-10
    assert abs(got["batch_c_mean"] - _np.mean(cos)) < 1e-10
    raw = (M @ G) / _np.linalg.norm(M @ G, axis=1, keepdims=True)
    raw_cos = (raw @ raw.T)[~_np.eye(len(gB), dtype=bool)]
    assert _np.mean(raw_cos) > 0.5 and got["batch_c_rms0"] < _np.sqrt(_np.mean(raw_cos ** 2))
    # centring by the batches' sample mean is a different statistic (pulled toward −1/63)
    sm = M @ G - (M @ G).mean(axis=0)
    sm = sm / _np.linalg.norm(sm, axis=1, keepdims=True)
    assert abs(_np.mean((sm @ sm.T)[~_np.eye(len(gB), dtype=bool)]) - got["batch_c_mean"]) > 1e-3
    with pytest.raises(RuntimeError, match="do not reproduce"):
        C.centred_cosines(gc, n, b, 8)  # other batches than theory drew
    # the whole training set as a batch: no centred gradient, no cosine
    full = C.batch_members(n, n, C.NUM_BATCHES, 0)
    assert _np.isnan(C.centred_cosines(types.SimpleNamespace(inner=G @ G.T, batch_inner=full @ G @ G.T @ full.T),
                                       n, n, 0)["batch_c_rms0"])
    # On a real net: the redrawn batches reproduce theory's Gram (no error), and the figure is recorded.
    exp = REGISTRY["gradient-confusion"]
    cfg = {**experiments.resolve_config("gradient-confusion", "quick"), **TINY["gradient-confusion"]}
    job = dict(data="theory", sweep="width", width=10, depth=2, stage="init", seed=0)

    from fastntk.experiments._base import Context
    rec = exp.run_job(cfg, job, Context(cfg))
    assert 0 <= rec["batch_c_rms0"] <= 1 and _np.isfinite(rec["batch_c_mean"]), rec


def test_a_closed_pipe_ends_the_command_quietly():
    """`fastntk claims | head -1`: the reader goes away after one line; the command stops
    with status 0 and nothing on stderr (as git and pip do), not a BrokenPipeError."""
    import subprocess
    import sys as _sys
    proc = subprocess.Popen([_sys.executable, "-m", "fastntk.cli", "claims"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    with proc.stdout, proc.stderr:
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == "", err


def test_infinite_ensemble_compares_at_equal_training_loss():
    """infinite-ensemble: the prediction rebuilt from the recorded kernels is
    infinite.gd_mse_ensemble's (mean, σ and test covariance), and its loss part from the mean the
    recorded train_loss; the equal-loss step is the first at or below the target; the null bands
    are recomputable (fixed seed) and hold a perfect ensemble; a control counts only when paired
    and outside; the band alone decides the value (no edge rule on its error); bootstrap errors
    are recomputable and match a mean's σ/√n; records without
    the kernels or the test covariance read "not recorded"."""
    import numpy as np
    from fastntk import infinite
    from fastntk.experiments import infinite_ensemble as ie
    exp = REGISTRY["infinite-ensemble"]
    cfg = dict(experiments.resolve_config("infinite-ensemble", "quick"), width=32)
    rec = exp.run_job(cfg, dict(activation="erf", kind="infinite"), None)
    k, y = rec["kernels"][0], rec["y_train"]
    assert k["sigma"] == cfg["sigma"] and [c["sigma"] for c in rec["kernels"][1:]] == list(ie.CONTROL_SIGMAS)
    ds = exp._data(cfg)
    assert "nngp_test_matrix" in k and all("nngp_test_matrix" not in c for c in rec["kernels"][1:])
    for t in (0, 7, cfg["steps"]):
        pred = infinite.gd_mse_ensemble(exp._net(cfg, "erf"), ds.X, ds.Y, ds.X_test, steps=t, lr=k["lr"])
        mean, std, _ = ie.prediction_at(k, y, t)
        np.testing.assert_allclose(mean, pred.mean, atol=1e-9)
        np.testing.assert_allclose(std, np.sqrt(np.maximum(np.diag(pred.cov), 0)), atol=1e-6)
        np.testing.assert_allclose(ie.prediction_cov(k, len(y), t), pred.cov, atol=1e-9)
    assert ie.prediction_cov(rec["kernels"][1], len(y), 7) is None
    mean, std, _ = ie.prediction_at(k, y, cfg["steps"])
    cov = ie.prediction_cov(k, len(y), cfg["steps"])
    bands = ie.null_bands(mean, cov, std, 20)
    assert bands == ie.null_bands(mean, cov, std, 20)
    assert bands["offset"][0] == -np.inf and 0 < bands["offset_median"] < bands["offset"][1]
    assert bands["spread"][0] < bands["spread_median"] < bands["spread"][1]
    root = np.linalg.cholesky(cov + 1e-12 * np.eye(len(mean)))
    rng = np.random.default_rng(1)
    perfect = [mean + rng.standard_normal((20, len(mean))) @ root.T for _ in range(200)]
    inside = np.mean([ie.offset_stat(Q, mean, std) <= bands["offset"][1] for Q in perfect])
    assert 0.9 <= inside <= 0.99, inside   # the band holds a perfect ensemble ~95 % of the time
    no_init = dict(k, nngp=np.zeros_like(k["nngp"]).tolist())  # only the mean's share of the loss
    assert ie.prediction_at(no_init, y, cfg["steps"])[2] == pytest.approx(rec["train_loss"], rel=1e-6)
    t = ie.equal_loss_step(k, y, 1e-3)
    assert ie.prediction_at(k, y, t)[2] <= 1e-3 < ie.prediction_at(k, y, t - 1)[2]
    assert ie.equal_loss_step(k, y, 0.0) is None
    one, two = (-np.inf, 1.0), (0.8, 1.2)
    assert ie.judge(0.5, [("c", 3.0, 2.5, 0.1)], one, 50, 50) == "reproduced"
    # The control's statistic just past the edge (within its error) no longer matters: the paired test decides.
    assert ie.judge(0.5, [("c", 1.05, 0.55, 0.1)], one, 50, 50) == "reproduced"
    assert ie.judge(0.5, [("c", 3.0, 0.15, 0.1)], one, 50, 50).startswith("inconclusive: c is not farther")
    assert ie.judge(0.5, [("c", 0.8, 0.3, 0.1)], one, 50, 50).startswith("inconclusive: c's statistic 0.8 lies")
    assert ie.judge(0.5, [("c", 3.0, 2.5, 0.1), ("d", 0.9, 0.4, 0.1)], one, 50, 50).startswith("inconclusive")
    # The null band already holds the value's sampling spread: just inside passes, just outside fails.
    assert ie.judge(0.99, [("c", 3.0, 2.5, 0.1)], one, 50, 50) == "reproduced"
    assert ie.judge(1.01, [("c", 3.0, 2.5, 0.1)], one, 50, 50) == "not reproduced"
    assert ie.judge(2.0, [("c", 0.8, 0.3, 0.1)], one, 50, 50) == "not reproduced"
    assert ie.judge(1.0, [("c", 0.5, 0.4, 0.1)], two, 50, 50) == "reproduced"
    assert ie.judge(0.81, [("c", 0.5, 0.4, 0.1)], two, 50, 50) == "reproduced"
    assert ie.judge(0.79, [("c", 0.5, 0.4, 0.1)], two, 50, 50) == "not reproduced"
    assert ie.judge(1.0, [("c", 0.5, 0.4, 0.1)], two, 10, 50).startswith("inconclusive")   # too few members
    draws = np.random.default_rng(2).standard_normal((100, 3))
    se = ie.bootstrap_error(lambda Q: float(Q[:, 0].mean()), draws)
    assert se == ie.bootstrap_error(lambda Q: float(Q[:, 0].mean()), draws)   # fixed seed: recomputable
    assert se == pytest.approx(draws[:, 0].std(ddof=1) / 10, rel=0.15)
    assert np.isnan(ie.bootstrap_error(lambda Q: float(Q.mean()), draws[:1]))
    members = [dict(activation="erf", kind="member", member=m, status="max_steps", steps=cfg["steps"], lr=k["lr"],
                    train_loss=1e-3, pred=(np.sin(ds.X_test[:, 0]) + 0.01 * m).tolist()) for m in range(5)]
    old = {key: v for key, v in rec.items() if key not in ("kernels", "y_train")}
    old.update(activation="erf", kind="infinite")
    small = dict(cfg, activations=["erf"], members=list(range(5)))
    rows = exp.claims(small, [old] + members)
    assert len(rows) == 2 and all(r.verdict.startswith("inconclusive: not recorded") for r in rows), rows
    rows = exp.claims(small, [dict(rec, activation="erf", kind="infinite")] + members)
    assert all("t* = " in r.measured and "null's" in r.measured for r in rows), rows
    no_cov = dict(rec, activation="erf", kind="infinite",
                  kernels=[{key: v for key, v in c.items() if key != "nngp_test_matrix"} for c in rec["kernels"]])
    rows = exp.claims(small, [no_cov] + members)
    assert all(r.verdict.startswith("inconclusive: not recorded") and "t* = " in r.measured for r in rows), rows


def test_sigma_selection_rules_on_made_records():
    """sigma-selection: the σ′ ≃ O(1) row judges only seeds that chose σ < σ′ (one returning σ′ is
    named) and can fail; both rows need a lazy start (not recorded: premise not met); a choice
    the step cap made is said so."""
    exp = REGISTRY["sigma-selection"]
    cfg = experiments.resolve_config("sigma-selection", "standard")
    tol, cap = cfg["tol"], cfg["max_steps"]

    def rnd(sigma, val, ratio=1.02, status="converged", climb=0.0):
        return dict(sigma=sigma, val_loss=val, train_loss=tol / 2 if status == "converged" else 5 * tol,
                    steps=1000 if status == "converged" else cap, status=status, lr=0.1, lr_first=0.1, retries=0,
                    kernel_ratio=ratio, max_climb=climb)

    def made(a0, seed, chosen_loss, ratio=1.02, back=False):
        path = [rnd(a0, 0.01, ratio)] + ([rnd(a0 / 2, 0.011)] if back else [rnd(a0 / 2, 0.005), rnd(a0 / 4, 0.006)])
        if a0 > 2:
            path[-1] = rnd(a0 / 4, 0.002, status="max_steps")  # would have improved: the cap chose
        return dict(sigma_start=a0, seed=seed, sigma=a0 if back else a0 / 2, path=path, status="converged",
                    test_loss_start=0.01 + 1e-4 * seed, test_loss_chosen=chosen_loss + 1e-4 * seed)

    def rows(recs):
        return {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}

    a0, seeds = cfg["sigma_starts"][0], cfg["seeds"]
    big = [made(16.0, s, 0.001) for s in seeds]
    std = f"σ-selection from σ′ = {a0:.3g} does not make the test loss worse"
    # two seeds, every σ′ round stable (a run with --seeds 0,1): too few, not a ValueError (next23)
    pair = {c.claim.split(" (")[0]: c for c in exp.claims(dict(cfg, seeds=seeds[:2]), [
        made(a0, s, 0.005) for s in seeds[:2]] + big[:2])}
    assert pair[std].verdict.startswith("inconclusive: only 2 of 2 seeds with a stable σ′ round usable"), pair[std]
    r = rows([made(a0, s, 0.005) for s in seeds] + big)
    assert r[std].verdict == "reproduced", r[std]
    assert rows([made(a0, s, 0.05) for s in seeds] + big)[std].verdict == "not reproduced"
    one_back = [made(a0, s, 0.005, back=s == seeds[0]) for s in seeds]
    row = rows(one_back + big)[std]
    assert f"1 returned σ′ itself, not judged (seed {seeds[0]})" in row.measured
    assert row.verdict.startswith("inconclusive: only 4 of 5"), row
    assert rows([made(a0, s, 0.005, ratio=1.5) for s in seeds] + big)[std].verdict.startswith(
        "inconclusive: premise not met (the σ′ = 1.41 start is not lazy")
    old = [dict(x, path=[{k: v for k, v in p.items() if k != "kernel_ratio"} for p in x["path"]])
           for x in [made(a0, s, 0.005) for s in seeds]]
    assert "not recorded" in rows(old + big)[std].verdict
    extra = r["σ-selection from σ′ = 16"]
    assert extra.verdict == "reproduced" and f"in 5 of 5 the choice was made by the {cap}-step cap" in extra.measured
    assert "(Sect. 3's \"impractically slow\", max_climb 0–0)" in extra.measured, extra
    # next22: the σ′ round oscillating at the papers' rate (its kernel held at the edge, 2/1.9) is no lazy start
    osc = [dict(x, path=[dict(x["path"][0], max_climb=1.5, kernel_ratio=1.053)] + x["path"][1:])
           for x in [made(a0, s, 0.005) for s in seeds]]
    row = rows(osc + big)[std]
    assert row.verdict.startswith(f"inconclusive: premise not met (the σ′ = {a0:.3g} round's loss oscillated "
                                  "(max_climb 1.5–1.5 > 0.001) in 5 of 5 seeds"), row
    assert "σ′ rounds: max_climb above 0.001 in 5 of 5 (1.5–1.5)" in row.measured, row
    # A choice made by a smaller σ's round capped while oscillating (not Sect. 3's slowness). Pre-run review of
    # next22: that cap held back only a LOWER validation loss, so in the "lowers the test loss" row it is expected to
    # work against the claim: those seeds may carry a reproduced verdict and are named (next22 as registered left
    # them out of both rows); any other verdict is judged again without them (second pre-run review: a failure
    # could be the cap's)
    osc_cap = [dict(x, path=x["path"][:-1] + [dict(x["path"][-1], max_climb=0.4)]) for x in big]
    extra = rows([made(a0, s, 0.005) for s in seeds] + osc_cap)["σ-selection from σ′ = 16"]
    assert extra.verdict == "reproduced", extra
    assert "while its loss oscillated (max_climb 0.4–0.4 > 0.001: the rate at the stability edge" in extra.measured
    assert extra.measured.startswith("lower after selection in 5 of 5 seeds"), extra
    assert "judged though the choice was made by a round capped while oscillating: 5 of 5" in extra.measured, extra
    assert "so not judged" not in extra.measured, extra
    worse = [dict(x, test_loss_chosen=0.05) for x in osc_cap]
    extra = rows([made(a0, s, 0.005) for s in seeds] + worse)["σ-selection from σ′ = 16"]
    assert extra.verdict.startswith("inconclusive: premise not met (in 5 of 5 usable seeds the choice was made by a "
                                    "round that stopped"), extra
    assert "with them not reproduced, so judged again without them: lower in 0 of 0" in extra.measured, extra
    plain_worse = [dict(x, test_loss_chosen=0.05) for x in big]
    extra = rows([made(a0, s, 0.005) for s in seeds] + plain_worse)["σ-selection from σ′ = 16"]
    assert extra.verdict == "not reproduced", extra
    two_worse = worse[:2] + plain_worse[2:]
    extra = rows([made(a0, s, 0.005) for s in seeds] + two_worse)["σ-selection from σ′ = 16"]
    assert extra.verdict.startswith("inconclusive: premise not met (in 2 of 5 usable seeds"), extra
    assert "judged again without them: lower in 0 of 3" in extra.measured, extra
    one = rows([made(a0, s, 0.005) for s in seeds] + osc_cap[:1] + big[1:])["σ-selection from σ′ = 16"]
    assert one.verdict == "reproduced", one
    # ... while in the "does not make it worse" row (σ′ ≃ O(1)) stopping nearer σ′ can favour the claim: left out,
    # and the row says why none is judged with the counts (next22 as registered: "none whose start and chosen runs
    # converged", where all 5 had)
    std_osc = [dict(x, path=x["path"][:-1] + [rnd(a0 / 4, 0.002, status="max_steps", climb=0.4)])
               for x in [made(a0, s, 0.005) for s in seeds]]
    row = rows(std_osc + big)[std]
    assert row.verdict.startswith("inconclusive: premise not met (in 5 of 5 usable seeds the choice was made by a "
                                  f"round that stopped at the {cap}-step cap while its loss oscillated"), row
    assert row.measured.startswith("no seed judged (5 whose start and chosen runs converged, all left out: 5 whose "
                                   "choice the cap made on a round that oscillated)"), row
    one = rows(std_osc[:1] + [made(a0, s, 0.005) for s in seeds[1:]] + big)[std]
    assert one.verdict.startswith("inconclusive: premise not met (in 1 of 5 usable seeds"), one
    # the large-σ′ row with every σ′ round oscillating: its "no seed judged" names that reason
    shaky_big = [dict(x, path=[dict(x["path"][0], max_climb=1.5)] + x["path"][1:]) for x in big]
    extra = rows([made(a0, s, 0.005) for s in seeds] + shaky_big)["σ-selection from σ′ = 16"]
    assert extra.measured.startswith("no seed judged (5 whose start and chosen runs converged, all left out: 5 whose "
                                     "σ′ round oscillated)"), extra
    # next22: row 1 with no seed to judge says so (was "(0 over 0 seeds) in 0 of 0 seeds")
    none = [dict(x, status="not converged", test_loss_chosen=float("nan"), test_loss_start=float("nan"))
            for x in [made(a0, s, 0.005) for s in seeds]]
    row = rows(none + big)[std]
    assert row.measured.startswith("no seed judged") and "0 of 0" not in row.measured, row
    # next24: said once (the review of 345–349: "no seed … converged" twice)
    assert row.measured.count("both converged") == 1, row
    # next24 (the audit of issue 25): the row says why its sign test takes no further floor
    assert cfg["seeds"] == [380, 381, 382, 383, 384]
    assert ("the sign test takes no further floor: the seed spread is already each difference's margin"
            in rows([made(a0, s, 0.005) for s in seeds] + big)[std].measured)


# late-linearization: a run whose rate after T is stable (next22's premise, on the GD continuations at η/2 and
# η/4 after the pre-run review): the run itself at the stability edge after T (2.02), GD at η/2 at 1.01 and at η/4
# at 0.505 of it, no climb after T; the η/4 continuation converged (the control)
STABLE_AFTER_T = dict(lr=0.1, half_lr=0.05, quarter_lr=0.025, lam_T=30.0, edge_T=2.02, gd_climb_T=0.5,
                      half_edge_T=1.01, quarter_edge_T=0.505, half_max_climb=0.0, quarter_max_climb=0.0,
                      ada_max_climb=0.0, quarter_status="converged", quarter_steps=900, quarter_train_loss=5e-9,
                      rise_T=1.2)


def late_linearization_record(job, ada_gd, tol, **kw):
    """A late-linearization record made to order: converged at tol, stable after T, AdaGrad
    ada_gd from GD at η/2, the linear models' predicted gap 1.55× the band with each net 0.5×
    the band from its own — so AdaGrad's distance can be as low as 0.55× the band (the
    triangle inequality's least) and the rows can read each verdict; kw overrides."""
    band = same_band(tol)
    r = dict(job, status="converged", steps=1000, train_loss=0.9 * tol, T=[0, 10, 30, 50],
             distance=[0.6, 0.3, 0.1, 0.01 + 0.0001 * job["seed"]], loss_T=[0.2, 0.02, 6e-3, 2e-3],
             ada_status="converged", ada_steps=500, ada_train_loss=0.9 * tol, ada_half=ada_gd,
             half_status="converged", half_steps=500, half_train_loss=0.9 * tol, quarter_half=1e-5,
             ada_predicted=1.55 * band, ada_lin_rms=0.5 * band, half_lin_rms=0.5 * band, **STABLE_AFTER_T)
    r.update(kw)
    return r


def test_late_linearization_theta_T_row_reports_runs_that_climb_back():
    """next28: the θ_T row counts the runs whose loss after T climbs back above the level the
    previous T was read at (since next29-c one constant, half a decade: 10^0.5 ≈ 3.16× its value at
    T; the grid's previous point before, a decade on the standard preset's [1, 2]), with
    their distance beside the others'; it does not leave them out (the pre-run review: that would
    select on the distance judged), so they still count in the verdict."""
    name = "late-linearization"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    tol = cfg["tol"]

    def row(recs, m=20):
        return [c for c in exp.claims(cfg, recs) if "follows the linearization at θ_T" in c.claim
                and f"m = {m}:" in c.claim][0]

    jobs = [j for j in exp.jobs(cfg) if j["width"] == 20]
    settled = row([late_linearization_record(j, 0.0, tol, rise_T=3.1) for j in jobs])
    assert settled.verdict == "reproduced", settled
    assert "climbs back above 3.16× its value at T (half a decade) in 0 of 8 runs, largest rise 3.1×" \
        in settled.measured, settled
    # five runs climb back, far from their linearization: named, counted in the verdict (median 0.5 > 0.1)
    recs = [late_linearization_record(j, 0.0, tol, **({"rise_T": 3.2, "distance": [0.6, 0.3, 0.4, 0.5]} if i < 5 else {}))
            for i, j in enumerate(jobs)]
    some = row(recs)
    assert some.verdict.startswith("inconclusive: not at this T (0.5"), some
    assert f"in 5 of 8 runs (seeds {[j['seed'] for j in jobs[:5]]}, distance at θ_T median 0.5 against {0.01 + 0.0001 * jobs[6]['seed']:.3g}" \
        in some.measured, some
    # the continued row names the same runs (next28-b), deciding or not
    cont = [c for c in exp.claims(cfg, recs) if "continued from θ_T" in c.claim and "m = 20:" in c.claim][0]
    assert "climbs back above 3.16× its value at T in 5 of 8 runs (the θ_T row's count)" in cont.measured, cont
    unrecorded = [late_linearization_record(j, 0.0, tol) for j in jobs]
    for r in unrecorded:
        r.pop("rise_T")
    assert "the loss after T not recorded" in row(unrecorded).measured


def test_late_linearization_after_T_needs_a_stable_rate_and_a_resolvable_prediction():
    """next22: the continued-from-θ_T row is decided only by runs whose rate after T is stable
    (GD's η·λ_max(K_T)/N < 2 and no continuation's loss climbing more than 10⁻³ after T) and whose
    linear models predict a gap beyond the band; where fewer than the minimum remain it is premise
    not met, with the counts. With them it can read reproduced and not reproduced."""
    name = "late-linearization"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    tol, band = cfg["tol"], same_band(cfg["tol"])

    def made(job, ada_gd, **kw):
        return late_linearization_record(job, ada_gd, tol, **kw)

    def row(recs, m=20):
        return [c for c in exp.claims(cfg, recs) if "continued from θ_T" in c.claim and f"m = {m}:" in c.claim][0]

    jobs = exp.jobs(cfg)
    # pre-run review of next22: the run's own η sits at the stability edge after T (2.02, climbing: STABLE_AFTER_T);
    # the row compares AdaGrad with GD at η/2 from θ_T and decides (next22 as registered: premise not met, always)
    assert row([made(j, 1.5 * band) for j in jobs]).verdict == "reproduced"
    assert row([made(j, 0.6 * band) for j in jobs]).verdict == "not reproduced"
    # next29-c (the review of 520–527): the deciding count's distance from the premise's floor, and the largest
    # condition numbers of K at θ_T and of Eq. (7)'s K_(D_t), are said
    said = row([made(j, 1.5 * band, cond_T=500.0 + j["seed"], cond_D=40.0) for j in jobs])
    assert "runs that can decide (a stable rate after T and the predicted gap less the farther net's distance from " \
        "its linear model beyond the band): 8 of 8 (the premise needs 4: 4 above it)" in said.measured, said.measured
    assert (f"condition numbers at θ_T, largest over the runs with all three continuations usable: K "
            f"{500.0 + max(j['seed'] for j in jobs if j['width'] == 20):.3g}, Eq. (7)'s K_(D_t) 40 (the pseudo-inverse "
            "acts above 1e+12 or where Cholesky fails)") in said.measured, said.measured
    # the control GD at η/4 against η/2 outside the band: the band cannot tell one minimizer from two
    loose = row([made(j, 1.5 * band, quarter_half=2 * band) for j in jobs])
    assert loose.verdict.startswith("inconclusive: the control (GD at η/4 against η/2 from θ_T"), loose
    # GD at η/2 itself at the stability edge after T: outside the regime
    edge = row([made(j, 1.5 * band, half_edge_T=2.02) for j in jobs])
    assert edge.verdict.startswith("inconclusive: premise not met (a stable rate after T and the predicted gap less "
                                   "the farther net's distance from its linear model beyond the band 0.001 in 0 of 8 "
                                   "runs"), edge
    assert "GD at η/2: η·λ_max(K_T)/N ≥ 2 in 8" in edge.verdict and "GD at η/2: η·λ_max(K_T)/N 2.02–2.02" in edge.measured
    # below 2 but the η/2 loss climbs after T in 5 of 8: 3 runs left, fewer than half of the 8
    seeds = cfg["seeds"]
    climbing = row([made(j, 1.5 * band, half_edge_T=1.99, half_max_climb=0.5 if j["seed"] in seeds[:5] else 0.0)
                    for j in jobs])
    assert climbing.verdict.startswith("inconclusive: premise not met"), climbing
    assert "GD at η/2 climbed in 5" in climbing.verdict
    # every failing reason is counted (next22 as registered counted only the first): η/2 at the edge in 8, the
    # control climbing in 5 of them
    both = row([made(j, 1.5 * band, half_edge_T=2.02, quarter_max_climb=0.01 if j["seed"] in seeds[:5] else 0.0)
                for j in jobs])
    assert "GD at η/2: η·λ_max(K_T)/N ≥ 2 in 8, GD at η/4 climbed in 5; a run may fail several" in both.verdict, both
    # AdaGrad trains under the monotone rule: its climb is no premise (it cannot fail there)
    assert row([made(j, 1.5 * band, ada_max_climb=0.5) for j in jobs]).verdict == "reproduced"
    # a run whose linear models predict a gap inside the band cannot decide the row
    inside = row([made(j, 1.5 * band, ada_predicted=0.8 * band if j["seed"] in seeds[:5] else 1.55 * band)
                  for j in jobs])
    assert inside.verdict.startswith("inconclusive: premise not met") and \
        "the predicted gap less the farther net's distance beyond the band in 3" in inside.verdict, inside
    # a few runs out, enough left: decided on the rest (AdaGrad inside the band in the excluded runs only)
    few = row([made(j, 0.6 * band if j["seed"] in seeds[:2] else 1.5 * band,
                    half_edge_T=2.05 if j["seed"] in seeds[:2] else 1.01) for j in jobs])
    assert few.verdict == "reproduced" and "runs that can decide" in few.measured and ": 6 of 8" in few.measured, few
    # records without the continuations' η·λ_max(K_T)/N cannot show the regime
    old = [{k: v for k, v in made(j, 1.5 * band).items() if k not in ("half_edge_T", "quarter_edge_T")} for j in jobs]
    assert row(old).verdict.startswith("inconclusive: whether the rate after T is stable"), row(old)
    # records of next22 as registered (no η/4 continuation) are not judged: every run left out, counted
    reg = [{k: v for k, v in made(j, 1.5 * band).items() if not k.startswith("quarter")} for j in jobs]
    assert row(reg).verdict.startswith("inconclusive: premise not met") and \
        "8 of 8 usable runs left out (seeds " in row(reg).measured and \
        "a continuation from θ_T not usable (8 GD at η/4 not converged (not recorded))" in row(reg).measured, row(reg)


def test_linearization_fit_takes_the_widths_whose_nets_follow_their_linearization():
    """next23: linearization's slope is fitted on the widths whose median distance from Eq. (4) is
    within LAZY by more than its standard error (Lemma 1's regime, m ≥ C), with every usable net at
    those widths; a width above LAZY by more than its error is left out, one whose error straddles
    LAZY is undecided, as is one with too few usable nets. Fewer than 3 widths in: premise not met,
    or premise undecided where the undecided widths could make up the count. next22 gated each net on its point value (a review of
    330–334: m = 2000's median 0.1025 lost 3 of 5 nets, which decided the premise on a knife edge);
    next21 let in narrow nets far from Eq. (4) whose kernel barely moved."""
    name = "linearization"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    assert cfg["widths"] == [1000, 2000, 4000, 8000, 16000] and cfg["seeds"] == list(range(350, 355))
    flat_gap = {1000: 1.0, 2000: 0.1, 4000: 0.09, 8000: 0.08, 16000: 0.075}   # far at 1000, then about m^(−0.12)
    lazy = {m: [0.05] * 5 for m in cfg["widths"]}

    def made(job, dist=lazy, steep=False, capped=()):
        g = 0.1 * (job["width"] / 2000) ** -0.6 if steep else flat_gap[job["width"]]
        g *= 1 + 0.01 * (job["seed"] % 5)
        cap = job["width"] in capped and job["seed"] % 5 < 3
        return dict(job, status="max_steps" if cap else "converged", steps=1000, lr=0.1,
                    train_loss=(5 if cap else 0.5) * cfg["tol"], kernel_ratio=1.02, gap_rms=g, gap_sup=3 * g,
                    lin_distance=dist[job["width"]][job["seed"] % 5])

    row = lambda **kw: exp.claims(cfg, [made(j, **kw) for j in exp.jobs(cfg)])[0]  # noqa: E731
    far = {**lazy, 1000: [0.13, 0.14, 0.15, 0.14, 0.16]}
    flat = row(dist=far)
    assert flat.verdict == "not reproduced", flat
    assert "m = 1000: 0.14 ± 0.0064 (out; 5 of 5 nets above 0.1)" in flat.measured, flat
    assert "the fit on m ∈ [2000, 4000, 8000, 16000], m ∈ [1000] left out: " in flat.measured, flat
    steep = row(steep=True)
    assert steep.verdict == "reproduced" and "left out" not in steep.measured, steep
    # a width within LAZY by more than its error keeps its nets above LAZY in the fit (next22 dropped them)
    near = {**far, 2000: [0.09, 0.092, 0.094, 0.101, 0.103]}
    kept = row(dist=near, steep=True)
    assert kept.verdict == "reproduced" and "m = 2000: 0.094 ± 0.0032 (in; 2 of 5 nets above 0.1)" in kept.measured
    assert "20 usable runs at those widths" in kept.measured, kept
    # m = 2000's median straddles LAZY, m = 16000 has too few usable runs: 2 widths in, the straddling one could
    # make the third — undecided (next22: premise not met, as the point cut fell)
    edge = {**far, 2000: [0.08, 0.095, 0.1025, 0.105, 0.12]}
    undecided = row(dist=edge, steep=True, capped=(16000,))
    assert undecided.verdict.startswith("inconclusive: premise undecided (the nets follow their linearization (median "
                                        "relative distance from Eq. (4) ≤ 0.1 by more than its standard error) at 2 "
                                        "width(s) [4000, 8000], needs ≥ 3; undecided: m = 2000: 0.102 ± 0.0082 "
                                        "straddling 0.1, m = 16000: 2 usable nets, too few)"), undecided
    assert "m = 2000: 0.102 ± 0.0082 (undecided; 3 of 5 nets above 0.1)" in undecided.measured, undecided
    assert "m = 16000: 0.05 ± 0 (too few; 0 of 2 nets above 0.1)" in undecided.measured, undecided
    # m = 2000 above LAZY by more than its error too, m = 16000 too few: 16000 could still be the third width
    # (pre-run review of next23: it read premise not met)
    out = {**far, 2000: [0.12, 0.125, 0.13, 0.135, 0.14]}
    few = row(dist=out, steep=True, capped=(16000,))
    assert few.verdict.startswith("inconclusive: premise undecided ("), few
    assert "undecided: m = 16000: 2 usable nets, too few)" in few.verdict, few
    # m = 16000 above LAZY by more than its error as well: premise not met
    unmet = row(dist={**out, 16000: [0.12, 0.125, 0.13, 0.135, 0.14]}, steep=True)
    assert unmet.verdict.startswith("inconclusive: premise not met (the nets follow their linearization"), unmet
    assert "left out: m = 1000: 0.14 ± 0.0064, m = 2000: 0.13 ± 0.0044, m = 16000: 0.13 ± 0.0044" in unmet.verdict
    # with m = 16000 in, three widths clear the gate and the row is judged
    assert row(dist=out, steep=True).verdict == "reproduced"


def test_late_linearization_yardstick_premise_is_checked_first():
    """late-linearization's "continued from θ_T" row on records made to order: where the nets lie
    farther from their linear models than the effect those predict, the row reads premise not met
    (and which way the data lean) even when the previous row straddles its threshold; with the
    yardstick premise met, a straddling previous row leaves the premise not shown."""
    name = "late-linearization"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]

    tol = cfg["tol"]
    inside = 0.6 * same_band(tol)  # AdaGrad's distance from the GD net, inside the same-minimizer band

    def made(job, far, dist_T):
        return dict(job, status="converged", steps=1000, train_loss=0.9 * tol, T=[0, 10, 30, 50],
                    distance=[0.6, 0.3, 0.2, dist_T], loss_T=[0.2, 0.02, 6e-3, 2e-3],
                    ada_status="converged", ada_steps=500, ada_train_loss=0.9 * tol, ada_half=inside,
                    half_status="converged", half_steps=500, half_train_loss=0.9 * tol, quarter_half=1e-5,
                    ada_predicted=0.04, ada_lin_rms=far, half_lin_rms=0.01, **STABLE_AFTER_T)

    jitter = {s: 0.004 * i for i, s in enumerate(cfg["seeds"])}
    # the previous row straddles LAZY (median ≈ 0.09, its error reaching past 0.1)
    straddle = [made(j, 0.05, 0.085 + jitter[j["seed"]]) for j in exp.jobs(cfg)]
    row = [c for c in exp.claims(cfg, straddle) if "continued from θ_T" in c.claim][0]
    assert row.verdict.startswith("inconclusive: premise not met (a stable rate after T and the predicted gap less "
                                  "the farther net's distance"), row
    assert "AdaGrad beyond the band in 0 of 8 runs, the linear models' predicted difference beyond it in 8 of 8, by " \
        "the farther net's distance from its own in 0" in row.verdict
    # next19: first even where the nets are far from the θ_T linearization (the order the docstring states)
    far_T = [made(j, 0.05, 0.3 + jitter[j["seed"]]) for j in exp.jobs(cfg)]
    row = [c for c in exp.claims(cfg, far_T) if "continued from θ_T" in c.claim][0]
    assert row.verdict.startswith("inconclusive: premise not met (a stable rate after T and the predicted gap less "
                                  "the farther net's distance"), row
    resolvable = [made(j, 0.01, 0.085 + jitter[j["seed"]]) for j in exp.jobs(cfg)]
    row = [c for c in exp.claims(cfg, resolvable) if "continued from θ_T" in c.claim][0]
    assert row.verdict.startswith("inconclusive: premise not shown"), row
    lazy = [made(j, 0.01, 0.01 + 0.001 * jitter[j["seed"]]) for j in exp.jobs(cfg)]
    row = [c for c in exp.claims(cfg, lazy) if "continued from θ_T" in c.claim][0]
    assert row.verdict == "not reproduced", row   # AdaGrad inside the band, the control inside it too
    # a continuation stopped by the cap is named as such (next16b; was "not recorded"), its run left out and the
    # rest decide (next28-b: was the whole row inconclusive); a degenerate one is named by its own reason
    capped = [dict(r, ada_status="max_steps", ada_train_loss=5 * tol) if r["seed"] == cfg["seeds"][0] else
              dict(r, half_steps=1) if r["seed"] == cfg["seeds"][1] else r for r in lazy]
    row = [c for c in exp.claims(cfg, capped) if "continued from θ_T" in c.claim][0]
    assert row.verdict == "not reproduced", row
    assert (f"2 of 8 usable runs left out (seeds {cfg['seeds'][:2]}), a continuation from θ_T not usable (1 AdaGrad "
            "not converged (max_steps), 1 GD at η/2 degenerate (converged within 2 steps))") in row.measured, row


def test_late_linearization_after_T_reads_the_band_with_its_error_and_a_resolving_margin():
    """next23: the continued-from-θ_T row reads AdaGrad's median distance from GD at η/2 against the
    band with its standard error (inside by more than it: not reproduced; beyond by more than it:
    reproduced; else inconclusive — a review of 330–337 found m = 80 not reproduced at 0.00925
    against 0.01, 0.75 of its error), and a run decides only where its linear models' predicted gap
    less the farther net's distance from its own clears the band (the same review: predictions 1.1–1.7×
    the band, the nets 0.6–0.9 of them; less both distances, next9's withdrawn rule, would admit only
    runs beyond the band by the triangle inequality), at the tolerance 10⁻⁸ (band 0.001). The records
    below respect that inequality (AdaGrad's distance ≥ the gap less both nets' distances), so the
    not-reproduced case is one the runs can produce. GD at η/2's distance from the run's own net is
    reported."""
    name = "late-linearization"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    assert cfg["seeds"] == list(range(550, 558))
    tol, band = cfg["tol"], same_band(cfg["tol"])

    def made(job, ada_gd, **kw):
        return late_linearization_record(job, ada_gd, tol, half_gd=0.002 + 0.001 * (job["seed"] % 8), **kw)

    def row(recs, m=80):
        return [c for c in exp.claims(cfg, recs) if "continued from θ_T" in c.claim and f"m = {m}:" in c.claim][0]

    jobs = exp.jobs(cfg)
    spread = lambda j, mid: mid * band * (1 + 0.08 * ((j["seed"] % 8) - 3.5))  # noqa: E731   ± 28 % about mid
    # the median 0.95× the band, its error 0.08× the band: straddles the edge (next22: not reproduced)
    edge = row([made(j, spread(j, 0.95)) for j in jobs])
    assert edge.verdict.startswith("inconclusive: AdaGrad's median distance 0.00095 ± 8.2e-05"), edge
    assert "straddles the band's edge 0.001" in edge.verdict, edge
    assert all(spread(j, 0.8) >= 0.55 * band for j in jobs)   # the triangle inequality's least: 1.55 − 2 × 0.5
    assert row([made(j, spread(j, 0.8)) for j in jobs]).verdict == "not reproduced"
    assert row([made(j, spread(j, 1.3)) for j in jobs]).verdict == "reproduced"
    assert "over the deciding runs 0.00095 ± 8.2e-05, standard error" in edge.measured, edge
    assert "GD at η/2 from θ_T ends 0.0055 (0.002–0.009) RMS from the run's own net" in edge.measured, edge
    assert "(the run's own η: 2.02–2.02, its loss climbing more than 0.001 after T in 8 of 8, not compared)" \
        in edge.measured, edge
    # the predicted gap 1.4× the band, the farther net 0.5× the band from its linear model: beyond the band
    # (next22 decided on these runs), but less that distance 0.9× the band
    thin = row([made(j, 1.2 * band, ada_predicted=1.4 * band, ada_lin_rms=0.5 * band, half_lin_rms=0.3 * band)
                for j in jobs])
    assert thin.verdict.startswith("inconclusive: premise not met (a stable rate after T and the predicted gap less "
                                   "the farther net's distance from its linear model beyond the band 0.001 in 0 of 8"), thin
    assert "predicted median 0.0014, the farther net's distance from its linear model median 0.0005" in thin.verdict
    wide = row([made(j, 1.5 * band, ada_predicted=1.6 * band, ada_lin_rms=0.5 * band, half_lin_rms=0.3 * band)
                for j in jobs])
    assert wide.verdict == "reproduced", wide


def test_late_linearization_T_is_read_from_the_loss_curve(tmp_path):
    """next18b/c: T is the first step at which the training loss is at most 10⁻ᵏ of its value at
    θ₀ — the same T whatever tolerance the run stops at (it was a share of the run's steps, which
    moved with the tolerance) — and a width with no usable run reads too few runs (was premise
    not met on NaN medians)."""
    import json as _json
    name = "late-linearization"
    runs = {}
    for tol in (1e-4, 1e-5):
        out = str(tmp_path / f"ll{tol:g}")
        experiments.run(name, "quick", out, dict(TINY[name], seeds=[0], tol=tol, max_steps=3000), progress=False)
        with open(f"{out}/records.jsonl") as f:
            runs[tol] = [_json.loads(line) for line in f]
    a, b = runs[1e-4][0], runs[1e-5][0]
    assert a["steps"] < b["steps"] and a["T"] == b["T"], (a["T"], b["T"])
    assert a["T"][0] == 0 and 0 < a["T"][1] < a["T"][2] < a["steps"]
    assert a["gd_climb_T"] >= 0 and b["half_gd"] >= 0   # next23: the core's max_climb after T, read by the row
    for k, (T, loss) in enumerate(zip(a["T"], a["loss_T"])):
        assert loss <= 10.0 ** (-k) * a["loss_T"][0] * (1 + 1e-9)
    cfg = experiments.resolve_config(name, "standard")
    none = [dict(job, status="max_steps", steps=cfg["max_steps"], lr=0.1, train_loss=1.0, T=[0, 1, 2, 3],
                 distance=[0.5, 0.4, 0.35, 0.3], loss_T=[0.2, 0.02, 6e-3, 2e-3], rise_T=1.0)
            for job in REGISTRY[name].jobs(cfg)]
    rows = [c for c in REGISTRY[name].claims(cfg, none) if "continued from θ_T" in c.claim]
    assert all(c.verdict.startswith("inconclusive: only 0 of 8 runs usable") for c in rows), rows
    # next18c: nets far from the linearization at fastntk's T are no evidence that no T exists
    far = [dict(r, status="converged", train_loss=0.5 * cfg["tol"], steps=1000, distance=[0.6, 0.4, 0.35, 0.3]) for r in none]
    row = [c for c in REGISTRY[name].claims(cfg, far) if "after an initial period" in c.claim][0]
    assert row.verdict.startswith("inconclusive: not at this T (0.3"), row
    # next18g: the continued-from-θ_T row's premise is about this θ_T — nets far from its linearization are
    # premise not met there, with the yardstick premise met (was "premise not shown")
    met = [dict(r, ada_status="converged", ada_steps=500, ada_train_loss=0.5 * cfg["tol"], ada_half=0.02,
                half_status="converged", half_steps=500, half_train_loss=0.5 * cfg["tol"], quarter_half=1e-5,
                ada_predicted=0.05, ada_lin_rms=0.01, half_lin_rms=0.01, **STABLE_AFTER_T) for r in far]
    row = [c for c in REGISTRY[name].claims(cfg, met) if "continued from θ_T" in c.claim][0]
    assert row.verdict.startswith("inconclusive: premise not met (the nets do not follow their linearization at θ_T: "
                                  "median relative distance from Eq. (4) at θ_T 0.3 above 0.1"), row


def test_sigma_by_size_row_judges_every_training_set_size():
    """sigma-by-size (000 Fig. 1's σ panels) on records made to order: reproduced where the larger σ
    tests worse by more than the seed spread at every training-set size, not reproduced naming the
    size where it tests better in every seed, inconclusive naming the size with too few usable runs."""
    name = "sigma-by-size"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]

    def made(job, factor):
        f = factor(job["n_train"]) if job["sigma"] == max(cfg["sigmas"]) else 1.0
        return dict(job, status="converged", steps=500, lr=0.1, train_loss=0.5 * cfg["tol"], retries=0,
                    lin_distance=0.05, test_loss=0.01 * f * (1 + 0.01 * (job["seed"] % 5)))

    row = lambda recs: exp.claims(cfg, recs)[0]  # noqa: E731
    assert row([made(j, lambda n: 4.0) for j in exp.jobs(cfg)]).verdict == "reproduced"
    worse = row([made(j, lambda n: 0.25 if n == 25 else 4.0) for j in exp.jobs(cfg)])
    assert worse.verdict == "not reproduced: at N ∈ [25]", worse
    capped = [dict(r, status="max_steps", train_loss=10 * cfg["tol"])
              if r["n_train"] == 100 and r["seed"] != cfg["seeds"][0] else r
              for r in (made(j, lambda n: 4.0) for j in exp.jobs(cfg))]
    assert row(capped).verdict.startswith("inconclusive: N = 100: only 1 of 5 seeds usable"), row(capped)
    assert "8 run(s) stopped at the cap of 60000 steps at 10–10× the tolerance" in row(capped).measured
    # "considerably": higher in every seed, but by less than the seeds' spread of the log ratios
    noisy = [dict(r, test_loss=r["test_loss"] * (1.3 if r["sigma"] == max(cfg["sigmas"]) else 1.0)
                  * (4.0 ** (cfg["seeds"].index(r["seed"]) - 2) if r["sigma"] == max(cfg["sigmas"]) else 1.0))
             for r in (made(j, lambda n: 1.0) for j in exp.jobs(cfg))]
    weak = row(noisy)
    assert weak.verdict.startswith("inconclusive: N = 10:") and "the claimed sign in" in weak.verdict, weak


def test_adaptive_closed_form_records_D_on_a_replay_capped_at_the_runs_length(tmp_path):
    """adaptive-closed-form trains each AdaGrad net without D_t, then replays it capped at its own
    length with D_t recorded (issue 26: the paper preset's 20,000-step cap reserved 43 GiB at
    m = 16000 for runs of tens of steps): at a cap whose D_t record could never fit in memory
    (10⁸ steps × P float64) the runs still train, and each replay retraces its run."""
    out = str(tmp_path / "acf")
    cfg = dict(data="sphere:4", n_train=5, n_test=10, widths=[40, 80], seeds=[0], max_steps=10**8)
    experiments.run("adaptive-closed-form", "quick", out, cfg, progress=False)
    ada = [r for r in experiments.load(out) if r["optimizer"] == "adagrad"]
    assert len(ada) == 2 and all(r["status"] == r["replay_of"] == "converged" and 0 < r["steps"] < 10**4
                                 for r in ada), ada


def test_adaptive_closed_form_row_needs_its_positive_control_and_every_net_lazy():
    """adaptive-closed-form's AdaGrad-vs-GD row on records made to order: reproduced when the
    AdaGrad net is Eq. (7)'s, far from the GD net, the half-rate GD net near it and every net's
    kernel still; inconclusive when the half-rate GD net lies outside the band (the band cannot
    tell one minimizer from two); premise not met when the GD nets' kernel moved."""
    name = "adaptive-closed-form"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    base = [0.1 * i for i in range(10)]

    def made(job, half_off=0.0, gd_moved=1.0, ada_off=0.2):
        r = dict(job, status="converged", steps=100, lr=0.1, train_loss=1e-6, kernel_ratio=1.0, lin_distance=0.01)
        if job["optimizer"] == "adagrad":
            r.update(test_pred=[b + ada_off for b in base], gap_eq7=0.001 * (1 + job["seed"] % 3) * (16000 / job["width"]) ** 0.5,
                     gap_eq4=0.2, moved=0.5, eq7_eq4=0.2, d_drift=1.0)
        elif job["optimizer"] == "gd":
            r.update(test_pred=list(base), kernel_ratio=gd_moved)
        else:
            r.update(test_pred=[b + half_off for b in base])
        return r

    row = lambda recs: [c for c in exp.claims(cfg, recs) if c.claim.startswith("AdaGrad's net differs")][0]  # noqa: E731
    assert row([made(j) for j in exp.jobs(cfg)]).verdict == "reproduced"
    far = row([made(j, half_off=0.1) for j in exp.jobs(cfg)])
    assert far.verdict.startswith("inconclusive: the positive control (GD at η/2 from θ₀, median 0.1) lies inside "
                                  "the band 0.0316 in only 0 of 8 seeds"), far
    # next18: the control is counted by the same sign test as "differs" — 6 of 8 inside (p = 0.145) does not
    # show the band telling one minimizer from two, even with the median inside; 7 of 8 (p = 0.035) does
    outside = lambda k: [dict(r, test_pred=[b + 0.1 for b in base])  # noqa: E731
                         if r["optimizer"] == "gd_half" and r["seed"] in cfg["seeds"][:k] else r
                         for r in (made(j) for j in exp.jobs(cfg))]
    assert row(outside(2)).verdict.startswith("inconclusive: the positive control"), row(outside(2))
    assert "in only 6 of 8 seeds" in row(outside(2)).verdict
    assert row(outside(1)).verdict == "reproduced", row(outside(1))
    assert "inside the band in 7 of 8 seeds" in row(outside(1)).measured
    moved = row([made(j, gd_moved=1.3) for j in exp.jobs(cfg)])
    assert moved.verdict.startswith("inconclusive: premise not met (the kernel moved") and "GD 0.3" in moved.verdict, moved
    # next16: with the positive control inside the band, an AdaGrad net inside it too is GD's minimizer as far
    # as the band can tell — evidence against "differs", not an untested band
    same = row([made(j, ada_off=0.001) for j in exp.jobs(cfg)])
    assert same.verdict == "not reproduced", same
    # next17: where the band cannot resolve the predicted effect, or the AdaGrad nets lie off Eq. (7) (which
    # Thm 3's failed premise allows), the row is inconclusive, not "not reproduced"
    unresolved = row([dict(r, eq7_eq4=0.01) if r["optimizer"] == "adagrad" else r
                      for r in (made(j, ada_off=0.001) for j in exp.jobs(cfg))])
    assert unresolved.verdict.startswith("inconclusive: the linear models' predicted difference"), unresolved
    # next29-f (the pre-run reviews): the Eq. (7) half two-sided, per θ₀ by the sign test — off Eq. (7) beyond the
    # seeds' spread, in the kernel regime, reads not reproduced where the GD nets lie inside the band from Eq. (4)
    # (the control; it read inconclusive, "which Thm 3's failed premise allows", and then a median); D_t's drift does
    # not enter
    gd_in = lambda r, g=0.001: dict(r, gap_eq4=g) if r["optimizer"] == "gd" else r  # noqa: E731
    for d in (1.0, 0.01):
        off = row([gd_in(dict(r, gap_eq7=0.5 + 0.01 * r["seed"] % 3, d_drift=d)) if r["optimizer"] == "adagrad" else
                   gd_in(r) for r in (made(j) for j in exp.jobs(cfg))])
        assert off.verdict.startswith("not reproduced (the AdaGrad nets lie off Eq. (7): beyond the band 0.0316 in 8 "
                                      "of 8 seeds"), off
        assert "while the GD nets lie inside it from Eq. (4) in 8 of 8)" in off.verdict, off
    # the control outside: the band cannot tell Eq. (7) missed from the linearization's remainder
    loose = row([gd_in(dict(r, gap_eq7=0.5 + 0.01 * r["seed"] % 3)) if r["optimizer"] == "adagrad" else gd_in(r, 0.2)
                 for r in (made(j) for j in exp.jobs(cfg))])
    assert loose.verdict.startswith("inconclusive: the AdaGrad nets lie off Eq. (7) (beyond the band 0.0316 in 8 of 8 "
                                    "seeds), but the GD nets do not lie inside it from their own Eq. (4)"), loose
    # half the seeds on each side: not shown either way
    split = row([gd_in(dict(r, gap_eq7=0.5 if r["seed"] % 2 else 0.001)) if r["optimizer"] == "adagrad" else gd_in(r)
                 for r in (made(j) for j in exp.jobs(cfg))])
    assert split.verdict.startswith("inconclusive: the AdaGrad nets' distance from Eq. (7) is not shown either side of "
                                    "the band 0.0316 (inside in 4 of 8 seeds"), split
    assert "beyond in 4, p = 0.637" in split.verdict and "verdict" not in split.verdict, split  # counts, not a verdict
    # the first row: the rate is the verdict, the drift printed beside it (it was the gate, and an extra row carried
    # the rate); two rows in all
    rows_ = exp.claims(cfg, [made(j) for j in exp.jobs(cfg)])
    assert len(rows_) == 2 and rows_[0].claim.startswith("AdaGrad-trained nets at convergence are Eq. (7)'s"), rows_
    assert not rows_[0].verdict.startswith("inconclusive: premise"), rows_[0]
    assert "D_t's drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖" in rows_[0].measured and "for AdaGrad as 000 defines it " \
        "(D_t = diag(Σ_(u≤t) g_u g_uᵀ)^(−1/2)) nothing ties it to m" in rows_[0].paper, rows_[0]
    assert "a rate measured outside Thm 3's stated premise, in the kernel regime" in rows_[0].paper, rows_[0]
    # next30: the rate at one η per θ₀ across the widths; a seed the monotone rule halved at one width leaves it, named
    assert "θ₀-seeds at one η across the widths: 8 of 8;" in rows_[0].measured, rows_[0]
    assert "kernel moved (median |λ_max(K_T)/λ_max(K₀) − 1|) m = 2000: 0, m = 4000: 0" in rows_[0].measured, rows_[0]
    halved = [dict(r, lr=0.05) if r["optimizer"] == "adagrad" and r["seed"] == 721 and r["width"] == 4000 else r
              for r in (made(j) for j in exp.jobs(cfg))]
    one = exp.claims(cfg, halved)[0]
    assert "θ₀-seeds at one η across the widths: 7 of 8 (left out: seed 721: η 0.05, 0.1)" in one.measured, one
    assert "(28 usable runs at those widths; 28 of 28 usable in all" in one.measured, one
    # next24 (the audit of issue 25): "differs" needs the median excess over the band above the seeds' spread of the
    # AdaGrad-to-GD distance (was no floor): beyond the band in 8 of 8, by 0.001–0.004 with four seeds far out
    assert cfg["seeds"] == list(range(720, 728))
    excess = dict(zip(cfg["seeds"], [0.001, 0.002, 0.003, 0.004, 0.5, 0.7, 0.9, 1.2]))
    noisy = row([made(j, ada_off=same_band(cfg["tol"]) + excess[j["seed"]]) if j["optimizer"] == "adagrad" else made(j)
                 for j in exp.jobs(cfg)])
    assert noisy.verdict.startswith("inconclusive: the claimed sign in 8 of 8 seeds (p = 0.00391), but the median "
                                    "effect 0.252 is below the seed-to-seed spread 0.481"), noisy
    assert "seed spread of that distance 0.481" in noisy.measured, noisy


def _made_curve(steps, final, start=1.0, points=60):
    """A loss curve as the records keep it: log-spaced steps from θ₀ to ``steps``, the loss falling
    geometrically from ``start`` to ``final``."""
    import numpy as _np
    at = _np.unique(_np.concatenate([[0], _np.round(_np.geomspace(1, steps, points))])).astype(int)
    return dict(step=[int(t) for t in at], train_loss=[float(start * (final / start) ** (t / steps)) for t in at])


def _made_initialization(cfg, own=0.03, capped_small=False, moved=1.0, power=2, scale=0.05, capped_from_lin_t=None,
                         capped_above_lin_t=1.0, capped_climb=0.0):
    """Initialization records made to order: f_lin = f_int + an initialization term of RMS
    scale·σ^power that depends on θ₀ (σ² for L = 2's σ^(2L) test loss), the net
    ``own``·‖f_lin‖ from its own f_lin (and from f_lin trained its own steps, except a capped
    run at ``capped_from_lin_t`` where given); a capped run's training loss
    ``capped_above_lin_t``× that of f_lin trained its own steps (others equal to it) and its
    max_climb ``capped_climb`` (others 0); each run's loss curve falls geometrically from 1 to
    its final training loss at η = 1/σ² (the first rate tried)."""
    import numpy as _np
    rng = _np.random.default_rng(0)
    base = rng.standard_normal(20)
    dirs = {s: rng.standard_normal(20) for s in cfg["seeds"]}
    y = base + 0.3 * rng.standard_normal(20)
    out = []
    for L, m in zip(cfg["depths"], cfg["widths"]):
        for sg in cfg["sigmas"]:
            for s in cfg["seeds"]:
                init = scale * sg ** power * dirs[s] / _np.sqrt(_np.mean(dirs[s] ** 2))
                lin = base + init
                nn = lin + own * _np.linalg.norm(lin) / _np.sqrt(20) * _np.cos(_np.arange(20) + s)
                capped = capped_small and sg == min(cfg["sigmas"])
                out.append(dict(depth=L, width=m, sigma=sg, seed=s, status="max_steps" if capped else "converged",
                                steps=cfg["max_steps"] if capped else 1000, lr=1.0 / sg ** 2,
                                train_loss=1e-3 if capped else 1e-6, retries=0,
                                test_loss_nn=0.5 * float(_np.mean((nn - y) ** 2)),
                                test_loss_lin=0.5 * float(_np.mean((lin - y) ** 2)),
                                test_loss_int=0.5 * float(_np.mean((base - y) ** 2)),
                                init_rms=float(_np.sqrt(_np.mean(init ** 2))),
                                rmse_int=float(_np.sqrt(_np.mean((base - y) ** 2))), J=0.05,
                                lin_distance=float(_np.linalg.norm(nn - lin) / _np.linalg.norm(lin)),
                                lin_T_distance=(capped_from_lin_t if capped and capped_from_lin_t is not None
                                                else float(_np.linalg.norm(nn - lin) / _np.linalg.norm(lin))),
                                lin_T_train_loss=(1e-3 / capped_above_lin_t) if capped else 1e-6,
                                kernel_ratio=moved if sg <= 1 else 1.0, cond=10.0, lambda0=0.1,
                                lr_first=1.0 / sg ** 2, max_climb=capped_climb if capped else 0.0,
                                curve=_made_curve(cfg["max_steps"] if capped else 1000, 1e-3 if capped else 1e-6),
                                pred_nn=[float(v) for v in nn], pred_lin=[float(v) for v in lin]))
    return out


def test_initialization_rules_on_made_records():
    """initialization's next13 rules on records made to order: the laziness row judges Lemma 1's
    function distance per σ against a control (each net against the next θ₀'s linearization),
    leaving out the σ where that control passes too; a both-capped seed whose small-σ run
    trained longer and stands far higher counts as slower; the f_int row reads premise not met
    where the small-σ runs are unusable and left their linearization, too few runs (naming the
    cap) where they did not, judged against the linearization trained the run's own steps; the
    slope row reads premise not met on nets that are not lazy, on 2L or off it."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, _made_initialization(cfg))}
    lazy = rows["L = 2: the nets trained to equal loss are close to their linearizations"]
    # next30-b: judged on the test losses against their control; these made nets' θ₀ all test alike (the
    # initialization term's RMS is the same for every θ₀), so the control lies inside the factor at every σ
    assert lazy.verdict.startswith("inconclusive: another θ₀'s linearization tests within the factor 2 too at every "
                                   "σ"), lazy
    assert "not judged" in lazy.measured
    far = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, _made_initialization(cfg, own=0.3))}
    far_lazy = far["L = 2: the nets trained to equal loss are close to their linearizations"]
    assert "each net nearest its own f_lin in 5 of 5" in far_lazy.measured, far_lazy
    # next19: the σ-scaling row judges the slope on lazy nets only, whichever way it falls (next16 let a slope on 2L
    # count on nets that are not lazy; the reviews of next18's runs found that gate lopsided)
    slope = far["L = 2: at large σ the trained net's test loss grows like σ^(2L)"]
    assert slope.verdict.startswith("inconclusive: premise not met (not lazy") and "is on 2L" in slope.verdict, slope
    assert rows["L = 2: at large σ the trained net's test loss grows like σ^(2L)"].verdict == "reproduced"
    # next18: a slope off 2L (a test loss growing like σ²) is evidence against Thm 2 only on lazy nets (000 Fig. 2's);
    # on nets that are not lazy it is premise not met
    slope_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[  # noqa: E731
        "L = 2: at large σ the trained net's test loss grows like σ^(2L)"]
    assert slope_of(_made_initialization(cfg, power=1, scale=0.2)).verdict == "not reproduced"
    off = slope_of(_made_initialization(cfg, own=0.3, power=1, scale=0.2))
    assert off.verdict.startswith("inconclusive: premise not met (not lazy: median ‖f_NN − f_lin‖/‖f_lin‖"), off
    # the small-σ runs: σ = 0.5 capped (unusable) with its kernel moved 40 %. next18: the premise is read on
    # Lemma 1's distance over the runs made — lazy there, the row is short of runs and names the cap; far from
    # f_lin, premise not met
    recs = _made_initialization(cfg, capped_small=True, moved=1.4)
    cfg1 = {**cfg, "sigmas": [s for s in cfg["sigmas"] if s != 1.0]}
    f_int_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg1, recs)}[  # noqa: E731
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    f_int = f_int_of([r for r in recs if r["sigma"] != 1.0])
    assert f_int.verdict.startswith("inconclusive: only 0 of 5 runs usable"), f_int
    assert "5 of the 5 small-σ runs made stopped at the cap of 20000 steps, up to 100× the tolerance" in f_int.verdict
    far_recs = [r for r in _made_initialization(cfg, own=0.3, capped_small=True, moved=1.4) if r["sigma"] != 1.0]
    f_int = f_int_of(far_recs)
    assert f_int.verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime over the 5 small-σ runs "
                                    "made (0 usable: too few to judge): the nets leave their linearization"), f_int
    assert "stopped at the cap of" in f_int.verdict, f_int
    # next19: the capped nets are compared with f_lin trained the same steps at the same η — near f_lin's t → ∞
    # limit but 0.2 from where their linearization stands at the cap, they are outside the kernel regime
    behind = [r for r in _made_initialization(cfg, capped_small=True, moved=1.4, capped_from_lin_t=0.2)
              if r["sigma"] != 1.0]
    f_int = f_int_of(behind)
    # next29-g: per σ with its standard error (was a median pooled over σ, without error)
    assert ("the nets leave their linearization: median ‖f_NN − f_lin,t‖/‖f_lin,t‖ above 0.1 by more than its "
            "standard error at σ = 0.5: 0.200 ± 0") in f_int.verdict, f_int
    # next22: a premise value is printed with the digits that tell it from its edge (next21: "0.1 (> 0.1)")
    edge = f_int_of([dict(r, lin_T_distance=0.1004) if r["status"] == "max_steps" else r for r in behind])
    assert "at σ = 0.5: 0.1004 ± 0 (" in edge.verdict, edge
    # next22: the training loss f_NN / f_lin,t is reported, not judged (next21 judged it ≤ 2; a review found it 2.83
    # on converged, lazy bump nets and 4·10³–10⁶ on converged, lazy σ = 2 nets): capped nets near f_lin,t with
    # a stable step but 500× its training loss are short of steps, not outside Lemma 1's regime
    stuck = [r for r in _made_initialization(cfg, capped_small=True, moved=1.4, capped_above_lin_t=500.0)
             if r["sigma"] != 1.0]
    f_int = f_int_of(stuck)
    assert f_int.verdict.startswith("inconclusive: only 0 of 5 runs usable"), f_int
    assert "median training loss f_NN / f_lin,t 500" in f_int.measured and "not judged" in f_int.measured, f_int
    no_dist = [{k: v for k, v in r.items() if k != "lin_T_distance"} for r in stuck]
    assert "‖f_NN − f_lin,t‖ not recorded" in f_int_of(no_dist).verdict, f_int_of(no_dist)
    # next22: Lemma 1's "η small enough" is max_climb ≤ 10⁻³: capped nets near f_lin,t whose loss oscillated are
    # outside its regime (next21: too few runs), and their λ_max ratio, read at the stability edge, is reported as
    # η·λ_max(K_T)/N (1.9 × 1.4 here), not in the kernel-movement median
    wobbly = [r for r in _made_initialization(cfg, capped_small=True, moved=1.4, capped_climb=4.0)
              if r["sigma"] != 1.0]
    f_int = f_int_of(wobbly)
    assert f_int.verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime over the 5 small-σ runs "
                                    "made (0 usable: too few to judge): η not small enough: 5 of 5 runs' loss climbed "
                                    "more than 0.001 above its least so far (needs none; median max_climb 4.00)"), f_int
    assert "the 5 others oscillated and end at η·λ_max(K_T)/N median 2.66" in f_int.measured, f_int
    # over the judged runs where enough are usable: σ = 0.5 and 1 converged and lazy (σ = 2 is not small here);
    # the band holds with a stable step, and the same nets with an oscillating step are outside Lemma 1's regime
    ok_recs = _made_initialization(cfg)
    row = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, ok_recs)}[
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert row.verdict == "reproduced" and "premise over the 10 usable small-σ runs the row judges" in row.measured, row
    shaky = [dict(r, max_climb=0.04) if r["sigma"] <= 1.0 else r for r in ok_recs]
    row = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, shaky)}[
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert row.verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime over the 10 usable small-σ "
                                  "runs the row judges: η not small enough"), row
    # pre-run review of next22: Lemma 1 needs every judged net's step small enough, not the median's: 4 of the 10
    # oscillating (median max_climb 0) is outside its regime (next22 as registered read the median: reproduced)
    some = [dict(r, max_climb=0.04) if r["sigma"] == 0.5 and r["seed"] != cfg["seeds"][0] else r for r in ok_recs]
    row = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, some)}[
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert row.verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime over the 10 usable small-σ "
                                  "runs the row judges: η not small enough: 4 of 10 runs' loss climbed"), row
    # no run oscillated: said so, not "η·λ_max(K_T)/N median nan"
    row = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, ok_recs)}[
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert "none oscillated" in row.measured and "median nan" not in row.measured, row


def test_initialization_slowness_at_equal_training_loss():
    """next22: "too small a σ trains slowly" (000 Sect. 3) per seed at the least training loss both
    runs' recorded curves reach, by the time η·t to first reach it; a run capped while oscillating
    counts on its curve (next21 left its seed out: every σ = 0.5 run at the papers' rate); an
    order within the curves' spacing is a tie."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    slow_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[  # noqa: E731
        "L = 2: too small a σ trains slowly"]
    # σ = 0.5 capped at 10⁻³ while oscillating, after η·t = 4·20000; σ = 2 there after 0.25·500
    recs = _made_initialization(cfg, capped_small=True, capped_climb=4.0)
    slow = slow_of(recs)
    assert slow.verdict == "reproduced", slow
    assert "longer at σ = 0.5 in 5, shorter in 0, tied within the curves' spacing in 0 of 5 seeds" in slow.measured
    assert "5 run(s) at σ = 0.5 stopped at the cap of 20000 steps (5 of them oscillating)" in slow.measured, slow
    assert "0.001 … 0.001" in slow.measured, slow  # the common level: the capped run's least loss
    # σ = 0.5 at η = 0.001: it reaches 10⁻⁶ after η·t = 1, σ = 2 after 250
    fast = [dict(r, lr=0.001) if r["sigma"] == 0.5 else r for r in _made_initialization(cfg)]
    assert slow_of(fast).verdict == "not reproduced", slow_of(fast)
    # σ = 0.5 at 1.01× σ = 2's η·t: within the curves' spacing, a tie in every seed
    even = [dict(r, lr=0.25 * 1.01) if r["sigma"] == 0.5 else r for r in _made_initialization(cfg)]
    tie = slow_of(even)
    assert tie.verdict.startswith("inconclusive: no difference in 5 of 5 seeds"), tie
    # a diverged run leaves its seed out
    gone = [dict(r, status="diverged") if r["sigma"] == 0.5 and r["seed"] == cfg["seeds"][0] else r for r in recs]
    assert "seeds left out: 1 (diverged)" in slow_of(gone).measured, slow_of(gone)
    # pre-run review of next22: σ = 0.5 (η = 4) falls to 10⁻² by step 5, climbs to 0.1 and oscillates down to its
    # least 10⁻³ only at the cap; σ = 2 (η = 0.25) falls steadily to 10⁻⁶ by step 1000. Each curve up to its first
    # climb: the common level is 10⁻², reached at η·t = 20 against 0.25·334 — shorter at σ = 0.5, the oscillation's
    # time no longer counted as vanishing gradients' (next22 as registered: level 10⁻³ at η·t = 8·10⁴, reproduced)
    def wobble(r):
        steps = r["curve"]["step"]
        loss = [10.0 ** (-2 * t / 5) if t <= 5 else 0.1 * 0.01 ** ((t - 6) / (20000 - 6)) for t in steps]
        return dict(r, curve=dict(step=steps, train_loss=loss))
    osc = [wobble(r) if r["sigma"] == 0.5 else r for r in recs]
    row = slow_of(osc)
    assert row.verdict == "not reproduced", row
    assert "cut there at σ = 0.5 in 5, at σ = 2 in 0" in row.measured and "0.01 … 0.01" in row.measured, row


def test_initialization_comparison_names_no_sigma_without_enough_seeds():
    """next22: where no σ has ≥ 5 seeds usable at both it and the largest σ, the σ-comparison row
    names none and is inconclusive with the counts (next21 named the smallest σ, "0 of 0 seeds")."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    recs = [dict(r, status="max_steps") if r["sigma"] == 16.0 and r["seed"] == cfg["seeds"][0] else r
            for r in _made_initialization(cfg)]
    row = [c for c in exp.claims(cfg, recs) if c.claim.startswith("L = 2: the test loss is higher at σ =")][0]
    assert row.claim.startswith("L = 2: the test loss is higher at σ = 16 than at a smaller σ (none has ≥ 5"), row
    assert row.verdict == "inconclusive: no σ below 16 has ≥ 5 seeds usable at both it and σ = 16 (at most 4 of 5)"
    assert "σ = 0.5: 4, σ = 1: 4, σ = 2: 4, σ = 4: 4, σ = 8: 4" in row.measured, row
    row = [c for c in exp.claims(cfg, _made_initialization(cfg))
           if c.claim.startswith("L = 2: the test loss is higher at σ =")][0]
    assert row.claim.startswith("L = 2: the test loss is higher at σ = 16 than at σ = 0.5") and row.verdict == "reproduced"


def test_bump_f_int_premise_is_lemma_1s_regime():
    """next22, bump (which inherits initialization's rows): the f_int premise is Lemma 1's regime
    over the judged runs — a training loss 3× f_lin,t's on converged, lazy nets (a review of
    320–327 found 2.83) does not fail it where too few are usable; an oscillating step does."""
    name = "bump"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    assert cfg["seeds"] == list(range(650, 658))
    f_int_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[  # noqa: E731
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    recs = [dict(r, lin_T_train_loss=r["train_loss"] / 3) for r in _made_initialization(cfg)]
    assert f_int_of(recs).verdict == "reproduced", f_int_of(recs)
    # σ = 1's runs and one σ = 0.5 run capped (too few usable): every small-σ net, converged or capped, lazy at a
    # stable step and 3× f_lin,t's training loss, is inside Lemma 1's regime (next21: premise not met)
    few = [dict(r, status="max_steps", train_loss=1e-3, lin_T_train_loss=1e-3 / 3)
           if r["sigma"] == 1.0 or (r["sigma"] == 0.5 and r["seed"] == cfg["seeds"][0]) else r for r in recs]
    assert f_int_of(few).verdict.startswith("inconclusive: only 7 of 16 runs usable"), f_int_of(few)
    assert "inside Lemma 1's regime over the 16 small-σ runs made" in f_int_of(few).verdict, f_int_of(few)
    shaky = [dict(r, max_climb=0.04) if r["sigma"] <= 1.0 else r for r in recs]
    assert f_int_of(shaky).verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime"), \
        f_int_of(shaky)


def test_bump_slope_premise_reads_each_sigma_in_the_window_with_its_error():
    """next23, bump: the σ^(2L) slope row's laziness premise is read per σ in the window, each σ's
    median ‖f_NN − f_lin‖/‖f_lin‖ with its standard error — premise not met where a σ is above
    LAZY by more than its error, premise undecided where it straddles LAZY, judged where every σ
    is within it. next22 pooled the window (a review of 330–337: pooled 0.075 passed, σ = 8's own
    median 0.104 ± 0.023); here pooled 0.021 passes either way. The laziness row already reads each
    σ with its error (inconclusive where it straddles)."""
    name = "bump"
    assert experiments.resolve_config(name, "standard")["seeds"] == list(range(650, 658))
    # the made records depend on the seeds: fixed here (the numbers below), not the preset's
    cfg = {**experiments.resolve_config(name, "standard"), "seeds": list(range(600, 608))}
    exp = REGISTRY[name]

    def rows(at_8, power=2):
        made = _made_initialization(cfg, scale=0.2 if power == 2 else 0.5, power=power)
        made = [dict(r, lin_distance=at_8[r["seed"] - cfg["seeds"][0]]) if r["sigma"] == 8.0 else r for r in made]
        out = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, made)}
        return (out["L = 2: at large σ the trained net's test loss grows like σ^(2L)"],
                out["L = 2: the nets trained to equal loss are close to their linearizations"])

    slope, lazy = rows([0.01] * 8)   # slope window σ ∈ [2, 4, 8], the other nets 0.021 from their f_lin
    assert slope.verdict == "reproduced", slope
    assert "σ ∈ [2.0, 4.0, 8.0]" in slope.measured and "σ = 8: 0.01 ± 0 (lazy; 8 of 8, above 0.1 in 0)" in slope.measured, slope
    slope, lazy = rows([0.12, 0.13, 0.14, 0.15, 0.15, 0.16, 0.17, 0.2])
    assert slope.verdict == ("inconclusive: premise not met (not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ at σ = 8: 0.15 ± "
                             "0.011, above 0.1 by more than its standard error; the median + error would fall to 0.1 at every "
                             "σ in the window from m ≈ 26000, if the distance falls like Lemma 1's O(1/√m) bound, from the "
                             "largest median + error of a σ not shown lazy, 0.161 at m = 10000: m·((median + error)/0.1)², "
                             "an extrapolation, not a run) (the window's nets; their slope 3.99 is on 2L)"), slope
    # the pooled reading, labelled as not this row's premise (pre-run review of next23: it read "lazy:")
    assert "pooled over the window, not judged here: median ‖f_NN − f_lin‖/‖f_lin‖ on the test set 0.0" in slope.measured
    assert "; lazy: median" not in slope.measured and "; not lazy: median" not in slope.measured, slope
    slope, lazy = rows([0.06, 0.08, 0.095, 0.10, 0.105, 0.11, 0.12, 0.14])
    # next25: a σ that straddles needs the width too: 10000·((0.103 + 0.011)/0.1)² (the pre-run review of next25)
    assert slope.verdict == ("inconclusive: premise undecided (median ‖f_NN − f_lin‖/‖f_lin‖ against 0.1 at σ = 8: "
                             "0.103 ± 0.011 straddles 0.1; the median + error would fall to 0.1 at every σ in the window "
                             "from m ≈ 12900, if the distance falls like Lemma 1's O(1/√m) bound (an extrapolation, not a "
                             "run)) (the window's nets; their slope 3.99 is on 2L)"), slope
    # the laziness row names the same width from the same median + error
    assert lazy.measured.endswith("; falling like Lemma 1's O(1/√m) bound, the distance's median + error would be ≤ 0.1 "
                                  "at σ = 8 from m ≈ 12900 (an extrapolation, not a run)"), lazy.measured
    # next30-b: the laziness row no longer judges the function distance (printed beside)
    assert "‖f_NN − f_lin‖/‖f_lin‖ 0.103 ± 0.011" in lazy.measured, lazy
    # every σ lazy and the slope off 2L (the test loss growing like σ²): judged, not reproduced
    slope, _ = rows([0.01] * 8, power=1)
    assert slope.verdict == "not reproduced", slope


def test_initialization_slope_premise_per_sigma_names_the_width_it_needs():
    """next24: initialization's σ^(2L) slope rows read their laziness premise per σ in the window, each
    median with its standard error (next22/23 pooled the window: here pooled 0.021 passes while σ = 16's
    own median is 0.15), in the one place bump uses too (bump restates nothing and looks up no row by its
    claim text); where a σ is not lazy the row names the width Lemma 1's O(1/√m) extrapolates to."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    assert cfg["seeds"] == [650, 651, 652, 653, 654]
    exp = REGISTRY[name]
    slope_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[  # noqa: E731
        "L = 2: at large σ the trained net's test loss grows like σ^(2L)"]
    lazy = _made_initialization(cfg)
    assert slope_of(lazy).verdict == "reproduced", slope_of(lazy)
    far = [dict(r, lin_distance=[0.13, 0.14, 0.15, 0.16, 0.17][r["seed"] - cfg["seeds"][0]]) if r["sigma"] == 16.0 else r
           for r in lazy]
    row = slope_of(far)
    assert row.verdict.startswith("inconclusive: premise not met (not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ at σ = 16: "
                                  "0.15 ± 0.0089, above 0.1 by more than its standard error; the median + error would fall "
                                  "to 0.1 at every σ in the window from m ≈ 10100, if the distance falls like Lemma 1's "
                                  "O(1/√m) bound, from the largest median + error of a σ not shown lazy, 0.159 at "
                                  "m = 4000"), row
    assert "σ = 16: 0.15 ± 0.0089 (not lazy; 5 of 5, above 0.1 in 5)" in row.measured, row
    assert "pooled over the window, not judged here: median" in row.measured, row
    straddle = [dict(r, lin_distance=[0.07, 0.09, 0.1, 0.11, 0.13][r["seed"] - cfg["seeds"][0]]) if r["sigma"] == 16.0 else r
                for r in lazy]
    assert slope_of(straddle).verdict.startswith("inconclusive: premise undecided (median ‖f_NN − f_lin‖/‖f_lin‖ "
                                                 "against 0.1 at σ = 16: 0.1 ± 0.013 straddles 0.1; the median + error would fall to "
                                                 "0.1 at every σ in the window from m ≈ 5100"), slope_of(straddle)
    # bump judges by these rules, not a restatement that finds the row by its text
    from fastntk.experiments.bump import Bump
    assert "claims" not in vars(Bump) and Bump.claims is type(exp).claims


def test_initialization_laziness_widths_per_sigma_name_the_sigma_left_out():
    """next27 (the review of 390–394): the laziness row's needed width is given per σ not lazy,
    the σ whose usable runs are too few to say are named (was one width for "every σ", leaving
    σ ≤ 1 out unsaid), and such a σ feeds no maximum in the slope row either (L = 3 σ = 2 on two
    runs had set it)."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    recs = [dict(r, lin_distance=0.15 + 0.01 * (r["seed"] - cfg["seeds"][0])) if r["sigma"] == 16.0 else r
            for r in _made_initialization(cfg, capped_small=True)]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}
    lazy = rows["L = 2: the nets trained to equal loss are close to their linearizations"]
    assert lazy.measured.endswith("the distance's median + error would be ≤ 0.1 at σ = 16 from m ≈ 12800 (an "
                                  "extrapolation, not a run); too few usable runs to say at σ = 0.5 (0 of 5 usable)"), lazy
    # a window σ with too few usable runs: named in the slope row's premise and kept out of its maximum
    two = [dict(r, status="max_steps") if r["sigma"] == 8.0 and r["seed"] not in cfg["seeds"][:2] else r for r in recs]
    slope = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, two)}[
        "L = 2: at large σ the trained net's test loss grows like σ^(2L)"]
    assert "at every σ in the window but σ = 8 (too few usable runs) from m ≈ 12800" in slope.verdict, slope


def test_initialization_slowness_needs_an_effect_above_the_seed_spread():
    """next24 (the audit of issue 25): the slowness row's sign test takes the seed-to-seed spread of
    the log time ratios as its floor (was none): 5 of 5 seeds slower at σ = 0.5 by log ratios 0.5–9,
    median 0.7 below their spread 3.93, is inconclusive; with equal ratios it is reproduced."""
    import math
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    slow_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[  # noqa: E731
        "L = 2: too small a σ trains slowly"]
    x = dict(zip(cfg["seeds"], [0.5, 0.6, 0.7, 6.0, 9.0]))
    recs = [dict(r, lr=0.25 * math.exp(x[r["seed"]])) if r["sigma"] == 0.5 else r for r in _made_initialization(cfg)]
    row = slow_of(recs)
    assert row.verdict.startswith("inconclusive: the claimed sign in 5 of 5 seeds (p = 0.0312), but the median "
                                  "effect 0.7 is below the seed-to-seed spread 3.93"), row
    assert "seed spread of the log ratios 3.93" in row.measured, row
    even = [dict(r, lr=0.25 * math.exp(2.0)) if r["sigma"] == 0.5 else r for r in _made_initialization(cfg)]
    assert slow_of(even).verdict == "reproduced", slow_of(even)


def test_initialization_laziness_row_judges_the_figures_reading_against_its_control():
    """next30-b (a pre-run review of next30, after an audit of issue 25): the laziness row judges the
    figures' own reading, the test losses of f_NN and f_lin (002 Fig. 1: "Both curves are very close"),
    per σ the median ∣log₂(test loss ratio)∣ within log₂ 2 with its error, deciding only where its
    control — each net's test loss against the next θ₀'s f_lin's, recomputed here — lies outside it;
    Lemma 1's function distance against 0.1 is printed beside (it judged the row, and read not
    reproduced on a number neither paper gives)."""
    import math
    import statistics
    cfg = {**experiments.resolve_config("initialization", "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY["initialization"]
    spread_out = {s: 3.0 ** k for k, s in enumerate(cfg["seeds"])}  # θ₀ testing a factor 3 apart

    def row(ratio):
        ratio = ratio if isinstance(ratio, dict) else dict.fromkeys(cfg["seeds"], ratio)
        recs = [dict(r, test_loss_lin=r["test_loss_lin"] * spread_out[r["seed"]],
                     test_loss_nn=r["test_loss_lin"] * spread_out[r["seed"]] * ratio[r["seed"]])
                for r in _made_initialization(cfg)]
        return recs, {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[
            "L = 2: the nets trained to equal loss are close to their linearizations"]

    recs, close = row(1.1)
    assert close.verdict == "reproduced", close
    assert "the figures give none" in close.paper and "printed beside, not judged" in close.paper, close.paper
    at = [r for r in recs if r["sigma"] == 8.0]
    # next30-d: the mean over every ordered pair of distinct θ₀, with its jackknife error over θ₀
    ctl = statistics.mean(abs(math.log2(r["test_loss_nn"] / o["test_loss_lin"])) for r in at for o in at
                          if o["seed"] != r["seed"])
    assert f"σ = 8: 0.14 ± 0, control {ctl:.2f} ± " in close.measured, close.measured
    assert "(the net testing better in 0 of 5; beyond the factor in 0)" in close.measured, close.measured
    # a control outside the factor by less than its error: that σ is not decided (next30-c, as the f_int row)
    near = dict(zip(cfg["seeds"], [1.0, 2.2, 4.8, 1.0, 2.2]))  # control 1.16 ± 0.4
    recs_near = [dict(r, test_loss_lin=r["test_loss_lin"] * near[r["seed"]],
                      test_loss_nn=r["test_loss_lin"] * near[r["seed"]] * 1.1) for r in _made_initialization(cfg)]
    undecided = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs_near)}[
        "L = 2: the nets trained to equal loss are close to their linearizations"]
    assert undecided.verdict.startswith("inconclusive: another θ₀'s linearization tests within the factor 2 too at "
                                        "every σ"), undecided
    assert "σ = 16: 0.14 ± 0, control 1.16 ± 0.4 (" in undecided.measured, undecided.measured
    _, apart = row(3.0)   # every net tests 3× its own f_lin: beyond the factor whatever the control
    assert apart.verdict.startswith("not reproduced: beyond the factor 2 at σ ∈ [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]"), apart
    # a straddling σ leaves the row undecided
    _, edge = row(dict(zip(cfg["seeds"], [1.6, 1.8, 2.0, 2.2, 2.4])))
    assert edge.verdict.startswith("inconclusive: σ = 0.5: 1 ± 0.13 (standard error) straddles"), edge


def test_initialization_f_int_states_the_judged_runs_premise_and_the_edge_side():
    """next24: where too few small-σ runs are usable and the premise, read over every small-σ run
    made, fails through the capped ones, the verdict states the usable runs' own premise beside it (a
    review of 330–334: the 5 judged σ = 2 runs met it unsaid); oscillating runs' η·λ_max(K_T)/N is
    printed to the digits that show its side of the stability edge 2 (next22: "median 2")."""
    name = "initialization"
    # the made records depend on the seeds: fixed here, not the preset's (they move with every rerun)
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000], "seeds": [600, 601, 602, 603, 604]}
    cfg1 = {**cfg, "sigmas": [s for s in cfg["sigmas"] if s != 1.0]}
    exp = REGISTRY[name]
    f_int_of = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg1, recs)}[  # noqa: E731
        "L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    behind = [r for r in _made_initialization(cfg, capped_small=True, capped_from_lin_t=0.2) if r["sigma"] != 1.0]
    calm = {r["seed"]: r for r in _made_initialization(cfg) if r["sigma"] == 0.5}
    two = [calm[r["seed"]] if r["sigma"] == 0.5 and r["seed"] in cfg["seeds"][:2] else r for r in behind]
    row = f_int_of(two)
    assert row.verdict.startswith("inconclusive: premise not met (outside Lemma 1's regime over the 5 small-σ runs "
                                  "made (2 usable: too few to judge): the nets leave their linearization"), row
    # next29-g: the distance per σ with its error; where each σ has too few runs alone, pooled, with the median's
    # error — two runs cannot show it (within's count), so "undecided" (was "inside" on a bare median)
    assert row.verdict.endswith("; the 2 usable small-σ runs alone (too few to judge): undecided on Lemma 1's regime "
                                "(max_climb above 0.001 in 0 of 2 runs (needs none; median 0.00), median "
                                "‖f_NN − f_lin,t‖/‖f_lin,t‖ per σ (± standard error) pooled over the σ, each too few "
                                "alone (σ = 0.5 (2 of 2 recorded)): 0.0214 ± 0.00053 against 0.1 (f_lin trained the "
                                "run's own steps at its η, training and test inputs); beside it, not judged, median "
                                "training loss f_NN / f_lin,t 1)"), row
    # next25: the distance's failure names the width an O(1/√m) extrapolation needs; next28: per small σ from its
    # median + standard error (0.2 ± 0.055 at m = 4000 → 26000), the largest the row's
    assert ("standard error at σ = 0.5: 0.200 ± 0.055 (falling like Lemma 1's O(1/√m) bound, each σ's median + "
            "standard error would reach 0.1 by m ≈ 26000 (an extrapolation from m = 4000, not a run), the largest of "
            "σ = 0.5: 0.2 ± 0.055 at m ≈ 26000)") in row.verdict, row
    # η·λ_max(K_T)/N = 1.9 × 2.0042/1.9: 3 significant digits would print "2"
    edge = [r for r in _made_initialization(cfg, capped_small=True, moved=2.0042 / 1.9, capped_climb=4.0)
            if r["sigma"] != 1.0]
    row = f_int_of(edge)
    assert "the 5 others oscillated and end at η·λ_max(K_T)/N median 2.004 (2.004 … 2.004; above the edge 2 in 5 " \
           "of 5, below it in 0)" in row.measured, row


def test_initialization_quick_summary_says_how_it_differs_from_standard():
    """next24 (the audit of issue 25): the quick preset's summary says how (data, N, widths, cap,
    seeds) and why its verdicts can differ from the standard run's; the standard's does not."""
    exp = REGISTRY["initialization"]
    quick = experiments.resolve_config("initialization", "quick")
    text = "\n".join(exp.summary(quick, _made_initialization(quick)))
    assert ("This is the quick preset, a smoke run on 2 cores, not the standard run: data the bundled 8×8 digits 0 vs 1 "
            "(d = 64, UCI via scikit-learn) (standard: MNIST 0 vs 1 (d = 784)); N (training points) 50 (standard: "
            "100); widths by depth [2, 3] [1000, 300] (standard: [4000, 500])") in text, text
    assert "L = 2: m = 1000 here, 4000 in 000 Fig. 2" in text and "e.g. L = 3's" in text, text
    std = experiments.resolve_config("initialization", "standard")
    assert "quick preset" not in "\n".join(exp.summary(std, _made_initialization(std)))


def test_stochastic_fig10_observation_and_mechanism_rows():
    """stochastic's two Fig. 10 rows on records made to order. The observation (SGD's nets near
    GD's, full-batch AdaGrad's beyond the band) is judged without a premise, at the swept width.
    The mechanism — in the infinite-width limit AdaGrad's net differs from GD's as their linear
    models do, up to Eq. (7)'s O(1/√m) — is judged over the trend widths only (next23-b), l_GD
    GD's closed-form limit kept with its net, as an O(1/√m) rate (the pre-run review of next23-b):
    the log-log slope of the mean e ≤ −½ + 0.2 by more than its jackknife error, _rate's reading
    (8423c12's per-θ₀ e/p slopes by a signed-rank test read each case below otherwise); e/p's and
    p's slopes and each seed's η beside; a seed whose AdaGrad runs do not share one η across the
    widths is left out (Thm 3 / Thm 7 hold η fixed); it needs Thm 7's regime, the judged nets lazy
    at three widths, and prints the premise's own laziness per width."""
    import numpy as _np
    name = "stochastic"
    cfg = experiments.resolve_config(name, "standard")
    assert cfg["trend_widths"] == [4000, 8000, 16000] and cfg["seeds"] == [590, 591, 592, 593, 594]
    exp = REGISTRY[name]
    rng = _np.random.default_rng(0)
    b = rng.standard_normal(30)
    common = {s: rng.standard_normal(30) for s in cfg["seeds"]}
    effect = {s: 0.1 * rng.standard_normal(30) for s in cfg["seeds"]}
    wild = {s: 0.05 * rng.standard_normal(30) for s in cfg["seeds"]}

    def made(job, depart, power, p_power=0.0, gd_power=0.0, gd_flat=0.0):
        s, lin, w = job["seed"], job["model"] == "linearized", job["width"]
        pw = power[s] if isinstance(power, dict) else power
        # l: the run's linear model's prediction; a net departs from it by the AdaGrad-only term (full batch) and
        # a common term of RMS depart·(m/2000)^gd_power, which cancels in e and is the GD nets' whole remainder
        ell = b.copy()
        if job["optimizer"] == "adagrad" and job["ratio"] == 1.0:
            # the linear models' difference scales like m^p_power, the AdaGrad nets' own departure like m^power
            ell = ell + effect[s] * (w / 4000) ** p_power
        elif job["optimizer"] == "adagrad":
            ell = ell + 1.5 * effect[s]
        f = ell.copy()
        scale = depart * (w / 2000) ** gd_power
        if not lin:
            if job["optimizer"] == "adagrad" and job["ratio"] == 1.0:
                f = f + wild[s] * (w / 2000) ** pw * (1 + 0.1 * (s % 3))
            f = f + scale * common[s] / _np.sqrt(_np.mean(common[s] ** 2))
            if job["optimizer"] == "sgd" and job["ratio"] == 1.0:
                f = f + gd_flat * wild[s] / _np.sqrt(_np.mean(wild[s] ** 2))  # GD's own, width-free departure
        extra = dict(lin_pred=[float(v) for v in b]) if not lin and job["optimizer"] == "sgd" else {}
        if not lin and job["optimizer"] == "adagrad":
            extra.update(d_drift=drift_of[0](job), d_left_out=7)  # Thm 3's premise (next29)
        return dict(job, status="converged", steps=1000, train_loss=1e-10 if lin else 1e-6, lr=0.1, retries=0,
                    test_pred=[float(v) for v in f], test_loss=0.5 * float(_np.mean((f - b) ** 2)) + 0.01,
                    lin_rms=0.0 if lin else float(_np.sqrt(_np.mean((f - ell) ** 2))),
                    lin_distance=0.0 if lin else scale, kernel_ratio=1.0, **extra)

    drift_of = [lambda job: 0.05]  # D_t concentrated unless a case below says otherwise

    def rows(recs):
        out = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}
        return (out["the nets' test outputs deviate from GD's: mini-batch SGD's little, full-batch AdaGrad's more"],
                out["AdaGrad's net differs from GD's as their linear models do, in the infinite-width limit: each net "
                    "departs from its own linear model by O(1/√m)"])

    jobs = exp.jobs(cfg)
    # The trend widths train GD's net (its record keeps l_GD in closed form) and AdaGrad's net and linear model.
    assert not [j for j in jobs if j["width"] in cfg["trend_widths"] and j["model"] == "linearized"
                and j["optimizer"] == "sgd"]
    assert len([j for j in jobs if j["width"] == 16000]) == 3 * len(cfg["seeds"])
    seen, how = rows([made(j, 0.3, -0.5) for j in jobs])
    assert seen.verdict == "reproduced" and "(σ = 4, m = 2000)" in seen.claim, seen
    assert how.verdict.startswith("inconclusive: premise not met (the judged nets lazy at 0 of 3 widths"), how
    assert "m = 4000, 8000, 16000, full batch, AdaGrad at one η per θ₀" in how.claim, how.claim
    # next25 (the audit of issue 25): the network rows' premise — each pair's farther net closer to its
    # linearization than the linear model's batch-size effect — names, where it fails, the width an O(1/√m)
    # distance would need, from the widest swept width: m·(distance/effect)²
    far = [dict(r, lin_rms=0.6) if r["model"] == "network" else r for r in (made(j, 0.05, -0.5) for j in jobs)]
    verdict, _ = exp._regime(exp._swept(cfg, far), cfg["tol"])
    assert verdict.startswith("inconclusive: premise not met (per pair the farther net's distance"), verdict
    # the effect here: linearized AdaGrad's mini-batch runs at 1.5·effect[s], full batch at effect[s] (RMS ≈ 0.1):
    # 0.5·0.1 apart; 2000·(0.6/0.0499)² = 289,170
    assert ("is not below the batch-size effect the linear model predicts, 0.0499; if the effect held at its m = 2000 "
            "value 0.0499, the farther nets' median there, 0.6, falling like Thm 1's O(1/√m) bound would reach it at "
            "m ≈ 289200 (an extrapolation, not a run; the effect is measured at the swept widths only and may fall "
            "with m, as the linear models' AdaGrad–GD difference does across the trend widths, which would put the "
            "width higher))") in verdict, verdict
    rows_ = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, far)}
    for claim in ("SGD-trained nets have basically the test loss of GD-trained ones, for batch sizes 0.1, 0.2, 0.5·N, "
                  "with or without shuffling", "network: with AdaGrad the test loss depends on the batch size, more "
                  "than with SGD"):
        assert rows_[claim].verdict == verdict, rows_[claim]
    assert "judged nets' median ‖f_NN − f_lin‖/‖f_lin‖ GD 0.3" in how.measured, how
    assert ("(log-log slope of the mean ≤ -0.5 + 0.2 by more than its jackknife error over θ₀)" in how.paper
            and "the AdaGrad nets' distance from their linear models (Thm 7) and the GD nets' from theirs (Lemma 1)"
            in how.paper), how.paper
    # next25 (the review of 360–364: e is mostly GD's net's departure, so e's rate could not catch a failure of Thm 7):
    # both nets' own remainders are judged as O(1/√m) rates, e's slope and the e/p level beside. Both falling like
    # m^−½, p flat: e/p falls, reproduced.
    seen, how = rows([made(j, 0.005, -0.5, 0.0, gd_power=-0.5) for j in jobs])
    assert seen.verdict == "reproduced" and how.verdict == "reproduced", how
    assert ("judged, over the lazy widths [4000, 8000, 16000] (log-log slopes of the means, jackknife over the θ₀ "
            "with one AdaGrad η and a usable quadruple at each, 5): the AdaGrad nets' RMS distance from their linear "
            "models (Thm 7's remainder; l_A the linearized run e reads) -0.50 ± 0.00 (5 θ₀); the GD nets' from GD's "
            "closed-form limit (Lemma 1's) -0.50 ± 0.00 (5 θ₀;") in how.measured, how.measured
    assert "beside them, not judged: e's slope -0.50 ± 0.00 (e is at most their sum)" in how.measured, how.measured
    # the level comes first in the cell (the pre-run review of next25-b: it sat 1,500 characters in)
    assert how.measured.startswith("the level first: e/p, the nets' difference's departure from the linear models' "
                                   "relative to that difference, has its median over the judged θ₀ above ½ at 0 of 3 "
                                   "lazy widths"), how.measured
    assert "e/p's slope -0.50 ± 0.00 (the row's premise: not rising beyond its error)" in how.measured, how.measured
    # Both remainders like m^−½ but p like m^−0.6: e/p rises, so the rates cannot show the nets' difference becoming
    # the linear models' (the pre-run review of next25-b: reproduced before) — inconclusive, premise not met.
    seen, how = rows([made(j, 0.005, -0.5, -0.6, gd_power=-0.5) for j in jobs])
    assert how.verdict.startswith("inconclusive: premise not met (e/p rises with m, slope 0.10 ± 0.00"), how.verdict
    assert "p's own slope -0.60 ± 0.00, p falls as m grows at the fixed η, beyond its error" in how.measured, how
    assert "AdaGrad η per θ₀ (net and linear model, every trend width with a usable quadruple): 590: 0.1; 591: " \
        "0.1" in how.measured, how.measured
    assert "signed-rank" not in how.measured + how.paper, how
    # The AdaGrad nets' own departure flat (Thm 7's remainder not O(1/√m)) while GD's falls: not reproduced, naming
    # Thm 7 — e's rate, next23-b's rule, would read the same here, but below GD's flat remainder hides it from e.
    _, how = rows([made(j, 0.005, 0.0, 0.5, gd_power=-0.5) for j in jobs])
    assert how.verdict == ("not reproduced (the AdaGrad nets' (Thm 7) distance from their linear models falls "
                           "slower than m^(-0.5 + 0.2) beyond its error)"), how.verdict
    assert "p rises as m grows at the fixed η" in how.measured, how.measured
    # GD's remainder flat and large, AdaGrad's falling like m^−½: e (≈ the sum's larger part) would fall slowly,
    # but the row names the rate that fails: Lemma 1's.
    _, how = rows([made(j, 0.005, -0.5, 0.0, gd_power=-0.5, gd_flat=0.05) for j in jobs])
    assert how.verdict == ("not reproduced (the GD nets' (Lemma 1) distance from their linear models falls slower "
                           "than m^(-0.5 + 0.2) beyond its error)"), how.verdict
    assert "the AdaGrad nets' RMS distance from their linear models (Thm 7's remainder; l_A the linearized run e reads) -0.50 ± 0.00" in how.measured
    # both flat: both named
    _, how = rows([made(j, 0.05, 0.0, 0.0, gd_power=0.0) for j in jobs])
    assert how.verdict == ("not reproduced (the AdaGrad nets' (Thm 7) and the GD nets' (Lemma 1) distances from their "
                           "linear models fall slower than m^(-0.5 + 0.2) beyond their errors)"), how.verdict
    # The AdaGrad nets' slope −0.6 … 0 over the seeds, its mean's slope within its jackknife error of the edge
    # −½ + 0.2: inconclusive, naming the undecided rate.
    mixed = dict(zip(cfg["seeds"], [-0.6, 0.0, -0.3, -0.6, 0.0]))
    _, how = rows([made(j, 0.005, mixed, 0.5, gd_power=-0.5) for j in jobs])
    assert how.verdict.startswith("inconclusive: the AdaGrad nets' (Thm 7): inconclusive: "), how.verdict
    assert "straddles the tolerance's edge -0.5 ± 0.2" in how.verdict, how.verdict
    # The premise: three lazy widths, as _rate.MIN_WIDTHS for the package's other O(1/√m) rows (8423c12 judged
    # two: reproduced).
    recs = [made(j, 0.005, -0.5, gd_power=-0.5) for j in jobs]
    _, how = rows([r for r in recs if r["width"] != 8000])
    assert how.verdict.startswith("inconclusive: premise not met (the judged nets lazy at 2 of 3 widths (no usable "
                                  "runs at m = [8000]); a rate needs 3)"), how.verdict
    # One η per θ₀ (Thm 3 / Thm 7 hold η fixed as m grows): a seed whose AdaGrad run at one width was halved leaves
    # the trend, named with its η per width; 4 of 5 seeds still judge.
    halved = [dict(r, lr=0.05) if r["seed"] == 590 and r["width"] == 16000 and r["optimizer"] == "adagrad" else r
              for r in recs]
    _, how = rows(halved)
    assert how.verdict == "reproduced" and "with one AdaGrad η and a usable quadruple at each, 4)" in how.measured, how
    assert "seeds left out, AdaGrad's η not one across the widths: [590]" in how.measured, how.measured
    assert "590: 0.05/0.1; 591: 0.1" in how.measured, how.measured
    # The other rows read the swept width only: the trend widths' full-batch runs do not enter them.
    swept = [r for r in recs if r["width"] in cfg["widths"]]
    full = {c.claim: c for c in exp.claims(cfg, recs)}
    part = {c.claim: c for c in exp.claims(cfg, swept)}
    assert all(full[k] == part[k] for k in part if "infinite-width" not in k)
    # Widths with no usable runs are named as such, not as "not lazy" (pre-run review of next22-c: the row read
    # "not lazy at m = [4000, 8000]" where those widths had no runs at all); the swept width is not in the trend.
    _, how = rows(swept)
    assert how.verdict.startswith("inconclusive: premise not met (the judged nets lazy at 0 of 3 widths (no usable "
                                  "runs at m = [4000, 8000, 16000])"), how.verdict
    assert "not lazy" not in how.verdict, how.verdict
    _, how = rows([made(j, 0.3, -0.5) for j in jobs if j["width"] != 8000])
    assert "not lazy at m = [4000, 16000]; no usable runs at m = [8000]" in how.verdict, how.verdict
    # The paper preset's trend judges three widths too (pre-run review of next23-b: [4000] alone could not).
    assert experiments.resolve_config(name, "paper")["trend_widths"] == [4000, 8000, 16000]
    # next29-f (the audit of issue 25, then three pre-run reviews): Thm 3's concentration premise as worded is
    # measured on the judged AdaGrad nets and printed beside the verdict, not judged (it cannot hold for 000's AdaGrad
    # at any width; 000 applies Thm 3 to AdaGrad through App. F.4's approximate linearization, the row's laziness
    # premise): any drift leaves the verdict as it is, and there is one row
    def rows_all(recs):
        return [c for c in exp.claims(cfg, recs) if "linear model by O(1/√m)" in c.claim]
    for value in (0.05, 0.45):
        drift_of[0] = lambda job, v=value: v
        judged = rows_all([made(j, 0.005, -0.5, gd_power=-0.5) for j in jobs])
        assert [c.verdict for c in judged] == ["reproduced"], judged
        assert (f"D_t's drift sup_t ‖D_t − D‖ / sup_t ‖D_t‖ (D per coordinate the middle of its range, so at most ½; "
                f"each coordinate from the first update a gradient above eps reached it; reported, not judged), median "
                f"per width: m = 4000: {value:g} (5 runs; coordinates never reached, left out: median 7), m = 8000: "
                f"{value:g}") in judged[0].measured, judged[0].measured
        assert "log-log slope of its mean over m 0.00 (the premise asks about −½)" in judged[0].measured
        assert "asks the drift to fall like 1/√m; for AdaGrad as 000 defines it" in judged[0].paper, judged[0].paper
    drift_of[0] = lambda job: float("nan") if job["width"] == 8000 else 0.45
    judged = rows_all([made(j, 0.005, -0.5, gd_power=-0.5) for j in jobs])
    assert judged[0].verdict == "reproduced" and "; not recorded at m = [8000]" in judged[0].measured, judged[0]
    from fastntk.experiments._concentration import concentration_note
    assert concentration_note([]) == "D_t's drift: no AdaGrad net to read it on"


def test_concentration_drift_reads_adagrad_from_its_ends_and_each_coordinate_from_its_first_gradient():
    """_concentration.drift: sup_t ‖D_t − D‖ / sup_t ‖D_t‖ with D per coordinate the middle of its
    range, each coordinate read from the first update a gradient above eps reached it. For AdaGrad
    the two rows of record_D="ends" give the whole history's value (D_t falls monotonically per
    coordinate from then); a coordinate never reached (an always-zero input) is left out and
    counted; one reached late (0 in the first batch only) is read from then, not from eps's value.
    It can read concentrated on a real run (a large initial accumulator keeps D_t nearly fixed)."""
    import math

    import numpy as np

    import fastntk
    from fastntk.experiments._concentration import drift
    net = fastntk.MLP.uniform(6, 12, 2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 6))
    X[:, 0] = 0.0   # never reached: input 0's first-layer weights
    X[:5, 1] = 0.0  # reached late: input 1 is 0 in the first batch (rows 0–4)
    Y = rng.standard_normal(10)
    for kw in (dict(max_steps=40), dict(max_steps=40, batch_size=5)):
        kw.update(optimizer="adagrad", lr=0.01, tol=1e-300)
        every = fastntk.train(net, net.init(1), X, Y, record_D=True, **kw)
        ends = fastntk.train(net, net.init(1), X, Y, record_D="ends", **kw)
        eps = every.config.eps
        value, out = drift(every.history["D"], eps)
        assert (value, out) == (pytest.approx(drift(ends.history["D"], eps)[0], rel=1e-12), drift(ends.history["D"], eps)[1])
        assert out == 12, out  # the 12 weights on input 0
        D = every.history["D"]
        reached = np.where(D < 0.5 / eps, D, np.nan)
        kept = ~np.isnan(reached).all(axis=0)
        hi, lo = np.nanmax(reached[:, kept], axis=0), np.nanmin(reached[:, kept], axis=0)
        assert value == pytest.approx(np.max(hi - lo) / 2 / hi.max(), rel=1e-12) and 0 < value <= 0.5
        if "batch_size" in kw:
            late = (D[0] >= 0.5 / eps) & (D[-1] < 0.5 / eps)
            assert late.sum() >= 6 and np.all(ends.history["D"][0, late] < 0.5 / eps)
    calm = fastntk.train(net, net.init(1), X, Y, optimizer="adagrad", lr=0.01, tol=1e-300, max_steps=40,
                         record_D="ends", initial_accumulator_value=100.0)
    assert drift(calm.history["D"], calm.config.eps)[0] < 0.01  # a D_t that barely moves reads near 0
    # a never-reached coordinate (input 0's) reached at the last update is read from there: kept, no range
    D = every.history["D"]
    late = np.vstack([D, D[-1]])
    late[-1, 0] = 1e-3
    assert drift(late, eps) == (pytest.approx(drift(D, eps)[0]), 11)
    assert math.isnan(drift(np.full((2, 3), 1 / eps), eps)[0]) and drift(np.full((2, 3), 1 / eps), eps)[1] == 3
    assert math.isnan(drift(D[:1], eps)[0])  # one update: no drift to read, not "concentrated"
    assert math.isnan(drift(np.zeros((0, 3)), eps)[0])


def test_stochastic_toy_runs_train_no_wide_trend_nets():
    """The toy tests run the quick and the standard preset with TINY's overrides: neither may train the
    standard preset's trend widths (m = 4000, 8000, 16000) at toy size (pre-run review of next22-c: the standard toy
    test took > 300 s). The quick preset's trend_widths add no runs; the paper preset's add full-batch
    runs at 8000 and 16000 (next23-b's pre-run review: a three-width trend there too)."""
    exp = REGISTRY["stochastic"]
    for preset in ("quick", "standard"):
        cfg = experiments.resolve_config("stochastic", preset, TINY["stochastic"])
        assert {j["width"] for j in exp.jobs(cfg)} == {20, 40}, preset
    cfg = experiments.resolve_config("stochastic", "quick")
    assert {j["width"] for j in exp.jobs(cfg)} == set(cfg["widths"])
    cfg = experiments.resolve_config("stochastic", "paper")
    assert {j["width"] for j in exp.jobs(cfg)} == {1000, 4000, 8000, 16000}
    assert {j["ratio"] for j in exp.jobs(cfg) if j["width"] > 4000} == {1.0}


def test_run_help_knobs_have_meaning_and_every_preset(capsys):
    """Issue #31: every preset key has a meaning in KNOBS, and `fastntk run NAME --help` shows it
    with the key's value in every preset."""
    from fastntk.experiments._base import KNOBS
    for name, exp in REGISTRY.items():
        for preset, cfg in exp.presets.items():
            missing = sorted(set(cfg) - set(KNOBS))
            assert not missing, f"{name} {preset}: preset keys without a KNOBS entry: {missing}"
    assert all(text and not text.endswith(".") and "\n" not in text for text in KNOBS.values())
    with pytest.raises(SystemExit) as stop:
        cli.main(["run", "bump", "--help"])
    assert stop.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help lines
    assert KNOBS["bias"] in out
    assert "quick: zero; standard: zero; paper: zero" in out
    assert "standard:" in out and "paper: 0.25, 0.5, 1, 2, 4, 8, …" in out  # --sigmas, cut after 6 items


def test_adaptive_worse_row_reads_the_paired_floor():
    """adaptive's "generalizes worse" rows (next21): the noise floor is the spread of the paired
    (same θ₀) differences, not GD's spread across seeds — a consistent small excess over GD
    whose θ₀ vary widely reads reproduced; an excess within the paired spread does not."""
    import numpy as _np
    name = "adaptive"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [2000]}
    assert REGISTRY[name].widths_at(cfg, 2) == [2000] and REGISTRY[name].widths_at(cfg, 3) == []
    exp = REGISTRY[name]
    rng = _np.random.default_rng(0)
    base = {s: 0.05 * (1 + 4 * rng.random()) for s in cfg["seeds"]}  # GD's test loss varies 5× over θ₀

    def made(job, excess, jitter):
        loss = base[job["seed"]] + (0 if job["optimizer"] == "gd" else excess + jitter * rng.standard_normal())
        return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0, test_loss=loss,
                    test_pred=[0.0] * 4, lin_pred=[0.0] * 4, lin_distance=0.0, kernel_ratio=1.0)

    def row(recs, opt="adagrad"):
        return {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[
            f"L = 2: {opt} generalizes worse than GD at equal training loss"]

    steady = row([made(j, 0.01, 0.001) for j in exp.jobs(cfg)])
    assert steady.verdict == "reproduced" and "signed-rank p 0.0312" in steady.measured, steady
    assert f"(σ = {cfg['sigma']:g})" in steady.claim
    noisy = row([made(j, 0.001, 0.01) for j in exp.jobs(cfg)])
    assert noisy.verdict != "reproduced", noisy


def test_adaptive_next22_exact_paired_test_and_network_rows_per_width():
    """adaptive (next22): the worse rows take an exact one-sided signed-rank test at 5 % — a
    null-like split (2 of 5 above, every difference within the spread of the differences), which
    next21's floor read *not reproduced*, is inconclusive; 5 of 5 below reads not reproduced, 5 of
    5 above reproduced whatever their spread; the exact level at n = 5 is 1/32. The network rows
    are judged per width: a width whose yardstick cannot resolve the predicted difference is
    inconclusive on its own, the other judged."""
    import numpy as _np
    from fastntk.experiments.adaptive import signed_rank
    assert signed_rank([1, 2, 3, 4, 5]) == (1 / 32, 1.0) and signed_rank([-1, -2, -3, -4, -5])[1] == 1 / 32
    name = "adaptive"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2, 2], "widths": [2000, 4000]}
    exp = REGISTRY[name]
    seeds = cfg["seeds"]

    def worse(diffs):
        by = dict(zip(seeds, diffs))

        def made(job):
            loss = 0.1 + (0 if job["optimizer"] == "gd" else by[job["seed"]])
            return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0, test_loss=loss,
                        test_pred=[0.0] * 4, lin_pred=[0.0] * 4, lin_distance=0.0, kernel_ratio=1.0)
        return {c.claim.split(" (")[0]: c for c in exp.claims(cfg, [made(j) for j in exp.jobs(cfg)])}[
            "L = 2: adagrad generalizes worse than GD at equal training loss"].verdict

    assert worse([0.01, 0.01, -0.01, -0.01, -0.01]).startswith("inconclusive: the claimed sign in 2 of 5")
    assert worse([-0.01, -0.02, -0.03, -0.01, -0.02]) == "not reproduced"
    assert worse([0.001, 0.5, 0.002, 0.3, 0.0005]) == "reproduced"
    # next26-a (the review of 370–374): the per-seed median over the widths is their mean, so the measured cell
    # reports each width's own count and exact p beside the judged test.
    split = {(s, w): (0.02 if w == 2000 else -0.001 * (i % 2 * 2 - 1)) for i, s in enumerate(seeds)
             for w in (2000, 4000)}
    recs = [dict(j, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0,
                 test_loss=0.1 + (0 if j["optimizer"] == "gd" else split[(j["seed"], j["width"])]),
                 test_pred=[0.0] * 4, lin_pred=[0.0] * 4, lin_distance=0.0, kernel_ratio=1.0) for j in exp.jobs(cfg)]
    row = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}[
        "L = 2: adagrad generalizes worse than GD at equal training loss"]
    assert row.verdict == "reproduced" and "per width, above GD's in m = 2000: 5 of 5, p 0.0312; m = 4000: 3 of 5, " \
        "p 0.5; GD lazy: median" in row.measured, row
    rng = _np.random.default_rng(1)
    base = rng.standard_normal(8)
    lin_gap = {s: 0.05 * rng.standard_normal(8) for s in seeds}

    def made(job):
        w, s = job["width"], job["seed"]
        noise = 0.2 if w == 2000 else 0.001  # m = 2000's nets far from their linearizations, m = 4000's close
        lin = base + (lin_gap[s] if job["optimizer"] != "gd" else 0)
        net = lin + noise * _np.sin(_np.arange(8) + s + len(job["optimizer"]))
        return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0, test_loss=0.1,
                    test_pred=list(net), lin_pred=list(lin), lin_trained_pred=list(lin), gd_closed_pred=list(base),
                    lin_status="converged", lin_train_loss=1e-7, lin_distance=0.01, kernel_ratio=1.0)

    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, [made(j) for j in exp.jobs(cfg)])}
    assert rows["L = 2, m = 2000: the net trained by adagrad converges to a different minimizer than GD's"].verdict \
        .startswith("inconclusive: the yardstick"), rows
    assert rows["L = 2, m = 4000: the net trained by adagrad converges to a different minimizer than GD's"].verdict \
        == "reproduced", rows


def test_adaptive_network_rows_say_why_they_cannot_decide_and_the_summary_reports_the_follow():
    """adaptive (next23-b, a review of 340–344): where the yardstick (the farther net's distance from
    its own linearization) is not below the linear models' predicted difference, the network row
    says why it cannot decide (the ratio, the nets' own departures — Lemma 1's remainder for GD's,
    Thm 7's for AdaGrad's — as large as Thm 3's effect; a prediction of 0 or none, said so); the
    summary reports, not judged, the nets' distance against the linear prediction per width."""
    import numpy as _np
    name = "adaptive"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2, 2], "widths": [2000, 4000]}
    assert cfg["seeds"] == [410, 411, 412, 413, 414]
    exp = REGISTRY[name]
    rng = _np.random.default_rng(2)
    base = rng.standard_normal(8)
    lin_gap = {s: 0.05 * rng.standard_normal(8) for s in cfg["seeds"]}

    def made(job):
        s = job["seed"]
        lin = base + (lin_gap[s] if job["optimizer"] != "gd" else 0)
        net = lin + 0.2 * _np.sin(_np.arange(8) + s + len(job["optimizer"]))
        return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0, test_loss=0.1,
                    test_pred=list(net), lin_pred=list(lin), lin_trained_pred=list(lin), gd_closed_pred=list(base),
                    lin_status="converged", lin_train_loss=1e-7, lin_distance=0.01, kernel_ratio=1.0)

    recs = [made(j) for j in exp.jobs(cfg)]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}
    v = rows["L = 2, m = 2000: the net trained by adagrad converges to a different minimizer than GD's"].verdict
    assert v.startswith("inconclusive: the yardstick") and "×), so the comparison cannot tell: at this σ and width " \
        "a net's own departure from its linearization (GD's Lemma 1 remainder, adagrad's Thm 7 remainder, 000 App. " \
        "G; GD's net the farther in 4 of 5 pairs; each net's own distance from its linearization, median: GD 0.142, " \
        "adagrad 0.136) is as large as the effect Thm 3 predicts, and a pair of nets lying exactly the predicted " \
        "distance apart would read the same" in v, v
    # next26-a (the review of 370–374): the measured cell counts the nets beyond LAZY beside the medians.
    m = rows["L = 2, m = 2000: the net trained by adagrad converges to a different minimizer than GD's"].measured
    assert "GD lazy: median" in m and ", 0 of 5 nets above 0.1; adagrad" in m, m
    # Pre-run review of next23-b: a prediction of 0 raised ZeroDivisionError; with no converged linearization
    # pair the row printed "(nan×)" and a reason it had not measured.
    same = [dict(r, lin_trained_pred=list(base)) for r in recs]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, same)}
    v = rows["L = 2, m = 2000: the net trained by adagrad converges to a different minimizer than GD's"].verdict
    assert v.startswith("inconclusive: the yardstick") and "predicted difference 0, so the comparison cannot " \
        "tell: the trained linear models predict no difference (0 RMS)" in v and "×" not in v, v
    unconv = [dict(r, lin_status="max_steps") for r in recs]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, unconv)}
    v = rows["L = 2, m = 2000: the net trained by adagrad converges to a different minimizer than GD's"].verdict
    assert v.startswith("inconclusive: no linearization pair converged at this width") and "nan" not in v, v
    assert "Thm 1" not in v and "as large as" not in v, v
    lines = [line for line in exp.summary(cfg, recs) if "linearizations trained the same way predict" in line]
    assert len(lines) == 2 and "reported, not judged" in lines[0], lines
    assert "m = 2000: nets " in lines[0] and "m = 4000: nets " in lines[0] and "(per θ₀ ratio median" in lines[0]
    assert "below the prediction in " in lines[0] and " of 5 θ₀), yardstick" in lines[0], lines[0]


def test_adaptive_next26a_pairs_depths_and_widths_and_names_the_lazy_width():
    """adaptive (next26-a, issue 26): 000 Fig. 3's right panel, L = 3, beside L = 2 — depths and
    widths paired, so each depth has its own widths and its own rows (worse, linear model, one
    network row per width of that depth); a network row whose nets are not lazy names the width at
    which the less lazy method's median distance would reach 0.1 under O(1/√m) (issue 25), an
    extrapolation, said so."""
    import numpy as _np
    name = "adaptive"
    exp = REGISTRY[name]
    cfg = experiments.resolve_config(name, "standard")
    assert list(zip(cfg["depths"], cfg["widths"])) == [(2, 2000), (2, 4000), (3, 500), (3, 1000)]
    assert cfg["seeds"] == [410, 411, 412, 413, 414]
    assert exp.widths_at(cfg, 3) == [500, 1000] and len(exp.jobs(cfg)) == 4 * 3 * 5
    with pytest.raises(experiments.ExperimentError, match="paired"):
        experiments.resolve_config(name, "standard", dict(widths=[2000, 4000]))
    paper = experiments.resolve_config(name, "paper")
    assert {(L, m) for L, m in zip(paper["depths"], paper["widths"])} == {
        (L, m) for L in (2, 3) for m in (250, 500, 1000, 2000, 4000)}
    rng = _np.random.default_rng(3)
    base = rng.standard_normal(8)
    lin_gap = {s: 0.05 * rng.standard_normal(8) for s in cfg["seeds"]}

    def made(job):
        s, L = job["seed"], job["depth"]
        lin = base + (lin_gap[s] if job["optimizer"] != "gd" else 0)
        net = lin + 0.001 * _np.sin(_np.arange(8) + s + len(job["optimizer"]))
        far = 0.28 if (L == 3 and job["optimizer"] == "gd") else 0.05  # GD's L = 3 nets not lazy
        return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0,
                    test_loss=0.1 + (0.01 if job["optimizer"] != "gd" else 0), test_pred=list(net),
                    lin_pred=list(lin), lin_trained_pred=list(lin), gd_closed_pred=list(base),
                    lin_status="converged", lin_train_loss=1e-7, lin_distance=far, kernel_ratio=1.0)

    recs = [made(j) for j in exp.jobs(cfg)]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}
    nets = sorted(k for k in rows if "the net trained by" in k)
    assert nets == sorted(f"L = {L}, m = {m}: the net trained by {o} converges to a different minimizer than "
                          "GD's" for L, m in [(2, 2000), (2, 4000), (3, 500), (3, 1000)] for o in ("adagrad", "adam"))
    assert rows["L = 3: adagrad generalizes worse than GD at equal training loss"].verdict == "reproduced"
    assert rows["L = 3: the linearization trained by adam converges to a different minimizer than GD's"].verdict \
        == "reproduced"
    assert rows["L = 2, m = 4000: the net trained by adagrad converges to a different minimizer than GD's"].verdict \
        == "reproduced"
    v = rows["L = 3, m = 500: the net trained by adagrad converges to a different minimizer than GD's"].verdict
    assert v == ("inconclusive: premise not met (not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ 0.28 > 0.1; GD's median "
                 "0.28 would fall to 0.1 at m ≈ 4000 if it falls like Lemma 1's O(1/√m) bound: m·(median/0.1)² from "
                 "m = 500, an extrapolation, not a run)"), v
    v = rows["L = 3, m = 1000: the net trained by adam converges to a different minimizer than GD's"].verdict
    assert "m ≈ 7900" in v and v.endswith("an extrapolation, not a run)"), v
    w = rows["L = 3: adagrad generalizes worse than GD at equal training loss"].measured
    assert "GD not lazy: median ‖f_NN − f_lin‖/‖f_lin‖ on the test set 0.280" in w and "adagrad lazy: median" in w, w
    lines = exp.summary(cfg, recs)
    for start in ("- L = 3, gd: not lazy", "- L = 2, adam: lazy", "- L = 2, learning rates: gd η median 0.1",
                  "- L = 3, runs that reached training loss < 1e-05: gd 10/10, adagrad 10/10, adam 10/10",
                  "- L = 3, median ‖f_NN − f_lin‖/‖f_lin‖ by width (reported, not judged): gd m = 500: 0.28, "
                  "m = 1000: 0.28; adagrad m = 500: 0.05"):
        assert any(line.startswith(start) for line in lines), (start, lines)
    # The adaptive method the farther one: named, with Thm 7; a method whose laziness is not measured is not
    # extrapolated from (pre-run review: max() over a nan median picked by argument order).
    adam_far = [dict(r, lin_distance=0.35) if r["depth"] == 3 and r["optimizer"] == "adam" else r for r in recs]
    v = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, adam_far)}[
        "L = 3, m = 500: the net trained by adam converges to a different minimizer than GD's"].verdict
    assert "; adam's median 0.35 would fall to 0.1 at m ≈ 6200 if it falls like Thm 7's (000 App. G) O(1/√m)" in v, v
    unmeasured = [dict(r, lin_distance=_np.nan) if r["depth"] == 3 and r["optimizer"] == "adam" else r for r in recs]
    v = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, unmeasured)}[
        "L = 3, m = 500: the net trained by adam converges to a different minimizer than GD's"].verdict
    assert "GD's median 0.28 would fall to 0.1 at m ≈ 4000" in v and "adam's median" not in v, v
    # Opposite signs at the two depths stay apart: L = 2 reproduced, L = 3 not reproduced.
    flip = [dict(r, test_loss=0.1 + (0 if r["optimizer"] == "gd" else (0.01 if r["depth"] == 2 else -0.01)))
            for r in recs]
    rows = {c.claim.split(" (")[0]: c for c in exp.claims(cfg, flip)}
    assert rows["L = 2: adam generalizes worse than GD at equal training loss"].verdict == "reproduced"
    assert rows["L = 3: adam generalizes worse than GD at equal training loss"].verdict == "not reproduced"
    lines = [line for line in exp.summary(cfg, flip) if "test loss above GD's at" in line]
    assert any(line.startswith("- L = 2: adam's median test loss above GD's at 2 of 2 widths") for line in lines), lines
    assert any(line.startswith("- L = 3: adam's median test loss above GD's at 0 of 2 widths") for line in lines), lines
    # The review of 410–414: a linearization redone at another η than its net's is named in the summary.
    redone = [dict(r, lin_lr=0.05) if (r["seed"], r["width"], r["optimizer"]) == (411, 500, "adagrad")
              else dict(r, lin_lr=r["lr"]) for r in recs]
    lines = exp.summary(cfg, redone)
    assert any("linearizations trained at another η than their net's: adagrad m = 500 seed 411 (η 0.05 against 0.1)"
               in line and line.startswith("- L = 3, learning rates") for line in lines), lines
    assert any("linearizations trained at another η than their net's: none" in line
               and line.startswith("- L = 2, learning rates") for line in lines), lines


def test_last_layer_rows_need_both_controls():
    """last-layer (issue 26: 002 Thm 1): per depth, the last-layer runs' largest RMS distance
    from f_int^Ψ within 10·√tol reads reproduced only where the every-layer nets lie outside the
    band (the negative control) and the η/2 runs inside it (the positive one); a last-layer run
    beyond it reads not reproduced; runs that did not converge do not count (too few: inconclusive)."""
    from fastntk.experiments.last_layer import row_name
    name = "last-layer"
    exp = REGISTRY[name]
    cfg = experiments.resolve_config(name, "standard")
    assert cfg["seeds"] == [730, 731, 732, 733, 734] and len(exp.jobs(cfg)) == 2 * 5 * 3
    band = same_band(cfg["tol"])

    def made(last=0.1, half=0.1, every=1e3, status="converged"):
        d = {"last": last, "last_half": half, "all": every}
        return [dict(j, status=status if j["mode"] == "last" else "converged", steps=100, train_loss=cfg["tol"] / 2,
                     lr=1.0, retries=0, steps_tried=100, max_climb=0.0, curve=[], cond=1e4, target_rms=0.5,
                     distance=d[j["mode"]] * band, test_pred=[0.0]) for j in exp.jobs(cfg)]

    def rows(recs):
        return {c.claim: c for c in exp.claims(cfg, recs)}
    for L in (2, 3):
        assert rows(made())[row_name(L, 500)].verdict == "reproduced"
    r = rows(made(last=2.0))[row_name(2, 500)]
    assert r.verdict == "not reproduced" and "can hardly fail where it converges" in r.paper, r
    assert rows(made(every=0.5))[row_name(3, 500)].verdict.startswith("inconclusive: the every-layer nets' nearest")
    assert rows(made(half=3.0))[row_name(2, 500)].verdict.startswith("inconclusive: the η/2 runs (the same limit)")
    assert rows(made(status="max_steps"))[row_name(2, 500)].verdict.startswith("inconclusive: only 0 of 5 last-layer runs")


def test_ridge_rows_judge_each_reading_against_the_two_routes_band():
    """ridge (issue 26: 001 App. A's ridge sentence, its formula lost): per depth and reading, the
    largest RMS distance between the test predictions at two σ, per θ₀ and ρ, against 10× the
    largest distance between the two routes to one minimizer: every one within → reproduced, every
    one beyond → not reproduced, else inconclusive; P ≥ N → premise not met; a θ₀ without a usable
    record at every σ does not enter (too few → inconclusive)."""
    from fastntk.experiments.ridge import READINGS, row_name
    name = "ridge"
    exp = REGISTRY[name]
    cfg = experiments.resolve_config(name, "standard")
    assert cfg["seeds"] == [710, 711, 712, 713, 714] and list(zip(cfg["depths"], cfg["widths"])) == [(2, 4), (3, 4)]
    assert cfg["sigmas"] == [0.25, 1.0, 3.0, 4.0] and len(exp.jobs(cfg)) == 2 * 4 * 5

    def made(shift, P=260, routes=1e-12):
        out = []
        for j in exp.jobs(cfg):
            base = [[1.0, -1.0], [0.5, 0.5]]  # per ρ, two test points
            pred = {r: [[x + shift(r, j, i) for x in base[i]] for i in range(2)] for r in READINGS}
            joint = P - 2 if j["seed"] == 713 and j["depth"] == 3 else P - 4  # one θ₀ with test features outside
            out.append(dict(j, status="converged", P=P, N=300, rank=P - 4, rank_joint=joint, dead_test=0,
                            lam_max=1.0, routes=routes, pred=pred,
                            pred_fixed=[[x * j["sigma"] for x in b] for b in base]))
        return out

    def rows(recs):
        return {x.claim: x for x in exp.claims(cfg, recs)}

    def theta0_term(r, j, i):  # B and C move with σ, A does not
        return 0.0 if r == "A" else 1e-4 * j["sigma"] ** j["depth"] * (1 + i)
    got = rows(made(theta0_term))
    for L in (2, 3):
        assert got[row_name("A", L, 4)].verdict == "reproduced"
        for r in ("B", "C"):
            v = got[row_name(r, L, 4)].verdict
            assert v.startswith("not reproduced: the spread over σ is ") and "vanishes only for θ₀ whose test " in v, v
            assert ("outside φ(X)'s row space for 1 of 5 θ₀ (seed 713: rank φ(X) / [φ(X); φ(X_test)] 256 / 258)"
                    if L == 3 else "outside φ(X)'s row space for 0 of 5 θ₀)") in v, v
    a = got[row_name("A", 2, 4)]
    assert "band 1e-11" in a.measured and "A at λ fixed across σ" in a.measured and "can hardly fail" in a.paper
    assert "its θ₀ term at σ = 1 relative to A's predictions" in got[row_name("B", 2, 4)].measured
    # A spread beyond the band at one ρ only reads inconclusive.
    got = rows(made(lambda r, j, i: 1e-4 * j["sigma"] * i))
    assert got[row_name("B", 2, 4)].verdict.startswith("inconclusive: the spread lies within the band"), got
    # Past N the sentence's premise fails.
    got = rows(made(theta0_term, P=300))
    assert got[row_name("B", 3, 4)].verdict.startswith("inconclusive: premise not met (P = 300 ≥ N = 300: "), got
    # A θ₀ missing a σ does not enter; two of five left is too few.
    recs = [r for r in made(theta0_term) if r["seed"] in (710, 711) or r["sigma"] != 4.0]
    assert got and rows(recs)[row_name("B", 2, 4)].verdict.startswith("inconclusive"), rows(recs)
    assert "over 2 of 5 θ₀" in rows(recs)[row_name("B", 2, 4)].measured
    # A refused solve is a degenerate record, left out like a missing one.
    recs = made(theta0_term)
    for r in recs:
        if r["seed"] in (712, 713, 714) and r["sigma"] == 3.0:
            r.update(status="degenerate", routes=float("nan"), refused="K: condition number 1e13")
    assert rows(recs)[row_name("A", 3, 4)].verdict.startswith("inconclusive"), rows(recs)
    assert "Left out, a solve refused: 6 records" in "\n".join(exp.summary(cfg, recs))


def test_normal_biases_rows_judge_the_exponent_with_the_bias_free_control():
    """normal-biases (next26-b2, issue 26: 000 Thm 2's normal-bias sentence): per depth, the
    initialization term's log-log slope over σ ≥ 1 judged against the upper bound (≤ 1.25: the
    excess lies under the init term) and refuted only where the excess's lower envelope
    RMS(init) − 2·RMSE(f_int) is positive at the largest σ for every θ₀; the lower bound over σ ≥ 1
    and the small-σ side (≥ 0.75); each with its jackknife error; the bias-free control (exactly σᴸ,
    ± 0.01) must read reproduced, else the rows are inconclusive; a θ₀ without a usable value at
    every σ of a range does not enter; a refused kernel is a degenerate record, not a crash."""
    import numpy as _np
    name = "normal-biases"
    exp = REGISTRY[name]
    cfg = experiments.resolve_config(name, "standard")
    assert list(zip(cfg["depths"], cfg["widths"])) == [(2, 4000), (3, 2000)] and cfg["seeds"] == [490, 491, 492, 493, 494]
    assert cfg["biases"] == ["normal", "none", "zero"] and len(exp.jobs(cfg)) == 2 * 3 * 8 * 5
    rng = _np.random.default_rng(4)

    def made(power, excess_power=None, scale=0.1):
        out = []
        for j in exp.jobs(cfg):
            p = power(j)
            q = p if excess_power is None else excess_power(j)
            out.append(dict(j, status="converged", train_loss=0.0, cond=1e6, f0_rms=1.0, test_loss_lin=0.1,
                            test_loss_int=0.01, rmse_excess=0.05 * j["sigma"] ** q * (1 + 1e-4 * rng.standard_normal()),
                            init_rms=scale * j["sigma"] ** p * (1 + 1e-4 * rng.standard_normal()), input_scale=0.035))
        return out

    def control(j):
        return j["depth"] if j["bias"] == "none" else None

    def rows(recs, c=cfg):
        return {x.claim.split(" (")[0]: x for x in exp.claims(c, recs)}

    up = "L = 2, m = 4000, normal biases: the excess test RMSE of f_lin over f_int grows at most like σ at σ ≥ 1"
    low = "L = 3, m = 2000, normal biases: the initialization term grows at least like σ at σ ≥ 1"
    small = "L = 2, m = 4000, normal biases: the initialization term shrinks at least like σ at σ ≤ 1"
    # The paper's reading holds: normal biases ∝ σ, the control ∝ σᴸ exactly.
    r = rows(made(lambda j: control(j) or 1.0))
    for L, m in ((2, 4000), (3, 2000)):
        assert r[f"L = {L}, m = {m}, no biases: the initialization term scales as σᴸ"].verdict == "reproduced"
    assert all(r[k].verdict == "reproduced" for k in (up, low, small)), r
    # What the toy check saw: normal biases ∝ σᴸ, the envelope positive — the upper bound fails, the others pass.
    r = rows(made(lambda j: j["depth"]))
    assert r[up].verdict == "not reproduced" and "over σ ∈ [1.0, 2.0, 4.0, 8.0, 16.0]: 2.00" in r[up].measured, r[up]
    assert "at σ = 16 the lower envelope is 0.9" in r[up].measured and "e(16)/16 ≥ " in r[up].measured \
        and "e's own slope over [4.0, 8.0, 16.0]" in r[up].measured \
        and "; beside it, zero biases over the same σ: " in r[up].measured, r[up]
    assert "read literally: a σ-free constant, over all σ" in r[up].paper and "top three σ suffices" in r[up].paper
    assert "e/σ rising over the range is measured; that it grows without bound is inferred" in r[up].paper
    assert r[low].verdict == "reproduced" and "so the row is weak" in r[low].paper
    # The excess's own slope is beside, not judged: inflated by the crossover, it cannot fail an init term ∝ σ.
    r = rows(made(lambda j: control(j) or 1.0, lambda j: control(j) or 2.5))
    assert r[up].verdict == "reproduced" and "e's own slope over [4.0, 8.0, 16.0] 2.5" in r[up].measured, r[up]
    # An init term above the bound's exponent whose lower envelope is not positive refutes nothing.
    r = rows(made(lambda j: control(j) or 2.0, scale=1e-3))
    v = r[up].verdict
    assert v.startswith("inconclusive: the init term's exponent exceeds the bound's, but the excess's lower envelope "
                        "RMS(init) − 2·RMSE(f_int) at σ = 16 is below 0.5 of the init term for some θ₀"), v
    # An init term whose envelope holds most of it at σ = 16 and whose slope exceeds the edge, but whose e(16)/16
    # stays below e(1)'s ceiling (a large value at σ = 1, ∝ σ³ from σ = 2: slope 1.34, ratio 0.80), refutes nothing.
    flat = [dict(x, init_rms=(40.0 if x["sigma"] == 1 else (x["sigma"] / 2) ** 3))
            if x["bias"] == "normal" else x for x in made(lambda j: control(j) or 2.0)]
    v = rows(flat)[up].verdict
    assert v.startswith("inconclusive: the init term's exponent exceeds the bound's, but e(σ)/σ does not rise from "
                        "σ = 1 to 16 for every θ₀"), v
    # A single slope over σ ≥ 1 can pass a late rise: the top three σ must pass too.
    late = [dict(x, init_rms=(30.0 if x["sigma"] == 16 else x["sigma"] * (1 + 1e-3 * (x["seed"] % 3))))
            if x["bias"] == "normal" else x for x in made(lambda j: control(j) or 1.0)]
    v = rows(late)[up].verdict  # ∝ σ to σ = 8, then 30 at σ = 16: slope 1.18 over σ ≥ 1, 1.45 over the top three
    assert v.startswith("inconclusive: the slope over σ ∈ [4.0, 8.0, 16.0], 1.45"), v
    # The refute side reads the top three σ too (next27): ∝ σ² to σ = 4 and ∝ σ after is above the edge over σ ≥ 1
    # (slope 1.5) with the envelope and e/σ's rise in place, but not over the top three (slope 1.0).
    bent = [dict(x, init_rms=(x["sigma"] ** 2 if x["sigma"] <= 4 else 4.0 * x["sigma"]) * (1 + 1e-4 * (x["seed"] % 3)))
            if x["bias"] == "normal" else x for x in made(lambda j: control(j) or 1.0)]
    v = rows(bent)[up].verdict
    assert v.startswith("inconclusive: the slope over σ ≥ 1 is above 1.25, but over σ ∈ [4.0, 8.0, 16.0] it is 1"), v
    # A θ₀ missing one σ of the range does not enter; too few left: inconclusive.
    recs = [x for x in made(lambda j: control(j) or 1.0)
            if not (x["bias"] == "normal" and x["sigma"] == 4.0 and x["seed"] != cfg["seeds"][0])]
    assert rows(recs)[up].verdict.startswith("inconclusive: only 1 of 5 θ₀ usable"), rows(recs)[up]
    assert rows(recs)[small].verdict == "reproduced"
    # Straddling the edge: inconclusive, with the slope and its error.
    v = rows(made(lambda j: control(j) or 1.25 + 0.1 * (j["seed"] % 2 * 2 - 1)))[up].verdict
    assert v.startswith("inconclusive: 1.2") and "straddles the edge 1.25" in v, v
    # A control off σᴸ (here ∝ σ) makes every normal-bias row of its depth inconclusive; no control run, too.
    r = rows(made(lambda j: 1.0))
    assert r["L = 2, m = 4000, no biases: the initialization term scales as σᴸ"].verdict == "not reproduced"
    assert r[small].verdict.startswith("inconclusive: the bias-free control reads 'not reproduced'"), r[small]
    nocontrol = {**cfg, "biases": ["normal", "zero"]}
    v = rows([x for x in made(lambda j: 1.0) if x["bias"] != "none"], nocontrol)[small].verdict
    assert v.startswith("inconclusive: no bias-free control was run"), v
    lines = exp.summary(cfg, made(lambda j: j["depth"]))
    assert any(line.startswith("- L = 2, m = 4000, no biases (means over θ₀): σ = 0.125: RMS(init) ") for line in lines)
    assert any("W¹x/√d has standard deviation ‖x‖/√d, mean 0.035" in line for line in lines), lines
    # A refused kernel (duplicate inputs) is a record, degenerate and said why, not a crash.
    import types
    ctx = types.SimpleNamespace(dataset=lambda: types.SimpleNamespace(
        d=2, X=_np.array([[1.0, 0.0], [1.0, 0.0]]), X_test=_np.array([[0.0, 1.0]]), Y=_np.array([1.0, 1.0]),
        Y_test=_np.array([0.0])))
    rec = exp.run_job({}, dict(depth=2, width=8, bias="none", sigma=1.0, seed=0), ctx)
    assert rec["status"] == "degenerate" and _np.isnan(rec["init_rms"]) and "singular" in rec["refused"], rec


def test_overparameterization_ce_worse_rows_take_the_exact_paired_test():
    """overparameterization-ce (pre-run review of next22-c): its "AdaGrad generalizes worse" rows take
    adaptive's exact one-sided signed-rank test at 5 % (one rule, in experiments/_paired.py), not
    overparameterization's floor drawn from the same paired differences: a null-like split (2 of 5
    above, every difference within their spread), which that floor reads *not reproduced*, is
    inconclusive; 5 of 5 above reproduced whatever their spread; 5 of 5 below not reproduced.
    overparameterization (Fig. 1's experiment, not rerun) keeps its rule."""
    from fastntk.experiments import adaptive, _paired
    assert adaptive.paired_direction is _paired.paired_direction and adaptive.signed_rank is _paired.signed_rank

    def worse(name, diffs):
        cfg = experiments.resolve_config(name, "standard")
        exp = REGISTRY[name]
        by = dict(zip(cfg["seeds"], diffs))

        def made(job):
            v = 0.1 + (by[job["seed"]] if job["optimizer"] == "adagrad" else 0.0) + 0.01 * job["n_train"] / 100
            return dict(job, status="converged", steps=1000, train_loss=1e-6, lr=0.1, retries=0, test_loss=v,
                        test_error=v, lin_rms=0.01, lin_distance=0.01, kernel_ratio=1.0)
        rows = [c for c in exp.claims(cfg, [made(j) for j in exp.jobs(cfg)])
                if c.claim.startswith("adagrad generalizes worse than GD (")]
        assert rows
        return rows

    null = [0.01, 0.01, -0.01, -0.01, -0.01]
    for c in worse("overparameterization-ce", null):
        assert c.verdict.startswith("inconclusive: the claimed sign in 2 of 5"), c
        assert "exact one-sided signed-rank p" in c.measured and "exact one-sided signed-rank test" in c.paper, c
        assert "GD at 4 × 1.9N/λ_max(K₀)" in c.paper, c
    assert all(c.verdict == "reproduced" for c in worse("overparameterization-ce", [0.001, 0.5, 0.002, 0.3, 0.0005]))
    assert all(c.verdict == "not reproduced" for c in worse("overparameterization-ce", [-0.01, -0.02, -0.03, -0.01,
                                                                                         -0.02]))
    # Fig. 1's experiment keeps the floor (its module untouched): the same null split reads not reproduced there.
    assert [c.verdict for c in worse("overparameterization", null)] == ["not reproduced"]


def test_overparameterization_ce_worse_rows_name_the_deciding_n_and_their_ties():
    """overparameterization-ce (next23-b, a review of 330–334): the worse rows' per-seed median over N
    was decided by N = 25 alone without the row saying so — the row now names, per N, in how many
    units the median is that N's difference, and the sign count at each N; the 0/1 row's ties are
    ties of the median over N (AdaGrad above GD at N = 10 in 4 of 5 seeds, equal at the other two
    sizes), not "the metric cannot resolve the effect"; adaptive keeps that text."""
    name = "overparameterization-ce"
    cfg = experiments.resolve_config(name, "standard")
    exp = REGISTRY[name]
    above10 = dict(zip(cfg["seeds"], [0.02, 0.01, 0.03, 0.015, -0.01]))

    def made(job):
        s, n, ada = job["seed"], job["n_train"], job["optimizer"] == "adagrad"
        # cross-entropy: AdaGrad above GD by 0.002 at N = 25, by more at N = 10, below at N = 100 -> N = 25 decides
        ce = 0.05 + (({10: 0.01, 25: 0.002, 100: -0.001}[n]) if ada else 0.0)
        err = 0.01 + (above10[s] if ada and n == 10 else 0.0)
        return dict(job, status="converged", steps=100, train_loss=1e-3, test_loss=ce, test_error=err, lr=1.0,
                    retries=0, max_climb=0.0)
    rows = {c.claim: c for c in exp.claims(cfg, [made(j) for j in exp.jobs(cfg)])
            if c.claim.startswith("adagrad generalizes worse than GD (")}
    ce = [c for k, c in rows.items() if "cross-entropy" in k]
    zo = [c for k, c in rows.items() if "0/1" in k]
    assert len(ce) == 1 and len(zo) == 1, list(rows)
    assert ce[0].verdict == "reproduced", ce[0]
    assert "the median is the difference at N = 25 in 5 of 5 units" in ce[0].measured, ce[0].measured
    assert "N = 10: 0.01 (adagrad above GD in 5 of 5)" in ce[0].measured, ce[0].measured
    assert zo[0].verdict.startswith("inconclusive: no difference in 5 of 5 seeds (the median over N = 10, 25, 100 of "
                                    "adagrad's and GD's paired differences is 0, a tie at the median N"), zo[0].verdict
    assert "N = 10: 0.015 (adagrad above GD in 4 of 5)" in zo[0].measured, zo[0].measured
    assert "cannot resolve" not in zo[0].verdict
    from fastntk.experiments._paired import paired_direction
    assert "(the metric cannot resolve the effect)" in paired_direction([0, 0, 0, 1, 1], 5)
    # Each tied size counts (pre-run review of next23-b: the counts summed past 5 unsaid): at the 0/1 row's median
    # of 0, N = 25 and N = 100 tie in every unit.
    assert "the median is the difference at N = 25 in 5 of 5, N = 100 in 5 of 5 units (each size tied at a unit's " \
        "median counted, so the counts may sum past 5)" in zo[0].measured, zo[0].measured


def test_overparameterization_ce_toy_run_keeps_test_outputs(tmp_path):
    """overparameterization-ce (next23-b): each record keeps test_pred, the test outputs, so that
    the 0/1 error and the margins ỹf can be recomputed — on a toy run's records (the pre-run
    review: the test read only the source)."""
    import math as _math
    out = str(tmp_path / "ce")
    experiments.run("overparameterization-ce", "quick", out, TINY["overparameterization-ce"], progress=False)
    recs = experiments.load(out)
    n_test = TINY["overparameterization-ce"]["n_test"]
    assert len(recs) == len(REGISTRY["overparameterization-ce"].jobs(
        experiments.resolve_config("overparameterization-ce", "quick", TINY["overparameterization-ce"])))
    assert all(len(r["test_pred"]) == n_test and all(_math.isfinite(v) for v in r["test_pred"]) for r in recs), \
        [len(r.get("test_pred", [])) for r in recs]


def test_stochastic_toy_trend_runs_share_one_adagrad_rate_per_seed(tmp_path):
    """stochastic (next23-b): every full-batch AdaGrad run at the trend widths, net and linear model,
    starts at one η per θ₀-seed (Stochastic.trend_lr: App. D's rule applied once, at the widest
    trend width) — on a toy run's records (TINY's settings, a second tiny trend width), where the
    pre-run review found only the source checked."""
    out = str(tmp_path / "st")
    over = {**TINY["stochastic"], "trend_widths": [30, 40]}
    experiments.run("stochastic", "quick", out, over, progress=False)
    recs = [r for r in experiments.load(out) if r["optimizer"] == "adagrad" and r["ratio"] == 1.0]
    trend = {}
    for r in recs:
        if r["width"] in over["trend_widths"]:
            trend.setdefault(r["seed"], set()).add(r["lr_first"])
    assert sorted(trend) == [0, 1, 2, 3, 4] and all(len(v) == 1 for v in trend.values()), trend
    assert len({r["width"] for r in recs if r["width"] in over["trend_widths"]}) == 2


def test_overparameterization_ce_rows_say_gd_trains_at_the_curvature_scaled_rate():
    """overparameterization-ce (next22): GD trains at 4 × 1.9N/λ_max(K₀) under the
    cross-entropy (fastntk's extension of the papers' squared-loss rate); every row that reads
    GD's or SGD's runs (their falls-with-N rows, the adaptive-worse rows against GD) says so in
    its paper column, and the summary does."""
    name = "overparameterization-ce"
    cfg = experiments.resolve_config(name, "standard")
    assert cfg["seeds"] == [360, 361, 362, 363, 364]
    exp = REGISTRY[name]
    recs = [dict(j, status="converged", steps=100, train_loss=1e-3, test_loss=0.1 + 1e-3 * (j["seed"] % 3),
                 test_error=0.0, lr=1.0, retries=0, lin_distance=0.01, kernel_ratio=1.0) for j in exp.jobs(cfg)]
    rows = exp.claims(cfg, recs)
    gd_rows = [c for c in rows if c.claim.startswith(("gd:", "sgd:")) or "than GD" in c.claim]
    assert len(gd_rows) == 6 and all("GD at 4 × 1.9N/λ_max(K₀)" in c.paper for c in gd_rows), gd_rows
    assert all("SGD at 4 × the package's squared-loss mini-batch rate" in c.paper for c in gd_rows)
    assert any("GD at 4 × 1.9N/λ_max(K₀)" in line for line in exp.summary(cfg, recs))


# --- width (next24): synthetic records for every job of the standard preset --------------------------------
_WZ = [-1.2, -0.8, -0.4, -0.1, 0.1, 0.4, 0.8, 1.2]  # per-seed log-noise pattern (θ₀'s own scale)


def width_record(cfg, job, eff=1.0, noise=0.05, acc=0.1, reach=True, alpha_out=0.3, depth_out=None,
                 scale_loss=None, narrow_rate=1.0, grad_sq=None):
    """A made record of width's job: every claimed effect of log size ``eff`` (the same in every
    seed), every arm's value varying from seed to seed by exp(noise·z); AdaGrad's runs record
    ``acc`` as their initial accumulator; GD reaches 10⁻³ of its start within the steps or not."""
    import math
    i = cfg["seeds"].index(job["seed"])
    nf, e, m = math.exp(noise * _WZ[i]), math.exp(eff), job["width"]
    steps = list(range(0, cfg["steps"] + 1, cfg["record_every"]))
    t = [s / cfg["steps"] for s in steps]
    if job["sweep"] in ("alpha", "depth"):
        if job["sweep"] == "alpha":
            mv = nf * math.exp(-eff * math.log(m) / math.log(max(cfg["alpha_widths"]))) / (e if job["alpha"] > 1 else 1)
            final = 0.1 * nf * (e if job["alpha"] > 1 else 1)
            out = alpha_out
        else:
            mv = nf * (e if job["hidden"] == 1 else 1)
            final = 0.1 * nf * (e if job["hidden"] == 1 else 1)
            out = (depth_out or {}).get(job["alpha"], 0.3)
        return dict(job, status="max_steps", lr=cfg["base_lr"], step=steps, train_loss=[1.0 * (final / 1.0) ** x for x in t],
                    final_loss=final, final_movement=mv, mean_layer_movement=mv, train_loss_0=1.0, output_ratio=out,
                    eta_lambda=1e-3)
    base, o = cfg["base_lr"], job["optimizer"]
    if job["sweep"] == "scale":
        lo = job["scale"] == min(cfg["init_scales"])
        l0, final = (scale_loss or {True: (0.2, 0.02), False: (20.0, 4.0)})[lo]
        curve = [l0 * nf * (final / l0) ** x for x in t]
        return dict(job, status="max_steps", lr=base, step=steps, train_loss=curve, final_loss=curve[-1],
                    train_loss_0=curve[0], output_ratio=0.2 if lo else 3.0, relative_movement=(0.5 if lo else 0.1) * nf,
                    final_movement=0.1, movement=[0.1] * len(steps), effective_lr=[base] * len(steps),
                    final_effective_lr=base, eta_lambda=1e-3, grad_rms=0.1, test_loss=curve[-1] + (0.01 if lo else 1.0))
    size = math.log(m) / math.log(max(cfg["widths"]))
    gd_mv = nf * math.exp(-eff * size)
    # GD: the log loss falls linearly, faster in wider nets (to 1e-5 of its start, or only to 0.4 of it)
    gd_end = (math.log(1e-5) * nf * (1 + abs(eff) * size) / (1 + abs(eff))) if reach else math.log(0.4) * nf
    narrow = m < 1000
    if o == "gd":
        curve, mv, rate = [math.exp(gd_end * x) for x in t], gd_mv, [base] * len(steps)
    elif o == "adagrad":
        end = gd_end + (eff if narrow else -eff)
        curve, mv = [math.exp(end * x) for x in t], gd_mv
        rate = [base * math.exp(-eff if narrow else eff) * (narrow_rate if narrow else 1.0)] * len(steps)
    else:
        curve = [math.exp(gd_end * x) * (1.5 if k % 2 else 1.0) for k, x in enumerate(t)]
        mv = gd_mv * e
        rate = [300 * base * e * nf * e ** x for x in t]
    r = dict(job, status="max_steps", lr=base, step=steps, train_loss=curve, final_loss=curve[-1], train_loss_0=1.0,
             movement=[mv * x for x in t], final_movement=mv, effective_lr=rate, final_effective_lr=rate[-1],
             relative_movement=mv, eta_lambda=1e-3, grad_rms=m ** -0.5, output_ratio=0.3, test_loss=curve[-1])
    if o == "adagrad":
        r["initial_accumulator"] = acc
        # the squared gradients' sum per weight that gives this final rate, every weight alike
        r["final_grad_sq"] = (base / rate[-1]) ** 2 - acc if grad_sq is None else grad_sq
    return r


def width_rows(**kw):
    exp = REGISTRY["width"]
    cfg = experiments.resolve_config("width", "standard")
    recs = [width_record(cfg, j, **kw) for j in exp.jobs(cfg)]
    return _Prefixed((c.claim, c) for c in exp.claims(cfg, recs))


class _Prefixed(dict):
    """{claim: row}, looked up by the claim's start (one row each)."""
    def __getitem__(self, prefix):
        hits = [v for k, v in self.items() if k.startswith(prefix)]
        assert len(hits) == 1, (prefix, len(hits))
        return hits[0]


def test_width_next30_narrow_row_needs_adagrads_rate_below_the_base_at_every_narrow_width():
    """next29-e read the narrow-slower row's premise at m = 10 only; next30 (an audit of issue 25: the row's
    *not reproduced* rested on m = 100, its rate at 2.74× base) at m = 100 too — 004 Sect. 2.2 gives G_t's
    growth as the narrow nets' cause at m = 10 and 100. A narrow width whose AdaGrad rate ends at or above
    the base is premise not met, named, and the row too unless a width where no premise fails shows the
    claim false; the final rate and its time-average are printed per width."""
    name = "AdaGrad: narrow nets converge more slowly than under GD"
    row = width_rows(acc=0.1)[name]
    assert row.verdict == "reproduced" and "AdaGrad's effective rate ends at 0.368× base, its time-average 0.368× " \
        "(medians)" in row.measured, row
    above = width_rows(acc=0.1, narrow_rate=2 * 2.718281828459045)[name]
    below = ("(squared gradients summed to 0.15 per weight, below 0.9: the rate cannot fall below the base within "
             "this run's 2000 steps)")
    assert above.verdict.startswith("inconclusive: premise not met (AdaGrad's effective rate ends at 2× the base at m = "
                                    f"10 {below}, 2× the base at m = 100 {below} (medians), not below it, where 004 Sect. 2.2 has the "
                                    "narrow nets' G_t grow so that it falls (\"greatly reduced from this base value\" at "
                                    "m = 10); TensorFlow's accumulator 0.1 starts it at √(1/0.1)× base, so below the base "
                                    "needs the accumulator above 1, the squared gradients' sum above 0.9 per weight "
                                    "(the rate a mean over W¹))"), above
    assert "m = 10: above GD's in 8 of 8 seeds" in above.measured and "(AdaGrad's effective rate ends at 2× the base at " \
        f"m = 100 {below} (median), not below it))" in above.measured, above
    # next31: a sum past 0.9 with the mean rate still above the base says so, not that the run was too short
    past = width_rows(acc=0.1, narrow_rate=2 * 2.718281828459045, grad_sq=2.0)[name]
    assert "2× the base at m = 10 (squared gradients summed to 2 per weight, past 0.9, yet the weights' sums are " \
        "uneven enough that the mean rate stays above the base)" in past.verdict, past.verdict
    assert "cannot fall below the base" not in past.verdict, past.verdict
    # AdaGrad faster at both narrow widths, its rate above the base there (2.72×): the premise fails at both
    against = width_rows(acc=0.1, eff=-1.0)[name]
    assert against.verdict.startswith("inconclusive: premise not met (AdaGrad's effective rate ends at 2.72× the base at "
                                      "m = 10 (squared gradients summed to 0.0353 per weight, below 0.9"), against
    # faster with its rate below the base (0.544×): the claim shown false
    shown = width_rows(acc=0.1, eff=-1.0, narrow_rate=0.2)[name]
    assert shown.verdict == "not reproduced" and "ends at 0.544× base" in shown.measured, shown


def test_width_next31_seeds():
    assert experiments.resolve_config("width", "standard")["seeds"] == list(range(660, 668))


def test_width_next31_rate_row_reads_its_narrow_half_only_where_the_squared_gradients_can_pass_the_accumulator():
    """next31 (an audit of issue 25 and two pre-run reviews): the effective-rate row's m = 10 half can pass only
    once AdaGrad's squared gradients have summed past 1 − 0.1 per weight of W¹ (short of it the mean rate stays
    above the base by Jensen). The median seed short of it is premise not met, and the row reads not reproduced
    then only if the wide half alone is shown false; past it every seed is judged, a short one counting against
    the claim; no sum recorded is inconclusive, not measured. Each width prints the sum beside its rate."""
    name = "AdaGrad: the hidden layer's effective rate ends above the base"
    row = width_rows(acc=0.1)[name]   # every run's rate as its sum gives: m = 10 at 0.368× base (sum 7.29)
    assert row.verdict == "reproduced", row
    assert "m = 10: median 0.368× base (squared gradients' sum 7.29 per weight)" in row.measured, row.measured
    assert "premise of the m = 10 half: the squared gradients summed to at least 0.9 per weight in the median seed" \
        in row.paper, row.paper
    # the m = 10 rate above the base, the median sum short of 0.9: premise not met
    short = width_rows(acc=0.1, narrow_rate=2 * 2.718281828459045)[name]
    assert short.verdict == ("inconclusive: premise not met (at m = 10 AdaGrad's squared gradients summed over the run "
                             "reach 0.15 per weight of W¹ (median over seeds), short of the 0.9 that TensorFlow's "
                             "accumulator 0.1 needs before the mean rate can fall below the base: within this run's 2000 "
                             "steps that half cannot pass)"), short
    # the sum past 0.9 and the rate still above the base (weights unlike): the claim shown false
    past = width_rows(acc=0.1, narrow_rate=2 * 2.718281828459045, grad_sq=2.0)[name]
    assert past.verdict == "not reproduced", past
    # the wide nets' rates below the base: the wide half shown false decides the row whatever the m = 10 half
    wide = width_rows(acc=0.1, eff=-1.0)[name]
    assert wide.verdict == "not reproduced", wide
    exp, cfg = REGISTRY["width"], experiments.resolve_config("width", "standard")

    def rows(edit):
        recs = [width_record(cfg, j, acc=0.1) for j in exp.jobs(cfg)]
        for r in recs:
            edit(r)
        return _Prefixed((c.claim, c) for c in exp.claims(cfg, recs))[name]

    def some_short(seeds):   # those seeds' m = 10 runs short of 0.9, their rate above the base as Jensen demands
        return lambda r: r.update(final_grad_sq=0.5, final_effective_lr=2 * r["lr"]) if (
            "final_grad_sq" in r and r["width"] == 10 and r["seed"] in seeds) else None
    # three of eight seeds short, the median past 0.9: every seed judged, the short ones against the claim
    three = rows(some_short(set(cfg["seeds"][:3])))
    assert "the claimed ordering in 5 of 8 seeds" in three.measured and three.verdict != "reproduced", three
    # five of eight short: the median seed is short, premise not met
    five = rows(some_short(set(cfg["seeds"][:5])))
    assert five.verdict.startswith("inconclusive: premise not met (at m = 10 AdaGrad's squared gradients summed over "
                                   "the run reach 0.5 per weight"), five
    # no sum recorded (records made before next31): not measured, not premise not met
    none = rows(lambda r: r.pop("final_grad_sq", None))
    assert none.verdict == ("inconclusive: the squared gradients' sum at m = 10 was not measured (no run recorded "
                            "final_grad_sq)"), none
    assert "m = 10: median 0.368× base (squared gradients' sum not measured)" in none.measured, none.measured
    # a sum of exactly 0 (every unit dead) is a measured sum, not a missing one
    dead = rows(lambda r: r.update(final_grad_sq=0.0) if "final_grad_sq" in r and r["width"] == 10 else None)
    assert "reach 0 per weight" in dead.verdict, dead.verdict


def test_width_next30_gd_speed_ranks_say_where_every_run_ties():
    row = width_rows(reach=False)["GD: wider networks converge faster"]
    assert "in no seed (every run ties at 2001: nothing to rank)" in row.measured, row.measured


def test_width_next29_gd_speed_size_not_measured_where_no_run_reaches():
    row = width_rows(reach=False)["GD: wider networks converge faster"]
    assert "; size: not measured (no GD run reaches 0.001× its initial loss)" in row.measured, row.measured
    assert "median 0 against" not in row.measured and "0 of 0 seeds" not in row.measured


def test_width_next24_gd_speed_row_says_why_no_gd_run_can_be_ranked():
    """next24: no GD run reaching 10⁻³ of its start reads premise not met with GD's η·λ_max and
    loss ratio per width and Glorot's 1/√m output scale (main: "only 0 of 8 seeds usable");
    where GD does reach it, the rank trend decides."""
    row = width_rows(reach=False)["GD: wider networks converge faster"]
    assert row.verdict.startswith("inconclusive: premise not met (no GD run reaches 0.001× its initial loss"), row
    assert "η·λ_max at θ₀ (median) is 0.001" in row.verdict and "stable edge 2" in row.verdict
    assert "falls like 1/√m" in row.verdict and "no larger kernel makes the wider nets faster" in row.verdict
    assert width_rows(reach=True)["GD: wider networks converge faster"].verdict == "reproduced"


def test_width_next24_adagrad_rows_need_tensorflows_accumulator():
    """next24: every row reading AdaGrad's runs is inconclusive unless they start the accumulator
    at TensorFlow's 0.1 (004's framework); with it they decide (main judged them at 0)."""
    names = ["AdaGrad: the hidden layer's effective rate ends above the base 0.0005 for the wide nets",
             "AdaGrad: narrow nets converge more slowly than under GD", "AdaGrad: wide nets converge faster than under GD",
             "AdaGrad: the hidden units move less from their initialization in wider networks",
             "RMSprop's training loss oscillates more than AdaGrad's",
             "RMSprop moves the hidden units further from their initialization than AdaGrad"]
    off, on, against = width_rows(acc=0.0), width_rows(acc=0.1), width_rows(acc=0.1, eff=-1.0)
    for n in names:
        assert off[n].verdict.startswith("inconclusive: fastntk's AdaGrad starts its accumulator at 0, "), (n, off[n])
        assert on[n].verdict == "reproduced", (n, on[n])
    assert against["AdaGrad: wide nets converge faster than under GD"].verdict == "not reproduced"
    # RMSprop's own rows do not read AdaGrad's runs
    assert off["RMSprop moves the hidden units further from their initialization than GD"].verdict == "reproduced"


def test_width_next24_every_direction_row_has_a_seed_spread_floor():
    """next24: a tiny effect of the same sign in every seed (log 0.01), inside a seed-to-seed
    spread of about 0.3 in log, reads inconclusive on every direction row (main: reproduced on
    all of them, no floor passed), reproduced at log 1 against a spread of 0.05."""
    names = ["GD: the hidden units move less from their initialization in wider networks",
             "AdaGrad: narrow nets converge more slowly than under GD", "AdaGrad: wide nets converge faster than under GD",
             "AdaGrad: the hidden units move less from their initialization in wider networks",
             "RMSprop (γ = 0.9): the effective rate increases over training at every width",
             "RMSprop moves the hidden units further from their initialization than AdaGrad",
             "RMSprop moves the hidden units further from their initialization than GD",
             "with the output scaled by α and both layers trained, the hidden units move less the wider the net, at every α",
             "a larger output scale moves the hidden units less", "a smaller output scale converges better",
             "at width 10, nets with 5 hidden layers reach a lower loss than nets with 1, whatever α ∈ [1.0, 10.0]",
             "at width 10, nets with 5 hidden layers move their weights less than nets with 1"]
    tiny, clear = width_rows(eff=0.01, noise=0.3), width_rows(eff=1.0, noise=0.05)
    for n in names:
        assert tiny[n].verdict.startswith("inconclusive"), (n, tiny[n])
        assert "below the seed-to-seed spread" in tiny[n].verdict + tiny[n].measured, (n, tiny[n])
        assert clear[n].verdict == "reproduced", (n, clear[n])


def test_width_next24_init_std_loss_row_judges_004s_absolute_loss():
    """next24: 004 Fig. 5 plots the absolute loss: the smaller std ending lower reads reproduced
    even where its loss fell less relative to its start (main judged the relative loss: not
    reproduced); ending higher reads not reproduced."""
    name = "a smaller initialization std gives a lower loss"
    assert width_rows()[name].verdict == "reproduced"
    worse = width_rows(scale_loss={True: (2.0, 1.0), False: (20.0, 0.5)})[name]
    assert worse.verdict == "not reproduced", worse


def test_width_next28_loss_rows_report_the_order_at_theta0():
    """next28 (the review of 480–487, then the pre-run review): beside a loss row whose settings
    start at different losses, how much of its order θ₀ sets — the order at θ₀ and relative to
    each run's own loss there — reported, not judged (004 compares the loss itself)."""
    name = "a smaller initialization std gives a lower loss"
    set_at_start = width_rows(scale_loss={True: (0.2, 0.1), False: (20.0, 4.0)})[name]
    assert set_at_start.verdict == "reproduced", set_at_start
    assert ("at θ₀ the claimed order already in 8 of 8 seeds (median log ratio 4.61), relative to each run's own loss "
            "at θ₀ in 0 of 8 (median -0.916)") in set_at_start.measured, set_at_start
    assert "relative to each run's own loss at θ₀ in 8 of 8" in width_rows()[name].measured


def test_width_next24_alpha_rows_judge_004s_setting_and_report_the_output():
    """next24 (a pre-run review): 004 states Figs. 7 and 8 "regardless of scaling" and explains Fig. 8
    by depth amplifying NTK changes, so no row needs the output close to zero at θ₀ (at α = 10 the
    output is 10·f(θ₀): main's Fig. 7 premise could never pass); the ratio is reported per α (and per
    depth for Fig. 8) beside each row."""
    rows = width_rows(alpha_out=5.0, depth_out={1.0: 0.3, 10.0: 5.0})
    fig7 = [c for k, c in rows.items() if k.startswith(("with the output scaled by α", "a larger output scale",
                                                         "a smaller output scale"))]
    fig8 = [c for k, c in rows.items() if k.startswith("at width 10")]
    assert len(fig7) == 3 and len(fig8) == 2
    for row in fig7 + fig8:
        assert "output is not close to zero" not in row.verdict, row
        assert "RMS f(θ₀) / RMS y median" in row.measured, row
    assert all(c.verdict == "reproduced" for c in fig8), fig8
    assert "5 (1-layer), 5 (5-layer)" in fig8[0].measured and "at α = 10" not in fig8[0].verdict, fig8[0]


def test_initialization_next29_texts_and_the_per_sigma_f_int_premise():
    """next29-g (the known faults the review of 490–494 left): the f_int rows' Lemma 1 premise reads the distance
    per small σ with its standard error (a σ straddling LAZY: premise not shown); the laziness row's cell for a σ
    with one usable run says so instead of "± nan"; an f_int row with no usable small-σ run prints a dash, not
    "nan (0 seeds over 0 runs"."""
    name = "initialization"
    cfg = {**experiments.resolve_config(name, "standard"), "depths": [2], "widths": [4000]}
    exp = REGISTRY[name]
    rows = lambda recs: {c.claim.split(" (")[0]: c for c in exp.claims(cfg, recs)}  # noqa: E731
    base = _made_initialization(cfg)
    spread_ = dict(zip(cfg["seeds"], [0.08, 0.09, 0.1, 0.11, 0.12]))
    straddle = [dict(r, lin_T_distance=spread_[r["seed"]]) if r["sigma"] == 0.5 else r for r in base]
    f_int = rows(straddle)["L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert f_int.verdict.startswith("inconclusive: premise not shown (Lemma 1's regime over the "), f_int.verdict
    assert "median ‖f_NN − f_lin,t‖/‖f_lin,t‖ within its standard error of 0.1 at σ = 0.5: 0.100 ± " in f_int.verdict
    one = [dict(r, status="max_steps", train_loss=1.0) if r["sigma"] == 4.0 and r["seed"] != cfg["seeds"][0] else r
           for r in base]
    lazy = rows(one)["L = 2: the nets trained to equal loss are close to their linearizations"]
    assert "± nan" not in lazy.measured and "(1 seed, so no standard error)" in lazy.measured, lazy.measured
    none = [dict(r, status="max_steps", train_loss=1.0) if r["sigma"] <= 1.0 else r for r in base]
    f_int = rows(none)["L = 2: at small σ the trained net is close to the kernel interpolator f_int"]
    assert f_int.measured.startswith("median over θ₀ of ∣log₂(test loss f_NN / f_int)∣ — (no usable small-σ run; "), \
        f_int.measured
    assert "nan (0 seeds" not in f_int.measured


def test_linear_regression_next31_speed_row_says_it_can_hardly_fail_here(tmp_path):
    """next31 (an audit of issue 25): with y drawn independently of x only d = 80 keeps a least-squares
    residual, so only it has SGD's noise floor and the "ends lower" row can hardly fail; its paper cell says so
    and that this is consistent with 003 Sect. 3's account of the noise floor. Seeds 660–667, paper preset 3–5."""
    assert experiments.resolve_config("linear-regression", "standard")["seeds"] == list(range(660, 668))
    assert experiments.resolve_config("linear-regression", "paper")["seeds"] == [3, 4, 5]
    out = str(tmp_path / "lr")
    experiments.run("linear-regression", "quick", out, dict(seeds=[0, 1], steps=50, record_every=10), progress=False)
    with open(os.path.join(out, "config.json")) as f:
        cfg = json.load(f)
    row = REGISTRY["linear-regression"].claims(cfg, experiments.load(out))[0]
    assert row.claim.startswith("SGD (batch 1) ends lower for the over-parameterized model"), row.claim
    assert "in this setting the row can hardly fail: d = 120 interpolates and d = 80 cannot" in row.paper, row.paper
    assert "consistent with 003 Sect. 3's account" in row.paper, row.paper


def test_classifier_widths_rows_read_the_widest_net_against_the_rest():
    """classifier-widths (004 Figs. 9–11): per seed, the widest net against the narrower ones at the
    registered epochs, a sign test over the seeds; the convergence row only where the widest led; Fig. 9's
    largest training–validation error gap over the trials against 0.07; runs that stopped early, or learnt
    nothing (no better than the majority class), are not read and the rows say so."""
    name = "classifier-widths"
    exp = REGISTRY[name]
    cfg = experiments.resolve_config(name, "standard")
    assert cfg["curve_seeds"] == list(range(740, 748)) and cfg["gap_seeds"] == list(range(750, 770))
    assert len(exp.jobs(cfg)) == 8 * 4 + 20 and cfg["epochs"] == 2000

    def made(lead=0.1, late_rise=1e-4, gap=0.03, status="max_steps", learnt=True, keep_lead=False):
        recs = []
        for j in exp.jobs(cfg):
            e = list(range(j["epochs"] + 1))
            wide = j["width"] == max(cfg["widths"])
            base = [1.0 / (1 + k) for k in e]
            ahead = [lead if wide and (k <= 5 or keep_lead) else 0.0 for k in e]
            train = [b - a for b, a in zip(base, ahead)]
            val = [b - a + (late_rise * k if wide else 0.0) for b, a, k in zip(base, ahead, e)]
            err = [0.1 - a / 10 + (0.05 if wide and k == e[-1] else 0.0) for a, k in zip(ahead, e)]
            recs.append(dict(j, status=status, steps=0, epoch=e, train_loss=train, val_loss=val, val_loss_clipped=val,
                             val_error=err, train_error=err, train_error_end=(0.1 - gap) if learnt else 0.6,
                             majority=0.5))
        return recs

    def rows(recs):
        return {c.claim: c for c in exp.claims(cfg, recs)}
    good = rows(made())
    assert len(good) == 6
    for claim, c in good.items():
        assert c.verdict == "reproduced", (claim, c)
    bad = rows(made(lead=-0.1, late_rise=-1e-4, gap=0.09))
    assert bad["over epochs 1–5 the widest net (m = 10000) has the lowest training error"].verdict == "not reproduced"
    assert bad["the widest net's validation loss rises over the second half of the 2000 epochs"].verdict == "not reproduced"
    converge = "from epoch 5 to 10 the widest net's validation loss converges towards the narrower nets'"
    assert bad[converge].verdict.startswith("inconclusive: premise not met"), bad[converge]
    assert rows(made(keep_lead=True, late_rise=0.0))[converge].verdict.startswith("inconclusive: no difference"), \
        "a lead kept is no convergence"
    gap_row = "m = 1000: over 20 95:5 splits the gap between training and validation error never exceeds 0.07 (1000 epochs)"
    assert bad[gap_row].verdict == "not reproduced"
    stopped = rows(made(status="diverged"))
    assert all(c.verdict.startswith("inconclusive: only 0 of") for k, c in stopped.items() if k != converge), stopped
    assert "status diverged: 32" in stopped["over epochs 1–5 the widest net (m = 10000) has the lowest training error"].measured
    assert rows(made(learnt=False))[gap_row].verdict.startswith("inconclusive: only 0 of 20 trials")
    # The widest net's validation error in the middle of the widths is not "the highest".
    middle = made()
    for r in middle:
        if r["kind"] == "curve" and r["width"] == 10:
            r["val_error"] = [v + 0.2 for v in r["val_error"]]
    acc_row = "after 2000 epochs the widest net (m = 10000) has the highest validation error"
    assert rows(middle)[acc_row].verdict == "not reproduced", rows(middle)[acc_row]
