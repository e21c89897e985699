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

#if !defined(__CUDACC_RTC__)
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fastntk/names.hpp"
#endif

namespace fastntk {

// The activations, numbered as the `kind` of activate/activation_grad below (the CUDA kernels
// take that number). An activation is added here: its enum value, its names, its case in
// with_kind, and its rule in activate/activation_grad; infinite.cpp says whether it has a
// closed-form dual (-Wswitch names it there too).
enum class Activation { ReLU = 0, Identity = 1, Tanh = 2, Erf = 3 };

#if !defined(__CUDACC_RTC__)
inline constexpr Named<Activation> kActivations[] = {{"relu", Activation::ReLU},      {"identity", Activation::Identity},
                                                     {"linear", Activation::Identity}, {"tanh", Activation::Tanh},
                                                     {"erf", Activation::Erf}};

// Calls f with the activation's kind as a compile-time constant. With the kind tested inside an
// element loop, the tanh and erf branches' calls keep the loop scalar, ReLU's pass included.
// Every activation is named, so -Wswitch flags one added to the enum and not here; a value
// outside them (a caller's cast: parse_activation makes none) is refused rather than run as
// some other activation.
template <class F>
decltype(auto) with_kind(Activation act, F&& f) {
  switch (act) {
    case Activation::ReLU: return f(std::integral_constant<int, int(Activation::ReLU)>{});
    case Activation::Identity: return f(std::integral_constant<int, int(Activation::Identity)>{});
    case Activation::Tanh: return f(std::integral_constant<int, int(Activation::Tanh)>{});
    case Activation::Erf: return f(std::integral_constant<int, int(Activation::Erf)>{});
  }
  throw std::invalid_argument("activation: unknown activation kind " + std::to_string(static_cast<int>(act)));
}
#endif

}  // namespace fastntk

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

// erf⁻¹ on the host (the device has its own): Giles' single-precision approximation
// ("Approximating the erfinv function", 2010), then two Newton steps on erf in double,
// which bring it to double precision. ±1 maps to ±∞.
#if !defined(__CUDA_ARCH__)
inline double erfinv_host(double a) {
  if (!(a > -1.0)) return a == -1.0 ? -HUGE_VAL : a;  // NaN stays NaN
  if (!(a < 1.0)) return a == 1.0 ? HUGE_VAL : a;
  double w = -std::log((1.0 - a) * (1.0 + a)), x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * a;
  } else {
    w = std::sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * a;
  }
  for (int k = 0; k < 2; ++k) x -= (std::erf(x) - a) / (1.1283791670955126 * std::exp(-x * x));
  return x;
}
#endif

// a(h): ReLU (kind 0), identity (1), tanh (2), erf (3).
template <class T>
FASTNTK_HD T activate(int kind, T h) {
  if (kind == 0) return h > T(0) ? h : T(0);
#if defined(__CUDA_ARCH__)
  if (kind == 2) return tanh(h);
  if (kind == 3) return erf(h);
#else
  if (kind == 2) return std::tanh(h);
  if (kind == 3) return std::erf(h);
#endif
  return h;
}

// a'(h)·m with a' read off a = a(h): ReLU (kind 0), identity (1), tanh (2: 1 − a²),
// erf (3: (2/√π)·exp(−h²) with h = erf⁻¹(a); where erf has rounded to ±1, |h| > 3.9 in
// float and 5.9 in double, a' is below 2·10⁻⁷ and 10⁻¹⁵ and taken as 0).
template <class T>
FASTNTK_HD T activation_grad(int kind, T a, T m) {
  if (kind == 0) return a > T(0) ? m : T(0);
  if (kind == 2) return m * (T(1) - a * a);
  if (kind == 3) {
#if defined(__CUDA_ARCH__)
    const T h = erfinv(a);
#else
    const T h = T(erfinv_host(double(a)));
#endif
    return m * T(1.1283791670955126) * exp(-h * h);
  }
  return m;
}

// The training loss of one sample (docs/design.md §1), in double: squared (kind 0)
// ½(f − y)², logistic (kind 1: two-class cross-entropy) log(1 + e^{−ỹf}) with ỹ = +1 for
// y > 0 and −1 otherwise, written with the exponential of a non-positive number only.
template <class T>
FASTNTK_HD double loss_term(int kind, T f, T y) {
  if (kind == 0) {
    const double e = double(f) - double(y);
    return 0.5 * e * e;
  }
  const double m = (y > T(0) ? 1.0 : -1.0) * double(f);
#if defined(__CUDA_ARCH__)
  return (m < 0.0 ? -m : 0.0) + log1p(exp(-fabs(m)));
#else
  return (m < 0.0 ? -m : 0.0) + std::log1p(std::exp(-std::fabs(m)));
#endif
}

// Its derivative in f, the residual the backward pass carries: f − y, or −ỹ·σ(−ỹf).
template <class T>
FASTNTK_HD T loss_residual(int kind, T f, T y) {
  if (kind == 0) return f - y;
  const T sign = y > T(0) ? T(1) : T(-1);
  const T m = sign * f;
#if defined(__CUDA_ARCH__)
  const T e = exp(-fabs(m));
#else
  const T e = std::exp(-std::fabs(m));
#endif
  return -sign * (m > T(0) ? e / (T(1) + e) : T(1) / (T(1) + e));
}

// Softmax cross-entropy of one sample over its k ≥ 2 outputs (loss kind 2): −Σ_a y_a log p_a
// with p = softmax(f), for targets y that sum to one (one-hot labels); the largest f_a is
// subtracted first, so no exponential overflows.
template <class T>
FASTNTK_HD double cross_entropy_row(const T* f, const T* y, long long k) {
  double top = double(f[0]);
  for (long long a = 1; a < k; ++a) top = double(f[a]) > top ? double(f[a]) : top;
  double sum = 0, dot = 0, mass = 0;
  for (long long a = 0; a < k; ++a) {
#if defined(__CUDA_ARCH__)
    sum += exp(double(f[a]) - top);
#else
    sum += std::exp(double(f[a]) - top);
#endif
    dot += double(y[a]) * (double(f[a]) - top);
    mass += double(y[a]);
  }
#if defined(__CUDA_ARCH__)
  return mass * log(sum) - dot;
#else
  return mass * std::log(sum) - dot;
#endif
}

// Its gradient in f, scaled: r_a = scale·(Σ_b y_b · p_a − y_a) (scale·(p_a − y_a) for one-hot y).
template <class T>
FASTNTK_HD void cross_entropy_residual_row(const T* f, const T* y, long long k, T scale, T* r) {
  T top = f[0], sum = T(0), mass = T(0);
  for (long long a = 1; a < k; ++a) top = f[a] > top ? f[a] : top;
  for (long long a = 0; a < k; ++a) {
#if defined(__CUDA_ARCH__)
    r[a] = exp(f[a] - top);
#else
    r[a] = std::exp(f[a] - top);
#endif
    sum += r[a];
    mass += y[a];
  }
  for (long long a = 0; a < k; ++a) r[a] = scale * (mass * r[a] / sum - y[a]);
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

// record_D "ends": the first row keeps each coordinate's D_t from the first update a gradient above
// eps reached it. Until then an adaptive method's D_t is 1/(√0 + eps) = 1/eps, so an entry at or
// above 1/(2·eps) is still unreached and takes this update's D_t (RecordD in dynamics.hpp).
template <class T>
FASTNTK_HD void keep_first_reached(T& first, T now, double eps) {
  if (!(double(first) < 0.5 / eps)) first = now;
}

// SGD with momentum: b ← g (first step) or μb + (1 − dampening)g; θ ← θ − lr·(g + μb or b).
template <class T>
FASTNTK_HD void momentum_step(T& theta, T& b, T g, T lr, T mu, T damp, bool first, bool nesterov) {
  b = first ? g : mu * b + damp * g;
  theta -= lr * (nesterov ? g + mu * b : b);
}

}  // namespace fastntk::elementwise
