// Per-element rules shared by the CPU core and the CUDA kernels: the CPU tests
// exercise exactly the code the GPU runs. Plain C++ when not compiled by nvcc.
#pragma once
#if !defined(__CUDACC_RTC__)  // NVRTC (CuPy's RawModule) has no standard headers
#include <cmath>
#endif

#if defined(__CUDACC__)
#define FASTNTK_HD __host__ __device__ __forceinline__
#else
#define FASTNTK_HD inline
#endif

namespace fastntk::elementwise {

// float stays float on both sides (an unqualified ::sqrt would take the double path on the host).
FASTNTK_HD float root(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x);
#else
  return std::sqrt(x);
#endif
}
FASTNTK_HD double root(double x) {
#if defined(__CUDA_ARCH__)
  return ::sqrt(x);
#else
  return std::sqrt(x);
#endif
}

// a(h): ReLU (kind 0), identity (1), tanh (2).
template <class T>
FASTNTK_HD T activate(int kind, T h) {
  if (kind == 0) return h > T(0) ? h : T(0);
#if defined(__CUDA_ARCH__)
  if (kind == 2) return tanh(h);
#else
  if (kind == 2) return std::tanh(h);
#endif
  return h;
}

// a'(h)·m with a' read off a = a(h): ReLU (kind 0), identity (1), tanh (2).
template <class T>
FASTNTK_HD T activation_grad(int kind, T a, T m) {
  if (kind == 0) return a > T(0) ? m : T(0);
  if (kind == 2) return m * (T(1) - a * a);
  return m;
}

// One entry of the structured Gram's layer term: K += (ΔΔ′ᵀ)·(c²AA′ᵀ + β²).
template <class T>
FASTNTK_HD T gram_term(T k, T delta_product, T scaled_act_product, T beta2) {
  return k + delta_product * (scaled_act_product + beta2);
}

// PyTorch's update rules for one parameter; each returns D_t (θ ← θ − lr·D_t·u).
template <class T>
FASTNTK_HD T adagrad_step(T& theta, T& sum, T g, T clr, T eps) {
  sum += g * g;
  const T d = T(1) / (root(sum) + eps);
  theta -= clr * d * g;
  return d;
}

template <class T>
FASTNTK_HD T rmsprop_step(T& theta, T& v, T g, T lr, T alpha, T eps) {
  v = alpha * v + (T(1) - alpha) * g * g;
  const T d = T(1) / (root(v) + eps);
  theta -= lr * d * g;
  return d;
}

// bc1 = 1 − β₁ᵗ, sqrt_bc2 = √(1 − β₂ᵗ): θ ← θ − lr·m̂/(√v̂ + eps).
template <class T>
FASTNTK_HD T adam_step(T& theta, T& m, T& v, T g, T lr, T b1, T b2, T bc1, T sqrt_bc2, T eps) {
  m = b1 * m + (T(1) - b1) * g;
  v = b2 * v + (T(1) - b2) * g * g;
  const T d = T(1) / (bc1 * (root(v) / sqrt_bc2 + eps));
  theta -= lr * d * m;
  return d;
}

// SGD with momentum: b ← g (first step) or μb + (1 − dampening)g; θ ← θ − lr·(g + μb or b).
template <class T>
FASTNTK_HD void momentum_step(T& theta, T& b, T g, T lr, T mu, T damp, bool first, bool nesterov) {
  b = first ? g : mu * b + damp * g;
  theta -= lr * (nesterov ? g + mu * b : b);
}

}  // namespace fastntk::elementwise
