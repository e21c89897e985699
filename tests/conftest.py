import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings  # noqa: E402

# Derandomized so CI is repeatable; FASTNTK_HYPOTHESIS=dev explores more.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("FASTNTK_HYPOTHESIS", "ci"))

# One place for tolerances (relative to the reference's largest magnitude).
RTOL = {np.float32: 2e-4, np.float64: 1e-10}


def assert_close(actual, expected, dtype, scale=None):
    """|actual − expected| ≤ RTOL·scale elementwise; actual may be a CuPy array."""
    if type(actual).__module__.split(".")[0] == "cupy":
        actual = actual.get()
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    ref = scale if scale is not None else max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    err = float(np.max(np.abs(actual - expected), initial=0.0))
    assert err <= RTOL[np.dtype(dtype).type] * ref, f"max error {err:.3e} (scale {ref:.3e})"


def make_data(n=8, d=4, seed=0, n_test=5):
    """Training inputs and test inputs on the unit sphere, labels in {0, 1}."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Xt = rng.standard_normal((n_test, d))
    Xt /= np.linalg.norm(Xt, axis=1, keepdims=True)
    return X, (rng.random(n) > 0.5).astype(float), Xt


def cupy_with_gpu(what: str):
    """CuPy when it sees a GPU; otherwise the test is skipped, saying why and ``what``
    it skips."""
    cp = pytest.importorskip("cupy", reason=f"CuPy not installed: {what} skipped")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip(f"no CUDA GPU visible: {what} skipped")
    except cp.cuda.runtime.CUDARuntimeError as e:
        pytest.skip(f"no CUDA GPU visible ({e}): {what} skipped")
    return cp
