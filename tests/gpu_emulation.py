"""The GPU backend's algorithms run on the host: NumPy as the array module and a
NumPy twin of each kernel of cuda/kernels.cu (same arguments, same in-place
effect). Lets the tests check the GPU code paths — tiling, layer loops, the
training loop, the argument checks — on a machine without a GPU; the kernels
themselves are compiled by nvcc/NVRTC in test_cuda.py and run there on a GPU."""
import numpy as np

from fastntk._gpu.runtime import Backend


def _act(kind, h):
    return np.maximum(h, 0) if kind == 0 else np.tanh(h) if kind == 2 else h


def _act_grad(kind, a, m):
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

    def sgd(self, theta, g, lr):
        theta -= self.T(lr) * g

    def momentum(self, theta, b, g, lr, mu, damp, first, nesterov):
        T = self.T
        b[...] = g if first else T(mu) * b + T(damp) * g
        theta -= T(lr) * (g + T(mu) * b if nesterov else b)

    def adagrad(self, theta, s, g, clr, eps, diag):
        T = self.T
        s += g * g
        d = T(1) / (np.sqrt(s) + T(eps))
        theta -= T(clr) * d * g
        if diag is not None:
            diag[...] = d

    def rmsprop(self, theta, v, g, lr, alpha, eps, diag):
        T = self.T
        v[...] = T(alpha) * v + (T(1) - T(alpha)) * g * g
        d = T(1) / (np.sqrt(v) + T(eps))
        theta -= T(lr) * d * g
        if diag is not None:
            diag[...] = d

    def adam(self, theta, m, v, g, lr, b1, b2, bc1, sqrt_bc2, eps, diag):
        T = self.T
        m[...] = T(b1) * m + (T(1) - T(b1)) * g
        v[...] = T(b2) * v + (T(1) - T(b2)) * g * g
        d = T(1) / (T(bc1) * (np.sqrt(v) / T(sqrt_bc2) + T(eps)))
        theta -= T(lr) * d * m
        if diag is not None:
            diag[...] = d


def _gemm(ta, tb, a, b, out, alpha, beta):
    a = a.T if ta == "T" else a
    b = b.T if tb == "T" else b
    prod = (a @ b) * a.dtype.type(alpha)
    if out is None:
        return prod
    if beta == 0:
        out[...] = prod
    else:
        out[...] = out * out.dtype.type(beta) + prod
    return out


def host_backend() -> Backend:
    return Backend(np, HostKernels, _gemm)
