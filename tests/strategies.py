"""Hypothesis strategies: networks over depths, widths, σ, σ_b, bias modes,
parametrizations, activations and dtypes, with inputs and parameters."""
import numpy as np
from hypothesis import strategies as st

import fastntk
from fastntk import _core

# Every activation the core knows, by its canonical name ("linear" is "identity"): a new one is
# drawn by every property test without editing this file.
ACTIVATIONS = tuple(dict.fromkeys(_core.CANONICAL_ACTIVATION.values()))


@st.composite
def networks(draw, activations=ACTIVATIONS, biases=("zero", "normal", "none"),
             max_depth=6, max_width=9, dtypes=(np.float32, np.float64), outputs=(1,)):
    depth = draw(st.integers(1, max_depth))
    d = draw(st.integers(1, 6))
    hidden = [draw(st.integers(1, max_width)) for _ in range(depth - 1)]
    net = fastntk.MLP(
        [d] + hidden + [draw(st.sampled_from(outputs))],
        sigma=draw(st.sampled_from([0.3, 1.0, 1.7])),
        parametrization=draw(st.sampled_from(["ntk", "standard"])),
        bias=draw(st.sampled_from(biases)),
        activation=draw(st.sampled_from(activations)),
        dtype=draw(st.sampled_from(dtypes)),
        # σ_b apart from σ (0 included) or the default σ_b = σ, to which a failure shrinks
        sigma_b=draw(st.sampled_from([0.6, 0.0, 2.0])) if draw(st.booleans()) else None,
    )
    return net


@st.composite
def problems(draw, **kwargs):
    """(net, θ, X1, X2) with θ drawn from the network's init and inputs in the unit ball."""
    net = draw(networks(**kwargs))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n1 = draw(st.integers(1, 12))
    n2 = draw(st.integers(1, 7))
    params = net.init(seed)
    # Normal biases in 'zero' mode too, so bias columns are exercised away from zero.
    theta = net.flatten(params)
    if net.bias == "zero":
        theta = theta + (rng.standard_normal(theta.shape) * 0.1).astype(net.dtype)
    X1 = rng.standard_normal((n1, net.input_dim))
    X2 = rng.standard_normal((n2, net.input_dim))
    X1 /= np.linalg.norm(X1, axis=1, keepdims=True)
    X2 /= np.linalg.norm(X2, axis=1, keepdims=True)
    return net, theta, X1.astype(net.dtype), X2.astype(net.dtype)
