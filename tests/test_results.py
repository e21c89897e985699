"""The committed results stand: every docs/results/NAME (standard preset) and
docs/results-paper/NAME (paper preset) verdict table is recomputed from its records and
config alone and equals its summary.md; it was judged under the claim
rules in the code now and produced by its preset as the code has it now (so a rule or a
setting cannot change without the results being redone); and the check fails on a
tampered record, a changed rule and a changed preset."""
import json
import os
import re
import shutil

import pytest

pytest.importorskip("matplotlib")

from fastntk import claims, cli, experiments  # noqa: E402
from fastntk.experiments import _training, _verdict, initialization  # noqa: E402

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs")
ROOT = os.path.join(DOCS, "results")
PAPER_ROOT = os.path.join(DOCS, "results-paper")


def _committed(root):
    return sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "config.json"))) \
        if os.path.isdir(root) else []


COMMITTED = _committed(ROOT)
PAPER = _committed(PAPER_ROOT)
# every committed folder, standard and paper runs alike: (path, its preset)
FOLDERS = [(os.path.join(ROOT, n), "standard") for n in COMMITTED] + \
    [(os.path.join(PAPER_ROOT, n), "paper") for n in PAPER]
FOLDER_IDS = [os.path.relpath(f, DOCS) for f, _ in FOLDERS]
# A machine's folder in a record of results: results name their data, never where it lay.
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:home|root|work|tmp|Users|mnt|opt|data|scratch)/")


# Results made before config.json recorded the training procedure's fingerprint
# (2026-12-05); every one has been rerun since, and the list can only shrink.
BEFORE_PROCEDURE: set[str] = set()


def test_results_exist():
    assert COMMITTED


def test_new_results_record_their_training_procedure():
    unrecorded = set()
    for out, _ in FOLDERS:
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            if "procedure" not in json.load(f):
                unrecorded.add(os.path.basename(out))
    assert unrecorded <= BEFORE_PROCEDURE


@pytest.mark.parametrize("out, preset", FOLDERS, ids=FOLDER_IDS)
def test_committed_verdicts_stand(out, preset):
    assert experiments.check(out, preset=True) == []


@pytest.mark.parametrize("out, preset", FOLDERS, ids=FOLDER_IDS)
def test_committed_results_record_their_provenance_and_no_paths(out, preset):
    name = os.path.relpath(out, DOCS)
    with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    # each folder holds its own preset's runs: a paper run under docs/results would be read as a standard one
    assert cfg["preset"] == preset
    sessions = cfg["provenance"]["sessions"]
    assert sessions and all(s.get("commit") and s.get("numpy") and s.get("cpu") and s.get("start") for s in sessions)
    # a session killed before it finished (the machine's session ended) records no wall time;
    # the one that finished the run does
    assert isinstance(sessions[-1].get("wall_s"), (int, float))
    assert all(isinstance(s.get("wall_s"), (int, float)) or "wall_s" not in s for s in sessions)
    if cfg.get("data", "").split(":")[0] in ("mnist", "fashion", "digits"):
        assert sessions[0]["data"], "the data files' SHA-256 are recorded"
    for fname in ("config.json", "summary.md", "records.jsonl"):
        with open(os.path.join(out, fname), encoding="utf-8") as f:
            text = f.read()
        assert not MACHINE_PATH.search(text), f"{name}/{fname} names a folder of the machine that ran it"


TINY = dict(depths=[2], widths=[20], sigmas=[1.0, 4.0], seeds=[0, 1], n_train=10, n_test=10, max_steps=300)


def run_tiny(out):
    return experiments.run("initialization", "quick", out, TINY, progress=False)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("results") / "initialization")
    run_tiny(out)
    return out


def copy(src, tmp_path):
    dst = str(tmp_path / "copy")
    shutil.copytree(src, dst)
    return dst


def test_check_passes_on_an_untouched_run(tiny_run, capsys):
    assert experiments.check(tiny_run) == []
    assert cli.main(["report", "--check", tiny_run]) == 0
    assert "the verdict table stands" in capsys.readouterr().out


def test_check_fails_on_a_tampered_record(tiny_run, tmp_path, capsys):
    out = copy(tiny_run, tmp_path)
    path = os.path.join(out, "records.jsonl")
    with open(path) as f:
        records = [json.loads(line) for line in f]
    for r in records:  # runs that stopped at the step cap passed off as converged
        r.update(status="converged", train_loss=1e-6, steps=250)
    with open(path, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    problems = experiments.check(out)
    assert problems and all(p.startswith("row ") for p in problems)
    assert cli.main(["report", "--check", out]) == 1
    assert "summary.md says" in capsys.readouterr().out


def test_check_fails_on_an_edited_summary(tiny_run, tmp_path):
    out = copy(tiny_run, tmp_path)
    path = os.path.join(out, "summary.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("| inconclusive", "| reproduced", 1))
    assert any(p.startswith("row 1") for p in experiments.check(out))


def test_check_fails_when_a_rule_changes_after_the_runs(tiny_run, monkeypatch):
    monkeypatch.setattr(initialization, "SLOPE_TOL", initialization.SLOPE_TOL + 0.25)
    assert any(p.startswith("claim rules:") for p in experiments.check(tiny_run))
    monkeypatch.undo()
    monkeypatch.setattr(_verdict, "ALPHA", 0.1)
    assert any(p.startswith("claim rules:") for p in experiments.check(tiny_run))


def test_check_fails_when_the_training_procedure_changes_after_the_runs(tiny_run, monkeypatch):
    assert experiments.check(tiny_run) == []
    monkeypatch.setattr(_training, "RETRIES", _training.RETRIES + 1)
    problems = experiments.check(tiny_run)
    assert [p.split(":")[0] for p in problems] == ["training procedure"]


def test_a_run_made_by_another_procedure_is_not_resumed(tiny_run, tmp_path, monkeypatch):
    out = copy(tiny_run, tmp_path)
    monkeypatch.setattr(_training, "SGD_EPOCHS", 7)
    with pytest.raises(experiments.ExperimentError, match="another training procedure"):
        run_tiny(out)


def test_check_fails_when_a_preset_changes_after_the_runs(tmp_path, monkeypatch):
    quick = dict(initialization.Initialization.presets["quick"], depths=[2], widths=[20], sigmas=[1.0, 4.0],
                 seeds=[0], n_train=10, n_test=10, max_steps=100)
    monkeypatch.setitem(initialization.Initialization.presets, "quick", quick)
    out = str(tmp_path / "run")
    experiments.run("initialization", "quick", out, progress=False)
    assert experiments.check(out, preset=True) == []
    monkeypatch.setitem(initialization.Initialization.presets, "quick", dict(quick, max_steps=200))
    problems = experiments.check(out, preset=True)
    assert problems == ["setting max_steps: the runs used 100, the quick preset is now 200 — a preset changed "
                        "after the runs; rerun with new seeds"]
    # the command line's `report --check --preset` reads the same, and without --preset the settings are not compared
    from fastntk import cli
    assert cli.main(["report", out, "--check"]) == 0
    assert cli.main(["report", out, "--check", "--preset"]) == 1


def test_a_run_started_under_other_rules_is_not_resumed(tiny_run, tmp_path, monkeypatch):
    out = copy(tiny_run, tmp_path)
    monkeypatch.setattr(_verdict, "MIN_PAIRS", 7)
    with pytest.raises(experiments.ExperimentError, match="other claim rules"):
        run_tiny(out)


def test_provenance_names_the_data_by_hash_not_path(tiny_run):
    with open(os.path.join(tiny_run, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["data"] == "digits"
    s = cfg["provenance"]["sessions"][0]
    assert set(s) >= {"fastntk", "commit", "python", "numpy", "blas", "cpu", "cores", "start", "wall_s", "data"}
    assert all(len(v) == 64 for v in s["data"].values())


def test_readme_table_is_generated_from_the_committed_results():
    """docs/results.md's verdict table is `fastntk report --table docs/results/*` (links
    relative to docs/), verbatim; the README's short table is the claims registry's summary
    with the table's count line."""
    root = os.path.join(os.path.dirname(__file__), "..")
    with open(os.path.join(root, "docs", "results.md"), encoding="utf-8") as f:
        text = f.read()
    block = text.split("<!-- verdicts -->\n", 1)[1].split("<!-- /verdicts -->", 1)[0].strip().splitlines()
    here = os.getcwd()
    try:
        os.chdir(root)
        want = experiments.verdict_table([os.path.join("docs", "results", d) for d in COMMITTED], "results")
        short = claims.summary(os.path.join("docs", "results")) + ["", want[0]]
    finally:
        os.chdir(here)
    assert block == want
    # issue 31: the rows cite papers by key ("000 Fig. 2"); the table names each cited key's paper once
    import re
    cited = {k for row in want if row.startswith("|") for k in re.findall(r"(?<![\w.])(00\d)(?![\w.])", row)}
    assert cited and all(f"- {k}: {claims.PAPERS[k]}" in want for k in cited), cited
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert readme.split("<!-- summary -->\n", 1)[1].split("<!-- /summary -->", 1)[0].strip().splitlines() == short


def test_paper_presets_doc_lists_the_committed_paper_runs():
    """docs/paper-presets.md's table of committed paper runs is `fastntk report --table
    docs/results-paper/*` (links relative to docs/), verbatim."""
    with open(os.path.join(DOCS, "paper-presets.md"), encoding="utf-8") as f:
        text = f.read()
    block = text.split("<!-- paper-verdicts -->\n", 1)[1].split("<!-- /paper-verdicts -->", 1)[0].strip().splitlines()
    here = os.getcwd()
    try:
        os.chdir(os.path.join(DOCS, ".."))
        want = experiments.verdict_table([os.path.join("docs", "results-paper", d) for d in PAPER], "results-paper")
    finally:
        os.chdir(here)
    assert PAPER and block == want
