// CUDA kernels for the element-wise work around the cuBLAS products (issue #4):
// the per-element rules are those of elementwise.cuh, which the CPU core runs too.
// extern "C" entry points, one per dtype, so CuPy's RawModule can load them by name.
#include "elementwise.cuh"

namespace fastntk::cuda {

using i64 = long long;

// K[i, j] (leading dimension ldk) = gram_term(K, GD, GA, β²) over a ti × tj tile whose
// products GA = c²A A′ᵀ and GD = ΔΔ′ᵀ have leading dimension ldg; lower triangle only
// on diagonal tiles of a symmetric Gram.
template <class T>
__device__ void gram_accumulate(T* k, i64 ldk, const T* gd, const T* ga, i64 ldg, i64 ti, i64 tj,
                                T beta2, int lower_only) {
  const i64 j = blockIdx.x * i64(blockDim.x) + threadIdx.x;
  const i64 i = blockIdx.y * i64(blockDim.y) + threadIdx.y;
  if (i >= ti || j >= tj || (lower_only && j > i)) return;
  k[i * ldk + j] = elementwise::gram_term(k[i * ldk + j], gd[i * ldg + j], ga[i * ldg + j], beta2);
}

template <class T>
__device__ void activation_grad(int kind, const T* a, T* m, i64 size) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < size; i += i64(blockDim.x) * gridDim.x)
    m[i] = elementwise::activation_grad(kind, a[i], m[i]);
}

// h ← a(h + β·b) row by row (kind as in activation_grad; identity leaves h + β·b).
template <class T>
__device__ void bias_activation(T* h, const T* b, T beta, i64 rows, i64 cols, int kind) {
  const i64 size = rows * cols;
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < size; i += i64(blockDim.x) * gridDim.x) {
    h[i] = elementwise::activate(kind, h[i] + (b ? beta * b[i % cols] : T(0)));
  }
}

// One layer's block of φ: out[i, off + r·mp + q] = c·Δ[i, r]·A[i, q], and the bias
// block out[i, boff + r] = β·Δ[i, r] (boff < 0: no bias parameters).
template <class T>
__device__ void jacobian_block(T* out, i64 P, i64 off, i64 boff, const T* delta, const T* act, i64 n,
                               i64 m, i64 mp, T c, T beta) {
  const i64 per_row = m * mp;
  const i64 total = n * per_row;
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; e < total; e += i64(blockDim.x) * gridDim.x) {
    const i64 i = e / per_row, rq = e % per_row, r = rq / mp, q = rq % mp;
    const T d = delta[i * m + r];
    out[i * P + off + rq] = c * d * act[i * mp + q];
    if (boff >= 0 && q == 0) out[i * P + boff + r] = beta * d;
  }
}

// Optimizer updates over n parameters; diag (may be null) receives D_t.
template <class T>
__device__ void sgd(T* theta, const T* g, T lr, i64 n) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < n; i += i64(blockDim.x) * gridDim.x)
    theta[i] -= lr * g[i];
}

template <class T>
__device__ void momentum(T* theta, T* b, const T* g, T lr, T mu, T damp, int first, int nesterov, i64 n) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < n; i += i64(blockDim.x) * gridDim.x)
    elementwise::momentum_step(theta[i], b[i], g[i], lr, mu, damp, first != 0, nesterov != 0);
}

template <class T>
__device__ void adagrad(T* theta, T* sum, const T* g, T clr, T eps, T* diag, i64 n) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < n; i += i64(blockDim.x) * gridDim.x) {
    const T d = elementwise::adagrad_step(theta[i], sum[i], g[i], clr, eps);
    if (diag) diag[i] = d;
  }
}

template <class T>
__device__ void rmsprop(T* theta, T* v, const T* g, T lr, T alpha, T eps, T* diag, i64 n) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < n; i += i64(blockDim.x) * gridDim.x) {
    const T d = elementwise::rmsprop_step(theta[i], v[i], g[i], lr, alpha, eps);
    if (diag) diag[i] = d;
  }
}

template <class T>
__device__ void adam(T* theta, T* m, T* v, const T* g, T lr, T b1, T b2, T bc1, T sqrt_bc2, T eps, T* diag,
                     i64 n) {
  for (i64 i = blockIdx.x * i64(blockDim.x) + threadIdx.x; i < n; i += i64(blockDim.x) * gridDim.x) {
    const T d = elementwise::adam_step(theta[i], m[i], v[i], g[i], lr, b1, b2, bc1, sqrt_bc2, eps);
    if (diag) diag[i] = d;
  }
}

}  // namespace fastntk::cuda

using fastntk::cuda::i64;

#define FASTNTK_KERNELS(T, S)                                                                          \
  extern "C" __global__ void fastntk_gram_accumulate_##S(T* k, i64 ldk, const T* gd, const T* ga,    \
                                                          i64 ldg, i64 ti, i64 tj, T beta2, int lower) { \
    fastntk::cuda::gram_accumulate(k, ldk, gd, ga, ldg, ti, tj, beta2, lower);                       \
  }                                                                                                    \
  extern "C" __global__ void fastntk_activation_grad_##S(int kind, const T* a, T* m, i64 size) {      \
    fastntk::cuda::activation_grad(kind, a, m, size);                                                 \
  }                                                                                                    \
  extern "C" __global__ void fastntk_bias_activation_##S(T* h, const T* b, T beta, i64 rows, i64 cols, \
                                                          int kind) {                                  \
    fastntk::cuda::bias_activation(h, b, beta, rows, cols, kind);                                     \
  }                                                                                                    \
  extern "C" __global__ void fastntk_jacobian_block_##S(T* out, i64 P, i64 off, i64 boff,             \
                                                         const T* delta, const T* act, i64 n, i64 m,   \
                                                         i64 mp, T c, T beta) {                        \
    fastntk::cuda::jacobian_block(out, P, off, boff, delta, act, n, m, mp, c, beta);                  \
  }                                                                                                    \
  extern "C" __global__ void fastntk_sgd_##S(T* theta, const T* g, T lr, i64 n) {                     \
    fastntk::cuda::sgd(theta, g, lr, n);                                                              \
  }                                                                                                    \
  extern "C" __global__ void fastntk_momentum_##S(T* theta, T* b, const T* g, T lr, T mu, T damp,     \
                                                   int first, int nesterov, i64 n) {                   \
    fastntk::cuda::momentum(theta, b, g, lr, mu, damp, first, nesterov, n);                           \
  }                                                                                                    \
  extern "C" __global__ void fastntk_adagrad_##S(T* theta, T* sum, const T* g, T clr, T eps, T* diag, \
                                                  i64 n) {                                             \
    fastntk::cuda::adagrad(theta, sum, g, clr, eps, diag, n);                                         \
  }                                                                                                    \
  extern "C" __global__ void fastntk_rmsprop_##S(T* theta, T* v, const T* g, T lr, T alpha, T eps,    \
                                                  T* diag, i64 n) {                                    \
    fastntk::cuda::rmsprop(theta, v, g, lr, alpha, eps, diag, n);                                     \
  }                                                                                                    \
  extern "C" __global__ void fastntk_adam_##S(T* theta, T* m, T* v, const T* g, T lr, T b1, T b2,     \
                                               T bc1, T sqrt_bc2, T eps, T* diag, i64 n) {             \
    fastntk::cuda::adam(theta, m, v, g, lr, b1, b2, bc1, sqrt_bc2, eps, diag, n);                     \
  }

FASTNTK_KERNELS(float, f32)
FASTNTK_KERNELS(double, f64)
#undef FASTNTK_KERNELS
