"""One self-contained HTML page of several run folders: the verdict counts, and per
experiment its verdict table and figures (PNG, inlined as data URIs), read from each
folder's summary.md and figure files as ``fastntk report`` wrote them."""
from __future__ import annotations

import base64
import html
import json
import os

from ._base import ExperimentError
from ._runner import _table_of, verdict_table

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.verdict { white-space: nowrap; }
td.reproduced { background: #e6f4e6; } td.not-reproduced { background: #f8e0e0; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
"""


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _verdict_class(verdict: str) -> str:
    # "not reproduced: at σ ∈ […]" names where: the kind is the text before the colon.
    return {"reproduced": "reproduced", "not reproduced": "not-reproduced"}.get(verdict.split(":")[0], "open")


def _section(folder: str) -> str:
    try:
        with open(os.path.join(folder, "summary.md"), encoding="utf-8") as f:
            summary = f.read()
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as e:
        raise ExperimentError(f"{folder}: cannot read ({e.strerror}); run `fastntk report {folder}` first") from None
    table = _table_of(summary)
    if len(table) < 2:
        raise ExperimentError(f"{folder}: summary.md opens with no verdict table")
    head = _cells(table[0])
    rows = []
    for line in table[2:]:
        cells = _cells(line)
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells[:-1])
        verdict = cells[-1]
        rows.append(f'<tr>{tds}<td class="verdict {_verdict_class(verdict)}">{html.escape(verdict)}</td></tr>')
    figures = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".png") and not name.startswith("."):
            with open(os.path.join(folder, name), "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            figures.append(f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">')
    name = cfg.get("experiment", os.path.basename(os.path.normpath(folder)))
    return (f'<section id="{html.escape(name)}"><h2>{html.escape(name)}</h2>'
            f"<p>Preset <code>{html.escape(str(cfg.get('preset')))}</code>, folder "
            f"<code>{html.escape(os.path.basename(os.path.normpath(folder)))}</code>.</p>"
            "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
            + "".join(rows) + "</table>" + "".join(figures) + "</section>")


def html_report(folders) -> str:
    """The page for ``folders`` (each a run folder with its summary.md and figures)."""
    folders = list(folders)
    if not folders:
        raise ExperimentError("report --html: no run folders given")
    counts = verdict_table(folders)[0]
    body = "".join(_section(f) for f in folders)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>fastntk results</title>"
            f"<style>{_STYLE}</style></head><body><h1>fastntk: the papers' claims, judged</h1>"
            f"<p>{html.escape(counts)}</p>{body}</body></html>")
