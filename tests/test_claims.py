"""The claims registry: an entry for every numbered theorem, lemma, example and figure of
the five papers; each judged by experiment rows that exist, by tests that exist, or
not covered with a reason; and `fastntk claims` printing it with the latest verdicts."""
import ast
import inspect
import json
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from fastntk import claims
from fastntk.cli import main
from fastntk.experiments import REGISTRY, resolve_config

ROOT = Path(__file__).resolve().parents[1]
# The papers' texts (one file per key: KEY_*.txt) are not in the repository: FASTNTK_PAPERS names
# the folder that holds them (CONTRIBUTING.md). No default: without it the tests that read them skip.
PAPERS_DIR = Path(os.environ["FASTNTK_PAPERS"]) if os.environ.get("FASTNTK_PAPERS") else None

NUMBERED = re.compile(r"\b(Theorem|Corollary|Lemma|Example|Definition|Figure|Fig\.)\s*"
                      r"(\d+(?:\.[0-9A-Z]+)*|[A-Z](?:\.\d+)+)\b")
APPENDIX_ZERO = re.compile(r"^0\.(?=[A-Z])")
SHORT = {"Theorem": "Thm", "Corollary": "Cor.", "Lemma": "Lemma", "Example": "Example", "Definition": "Def.",
         "Figure": "Fig.", "Fig.": "Fig."}
# How each kind of ref is written out in the texts (case aside).
SPELLED = {"Thm": r"(?:Theorem|Thm\.?)", "Cor.": r"Corollary", "Lemma": r"(?:Lemma|Lem\.)", "Example": r"Example",
           "Def.": r"Definition", "Fig.": r"(?:Figure|Fig\.)", "Sect.": r"(?:Sect\.|Section)",
           "App.": r"(?:App\.|Appendix)"}


def paper_text(key):
    if PAPERS_DIR is None:
        pytest.skip("FASTNTK_PAPERS is not set: it names the folder of the papers' texts (KEY_*.txt; "
                    "CONTRIBUTING.md)")
    files = sorted(PAPERS_DIR.glob(f"{key}_*.txt")) if PAPERS_DIR.is_dir() else []
    if not files:
        pytest.skip(f"the text of paper {key} is not at {PAPERS_DIR} (set FASTNTK_PAPERS)")
    return files[0].read_text(encoding="utf-8")


def numbered_refs(text):
    """The numbered results a paper's text names, in the registry's spelling ("Thm 3.1";
    001's appendix numbers "0.G.1" as "G.1")."""
    return {SHORT[kind] + " " + APPENDIX_ZERO.sub("", num) for kind, num in NUMBERED.findall(text)}


def registered(paper, ref):
    """Whether the registry has an entry for ``ref`` of ``paper`` (a panel "Fig. 2a" or a
    part "Thm 4(a)" counts for its figure or theorem), under this paper's numbering or
    the one it shares with the other version."""
    own = re.compile(re.escape(ref) + r"(?:[a-z]|\(.*\))?")
    if any(e.paper == paper and own.fullmatch(e.ref) for e in claims.CLAIMS):
        return True
    other = claims.SAME_AS.get((paper, ref))
    return other is not None and registered(*other)


@pytest.mark.parametrize("paper", sorted(claims.PAPERS))
def test_every_numbered_result_of_the_papers_has_an_entry(paper):
    found = numbered_refs(paper_text(paper))
    assert found, f"no numbered results found in paper {paper}'s text"
    missing = sorted(ref for ref in found if not registered(paper, ref))
    assert not missing, f"paper {paper}: no registry entry for {missing}"


@pytest.mark.parametrize("paper", sorted(claims.PAPERS))
def test_every_registered_ref_is_in_its_paper(paper):
    text = paper_text(paper)
    for e in claims.CLAIMS:
        if e.paper != paper:
            continue
        kind, _, num = e.ref.partition(" ")
        num = re.sub(r"(?<=\d)(?:[a-z]|\(.*\))$", "", num)
        pattern = SPELLED[kind] + r"\s*(?:0\.)?" + re.escape(num) + r"(?![0-9])"
        assert re.search(pattern, text, re.I), f"{e.id}: the paper's text never names {e.ref}"


def test_entries_are_well_formed():
    ids = [e.id for e in claims.CLAIMS]
    assert len(ids) == len(set(ids)), "two entries share an id"
    for e in claims.CLAIMS:
        assert e.paper in claims.PAPERS or (e.paper is None and e.extra), e.id
        assert e.claim and e.setting, e.id
        # A verdict source or the reason there is none, never both.
        assert bool(e.judged_by) != bool(e.reason), e.id
        assert all(isinstance(s, (claims.Row, claims.Test)) for s in e.judged_by or ()), e.id
        if e.extra:
            assert e.judged_by and all(isinstance(s, claims.Row) for s in e.judged_by), e.id
    kinds = {e.ref.split(" ")[0] for e in claims.CLAIMS if e.paper}
    assert kinds <= set(SPELLED), kinds


def test_every_test_node_exists():
    for e in claims.CLAIMS:
        for s in e.judged_by or ():
            if isinstance(s, claims.Test):
                path, _, name = s.node.partition("::")
                tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
                assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, f"{e.id}: {s.node}"


class _Unmeasured(dict):
    """The record of a job that measured nothing: every field the job does not set is NaN."""

    def __missing__(self, key):
        return math.nan


# The presets whose results are committed; quick runs name their data differently
# ("digits, init: …"), and no registry entry reads them.
COMMITTED_PRESETS = ("standard", "paper")


def produced(name):
    """The claim cells experiment ``name`` writes under its committed presets, judged on
    records of its jobs that measured nothing; None when its claims() cannot take such
    records."""
    exp, cells = REGISTRY[name], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # medians of nothing
        for preset in [p for p in COMMITTED_PRESETS if p in exp.presets]:
            cfg = resolve_config(name, preset)
            try:
                cells |= {c.claim for c in exp.claims(cfg, [_Unmeasured(j) for j in exp.jobs(cfg)])}
            except Exception:
                return None
    return cells


def templates(name):
    """The claim cells the source of experiment ``name``'s claims() can write: one list per
    Claim(...) or rate_claim(...) call (whose first argument is the claim cell) of literal
    text and None (a value filled in when it runs), in the modules of every class whose claims()
    it reaches (bump's claims() rewrites initialization's rows)."""
    modules = {inspect.getmodule(k) for k in type(REGISTRY[name]).__mro__ if "claims" in vars(k)}
    out = []
    for node in (n for module in modules for n in ast.walk(ast.parse(inspect.getsource(module)))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Claim", "rate_claim")):
            continue
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "claim"), None)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out.append([arg.value])
        elif isinstance(arg, ast.JoinedStr):
            out.append([v.value if isinstance(v, ast.Constant) else None for v in arg.values])
        else:
            out.append([None])
    return out


def could_start(template, prefix):
    """Whether some text the template writes starts with ``prefix``."""
    for i, piece in enumerate(template):
        head = "".join(".*" if p is None else re.escape(p) for p in template[:i])
        tails = [".*"] if piece is None else [re.escape(piece[:j]) for j in range(len(piece) + 1)]
        if any(re.fullmatch(head + t, prefix, re.S) for t in tails):
            return True
    return False


def test_could_start_reads_templates():
    t = ["L = ", None, ": at large σ the test loss grows like σ^(", None, ")"]
    assert could_start(t, "L = 2: at large σ the test")
    assert could_start(t, "L = 2: at large σ the test loss grows like σ^(2L)")
    assert could_start(t, "L")
    assert not could_start(t, "M = 2: at large σ")
    assert could_start([None], "anything")
    assert not could_start(["P < N: the same"], "P ≥ N")


def test_every_row_is_a_claim_its_experiment_writes():
    rows = [(e, s) for e in claims.CLAIMS for s in e.judged_by or () if isinstance(s, claims.Row)]
    assert rows
    cells = {name: produced(name) for name in {s.experiment for _, s in rows} if name in REGISTRY}
    for e, s in rows:
        assert s.experiment in REGISTRY, f"{e.id}: no experiment {s.experiment!r}"
        assert any(could_start(t, s.prefix) for t in templates(s.experiment)), f"{e.id}: {s.prefix!r}"
        if cells[s.experiment] is not None:
            assert any(c.startswith(s.prefix) for c in cells[s.experiment]), f"{e.id}: {s.prefix!r}"


def test_every_row_the_experiments_write_is_registered():
    """Each claim row of a committed preset is a registered claim of a paper, or an extra check."""
    prefixes = {}
    for e in claims.CLAIMS:
        for s in e.judged_by or ():
            if isinstance(s, claims.Row):
                prefixes.setdefault(s.experiment, []).append(s.prefix)
    for name in REGISTRY:
        cells = produced(name)
        if cells is None:
            continue
        unregistered = sorted(c for c in cells if not any(c.startswith(p) for p in prefixes.get(name, ())))
        assert not unregistered, f"{name}: rows in no registry entry: {unregistered}"


def _summary(folder, rows, partial=False):
    folder.mkdir(parents=True)
    lines = ["| claim | paper (figure, number) | measured | verdict |", "|---|---|---|---|"]
    lines += [f"| {claim} | 000 Fig. 2 | a number | {verdict} |" for claim, verdict in rows]
    lines += ["", "# Title", ""] + (["**Partial: 3 runs missing** — run the same command again."] if partial else [])
    (folder / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results"
    _summary(root / "initialization", [
        ("L = 2: at large σ the trained net's test loss grows like σ^(2L)", "reproduced"),
        ("L = 3: at large σ the trained net's test loss grows like σ^(2L)",
         "inconclusive: the slope window (test loss ≥ 2.0× f_int's) holds 2 σ value(s), needs ≥ 3"),
        ("L = 2: the test loss is higher at σ = 16 than at σ = 2 (m = 4000)", "not reproduced")])
    _summary(root / "sigma-selection", [("σ-selection from σ′ = 1.41 does not make the test loss worse", "reproduced")],
             partial=True)
    (root / "adaptive").mkdir()
    (root / "adaptive" / "summary.md").write_text("# not a verdict table\n", encoding="utf-8")
    return root


def test_verdicts_come_from_the_summaries(results):
    got = {c["id"]: c for c in claims.entries(str(results))}
    assert got["000 Fig. 2 σ^(2L) growth"]["verdict"] == (
        "L = 2: reproduced; L = 3: inconclusive: the slope window (test loss ≥ 2.0× f_int's) holds 2 σ value(s), "
        "needs ≥ 3")
    assert got["000 Fig. 2 small σ better"]["verdict"] == "L = 2: not reproduced; L = 3: no committed result"
    assert got["000 Sect. 3 σ-selection algorithm"]["verdict"] == "reproduced (partial run)"
    assert got["002 Fig. 1 right (σ^(2L) growth)"]["verdict"] == (
        "bump L = 2: no committed result; initialization L = 2: reproduced")
    # No table in adaptive's summary, no summary for stochastic: nothing judged yet.
    assert got["000 Fig. 3 left (L = 2)"]["verdict"] is None
    assert got["000 Fig. 4 left"]["verdict"] is None
    assert got["000 Thm 1 Eq. (4) decomposition"]["verdict"] == "identity, tested"
    assert got["000 Thm 4(a)"]["verdict"] == "identity, tested"
    ridge = got["001 App. A ridge"]  # judged by the ridge experiment's rows, which the fixture has no run of
    assert ridge["verdict"] is None and ridge["reason"] is None
    assert got["000 Thm 2 normal biases"]["verdict"] is None and got["000 Thm 2 normal biases"]["reason"] is None


def test_no_results_no_row_verdicts(tmp_path):
    for c in claims.entries(str(tmp_path / "nowhere")):
        tested = any("test" in s for s in c["judged_by"] or ())
        assert c["verdict"] == ("identity, tested" if tested else None), c["id"]


def test_json_output_has_the_documented_schema(results, capsys):
    assert main(["claims", "--format", "json", "--results", str(results)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"papers", "claims"}
    assert out["papers"] == claims.PAPERS
    assert len(out["claims"]) == len(claims.CLAIMS)
    for c in out["claims"]:
        assert set(c) == {"id", "paper", "ref", "claim", "setting", "judged_by", "verdict", "reason", "extra"}
        assert c["paper"] in out["papers"] or (c["paper"] is None and c["extra"])
        assert isinstance(c["ref"], str) and isinstance(c["claim"], str) and isinstance(c["extra"], bool)
        assert c["verdict"] is None or isinstance(c["verdict"], str)
        if c["judged_by"] is None:
            assert isinstance(c["reason"], str) and c["verdict"] is None
        else:
            assert c["reason"] is None
            for s in c["judged_by"]:
                assert set(s) in ({"experiment", "row"}, {"test"})


def test_markdown_output(results, capsys):
    assert main(["claims", "--results", str(results)]) == 0
    text = capsys.readouterr().out
    assert main(["claims", "--format", "markdown", "--results", str(results)]) == 0
    assert capsys.readouterr().out == text
    lines = text.splitlines()
    assert re.match(r"\d+ claims of the five papers \(000: \d+, 001: \d+, 002: \d+, 003: \d+, 004: \d+\)", lines[0])
    assert lines[2] == "| paper | ref | claim | judged by | verdict or reason |"
    table = [line for line in lines if line.startswith("| ") and not line.startswith("| paper |")]
    assert len(table) == len(claims.CLAIMS)
    assert all(line.count(" | ") == 4 for line in table)
    assert any("Fig. 2 — σ^(2L) growth" in line and "L = 2: reproduced; L = 3: inconclusive" in line for line in table)
    assert any(line.startswith("| — |") and "extra check, not a claim of the papers" in line for line in table)
    assert all(f"- {k}: {v}" in lines for k, v in claims.PAPERS.items())


def test_cli_exits_0(tmp_path):
    run = subprocess.run([sys.executable, "-m", "fastntk.cli", "claims", "--format", "json", "--results",
                          str(tmp_path)], capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)["claims"]) == len(claims.CLAIMS)
