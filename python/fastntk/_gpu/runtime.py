"""CuPy at run time: which arrays live on a GPU, the CUDA sources of ``cuda/``
compiled once per device by NVRTC, typed launchers for their kernels, and the
translation of device out-of-memory into fastntk's error.

Nothing here imports CuPy at module import: the package works without it.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.resources
import pathlib

import numpy as np

from .._arrays import is_device_array, to_host  # noqa: F401 (the backend's names for them)
from .._validate import InsufficientMemoryError

_THREADS = 256


def cupy_module():
    """CuPy, or None when it is not installed."""
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def gpu_status() -> str:
    """One line: CuPy's version and the visible GPU, or why the GPU backend is off."""
    cp = cupy_module()
    if cp is None:
        return "off (CuPy not installed)"
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # no driver, wrong CUDA version: CuPy raises its runtime error
        return f"off (CuPy {cp.__version__}, no usable GPU: {e})"
    if count < 1:
        return f"off (CuPy {cp.__version__}, no GPU visible)"
    name = cp.cuda.runtime.getDeviceProperties(0)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    return f"CuPy {cp.__version__}, {count} GPU(s), device 0: {name}"


def cuda_source_dir() -> pathlib.Path:
    """The directory with kernels.cu: installed beside the package (with the shared
    header under include/), or the repository's cuda/ in an editable install."""
    installed = pathlib.Path(str(importlib.resources.files("fastntk"))) / "cuda"
    if (installed / "kernels.cu").exists():
        return installed
    repo = pathlib.Path(__file__).resolve().parents[3] / "cuda"
    if (repo / "kernels.cu").exists():
        return repo
    raise FileNotFoundError("fastntk's CUDA sources (kernels.cu) are missing from the installation")


def cuda_include_dir(source_dir: pathlib.Path) -> pathlib.Path:
    """Where kernels.cu finds fastntk/elementwise.hpp, the per-element rules it shares
    with the CPU core: include/ beside an installed kernels.cu, cpp/include in the repository."""
    installed = source_dir / "include"
    return installed if (installed / "fastntk" / "elementwise.hpp").exists() else source_dir.parent / "cpp" / "include"


def nvrtc_options(source_dir: pathlib.Path) -> tuple[str, ...]:
    """The options the kernels are compiled with at run time (tests use them too)."""
    return ("--std=c++17", f"-I{cuda_include_dir(source_dir)}")


@contextlib.contextmanager
def device_memory(what: str, nbytes: int | None = None):
    """Turns CuPy's out-of-memory into InsufficientMemoryError with the bytes needed."""
    cp = cupy_module()
    try:
        yield
    except Exception as e:
        if cp is None or not isinstance(e, cp.cuda.memory.OutOfMemoryError):
            raise
        free, total = cp.cuda.runtime.memGetInfo()
        need = f"needs about {nbytes / 2**30:.2f} GiB; " if nbytes else ""
        raise InsufficientMemoryError(
            f"{what} on the GPU: {e} The call {need}the device has {free / 2**30:.2f} of "
            f"{total / 2**30:.2f} GiB free; use fewer samples or a smaller tile") from None


class CudaKernels:
    """The extern "C" kernels of cuda/kernels.cu for one dtype, with semantic
    signatures (arrays in, sizes and launch shapes worked out here). Arguments go
    to CuPy's launcher as CuPy arrays (passed as the pointer to their first element,
    views included), NumPy scalars of the parameter's exact type, and None for a
    null pointer."""

    def __init__(self, dtype):
        cp = cupy_module()
        src = cuda_source_dir()
        self._cp = cp
        self._src = str(src)
        self._T = np.dtype(dtype).type
        self._suffix = "f32" if self._T == np.float32 else "f64"

    def _fn(self, name):
        # Compiled once per device; launched on the current one (see device_scope).
        module = _module(self._src, int(self._cp.cuda.Device().id))
        return module.get_function(f"fastntk_{name}_{self._suffix}")

    def _grid(self, n):
        return (max(1, min(65535, (int(n) + _THREADS - 1) // _THREADS)),)

    def bias_activation(self, h, b, beta, kind):
        rows, cols = h.shape
        self._fn("bias_activation")(self._grid(h.size), (_THREADS,),
                                    (h, b, self._T(beta), np.int64(rows),
                                     np.int64(cols), np.int32(kind)))

    def activation_grad(self, kind, a, m):
        self._fn("activation_grad")(self._grid(m.size), (_THREADS,), (np.int32(kind), a, m, np.int64(m.size)))

    def gram_accumulate(self, k, gd, ga, beta2, lower_only):
        ti, tj = gd.shape
        ldk = k.strides[0] // k.itemsize
        block = (16, 16)
        grid = ((tj + 15) // 16, (ti + 15) // 16)
        self._fn("gram_accumulate")(grid, block, (k, np.int64(ldk), gd, ga, np.int64(gd.shape[1]), np.int64(ti),
                                                  np.int64(tj), self._T(beta2), np.int32(bool(lower_only))))

    def jacobian_block(self, out, off, boff, delta, act, c, beta):
        n, m = delta.shape
        mp = act.shape[1]
        self._fn("jacobian_block")(self._grid(n * m * mp), (_THREADS,),
                                   (out, np.int64(out.shape[1]), np.int64(off), np.int64(boff), delta, act,
                                    np.int64(n), np.int64(m), np.int64(mp), self._T(c), self._T(beta)))

    # Stacked runs: arrays (R, …), per-run multipliers scale and beta (R,) on the device.
    def stacked_bias_activation(self, h, scale, beta, b, kind):
        """h (R, rows, cols) ← a(scale·h + beta·b); b (R, cols), rows of a larger array, or None."""
        runs, rows, cols = h.shape
        ldb = 0 if b is None else b.strides[0] // b.itemsize
        self._fn("stacked_bias_activation")(self._grid(h.size), (_THREADS,),
                                            (h, scale, None if b is None else beta, b, np.int64(ldb), np.int64(runs),
                                             np.int64(rows), np.int64(cols), np.int32(kind)))

    def stacked_activation_grad(self, kind, a, m, scale):
        """m (R, …) ← a'(a)·(scale·m)."""
        runs = m.shape[0]
        self._fn("stacked_activation_grad")(self._grid(m.size), (_THREADS,),
                                            (np.int32(kind), a, m, scale, np.int64(runs), np.int64(m.size // runs)))

    def stacked_scale_copy(self, dst, src, scale):
        """dst (R, len), rows of a larger array, ← scale·src (src of R·len elements)."""
        runs, length = dst.shape
        self._fn("stacked_scale_copy")(self._grid(dst.size), (_THREADS,),
                                       (dst, np.int64(dst.strides[0] // dst.itemsize), src, scale, np.int64(runs),
                                        np.int64(length)))

    def residual_loss(self, kind, f, y, count, r, sq):
        """r = ∂ℓ/∂f / count (r None: skipped) and sq[row] += Σ ℓ(f, y) in double, for
        outputs f of R runs (R, n) — or one run (n,) — against y (n,); ℓ the loss of
        ``kind`` (0 squared, 1 logistic: elementwise.hpp's loss_term)."""
        n = y.shape[0]
        self._fn("residual_loss")(self._grid(f.size), (_THREADS,),
                                  (np.int32(kind), f, y, self._T(count), r, sq, np.int64(f.size // max(n, 1)),
                                   np.int64(n)))

    # The optimizer updates take R runs stacked as rows: θ, g and state (R, n), lr (R,)
    # on the device, rows (int64, on the device) the runs to update.
    def _stacked(self, theta, rows):
        n = theta.shape[-1]
        return self._grid(rows.size * n), (rows, np.int64(rows.size), np.int64(n))

    def sgd(self, theta, g, lr, lr_scale, rows):
        grid, tail = self._stacked(theta, rows)
        self._fn("sgd")(grid, (_THREADS,), (theta, g, lr, self._T(lr_scale)) + tail)

    def momentum(self, theta, b, g, lr, lr_scale, mu, damp, first, nesterov, rows):
        grid, tail = self._stacked(theta, rows)
        self._fn("momentum")(grid, (_THREADS,), (theta, b, g, lr, self._T(lr_scale), self._T(mu), self._T(damp),
                                                 np.int32(first), np.int32(nesterov)) + tail)

    def adagrad(self, theta, s, g, lr, lr_scale, eps, diag, rows):
        grid, tail = self._stacked(theta, rows)
        self._fn("adagrad")(grid, (_THREADS,), (theta, s, g, lr, self._T(lr_scale), self._T(eps), diag) + tail)

    def rmsprop(self, theta, v, g, lr, lr_scale, alpha, eps, diag, rows):
        grid, tail = self._stacked(theta, rows)
        self._fn("rmsprop")(grid, (_THREADS,), (theta, v, g, lr, self._T(lr_scale), self._T(alpha), self._T(eps),
                                                diag) + tail)

    def adam(self, theta, m, v, g, lr, lr_scale, b1, b2, bc1, sqrt_bc2, eps, diag, rows):
        grid, tail = self._stacked(theta, rows)
        self._fn("adam")(grid, (_THREADS,), (theta, m, v, g, lr, self._T(lr_scale), self._T(b1), self._T(b2),
                                             self._T(bc1), self._T(sqrt_bc2), self._T(eps), diag) + tail)

    def record_D_ends(self, first, last, now, eps, rows):
        """record_D="ends" after an update of the runs ``rows``: their rows of ``last`` (R, P)
        take D_t of ``now``, and of ``first`` wherever no gradient above eps has reached yet."""
        grid, tail = self._stacked(now, rows)
        self._fn("record_D_ends")(grid, (_THREADS,), (first, last, now, np.float64(eps)) + tail)


@functools.lru_cache(maxsize=None)
def _module(source_dir: str, device: int):
    cp = cupy_module()
    src = pathlib.Path(source_dir)
    return cp.RawModule(code=(src / "kernels.cu").read_text(), options=nvrtc_options(src))


class Device:
    """An array module (CuPy, or NumPy in the host-emulated tests) with GEMM and
    the element-wise kernels: what the GPU algorithms are written against."""

    def __init__(self, xp, kernels_for, gemm):
        self.xp = xp
        self._kernels_for = kernels_for
        self._gemm = gemm
        self._cache = {}
        self._ones = {}

    def cuda_kernels(self, dtype):
        """The launchers of cuda/kernels.cu for ``dtype``, made once (CudaKernels, or the host build in tests)."""
        key = np.dtype(dtype).name
        if key not in self._cache:
            self._cache[key] = self._kernels_for(dtype)
        return self._cache[key]

    def ones(self, n, dtype):
        """A column of n ones (n, 1) on the current device, made once: the bias
        gradients' column sums become GEMV-shaped products. Read-only by contract."""
        device = int(self.xp.cuda.Device().id) if hasattr(self.xp, "cuda") else 0
        key = (int(n), np.dtype(dtype).name, device)
        if key not in self._ones:
            self._ones[key] = self.xp.ones((int(n), 1), dtype)
        return self._ones[key]

    def gemm(self, a, b, out=None, *, alpha=1.0, beta=0.0, ta=False, tb=False):
        """out = alpha·op(a)·op(b) + beta·out (op = transpose when ta/tb)."""
        return self._gemm("T" if ta else "N", "T" if tb else "N", a, b, out, alpha, beta)


@functools.lru_cache(maxsize=None)
def cuda_device() -> Device:
    """CuPy with cuBLAS products and the kernels of cuda/ (one per process)."""
    cp = cupy_module()
    if cp is None:
        raise ImportError("CuPy arrays were given but CuPy cannot be imported")
    import cupy.cublas

    def gemm(ta, tb, a, b, out, alpha, beta):
        return cupy.cublas.gemm(ta, tb, a, b, out=out, alpha=alpha, beta=beta)

    return Device(cp, CudaKernels, gemm)
