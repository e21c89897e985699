"""The GPU backend: CuPy arrays in, CuPy arrays out, cuBLAS for the products and the
CUDA kernels of ``cuda/`` compiled at run time. Imported only when a call is given
CuPy arrays (see fastntk._dispatch); ``backend.GpuBackend`` is its entry point."""
