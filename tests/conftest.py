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

# Every tolerance of the tests, in one place, with why it has its size. None is
# widened to make a test pass; a new kind of comparison gets a new, explained entry.
#
# RTOL: one computation against the NumPy reference (or along a second exact route),
# relative to max(1, the reference's largest magnitude) — a few ULPs of the products'
# accumulated rounding at the sizes the tests draw.
RTOL = {np.float32: 2e-4, np.float64: 1e-10}
TOL = dict(
    # float64, one quantity along two routes of a few operations each (a norm, a mean).
    exact=1e-12,
    # float64, one result along two long routes (a closed form against ~10² iterated steps,
    # an eigensolver on two backends): rounding accumulates step by step.
    routes=1e-9,
    # float64 through a solve with K or φᵀφ, whose condition numbers reach ~10⁴ here.
    solve=1e-8,
    # the underparameterized minimizer against 3·10⁴ steps of GD/AdaGrad/Adam (stopped by
    # max_steps, not by a loss tolerance): what the slowest direction has left.
    underparameterized=1e-7,
    # a run stopped at a training loss ≤ 1e-14 against its t = ∞ limit: the residual
    # √(2·loss) ≈ 1.4e-7 amplified by K(X_T, X)K⁻¹.
    converged=1e-6,
    # the same for GD at the default lr on the linearization, whose slow modes leave more.
    converged_gd=1e-5,
    # central differences at h = 1e-6 in float64: truncation ~h², rounding ~ε/h ≈ 1e-10.
    finite_diff=1e-5,
    # one float64 → float32 rounding (half an ULP, 6e-8, relative).
    float32_cast=1e-7,
    # the ReLU kernels where ρ = ±1 (collinear inputs; neural-tangents also on the diagonal), per
    # ReLU layer: ρ computed from the inputs is ±(1 − O(ε)), and there the kernels have a square-
    # root singularity (arccos has infinite slope): √(2·2.2e-16)/π ≈ 5e-9 between two roundings.
    rho_one=1e-8,
    # find_lr on two backends: the same grid point, compared as floats.
    lr=1e-6,
)
# Monte Carlo means against their exact expectations, in standard errors of the mean (estimated
# from the draws): 4 SE puts a correct expectation's two-sided miss at p ≈ 6·10⁻⁵ per comparison,
# and the draws are seeded, so the test is deterministic.
MC_SE = 4.0
# Effect sizes, not tolerances: two predictors the theory says differ are this far apart
# (RMS on the test points) at least.
DIFFERS = dict(adagrad_vs_gd=1e-3, adagrad_split=1e-4)


def rho_one(net, X1, X2=None):
    """Where the first layer's correlation is ±1 to 1e-9 (collinear inputs, biases aside):
    a boolean (N1, N2) mask; the symmetric case's diagonal is left out (ρ = 1 is exact there)."""
    Xb = X1 if X2 is None else X2
    b2 = 0.0 if net.bias != "normal" else net.sigma_b**2
    w2 = net.sigma**2
    s12 = w2 * X1 @ Xb.T / net.input_dim + b2
    s11 = w2 * (X1**2).sum(1) / net.input_dim + b2
    s22 = w2 * (Xb**2).sum(1) / net.input_dim + b2
    mask = np.abs(s12) >= (1 - 1e-9) * np.sqrt(np.outer(s11, s22))
    if X2 is None:
        np.fill_diagonal(mask, False)
    return mask


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


def unit_rows(n, d, seed):
    """n points uniform on the unit sphere of ℝ^d (seeded)."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


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


def fresh_python(code: str, *, env=None, timeout: int = 120) -> str:
    """stdout of ``python -c code`` in a fresh interpreter — for what a bare import loads,
    which this test process (with everything already imported) cannot show; a non-zero
    exit fails the test with the child's stderr."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout
