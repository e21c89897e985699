"""Process-level behaviour: the Eigen fallback, and Ctrl-C during a long run."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import TOL, fresh_python


def run_python(code, env=None, **kw):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kw)


def test_eigen_fallback_matches_reference():
    code = f"""
        import numpy as np, fastntk
        from fastntk import reference as ref
        fastntk.show_config()
        net = fastntk.MLP([5, 9, 7, 1], bias="normal")
        theta = net.flatten(net.init(0))
        X = np.random.default_rng(0).standard_normal((6, 5))
        assert np.allclose(fastntk.ntk(net, theta, X), ref.ntk(net, theta, X), atol={TOL["exact"]})
        assert np.allclose(fastntk.vjp(net, theta, X, np.ones(6)), ref.vjp(net, theta, X, np.ones(6)), atol={TOL["exact"]})
        r = fastntk.train_many([dict(net=net, params=theta, lr=0.1, max_steps=5, tol=1e-300)] * 2, X, np.ones(6))
        assert np.array_equal(r[0].theta, r[1].theta)
        print("ok")
    """
    out = run_python(code, env={"FASTNTK_BLAS": "eigen"})
    assert out.returncode == 0, out.stderr
    assert "no CBLAS found" in out.stdout or "none found" in out.stdout
    assert out.stdout.strip().endswith("ok")


def _interrupt_child(code, wait_for="start", delay=1.0):
    """Runs code in a child with Python's SIGINT handler, sends SIGINT ``delay`` s after
    it printed ``wait_for``; returns (stdout lines after that, seconds from the signal to
    the child's exit)."""
    # A background job of a non-interactive shell inherits SIGINT ignored: restore Python's
    # handler in the child, which the test relies on.
    head = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    p = subprocess.Popen([sys.executable, "-c", head + textwrap.dedent(code)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line == wait_for, (line, p.stderr.read() if p.poll() is not None else "")
    time.sleep(delay)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    lines = out.split("\n")
    # The child prints time.monotonic() (one clock for all processes) when it has
    # stopped, as its last line: the time to stop, not to exit.
    took = float(lines[-2]) - sent if lines[-2].replace(".", "").isdigit() else time.monotonic() - sent
    return lines, took


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_ends_a_run_with_its_records_and_goes_on():
    code = """
        import numpy as np, fastntk
        net = fastntk.MLP.uniform(4, 64, 2)
        X = np.random.default_rng(0).standard_normal((20, 4))
        print("start", flush=True)
        try:
            fastntk.train(net, net.init(0), X, np.ones(20), lr=1e-6, max_steps=10**9, tol=1e-300,
                          record_every=10**8)
            print("returned")
        except fastntk.TrainingInterrupted as e:
            r = e.result
            print(r.status, r.steps, len(r.history["step"]), isinstance(e, KeyboardInterrupt), flush=True)
            import time; print(time.monotonic(), flush=True)
    """
    out, took = _interrupt_child(code)
    status, steps, records, is_kbi = out[0].split()
    assert status == "interrupted" and int(steps) > 0 and int(records) >= 1 and is_kbi == "True"
    assert took < 5


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("loop", ["train", "train_many", "find_lr"])
def test_ctrl_c_stops_loops_of_short_calls(loop):
    """The signal is not spent on one short run: a loop of them stops."""
    code = f"""
        import numpy as np, fastntk
        net = fastntk.MLP.uniform(4, 32, 2)
        X = np.random.default_rng(0).standard_normal((12, 4))
        th = net.init(0)
        calls = {{
            "train": lambda: fastntk.train(net, th, X, np.ones(12), lr=1e-6, max_steps=200, tol=1e-300),
            "train_many": lambda: fastntk.train_many([dict(net=net, params=th, lr=1e-6, max_steps=200,
                                                           tol=1e-300)] * 3, X, np.ones(12)),
            "find_lr": lambda: fastntk.find_lr(net, th, X, np.ones(12), optimizer="adam", lr_min=1e-300),
        }}
        print("start", flush=True)
        n = 0
        try:
            while True:
                calls["{loop}"]()
                n += 1
        except KeyboardInterrupt:
            import time; print("stopped", n, flush=True); print(time.monotonic(), flush=True)
    """
    out, took = _interrupt_child(code)
    assert out[0].split()[0] == "stopped"
    assert took < 2.0, took


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("call", ["ntk", "jacobian", "gd_closed_form"])
def test_ctrl_c_stops_a_long_kernel_within_a_second(call):
    code = f"""
        import numpy as np, fastntk
        net = fastntk.MLP.uniform(20, 512, 3, dtype=np.float32)
        th = net.init(0)
        wide = fastntk.MLP.uniform(20, 2048, 3, dtype=np.float32)
        X = np.random.default_rng(0).standard_normal((12000, 20)).astype(np.float32)
        calls = {{
            "ntk": lambda: [fastntk.ntk(wide, wide.init(0), X, tile=512) for _ in range(100)],
            "jacobian": lambda: [fastntk.jacobian(net, th, X[:3000]).shape for _ in range(100)],
            "gd_closed_form": lambda: fastntk.gd_closed_form(net, th, X[:4000], np.ones(4000), X[:3], [1]),
        }}
        print("start", flush=True)
        try:
            calls["{call}"]()
            print("finished", flush=True)
        except KeyboardInterrupt:
            import time; print("stopped", flush=True); print(time.monotonic(), flush=True)
    """
    # Each call takes 4 s or more on a quiet 2-core host (one ntk at width 512 took 1.3 s, and
    # finished before the signal), and the ntk repeats so that a many-core host is still inside
    # a kernel when the signal comes, 1 s after the call starts.
    out, took = _interrupt_child(code, delay=1.0)
    assert out[0] == "stopped", out
    assert took < 1.5, took


AVX512 = {"avx", "avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"}


def test_blas_diagnosis_names_slow_kernels_and_the_fix():
    from fastntk._blas import blas_diagnosis
    assert blas_diagnosis("SkylakeX", AVX512, {}) is None
    assert blas_diagnosis("Haswell", {"avx", "avx2", "fma"}, {}) is None
    assert blas_diagnosis("Prescott", set(), {}) is None
    auto = blas_diagnosis("Prescott", AVX512, {})
    assert "Prescott kernels on a CPU with AVX-512" in auto and "upgrade NumPy" in auto
    assert "OPENBLAS_CORETYPE=SkylakeX" in auto
    forced = blas_diagnosis("Haswell", AVX512, {"OPENBLAS_CORETYPE": "Haswell"})
    assert "OPENBLAS_CORETYPE=Haswell forces them: unset it" in forced
    assert "AVX2 (Haswell kernels)" in blas_diagnosis("Sandybridge", {"avx", "avx2", "fma"}, {})


def test_slow_blas_warns_once_at_import_unless_the_core_type_was_forced():
    code = """
        import warnings
        import fastntk._blas as b
        b.blas_diagnosis = lambda: "slow kernels"
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            b._warn_once_if_slow()
        print([str(x.message) for x in w if issubclass(x.category, b.SlowBLASWarning)])
    """
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['slow kernels']"
    out = run_python(code, env={"OPENBLAS_CORETYPE": "Haswell"})
    assert out.stdout.strip() == "[]", out.stderr


def test_fastntk_imports_torch_only_when_asked():
    """Without PyTorch the converters raise an ImportError that says what to install."""
    code = ("import sys, fastntk, numpy as np\n"
            "net = fastntk.MLP([2, 3, 1]); fastntk.ntk(net, net.init(0), np.ones((2, 2)))\n"
            "assert 'torch' not in sys.modules\n"
            "sys.modules['torch'] = None\n"
            "try:\n    fastntk.from_torch(None)\nexcept ImportError as e:\n    print(e)\n")
    stdout = fresh_python(code)
    assert "need PyTorch (pip install torch)" in stdout
