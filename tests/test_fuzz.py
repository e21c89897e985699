"""Malformed calls of every public function (tests/fuzz_targets.py), each batch in a
child process: no call may crash the interpreter, return normally, or raise anything
but a TypeError/ValueError whose message names the argument.

Three sweeps: one bad argument at a time (every case), two at once (a fixed-seed draw:
the message must name one of them), and malformed command lines of every subcommand
(exit status 1 or 2, no traceback, our errors on one line). CI runs a hypothesis-drawn
sample of each; FASTNTK_FUZZ=all runs them all (``len(ALL) + len(PAIRS) + len(CLI)``
calls, over 10,000)."""
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
PAIRS = fuzz_targets.pair_cases(8000, seed=0)


def _run_batch(batch, tmp_path, kind=None, timeout=600):
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(batch))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE)] + sys.path))
    out = subprocess.run([sys.executable, str(HERE / "fuzz_targets.py"), str(cases)] + ([kind] if kind else []),
                         capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, f"the child crashed (exit {out.returncode}):\n{out.stderr[-3000:]}"
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(batch), out.stderr[-3000:]
    return rows


def _names(arg, message):
    return re.search(rf"(^|[^A-Za-z_]){re.escape(arg)}([^A-Za-z_]|$)", message)


def _judge(rows):
    wrong = []
    for r in rows:
        where = f"{r['target']}(" + ", ".join(f"{a}={v}" for a, v in zip(r["args"], r["values"])) + ")"
        if r["outcome"] == "returned":
            wrong.append(f"{where}: accepted silently")
        elif not ({"TypeError", "ValueError"} & set(r["bases"])):
            wrong.append(f"{where}: {r['type']}: {r['message']}")
        elif not any(_names(a, r["message"]) for a in r["args"]):
            wrong.append(f"{where}: the message names none of {r['args']}: {r['message']}")
    return wrong


def _judge_cli(rows):
    """Exit 1 or 2; nothing but an error on stderr: our own on one line ('fastntk…'),
    argparse's as its usage and one 'error:' line; never a traceback."""
    wrong = []
    for r in rows:
        where, err = " ".join(["fastntk"] + r["argv"]), r["stderr"]
        lines = [x for x in err.splitlines() if x.strip()]
        if r["code"] not in (1, 2):
            wrong.append(f"{where}: exit {r['code']}" + (" (accepted silently)" if r["code"] == 0 else ""))
        elif "Traceback" in err or not lines:
            wrong.append(f"{where}: {err[-300:]!r}")
        elif lines[0].startswith("usage:"):
            if not lines[-1].split(": ", 1)[-1].startswith("error:") and "error:" not in lines[-1]:
                wrong.append(f"{where}: argparse said {err[-300:]!r}")
        elif len(lines) != 1:
            wrong.append(f"{where}: {len(lines)} lines: {err[-300:]!r}")
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


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PAIRS), min_size=150, max_size=150, unique=True))
def test_two_bad_arguments_get_an_error_naming_one(tmp_path_factory, batch):
    wrong = _judge(_run_batch([list(c) for c in batch], tmp_path_factory.mktemp("fuzz2")))
    assert not wrong, "\n".join(wrong[:40])


def test_malformed_command_lines_are_one_line_errors(tmp_path):
    """A sample of the command-line sweep in CI (every tenth case, and all with
    FASTNTK_FUZZ=all below)."""
    cases = fuzz_targets.cli_cases(str(tmp_path))
    rows = _run_batch(cases[::10], tmp_path, "cli")
    wrong = _judge_cli(rows)
    assert not wrong, "\n".join(wrong[:40])


@pytest.mark.skipif(os.environ.get("FASTNTK_FUZZ") != "all", reason="the full sweep runs with FASTNTK_FUZZ=all")
def test_full_sweep(tmp_path):
    cli_cases = fuzz_targets.cli_cases(str(tmp_path / "cli"))
    assert len(ALL) + len(PAIRS) + len(cli_cases) >= 10_000
    wrong = _judge(_run_batch([list(c) for c in ALL + PAIRS], tmp_path, timeout=7200))
    (tmp_path / "cli").mkdir(exist_ok=True)
    wrong += _judge_cli(_run_batch(cli_cases, tmp_path / "cli", "cli", timeout=3600))
    assert not wrong, "\n".join(wrong[:80])
