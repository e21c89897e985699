"""The quick presets as shipped: `fastntk run NAME` with no option but the output folder, as a
new user types it after the README's first command. tests/test_experiments.py runs every
experiment in a toy configuration (its TINY overrides); this file runs the presets
themselves — data, widths and step caps as they are — for the experiments whose quick run
takes seconds on 2 cores (issue 31: no test ran a quick preset as shipped). The run must
finish, write its records, figures and summary, and `fastntk report DIR --check` must
recompute the summary's verdict table from the records alone. The verdicts themselves are
the quick run's findings, not asserted: each must be one the rules can give."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from fastntk import cli  # noqa: E402

# about 2 s, 3 s, 9 s and 12 s on 2 cores (measured 2026-12-06)
QUICK = ["linear-regression", "late-linearization", "kernel-convergence", "adaptive-closed-form"]
VERDICTS = ("reproduced", "not reproduced", "inconclusive")


@pytest.mark.parametrize("name", QUICK)
def test_quick_preset_runs_as_shipped(name, tmp_path):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, "-m", "fastntk.cli", "run", name, "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {"records.jsonl", "config.json", "summary.md"} <= set(os.listdir(out)), os.listdir(out)
    assert any(f.endswith(".png") for f in os.listdir(out)), os.listdir(out)
    assert cli.main(["report", str(out), "--check"]) == 0
    with open(out / "summary.md", encoding="utf-8") as f:
        rows = [line for line in f.read().split("\n\n", 1)[0].splitlines()[2:] if line.startswith("| ")]
    assert rows, f"{name}: no verdict row"
    for row in rows:
        verdict = row.rstrip(" |").rsplit("|", 1)[-1].strip()
        assert verdict.startswith(VERDICTS), (name, row)
