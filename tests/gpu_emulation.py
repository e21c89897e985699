"""The GPU backend run on the host, for machines without a GPU: NumPy as the array
module (NumPy's matmul standing in for cuBLAS) and the kernels of cuda/kernels.cu
themselves, compiled as host C++ (tests/cuda_on_host.cpp) and launched through
fastntk's own launch glue (runtime.CudaKernels) over a module that checks every
launch as strictly as a GPU would need: argument count and types against the
kernel's CUDA signature, C-contiguous arrays (or rows with the leading dimension
passed beside them), writable outputs, launch shapes within CUDA's limits.

The tests thus run the GPU code paths — tiling, layer loops, the training loop,
the argument checks, the kernels' indexing — without a GPU. NumPy twins of the
kernels (HostKernels) state what each kernel computes; a test compares the two.
"""
import ctypes
import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from fastntk import reference

from fastntk._gpu.runtime import CudaKernels, Device, cuda_include_dir, cuda_source_dir

_HERE = Path(__file__).resolve().parent


def kernel_signatures() -> dict[str, list[tuple[str, str]]]:
    """{kernel name without dtype suffix: [(parameter type, parameter name), …]} of the
    extern "C" kernels, read from kernels.cu."""
    text = (cuda_source_dir() / "kernels.cu").read_text().replace("\\\n", " ")
    sigs = {}
    for name, params in re.findall(r'extern "C" __global__ void fastntk_(\w+)_##S\(([^)]*)\)', text):
        sigs[name] = [(" ".join(p.split()[:-1]), p.split()[-1]) for p in params.split(",")]
    return sigs


def _suffixes():
    text = (cuda_source_dir() / "kernels.cu").read_text()
    pairs = re.findall(r"^FASTNTK_KERNELS\((\w+), (\w+)\)", text, re.M)
    return {t: s for t, s in pairs if t in _CTYPE}  # {C type: suffix}


_CTYPE = {"float": ctypes.c_float, "double": ctypes.c_double}
_NPTYPE = {"float": np.float32, "double": np.float64}


@functools.lru_cache(maxsize=None)
def _host_library():
    """kernels.cu built as a host shared library (once per test process)."""
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        raise RuntimeError("no C++ compiler (CXX, c++, g++) to build the kernels for the host")
    sigs = kernel_signatures()
    names = [f"fastntk_{n}_{s}" for s in _suffixes().values() for n in sigs]
    build = Path(tempfile.mkdtemp(prefix="fastntk_kernels_on_host_"))
    (build / "kernel_table.inc").write_text("".join(f"FASTNTK_ENTRY({n})\n" for n in names))
    lib = build / "kernels_on_host.so"
    out = subprocess.run([cxx, "-std=c++17", "-O2", "-shared", "-fPIC", f"-I{cuda_source_dir()}", f"-I{cuda_include_dir(cuda_source_dir())}", f"-I{build}",
                          str(_HERE / "cuda_on_host.cpp"), "-o", str(lib)], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"building the kernels for the host failed:\n{out.stderr}")
    dll = ctypes.CDLL(str(lib))
    table = (ctypes.c_void_p * (len(names) + 1)).in_dll(dll, "fastntk_host_launchers")
    return dll, dict(zip(names, table[:len(names)]))


class HostKernel:
    """One kernel of kernels.cu on the host, called like CuPy's RawKernel:
    kernel(grid, block, args)."""

    def __init__(self, name, address, params, scalar):
        self.name, self.params, self.scalar = name, params, scalar
        self._T = _NPTYPE[scalar]
        argtypes = [ctypes.POINTER(ctypes.c_longlong)]
        for ptype, _ in params:
            argtypes.append(ctypes.c_void_p if ptype.endswith("*") else
                            {"T": _CTYPE[scalar], "i64": ctypes.c_longlong, "int": ctypes.c_int}[ptype])
        self._fn = ctypes.CFUNCTYPE(None, *argtypes)(address)

    def __call__(self, grid, block, args):
        grid, block = tuple(grid) + (1,) * (3 - len(grid)), tuple(block) + (1,) * (3 - len(block))
        if not (1 <= grid[0] < 2**31 and all(1 <= g <= 65535 for g in grid[1:])):
            raise ValueError(f"{self.name}: grid {grid} outside CUDA's limits")
        if not (all(b >= 1 for b in block) and np.prod(block) <= 1024 and block[2] <= 64):
            raise ValueError(f"{self.name}: block {block} outside CUDA's limits")
        if len(args) != len(self.params):
            raise TypeError(f"{self.name}: {len(args)} arguments for {len(self.params)} parameters")
        values, arrays = [], []
        for i, (arg, (ptype, pname)) in enumerate(zip(args, self.params)):
            where = f"{self.name} argument {i} ({ptype} {pname})"
            if ptype.endswith("*"):
                nxt = (args[i + 1], self.params[i + 1][1]) if i + 1 < len(args) else (None, "")
                if self._check_pointer(where, arg, ptype, *nxt):
                    arrays.append((i, arg, not ptype.startswith("const")))
                values.append(None)
                continue
            want = {"T": self._T, "i64": np.int64, "int": np.int32}[ptype]
            if type(arg) is not want:
                raise TypeError(f"{where}: expected {want.__name__}, got {type(arg).__name__}")
            values.append(arg.item())
        dims = (ctypes.c_longlong * 6)(*grid, *block)

        def launch(pointers):
            for i, ptr in pointers.items():
                values[i] = ptr
            self._fn(dims, *values)
        _Guarded(self.name, arrays).run(launch)

    def _check_pointer(self, where, arg, ptype, following, following_name) -> bool:
        """True for an array, False for a null pointer; raises for anything else."""
        if arg is None:  # CuPy passes None as a null pointer
            return False
        if not isinstance(arg, np.ndarray):
            raise TypeError(f"{where}: expected an array or a null pointer, got {type(arg).__name__}")
        pointee = ptype.replace("const", "").replace("*", "").strip()
        want = {"T": self._T, "i64": np.int64, "double": np.float64}[pointee]
        if arg.dtype != want:
            raise TypeError(f"{where}: expected {np.dtype(want).name} data, got {arg.dtype}")
        if not ptype.startswith("const") and not arg.flags.writeable:
            raise ValueError(f"{where}: the kernel writes to a read-only array")
        if not arg.flags.c_contiguous:
            # Rows of a larger matrix are allowed when the leading dimension comes next.
            ok = (arg.ndim == 2 and arg.strides[1] == arg.itemsize and following_name.startswith("ld")
                  and isinstance(following, np.int64) and arg.strides[0] == int(following) * arg.itemsize)
            if not ok:
                raise ValueError(f"{where}: array with strides {arg.strides} is not C-contiguous (a raw pointer "
                                 "would read it wrong)")
        return True


class _Guarded:
    """Runs a launch on copies of its arrays inside buffers with margins on both
    sides, so that an out-of-bounds index fails a test instead of corrupting the
    test process. The launch runs twice, with the float margins NaN and then a
    large finite value (index margins −1, which sends a row index read from a margin
    into a margin): a write into a margin, into memory between the rows of a strided
    view, or into an array the kernel may only read changes bits it must not; a read
    from a margin makes the two runs differ. Overlapping arrays (in-place updates)
    share one buffer. The result is copied back into the arrays."""

    FILLS = (np.nan, 3.0e30)

    def __init__(self, name, arrays):
        self.name = name
        self.arrays = [(i, a, w) for i, a, w in arrays if a.size]
        self.empty = [i for i, a, _ in arrays if not a.size]
        self.regions = []  # [lo, hi) byte ranges of the original memory, and their dtype
        for _, a, _ in self.arrays:
            lo, hi = _byte_range(a)
            for reg in self.regions:
                if lo < reg[1] and reg[0] < hi:
                    assert reg[2] == a.dtype, f"{name}: arrays of different dtypes overlap"
                    reg[0], reg[1] = min(lo, reg[0]), max(hi, reg[1])
                    break
            else:
                self.regions.append([lo, hi, a.dtype])

    def _region(self, a):
        lo, _ = _byte_range(a)
        return next(r for r in range(len(self.regions)) if self.regions[r][0] <= lo < self.regions[r][1])

    @staticmethod
    def _memory(lo, hi, dtype):
        return np.frombuffer((ctypes.c_char * (hi - lo)).from_address(lo), dtype)

    def _once(self, launch, fill):
        buffers, before = [], []
        for lo, hi, dtype in self.regions:
            n = (hi - lo) // dtype.itemsize
            pad = n + 1024
            buf = np.full(n + 2 * pad, fill if dtype.kind == "f" else -1, dtype)
            buf[pad:pad + n] = self._memory(lo, hi, dtype)
            buffers.append((buf, pad, n))
            before.append(buf.copy())
        dummy = np.full(1, np.nan)
        pointers = {i: dummy.ctypes.data for i in self.empty}
        for i, a, _ in self.arrays:
            r = self._region(a)
            buf, pad, _ = buffers[r]
            pointers[i] = buf.ctypes.data + pad * a.itemsize + (a.ctypes.data - self.regions[r][0])
        launch(pointers)
        if not np.isnan(dummy[0]):
            raise AssertionError(f"{self.name}: wrote through the pointer of an empty array")
        for r, ((lo, hi, dtype), (buf, pad, n), old) in enumerate(zip(self.regions, buffers, before)):
            writable = np.zeros(buf.size, bool)
            for _, a, writes in self.arrays:
                if writes and self._region(a) == r:
                    writable[pad + _element_offsets(a, lo)] = True
            bits = f"u{dtype.itemsize}"
            bad = np.flatnonzero((buf.view(bits) != old.view(bits)) & ~writable)
            if bad.size:
                raise AssertionError(f"{self.name}: wrote {bad.size} element(s) outside its output arrays "
                                     f"(offsets {bad[:5] - pad} relative to the data)")
        return [buf[pad:pad + n] for buf, pad, n in buffers]

    def run(self, launch):
        results = [self._once(launch, fill) for fill in self.FILLS]
        for (lo, hi, dtype), x, y in zip(self.regions, *results):
            bits = f"u{dtype.itemsize}"
            if not np.array_equal(x.view(bits), y.view(bits)):
                raise AssertionError(f"{self.name}: the result depends on memory outside its arrays "
                                     "(an out-of-bounds read)")
        for (_, a, writes) in self.arrays:
            if writes:
                r = self._region(a)
                lo, hi, dtype = self.regions[r]
                self._memory(lo, hi, dtype)[...] = results[0][r]


def _byte_range(a):
    lo = a.ctypes.data + sum(min(0, s) * (d - 1) for s, d in zip(a.strides, a.shape))
    hi = a.ctypes.data + sum(max(0, s) * (d - 1) for s, d in zip(a.strides, a.shape)) + a.itemsize
    return lo, hi


def _element_offsets(a, lo):
    """Offsets (in elements) of a's elements from byte address lo."""
    idx = np.zeros(a.shape, np.int64) + (a.ctypes.data - lo) // a.itemsize
    for ax, s in enumerate(a.strides):
        shape = [1] * a.ndim
        shape[ax] = a.shape[ax]
        idx = idx + (np.arange(a.shape[ax]) * (s // a.itemsize)).reshape(shape)
    return idx.ravel()


class HostModule:
    """Stands in for CuPy's RawModule of kernels.cu."""

    def __init__(self):
        _, self._launchers = _host_library()
        self._sigs = kernel_signatures()
        self._scalar = {s: t for t, s in _suffixes().items()}
        self.launched = []

    def get_function(self, name):
        base, suffix = name[len("fastntk_"):].rsplit("_", 1)
        kernel = HostKernel(name, self._launchers[name], self._sigs[base], self._scalar[suffix])

        def launch(grid, block, args):
            self.launched.append(name)
            kernel(grid, block, args)
        return launch


class KernelsOnHost(CudaKernels):
    """fastntk's launch glue over the kernels compiled for the host."""

    def __init__(self, dtype, module=None):
        self._T = np.dtype(dtype).type
        self._suffix = "f32" if self._T == np.float32 else "f64"
        self.module = module if module is not None else HostModule()

    def _fn(self, name):
        return self.module.get_function(f"fastntk_{name}_{self._suffix}")


def _act(kind, h):
    if kind == 3:
        return reference.erf(h).astype(h.dtype)
    return np.maximum(h, 0) if kind == 0 else np.tanh(h) if kind == 2 else h


def _act_grad(kind, a, m):
    if kind == 3:
        h = reference.erfinv(a)
        return (m * (2 / np.sqrt(np.pi)) * np.exp(-h * h)).astype(m.dtype)
    return np.where(a > 0, m, 0) if kind == 0 else m * (1 - a * a) if kind == 2 else m


class HostKernels:
    def __init__(self, dtype):
        self.T = np.dtype(dtype).type

    def bias_activation(self, h, b, beta, kind):
        h[...] = _act(kind, h + (self.T(beta) * b if b is not None else 0))

    def activation_grad(self, kind, a, m):
        m[...] = _act_grad(kind, a, m)

    def gram_accumulate(self, k, gd, ga, beta2, lower_only):
        upd = k + gd * (ga + self.T(beta2))
        if lower_only:
            upd = np.where(np.tril(np.ones(k.shape, bool)), upd, k)
        k[...] = upd

    def jacobian_block(self, out, off, boff, delta, act, c, beta):
        n, m = delta.shape
        mp = act.shape[1]
        out[:, off:off + m * mp] = (self.T(c) * delta[:, :, None] * act[:, None, :]).reshape(n, m * mp)
        if boff >= 0:
            out[:, boff:boff + m] = self.T(beta) * delta

    def stacked_bias_activation(self, h, scale, beta, b, kind):
        z = scale[:, None, None] * h
        if b is not None:
            z = z + (beta[:, None] * b)[:, None, :]
        h[...] = _act(kind, z)

    def stacked_activation_grad(self, kind, a, m, scale):
        m[...] = _act_grad(kind, a, scale.reshape((-1,) + (1,) * (m.ndim - 1)) * m)

    def stacked_scale_copy(self, dst, src, scale):
        dst[...] = scale[:, None] * src.reshape(dst.shape)

    def residual_loss(self, kind, f, y, count, r, sq):
        n = y.shape[0]
        f2 = f.reshape(-1, n)
        if kind == 0:
            if r is not None:
                r.reshape(-1, n)[...] = (f2 - y) / self.T(count)
            d = f2.astype(np.float64) - y.astype(np.float64)
            sq += (0.5 * d * d).sum(axis=1)
            return
        sign = np.where(y > 0, 1, -1).astype(f.dtype)
        m = sign * f2
        if r is not None:
            e = np.exp(-np.abs(m))
            r.reshape(-1, n)[...] = -sign * np.where(m > 0, e / (1 + e), 1 / (1 + e)) / self.T(count)
        m = m.astype(np.float64)
        sq += (np.maximum(-m, 0) + np.log1p(np.exp(-np.abs(m)))).sum(axis=1)

    # Stacked rows: θ, g, state (R, n); lr (R,); rows: the rows updated.
    def _lr(self, lr, lr_scale, rows):
        return (lr[rows] * self.T(lr_scale))[:, None]

    def sgd(self, theta, g, lr, lr_scale, rows):
        theta[rows] -= self._lr(lr, lr_scale, rows) * g[rows]

    def momentum(self, theta, b, g, lr, lr_scale, mu, damp, first, nesterov, rows):
        T, g = self.T, g[rows]
        b[rows] = g if first else T(mu) * b[rows] + T(damp) * g
        theta[rows] -= self._lr(lr, lr_scale, rows) * (g + T(mu) * b[rows] if nesterov else b[rows])

    def adagrad(self, theta, s, g, lr, lr_scale, eps, diag, rows):
        T, g = self.T, g[rows]
        s[rows] += g * g
        d = T(1) / (np.sqrt(s[rows]) + T(eps))
        theta[rows] -= self._lr(lr, lr_scale, rows) * d * g
        if diag is not None:
            diag[rows] = d

    def rmsprop(self, theta, v, g, lr, lr_scale, alpha, eps, diag, rows):
        T, g = self.T, g[rows]
        v[rows] = T(alpha) * v[rows] + (T(1) - T(alpha)) * g * g
        d = T(1) / (np.sqrt(v[rows]) + T(eps))
        theta[rows] -= self._lr(lr, lr_scale, rows) * d * g
        if diag is not None:
            diag[rows] = d

    def adam(self, theta, m, v, g, lr, lr_scale, b1, b2, bc1, sqrt_bc2, eps, diag, rows):
        T, g = self.T, g[rows]
        m[rows] = T(b1) * m[rows] + (T(1) - T(b1)) * g
        v[rows] = T(b2) * v[rows] + (T(1) - T(b2)) * g * g
        d = T(1) / (T(bc1) * (np.sqrt(v[rows]) / T(sqrt_bc2) + T(eps)))
        theta[rows] -= self._lr(lr, lr_scale, rows) * d * m[rows]
        if diag is not None:
            diag[rows] = d


def _gemm(ta, tb, a, b, out, alpha, beta):
    """NumPy in place of cupy.cublas.gemm, with the preconditions that function
    asserts (2-D operands of one dtype, an out of the product's shape and dtype)."""
    assert a.ndim == b.ndim == 2, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    a = a.T if ta == "T" else a
    b = b.T if tb == "T" else b
    assert a.shape[1] == b.shape[0], (a.shape, b.shape)
    # cuBLAS raises no floating-point flags; OpenBLAS's kernels can set FE_INVALID on finite operands
    # (numpy/numpy#24067, OpenMathLib/OpenBLAS#1924), which NumPy reports as "invalid value encountered
    # in matmul" — a CI run failed on it for a 1×5 @ 5×2 product. The product itself is checked by the
    # tests against the CPU backend, so a real NaN still fails them.
    with np.errstate(invalid="ignore"):
        prod = (a @ b) * a.dtype.type(alpha)
    if out is None:
        return np.asfortranarray(prod)  # cuBLAS's own output is column-major
    assert out.ndim == 2 and out.shape == prod.shape and out.dtype == a.dtype, (out.shape, out.dtype)
    if beta == 0:
        out[...] = prod
    else:
        out[...] = out * out.dtype.type(beta) + prod
    return out


def host_backend() -> Device:
    """The GPU backend with NumPy arrays and the kernels of kernels.cu run on the host."""
    return Device(np, KernelsOnHost, _gemm)
