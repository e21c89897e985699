"""What a results folder records about how it was made: the claim rules that judge it
(a fingerprint of their source), the procedure that made its records (a fingerprint of
the experiment's own code), and the software, machine and data that produced it.

The fingerprint is written when a sweep starts and never rewritten: a committed result
whose fingerprint differs from the rules in the code now was judged under rules that
changed after its runs (tests/test_results.py fails, and so does ``fastntk report DIR
--check``).
"""
from __future__ import annotations

import hashlib
import inspect
import os
import platform
import re
import subprocess
import time

from . import _verdict

# Settings that name no rule and no run: they are recorded, never compared.
RECORDED = ("experiment", "preset", "rules", "procedure", "provenance")


_NAME = re.compile(r"\b(self|cls|[A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)")
_VALUE = (int, float, str, tuple, frozenset, bool, type(None))


def _code_only(src: str) -> str:
    """The source without its strings and comments (names in prose are not calls)."""
    import io
    import tokenize
    import textwrap
    try:
        toks = tokenize.generate_tokens(io.StringIO(textwrap.dedent(src)).readline)
        code = " ".join(t.string for t in toks if t.type not in (tokenize.STRING, tokenize.COMMENT))
        return re.sub(r"\s*\.\s*", ".", code)
    except (tokenize.TokenError, IndentationError):
        return src


def _ours(obj) -> bool:
    return getattr(obj, "__module__", "") is not None and str(getattr(obj, "__module__", "")).startswith("fastntk")


def _rule_sources(cls, roots=("claims", "jobs"), follow=_ours, classes=False) -> dict[str, str]:
    """{qualified name: source or value} of everything the claims reach: ``claims`` and
    ``jobs`` (which decides the records a verdict reads), the methods and class attributes it reaches through ``self.NAME``, and the fastntk
    functions, classes' methods and constants it names (``loglog_slope``,
    ``theory.minimizer_distance``, ``SLOPE_TOL``), transitively — the presets excepted
    (settings are compared on their own). ``roots``, ``follow`` (which functions to
    enter) and ``classes`` (enter the classes it names too) serve
    :func:`procedure_fingerprint`."""
    out: dict[str, str] = {}
    todo = [("self", name, inspect.getattr_static(cls, name)) for name in roots]
    seen = set()
    while todo:
        owner, name, obj = todo.pop()
        key = f"{owner}.{name}"
        if key in seen:
            continue
        seen.add(key)
        func = getattr(obj, "__func__", obj)
        if isinstance(obj, (staticmethod, classmethod)):
            func = obj.__func__
        if isinstance(func, _VALUE):
            out[key] = repr(func)
            continue
        if not callable(func) or not follow(func):
            continue
        try:
            src = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        out[key] = src
        glb = getattr(func, "__globals__", {})
        for head, tail in _NAME.findall(_code_only(src)):
            parts = [p for p in tail.split(".") if p]
            if head in ("self", "cls"):
                if parts and parts[0] != "presets":
                    attr = inspect.getattr_static(cls, parts[0], None)
                    if attr is not None:
                        todo.append(("self", parts[0], attr))
                continue
            if head not in glb:
                continue
            target, path = glb[head], head
            for part in parts:
                nxt = getattr(target, part, None)
                if nxt is None:
                    break
                target, path = nxt, f"{path}.{part}"
            mod = getattr(func, "__module__", "")
            if isinstance(target, _VALUE):
                out[f"{mod}.{path}"] = repr(target)
            elif (inspect.isfunction(target) or classes and inspect.isclass(target)) and follow(target):
                todo.append((mod, path, target))
    return out


def rules_fingerprint(exp) -> str:
    """SHA-256 (hex, 16 digits) of the rules that judge ``exp``'s claims: the verdict
    module's source and constants, and everything :func:`_rule_sources` finds the claims
    reach (methods, class attributes, helper functions, constants)."""
    h = hashlib.sha256()
    h.update(inspect.getsource(_verdict).encode())
    for k, v in sorted((k, repr(v)) for k, v in vars(_verdict).items() if k.isupper() and isinstance(v, _VALUE)):
        h.update(f"\0_verdict.{k}={v}".encode())
    for name, src in sorted(_rule_sources(type(exp)).items()):
        h.update(f"\0{name}\0{src}".encode())
    return h.hexdigest()[:16]


def _experiment_code(obj) -> bool:
    return str(getattr(obj, "__module__", "") or "").startswith("fastntk.experiments")


def procedure_fingerprint(exp) -> str:
    """SHA-256 (hex, 16 digits) of how ``exp`` makes its records: ``run_job`` and
    ``jobs``, the methods they reach through ``self.NAME``, and the functions and
    constants of the experiments package they name, transitively — the training rules of
    ``_training`` (learning rates, retries, when a run is redone) among them. Strings and
    comments do not count. The library below (kernels, the training loop) is not in it:
    its numerics are held by the test suite, and a refactoring there must not void every
    result."""
    h = hashlib.sha256()
    for name, src in sorted(_rule_sources(type(exp), ("run_job", "jobs"), _experiment_code, True).items()):
        code = src.lstrip()
        if code.startswith(("def ", "@", "async def ", "class ")):  # a function's source; else a constant's repr
            src = _code_only(src)
        h.update(f"\0{name}\0{src}".encode())
    return h.hexdigest()[:16]


def _commit() -> str | None:
    """The git commit of the package's source tree (an editable install), with "-dirty"
    when tracked files differ from it; None outside a checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def data_files(spec: str | None) -> dict[str, str]:
    """{file name: SHA-256} of the files a data spec reads ({} for generated data)."""
    if not spec:
        return {}
    from .. import datasets
    from ..fetch import sha256
    return {name: sha256(path) for name, path in sorted(datasets.source_files(spec).items())}


def session(cfg: dict, workers: int) -> dict:
    """The software, machine and data of one sweep session (its wall time is added at
    its end)."""
    import numpy as np

    from .. import __version__
    from .._blas import blas_info
    blas = blas_info() or {}
    return dict(
        fastntk=__version__, commit=_commit(), python=platform.python_version(), numpy=np.__version__,
        blas={k: blas.get(k) for k in ("internal_api", "version", "architecture", "num_threads")},
        cpu=_cpu(), cores=os.cpu_count(), workers=workers,
        start=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        data=data_files(cfg.get("data")))
