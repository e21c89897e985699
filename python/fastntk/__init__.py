"""fastntk: exact, fast NTK Gram matrices, Jacobians and training dynamics of ReLU MLPs.

The public API is re-exported here; implementations live in the submodules. The
docstrings cite the design document by section ("docs/design.md §2"): it is installed with
the package, ``docs/design.md`` beside this file, as it is in the source distribution.
"""
from ._blas import SlowBLASWarning, blas_diagnosis, blas_info, set_num_threads, show_config
from ._validate import InsufficientMemoryError
from .config import TrainConfig
from .dynamics import TrainingInterrupted, TrainResult, batch_schedule, default_lr, find_lr, train, train_many
from .kernels import adaptive_ntk, jacobian, jacobian_chunks, jvp, ntk, vjp
from .model import MLP, Layout
from .predict import gd_closed_form

from ._version import __version__

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
    "predict",
    "from_torch",
    "to_torch",
]
from . import infinite, predict, theory


def from_torch(module, **kwargs):
    """The MLP and parameters of a PyTorch ``nn.Sequential``; see :func:`fastntk.pytorch.from_torch`.
    PyTorch is imported only here."""
    from .pytorch import from_torch as convert
    return convert(module, **kwargs)


def to_torch(net, params, **kwargs):
    """A PyTorch ``nn.Sequential`` computing ``net``; see :func:`fastntk.pytorch.to_torch`."""
    from .pytorch import to_torch as convert
    return convert(net, params, **kwargs)
