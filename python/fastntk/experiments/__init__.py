"""The papers' experiments: named, parameterized sweeps with resumable records,
plots and a summary of each claim. ``fastntk list`` shows them."""
from ._base import Experiment, ExperimentError
from ._runner import check, load, report, resolve_config, run, verdict_table
from .adaptive import Adaptive
from .adaptive_closed_form import AdaptiveClosedForm
from .bounds import Bounds
from .bump import Bump
from .classifier_widths import ClassifierWidths
from .confusion import GradientConfusion
from .infinite_ensemble import InfiniteEnsemble
from .initialization import Initialization
from .kernel_convergence import KernelConvergence
from .last_layer import LastLayer
from .late_linearization import LateLinearization
from .linear_regression import LinearRegression
from .linearization import Linearization
from .normal_biases import NormalBiases
from .overparameterization import Overparameterization
from .overparameterization_ce import OverparameterizationCE
from .sigma_by_size import SigmaBySize
from .sigma_selection import SigmaSelection
from .stochastic import Stochastic
from .ridge import Ridge
from .underparameterized import Underparameterized
from .width import Width

REGISTRY: dict[str, Experiment] = {e.name: e for e in [
    Initialization(), Adaptive(), Stochastic(), Overparameterization(), SigmaSelection(), Bump(),
    GradientConfusion(), Width(), Underparameterized(), KernelConvergence(), InfiniteEnsemble(),
    OverparameterizationCE(), Linearization(), LinearRegression(), AdaptiveClosedForm(),
    LateLinearization(), Bounds(), SigmaBySize(), NormalBiases(), Ridge(), LastLayer(), ClassifierWidths()]}

__all__ = ["REGISTRY", "run", "report", "check", "load", "verdict_table", "resolve_config", "Experiment",
           "ExperimentError"]
