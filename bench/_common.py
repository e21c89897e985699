"""What every Python benchmark here does first and last."""
import json
import os
import platform
import sys
import time

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def unset_openblas_env():
    """Re-execute this script once without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which
    halve OpenBLAS's speed on newer CPUs (docs/design.md §4). Call before importing NumPy."""
    if any(v in os.environ for v in OPENBLAS_VARS):
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def timed(fn):
    """(seconds, result) of one call."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def save_rows(name, rows):
    """Append rows as JSON lines to bench/results/NAME.jsonl."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{name}.jsonl"), "a") as f:
        for r in rows:
            f.write(json.dumps({"machine": platform.node(), "time": time.time(), **r}) + "\n")
