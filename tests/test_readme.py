"""The README's Python examples run as written, in order, in one namespace (a block
that needs an optional package skips when it is missing)."""
import importlib.util
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
OPTIONAL = {"torch": "torch", "distributed": "dask"}


def test_readme_has_examples():
    assert len(BLOCKS) >= 5


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace, skipped = {}, []
    for block in BLOCKS:
        needs = [pkg for word, pkg in OPTIONAL.items() if re.search(rf"\b(import|from)\b[^\n]*\b{word}\b", block)]
        if any(importlib.util.find_spec(pkg) is None for pkg in needs):
            skipped.append(needs)
            continue
        exec(compile(block, str(README), "exec"), namespace)
    if skipped:
        pytest.skip(f"README blocks needing {skipped} not run: not installed")


def test_readme_cites_every_paper_as_the_claims_registry_does():
    """The README's "How to cite" names each paper's authors and title as fastntk.claims.PAPERS
    (the one place the references are written) does."""
    from fastntk.claims import PAPERS
    text = README.read_text()
    cite = text[text.index("## How to cite"):]
    for key, ref in PAPERS.items():
        authors, rest = re.match(r"(.+?[a-z])\. (.+)", ref).groups()  # not at an initial ("Karthik A.")
        title = rest.split("?")[0].split(". ")[0]
        assert title in " ".join(cite.split()), (key, title)
        if not authors.startswith("Anonymous"):
            assert authors in " ".join(cite.split()), (key, authors)


def test_readme_set_up_commands_are_what_ci_and_the_main_job_run():
    """The README's two commands: the test command is the one `.ci/run` runs on a clean
    checkout, and the main job names an experiment and an extra that exist."""
    import tomllib

    from fastntk.experiments import REGISTRY
    text = README.read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    install_run, tests = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert tests.endswith('pip install ".[test]" && python -m pytest'), tests
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r'pip install --quiet "\.\[test\]"', ci) and ci.rstrip().endswith("python -m pytest")
    extra, name = re.search(r'pip install "\.\[(\w+)\]" && fastntk run ([\w-]+)', install_run).groups()
    with open(README.parent / "pyproject.toml", "rb") as f:
        assert extra in tomllib.load(f)["project"]["optional-dependencies"]
    assert name in REGISTRY


def test_project_urls_are_real_or_their_absence_is_said():
    """No invented URLs: pyproject.toml's [project.urls] exists only with URLs the README names;
    while there is none, pyproject.toml and the README say that fastntk has no public
    repository or homepage yet."""
    import tomllib
    root = README.parent
    with open(root / "pyproject.toml", "rb") as f:
        urls = tomllib.load(f)["project"].get("urls")
    text = " ".join(README.read_text().split())
    if urls:
        for name, url in urls.items():
            assert url.startswith("https://") and url in text, (name, url)
    else:
        assert "no public repository" in (root / "pyproject.toml").read_text()
        assert "no public repository" in text[text.index("## How to cite"):]


def test_citation_cff_credits_each_paper_as_the_claims_registry_does():
    """CITATION.cff's references have the titles and the authors fastntk.claims.PAPERS gives (an
    anonymous submission is credited to "Anonymous authors" in both, and in the README)."""
    yaml = pytest.importorskip("yaml")
    from fastntk.claims import PAPERS
    cff = yaml.safe_load((README.parent / "CITATION.cff").read_text())
    cite = " ".join(README.read_text().split())
    cite = cite[cite.index("## How to cite"):]
    for key, ref in PAPERS.items():
        authors, rest = re.match(r"(.+?[a-z])\. (.+)", ref).groups()
        title = rest.split("?")[0].split(". ")[0]
        found = [r for r in cff["references"] if r["title"].rstrip("?") == title]
        assert found, (key, title)
        for r in found:
            names = [a.get("name") or f"{a['given-names']} {a['family-names']}" for a in r["authors"]]
            if authors.startswith("Anonymous"):
                assert names == [authors], (key, names)
                assert f"{authors}. {title}" in cite, key
            else:
                assert all(n.split()[-1] in authors for n in names), (key, names)


ROOT = README.parent
READS = re.compile(r"""(?:environ(?:\.get|\.setdefault)?\s*[\(\[]\s*|getenv\s*\(\s*|\benv\s*=\s*)["'](FASTNTK_\w+)["']""")


def _variables_read(paths):
    return {name for path in paths for name in READS.findall(path.read_text(encoding="utf-8", errors="replace"))}


def test_readme_documents_every_environment_variable_the_package_reads():
    """Every FASTNTK_* variable that the package (python/, cpp/, cuda/) or its build
    (pyproject.toml) reads is a row of the README's table, and every row is read somewhere."""
    files = [p for d in ("python", "cpp", "cuda") for p in (ROOT / d).rglob("*")
             if p.suffix in (".py", ".cpp", ".hpp", ".h", ".cu")] + [ROOT / "pyproject.toml"]
    read = _variables_read(files)
    assert {"FASTNTK_DEBUG", "FASTNTK_BLAS", "FASTNTK_DATA", "FASTNTK_SHARED_DIR"} <= read, read
    text = README.read_text()
    table = text[text.index("## Environment variables"):]
    table = table[:table.index("\n## ")]
    rows = set(re.findall(r"^\| `(FASTNTK_\w+)` \|", table, re.M))
    assert rows == read, (sorted(read - rows), sorted(rows - read))


def test_contributing_documents_every_environment_variable_the_tests_read():
    read = _variables_read((ROOT / "tests").glob("*.py"))
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert read and not [v for v in read if f"`{v}" not in contributing], read


def test_design_document_the_docstrings_cite_is_installed_with_the_package():
    """Docstrings cite "docs/design.md §N": CMakeLists.txt installs it as fastntk/docs/design.md
    (the same path relative to the package), every section cited exists, and in an installed
    (not editable) package the file is there."""
    import fastntk
    cmake = (ROOT / "CMakeLists.txt").read_text()
    assert re.search(r"^\s*install\(FILES docs/design\.md DESTINATION fastntk/docs\)", cmake, re.M)
    design = (ROOT / "docs" / "design.md").read_text()
    sections = set(re.findall(r"^## (\d+)\.", design, re.M))
    cited = {s for p in (ROOT / "python" / "fastntk").rglob("*.py")
             for s in re.findall(r"docs/design\.md §(\d+)", p.read_text(encoding="utf-8"))}
    assert cited and cited <= sections, sorted(cited - sections)
    package = pathlib.Path(fastntk.__file__).parent
    if package != ROOT / "python" / "fastntk":
        assert (package / "docs" / "design.md").is_file()


def test_readme_is_in_a_users_order():
    """After the set-up commands comes a Python quick start (the first Python block, which the
    examples test runs first), then the command line, then what the experiments show."""
    text = README.read_text()
    order = ["## Set up and run\n", "## Python quick start\n", "## Command line\n", "## What the experiments show\n",
             "## Limitations\n", "## Coming from neural-tangents\n", "## How to cite\n"]
    at = [text.index(h) for h in order]
    assert at == sorted(at), order
    quick = text[at[1]:at[2]]
    assert "```python" not in text[:at[1]] and quick.count("```python") == 1
    assert re.findall(r"^## ", text[at[0] + 1:at[1]], re.M) == []
    # issue 31: the opening is two sentences and one figure, a committed one
    figure = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text[:at[0]])
    assert len(figure) == 1 and (README.parent / figure[0]).is_file(), figure


def test_readme_names_the_paper_presets_that_have_run():
    """The limitations name every committed paper-preset run (docs/results-paper/), no more."""
    text = README.read_text()
    bullet = text.split("paper` presets have run (", 1)[1].split(":", 1)[0]
    ran = sorted(d.name for d in (README.parent / "docs" / "results-paper").iterdir() if d.is_dir())
    assert sorted(x.strip() for x in bullet.split(",")) == ran, bullet


def test_readme_lists_a_change_after_seeing_results_for_every_withdrawal():
    """Issue 25: every rule or setting changed after seeing results is listed in the README with its
    reason. Each folder of docs/withdrawn/ holds runs replaced after they had been read; its name
    ends in the date of the withdrawal (NAME-YYYY-MM-DD…), and that date must open the "when" cell of
    a row of the README's table."""
    text = README.read_text()
    section = text[text.index("## Changed after seeing results"):]
    section = section[:section.index("\n## ", 1)]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| 20")]
    assert rows and all(len(line.split("|")) >= 5 for line in section.splitlines() if line.startswith("| 20"))
    dated = {re.match(r"\d{4}-\d{2}-\d{2}", r).group(0) for r in rows}
    withdrawn = [p.name for p in (ROOT / "docs" / "withdrawn").iterdir() if p.is_dir()]
    missing = sorted({d for name in withdrawn if (m := re.search(r"(\d{4}-\d{2}-\d{2})", name))
                      for d in [m.group(1)] if d not in dated})
    assert not missing, f"withdrawals without a row in the README's 'Changed after seeing results': {missing}"
