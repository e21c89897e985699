"""The GPU backend (issue #4): CuPy arrays in, CuPy arrays out, the CUDA kernels of
``cuda/`` compiled at run time. The public functions dispatch here when their
arrays are CuPy arrays; see :func:`fastntk.gpu_info`."""
from .runtime import cupy_module, gpu_backend, is_device_array, placement

__all__ = ["cupy_module", "gpu_backend", "is_device_array", "placement"]
