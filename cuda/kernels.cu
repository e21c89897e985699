// CUDA kernels for the element-wise work around the cuBLAS products (issue #4):
// the per-element rules are those of cpp/include/fastntk/elementwise.hpp, which the CPU core runs too.
// extern "C" entry points, one per dtype, so CuPy's RawModule can load them by name.
#include "fastntk/elementwise.hpp"

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

// Stacked runs (ensembles): R runs' arrays one after another, each with its own
// multipliers scale[r] (c_l) and beta[r] (β_l).
//
// h (R × rows × cols) ← a(scale[r]·h + beta[r]·b[r·ldb + j]); b null: no bias.
template <class T>
__device__ void stacked_bias_activation(T* h, const T* scale, const T* beta, const T* b, i64 ldb, i64 runs,
                                        i64 rows, i64 cols, int kind) {
  const i64 per_run = rows * cols;
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; e < runs * per_run; e += i64(blockDim.x) * gridDim.x) {
    const i64 r = e / per_run;
    h[e] = elementwise::activate(kind, scale[r] * h[e] + (b ? beta[r] * b[r * ldb + e % cols] : T(0)));
  }
}

// m (R × per_run) ← a'(a)·(scale[r]·m), a read off the activations a = a(h).
template <class T>
__device__ void stacked_activation_grad(int kind, const T* a, T* m, const T* scale, i64 runs, i64 per_run) {
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; e < runs * per_run; e += i64(blockDim.x) * gridDim.x)
    m[e] = elementwise::activation_grad(kind, a[e], scale[e / per_run] * m[e]);
}

// dst[r·ld + i] = scale[r]·src[r·len + i]: run r's gradient block into its row of Θ's gradient.
template <class T>
__device__ void stacked_scale_copy(T* dst, i64 ld, const T* src, const T* scale, i64 runs, i64 len) {
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; e < runs * len; e += i64(blockDim.x) * gridDim.x) {
    const i64 r = e / len;
    dst[r * ld + e % len] = scale[r] * src[e];
  }
}

// The residual and the loss of R runs' outputs f (R × n) against one y (n), by the
// per-sample rules of elementwise.hpp (kind: 0 squared, 1 logistic): r = ∂ℓ/∂f / count
// (r may be null: the loss alone), sq[row] += Σ_i ℓ(f, y) in double (the core's
// precision for the loss; sq zeroed by the caller). A thread adds its partial sum once
// per row it visits.
template <class T>
__device__ void residual_loss(int kind, const T* f, const T* y, T count, T* r, double* sq, i64 rows, i64 n) {
  double acc = 0;
  i64 row = -1;
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; e < rows * n; e += i64(blockDim.x) * gridDim.x) {
    if (e / n != row) {
      if (row >= 0) atomicAdd(&sq[row], acc);
      acc = 0;
      row = e / n;
    }
    const T yi = y[e % n];
    if (r) r[e] = elementwise::loss_residual(kind, f[e], yi) / count;
    acc += elementwise::loss_term(kind, f[e], yi);
  }
  if (row >= 0) atomicAdd(&sq[row], acc);
}

// Optimizer updates of R runs stacked as rows of n parameters (θ, g, state: R × n),
// one launch for all of them: the rows listed in rows[0 … nrows) are updated, the
// others (stopped runs) left alone; run r's learning rate is lr[r]·lr_scale (lr_scale
// carries AdaGrad's decay, common to all rows). diag (may be null) receives D_t.
// Thread e handles element e % n of row rows[e / n].
struct Stacked {
  i64 row, i;  // the run, and the element's offset in the stacked arrays
};

__device__ inline bool stacked_element(i64 e, const i64* rows, i64 nrows, i64 n, Stacked& s) {
  if (e >= nrows * n) return false;
  s.row = rows[e / n];
  s.i = s.row * n + e % n;
  return true;
}

#define FASTNTK_STACKED_LOOP                                                                       \
  Stacked s;                                                                                       \
  for (i64 e = blockIdx.x * i64(blockDim.x) + threadIdx.x; stacked_element(e, rows, nrows, n, s); \
       e += i64(blockDim.x) * gridDim.x)

template <class T>
__device__ void sgd(T* theta, const T* g, const T* lr, T lr_scale, const i64* rows, i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP theta[s.i] -= lr[s.row] * lr_scale * g[s.i];
}

template <class T>
__device__ void momentum(T* theta, T* b, const T* g, const T* lr, T lr_scale, T mu, T damp, int first,
                         int nesterov, const i64* rows, i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP elementwise::momentum_step(theta[s.i], b[s.i], g[s.i], lr[s.row] * lr_scale, mu, damp,
                                                  first != 0, nesterov != 0);
}

template <class T>
__device__ void adagrad(T* theta, T* sum, const T* g, const T* lr, T lr_scale, T eps, T* diag, const i64* rows,
                        i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP {
    const T d = elementwise::adagrad_step(theta[s.i], sum[s.i], g[s.i], lr[s.row] * lr_scale, eps);
    if (diag) diag[s.i] = d;
  }
}

template <class T>
__device__ void rmsprop(T* theta, T* v, const T* g, const T* lr, T lr_scale, T alpha, T eps, T* diag,
                        const i64* rows, i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP {
    const T d = elementwise::rmsprop_step(theta[s.i], v[s.i], g[s.i], lr[s.row] * lr_scale, alpha, eps);
    if (diag) diag[s.i] = d;
  }
}

template <class T>
__device__ void adam(T* theta, T* m, T* v, const T* g, const T* lr, T lr_scale, T b1, T b2, T bc1, T sqrt_bc2,
                     T eps, T* diag, const i64* rows, i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP {
    const T d = elementwise::adam_step(theta[s.i], m[s.i], v[s.i], g[s.i], lr[s.row] * lr_scale, b1, b2, bc1,
                                       sqrt_bc2, eps);
    if (diag) diag[s.i] = d;
  }
}

// record_D "ends" for the rows listed: last ← now, and first keeps each coordinate's D_t from
// the first update a gradient above eps reached it (elementwise::keep_first_reached).
template <class T>
__device__ void record_D_ends(T* first, T* last, const T* now, double eps, const i64* rows, i64 nrows, i64 n) {
  FASTNTK_STACKED_LOOP {
    last[s.i] = now[s.i];
    elementwise::keep_first_reached(first[s.i], now[s.i], eps);
  }
}

#undef FASTNTK_STACKED_LOOP

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
  extern "C" __global__ void fastntk_stacked_bias_activation_##S(T* h, const T* scale, const T* beta,   \
                                                                  const T* b, i64 ldb, i64 runs,       \
                                                                  i64 rows, i64 cols, int kind) {      \
    fastntk::cuda::stacked_bias_activation(h, scale, beta, b, ldb, runs, rows, cols, kind);           \
  }                                                                                                    \
  extern "C" __global__ void fastntk_stacked_activation_grad_##S(int kind, const T* a, T* m,           \
                                                                  const T* scale, i64 runs,            \
                                                                  i64 per_run) {                       \
    fastntk::cuda::stacked_activation_grad(kind, a, m, scale, runs, per_run);                         \
  }                                                                                                    \
  extern "C" __global__ void fastntk_stacked_scale_copy_##S(T* dst, i64 ld, const T* src,              \
                                                             const T* scale, i64 runs, i64 len) {      \
    fastntk::cuda::stacked_scale_copy(dst, ld, src, scale, runs, len);                                \
  }                                                                                                    \
  extern "C" __global__ void fastntk_residual_loss_##S(int kind, const T* f, const T* y, T count, T* r, \
                                                        double* sq, i64 rows, i64 n) {                 \
    fastntk::cuda::residual_loss(kind, f, y, count, r, sq, rows, n);                                  \
  }                                                                                                    \
  extern "C" __global__ void fastntk_sgd_##S(T* theta, const T* g, const T* lr, T lr_scale,          \
                                              const i64* rows, i64 nrows, i64 n) {                     \
    fastntk::cuda::sgd(theta, g, lr, lr_scale, rows, nrows, n);                                       \
  }                                                                                                    \
  extern "C" __global__ void fastntk_momentum_##S(T* theta, T* b, const T* g, const T* lr, T lr_scale, \
                                                   T mu, T damp, int first, int nesterov,              \
                                                   const i64* rows, i64 nrows, i64 n) {                \
    fastntk::cuda::momentum(theta, b, g, lr, lr_scale, mu, damp, first, nesterov, rows, nrows, n);    \
  }                                                                                                    \
  extern "C" __global__ void fastntk_adagrad_##S(T* theta, T* sum, const T* g, const T* lr, T lr_scale, \
                                                  T eps, T* diag, const i64* rows, i64 nrows, i64 n) { \
    fastntk::cuda::adagrad(theta, sum, g, lr, lr_scale, eps, diag, rows, nrows, n);                   \
  }                                                                                                    \
  extern "C" __global__ void fastntk_rmsprop_##S(T* theta, T* v, const T* g, const T* lr, T lr_scale,  \
                                                  T alpha, T eps, T* diag, const i64* rows, i64 nrows, \
                                                  i64 n) {                                             \
    fastntk::cuda::rmsprop(theta, v, g, lr, lr_scale, alpha, eps, diag, rows, nrows, n);              \
  }                                                                                                    \
  extern "C" __global__ void fastntk_adam_##S(T* theta, T* m, T* v, const T* g, const T* lr,           \
                                               T lr_scale, T b1, T b2, T bc1, T sqrt_bc2, T eps,       \
                                               T* diag, const i64* rows, i64 nrows, i64 n) {           \
    fastntk::cuda::adam(theta, m, v, g, lr, lr_scale, b1, b2, bc1, sqrt_bc2, eps, diag, rows, nrows, n); \
  }                                                                                                    \
  extern "C" __global__ void fastntk_record_D_ends_##S(T* first, T* last, const T* now, double eps,   \
                                                        const i64* rows, i64 nrows, i64 n) {           \
    fastntk::cuda::record_D_ends(first, last, now, eps, rows, nrows, n);                              \
  }

FASTNTK_KERNELS(float, f32)
FASTNTK_KERNELS(double, f64)
#undef FASTNTK_KERNELS
