"""The theorems of the papers as executable formulas (docs/design.md §3), one module
per paper:

which_minimizer     Nonnenmacher, Reeb, Steinwart, "Which minimizer does my neural
                    network converge to?" (000/001): Thms 1–4, σ selection
underparameterized  the same paper's App. A (001): P < N
last_layer          "Wide neural networks are interpolating kernel methods" (002):
                    last-layer-only training
convergence         the same paper's prerequisite λ₀ > 0 and the infinite-width GD
                    rate in λ₀ (Du et al. 2019)
confusion           Sankararaman et al., "The impact of neural network
                    overparameterization on gradient confusion and SGD" (003)

Every function takes the network, θ₀ and data, and evaluates the formula without
forming P × P matrices: K⁻¹ is only ever applied to N-vectors.
"""
from ..infinite import lambda0
from ..linalg import SingularKernelError
from .confusion import (GradientConfusion, gradient_confusion, gradient_confusion_along_training,
                        strategy41_params)
from .convergence import Prerequisites, gd_loss_bound, prerequisites
from .last_layer import last_layer_kernel, last_layer_minimizer
from .underparameterized import ridge_minimizer, underparameterized_minimizer
from .which_minimizer import (Decomposition, SigmaSelection, Thm2Bounds, adaptive_closed_form,
                              constant_D_minimizer, decompose, init_term_scaling, linearization_gap,
                              minimizer_distance, project_features, select_sigma, sgd_vs_gd,
                              thm2_bounds)

__all__ = [
    "Decomposition", "decompose", "project_features", "thm2_bounds", "init_term_scaling",
    "select_sigma", "SigmaSelection", "adaptive_closed_form", "constant_D_minimizer",
    "minimizer_distance", "sgd_vs_gd", "underparameterized_minimizer", "ridge_minimizer", "last_layer_kernel",
    "last_layer_minimizer", "GradientConfusion", "gradient_confusion", "linearization_gap",
    "SingularKernelError", "Thm2Bounds", "strategy41_params", "gradient_confusion_along_training", "lambda0",
    "Prerequisites", "prerequisites", "gd_loss_bound",
]
