"""Malformed calls of every public function (tests/fuzz_targets.py), each batch in a
child process: no call may crash the interpreter, return normally, or raise anything
but a TypeError/ValueError whose message names the argument.

CI runs a hypothesis-drawn sample (FASTNTK_FUZZ=all runs every case: about 2,650)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_targets

HERE = Path(__file__).resolve().parent
ALL = fuzz_targets.cases()


def _run_batch(batch, tmp_path):
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(batch))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE)] + sys.path))
    out = subprocess.run([sys.executable, str(HERE / "fuzz_targets.py"), str(cases)], capture_output=True,
                         text=True, timeout=600, env=env)
    assert out.returncode == 0, f"the child crashed (exit {out.returncode}):\n{out.stderr[-3000:]}"
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(batch), out.stderr[-3000:]
    return rows


def _judge(rows):
    wrong = []
    for r in rows:
        where = f"{r['target']}({r['arg']}={r['value']})"
        if r["outcome"] == "returned":
            wrong.append(f"{where}: accepted silently")
        elif not ({"TypeError", "ValueError"} & set(r["bases"])):
            wrong.append(f"{where}: {r['type']}: {r['message']}")
        elif not re.search(rf"(^|[^A-Za-z_]){re.escape(r['arg'])}([^A-Za-z_]|$)", r["message"]):
            wrong.append(f"{where}: the message does not name {r['arg']}: {r['message']}")
    return wrong


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(ALL), min_size=300, max_size=300, unique=True))
def test_malformed_calls_get_named_errors(tmp_path_factory, batch):
    """A sample in CI; FASTNTK_FUZZ=all: every case."""
    if os.environ.get("FASTNTK_FUZZ") == "all":
        batch = ALL
    wrong = _judge(_run_batch([list(c) for c in batch], tmp_path_factory.mktemp("fuzz")))
    assert not wrong, "\n".join(wrong[:40])


def test_every_target_has_bad_values_and_runs_when_valid(tmp_path):
    """The harness itself: every target's valid call succeeds (so a failure above is
    the bad value's, not the harness's)."""
    code = ("import fuzz_targets as f\n"
            "for name, (fn, args) in f.targets().items():\n"
            "    fn(**{k: v for k, (_, v) in args.items()})\n"
            "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE)] + sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]
    assert len(ALL) > 2000


@pytest.mark.skipif(os.environ.get("FASTNTK_FUZZ") != "all", reason="the full sweep runs with FASTNTK_FUZZ=all")
def test_full_sweep(tmp_path):
    wrong = _judge(_run_batch([list(c) for c in ALL], tmp_path))
    assert not wrong, "\n".join(wrong[:60])
