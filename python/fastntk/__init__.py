"""fastntk: exact, fast NTK Gram matrices, Jacobians and training dynamics of ReLU MLPs.

The public API is re-exported here; implementations live in the submodules.
"""
from ._backend import SlowBLASWarning, blas_diagnosis, blas_info, set_num_threads, show_config
from ._validate import InsufficientMemoryError
from .config import TrainConfig
from .dynamics import TrainingInterrupted, TrainResult, batch_schedule, default_lr, find_lr, gd_closed_form, train, train_many
from .kernels import adaptive_ntk, jacobian, jacobian_chunks, jvp, ntk, vjp
from .model import MLP, Layout

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Layout",
    "TrainConfig",
    "ntk",
    "jacobian",
    "jacobian_chunks",
    "jvp",
    "vjp",
    "adaptive_ntk",
    "train",
    "train_many",
    "TrainResult",
    "TrainingInterrupted",
    "gd_closed_form",
    "default_lr",
    "find_lr",
    "batch_schedule",
    "show_config",
    "set_num_threads",
    "blas_info",
    "blas_diagnosis",
    "SlowBLASWarning",
    "InsufficientMemoryError",
    "theory",
    "infinite",
]
from . import infinite, theory
