"""Every experiment end to end in a tiny configuration; resuming; the command line."""
import json
import os

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from conftest import TOL  # noqa: E402
from fastntk import cli, experiments  # noqa: E402
from fastntk.experiments import REGISTRY  # noqa: E402


def read(path):
    with open(path) as f:
        return f.read()

TINY = {
    "initialization": dict(depths=[2], widths=[20], sigmas=[1.0, 4.0], seeds=[0], n_train=10, n_test=10, max_steps=300),
    "adaptive": dict(widths=[20, 40], optimizers=["gd", "adam"], seeds=[0], n_train=10, n_test=10, max_steps=200),
    "stochastic": dict(widths=[20], ratios=[0.5, 1.0], optimizers=["sgd", "adagrad"], n_train=10, n_test=10,
                       max_steps=200),
    "overparameterization": dict(n_sizes=[5, 10], width=20, optimizers=["gd", "sgd", "adagrad"], sigmas=[1.0],
                                 n_test=10, max_steps=200),
    "sigma-selection": dict(width=20, max_rounds=3, seeds=[0], n_train=10, n_val=10, n_test=10, max_steps=2000),
    "bump": dict(widths=[50], sigmas=[1.0, 4.0], seeds=[0], n_train=5, n_test=20, max_steps=2000),
    "gradient-confusion": dict(widths=[10, 20], depths=[2, 3], fixed_width=10, fixed_depth=2, seeds=[0],
                               max_steps=20, n_train=10, batch_size=3, theory_data="sphere:5"),
    "width": dict(data="gaussian:10", n_train=10, widths=[5, 20], optimizers=["gd", "adagrad", "rmsprop"], steps=50,
                  record_every=10, scale_width=20, init_scales=[0.5, 1.0]),
    "underparameterized": dict(n_train=100, n_test=5, under_width=1, over_width=10, optimizers=["gd", "adam"],
                               sigmas=[1.0], max_steps=300),
}


def test_every_experiment_has_a_tiny_test():
    assert set(TINY) == set(REGISTRY)


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
    if cfg["data"] == "mnist":
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
    assert "initialization" in capsys.readouterr().out
    args = ["run", "initialization", "--out", out, "--no-progress", "--depths", "2", "--widths", "20",
            "--sigmas", "1,4", "--seeds", "0", "--n-train", "10", "--n-test", "10", "--max-steps", "200"]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "2 of 2 runs done" in text and "slope" in text
    cfg = json.loads(read(os.path.join(out, "config.json")))
    assert cfg["sigmas"] == [1.0, 4.0] and cfg["widths"] == [20]
    assert cli.main(["report", out]) == 0
    assert cli.main(["config"]) == 0


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "unknown experiment"),
    (["run", "initialization", "--preset", "huge"], "unknown preset"),
    (["run", "initialization", "--data", "mnist:/does/not/exist", "--no-progress"], "no such file"),
    (["run", "initialization", "--data", "imagenet", "--no-progress"], "unknown dataset"),
    (["run", "initialization", "--widths", "x", "--no-progress"], "--widths"),
    (["report", "/does/not/exist"], "not a fastntk run directory"),
])
def test_cli_errors(args, message, capsys, tmp_path):
    if "--no-progress" in args:
        args = args + ["--out", str(tmp_path / "o")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli.main(["run", "initialization", "--out", str(f), "--no-progress"]) == 2
    assert "not a directory" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only directories")
def test_cli_out_read_only(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    assert cli.main(["run", "initialization", "--out", str(d / "x"), "--no-progress"]) == 2
