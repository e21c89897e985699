"""What a training run will be, before it runs, for both backends: the path it takes
(the core's one rule, ``_core.choose_path``) and the memory it allocates (one estimate,
checked by the CPU backend against the host's memory and by the GPU backend against
the device's)."""
from __future__ import annotations

from . import _core

# Optimizer state, in copies of the trained parameters.
_STATE = {"momentum": 1, "adagrad": 2, "rmsprop": 2, "adam": 3}


def run_path(cfg, widths, P: int, n: int) -> str:
    """The path a run of ``cfg`` on N = ``n`` rows takes (docs/design.md §2)."""
    return _core.choose_path(cfg.model, cfg.path, cfg.optimizer, n, widths[0], P,
                             cfg.trains_every_layer(len(widths) - 1), widths[-1])


def training_bytes(cfg, widths, P: int, itemsize: int, n: int, n_test: int, runs: int = 1) -> int:
    """Bytes ``runs`` runs of ``cfg`` allocate, roughly: θ, θ₀, g, a spare and the
    optimizer state; the inputs, activations and backward vectors of the training and
    test rows (a second set for the linearization's cached θ₀ features); K for the
    function-space path, φ₀ for the materialized one, XXᵀ, C and its state for the row
    space; the D_t records."""
    k = widths[-1]  # outputs: k backward vectors per sample, K and φ₀ with k rows per sample
    width = sum(widths[1:]) + widths[0]
    count = (4 + _STATE.get(cfg.optimizer, 0)) * P + 2 * (n + n_test) * width
    path = run_path(cfg, widths, P, n)
    if cfg.model == "linearized":
        count += 2 * (n + n_test) * (width + (k - 1) * sum(widths[1:-1]))
        if path == "function":
            count += k * k * n * (n + n_test)
        elif path == "materialized":
            count += k * n * P
    elif path == "row-space":
        m1 = widths[1]
        count += (n + n_test) * (m1 + n) + n * m1 * (4 if cfg.optimizer == "momentum" else 3)
    if cfg.record_D:
        count += (2 if cfg.record_D == "ends" else cfg.max_steps + 1) * P
    return runs * count * itemsize
