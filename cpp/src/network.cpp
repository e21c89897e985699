#include "fastntk/network.hpp"

#include <cmath>

#include "elementwise.cuh"
#include "fastntk/blas.hpp"

namespace fastntk {

using blas::Op;

namespace {

template <class T>
void activate_in_place(Activation act, T* h, i64 size) {
  switch (act) {
    case Activation::Identity:
      return;
    case Activation::ReLU:
      for (i64 i = 0; i < size; ++i) h[i] = h[i] > T(0) ? h[i] : T(0);
      return;
    case Activation::Tanh:
      for (i64 i = 0; i < size; ++i) h[i] = std::tanh(h[i]);
      return;
  }
}

template <class T>
void add_bias_rows(T* h, i64 n, i64 m, const T* b, T beta) {
  if (beta == T(0)) return;
  for (i64 i = 0; i < n; ++i) {
    T* row = h + i * m;
    for (i64 j = 0; j < m; ++j) row[j] += beta * b[j];
  }
}

}  // namespace

template <class T>
void apply_activation_derivative(Activation act, const T* a, T* m, i64 size) {
  if (act == Activation::Identity) return;
  const int kind = act == Activation::ReLU ? 0 : 2;
  for (i64 i = 0; i < size; ++i) m[i] = elementwise::activation_grad(kind, a[i], m[i]);
}

template <class T>
void forward(const Spec& spec, const T* theta, const T* x, i64 n, Primal<T>& out) {
  const int L = spec.depth();
  out.n = n;
  out.x = x;
  out.hidden.resize(L - 1);
  out.f.resize(n);
  for (int l = 1; l <= L; ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    T* h;
    if (l < L) {
      out.hidden[l - 1].resize(n, m);
      h = out.hidden[l - 1].data();
    } else {
      h = out.f.data();
    }
    blas::gemm<T>(Op::N, Op::T, n, m, mp, T(spec.weight_multiplier(l)), out.input(l - 1), mp,
                  theta + spec.weight_offset(l), mp, T(0), h, m);
    if (spec.has_bias())
      add_bias_rows(h, n, m, theta + spec.bias_offset(l), T(spec.bias_multiplier(l)));
    if (l < L) activate_in_place(spec.activation, h, n * m);
  }
}

template <class T>
void backward(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r,
              std::vector<Mat<T>>& delta) {
  const int L = spec.depth();
  const i64 n = primal.n;
  delta.resize(L);
  delta[L - 1].resize(n, 1);
  if (r) delta[L - 1].col(0) = ConstVecMap<T>(r, n);
  else delta[L - 1].setOnes();
  for (int l = L; l >= 2; --l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    Mat<T>& next = delta[l - 2];
    next.resize(n, mp);
    blas::gemm<T>(Op::N, Op::N, n, mp, m, T(spec.weight_multiplier(l)), delta[l - 1].data(), m,
                  theta + spec.weight_offset(l), mp, T(0), next.data(), mp);
    apply_activation_derivative(spec.activation, primal.input(l - 1), next.data(), n * mp);
  }
}

template <class T>
void vjp(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
         T beta, T* out) {
  const int L = spec.depth();
  const i64 n = primal.n;
  Mat<T> cur(n, 1), next;
  cur.col(0) = ConstVecMap<T>(r, n);
  for (int l = L; l >= 1; --l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    const T c = T(spec.weight_multiplier(l));
    if (l > 1) {
      next.resize(n, mp);
      blas::gemm<T>(Op::N, Op::N, n, mp, m, c, cur.data(), m, theta + spec.weight_offset(l), mp,
                    T(0), next.data(), mp);
      apply_activation_derivative(spec.activation, primal.input(l - 1), next.data(), n * mp);
    }
    blas::gemm<T>(Op::T, Op::N, m, mp, n, alpha * c, cur.data(), m, primal.input(l - 1), mp,
                  beta, out + spec.weight_offset(l), mp);
    if (spec.has_bias()) {
      VecMap<T> ob(out + spec.bias_offset(l), m);
      const Vec<T> colsum = cur.colwise().sum().transpose();
      const T scale = alpha * T(spec.bias_multiplier(l));
      if (beta == T(0)) ob = scale * colsum;
      else ob = beta * ob + scale * colsum;
    }
    cur.swap(next);
  }
}

template <class T>
void jvp(const Spec& spec, const T* theta, const Primal<T>& primal, const T* v, T* out) {
  const int L = spec.depth();
  const i64 n = primal.n;
  Mat<T> prev, cur;
  for (int l = 1; l <= L; ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    const T c = T(spec.weight_multiplier(l));
    cur.resize(n, m);
    blas::gemm<T>(Op::N, Op::T, n, m, mp, c, primal.input(l - 1), mp, v + spec.weight_offset(l), mp,
                  T(0), cur.data(), m);
    if (l > 1)
      blas::gemm<T>(Op::N, Op::T, n, m, mp, c, prev.data(), mp, theta + spec.weight_offset(l), mp,
                    T(1), cur.data(), m);
    if (spec.has_bias())
      add_bias_rows(cur.data(), n, m, v + spec.bias_offset(l), T(spec.bias_multiplier(l)));
    if (l < L) apply_activation_derivative(spec.activation, primal.input(l), cur.data(), n * m);
    prev.swap(cur);
  }
  VecMap<T>(out, n) = prev.col(0);
}

template <class T>
void features(const Spec& spec, const T* theta, const T* x, i64 n, Features<T>& out) {
  forward(spec, theta, x, n, out.primal);
  backward(spec, theta, out.primal, static_cast<const T*>(nullptr), out.delta);
}

#define FASTNTK_INSTANTIATE(T)                                                              \
  template void forward<T>(const Spec&, const T*, const T*, i64, Primal<T>&);                \
  template void backward<T>(const Spec&, const T*, const Primal<T>&, const T*,              \
                            std::vector<Mat<T>>&);                                          \
  template void vjp<T>(const Spec&, const T*, const Primal<T>&, const T*, T, T, T*);         \
  template void jvp<T>(const Spec&, const T*, const Primal<T>&, const T*, T*);               \
  template void features<T>(const Spec&, const T*, const T*, i64, Features<T>&);              \
  template void apply_activation_derivative<T>(Activation, const T*, T*, i64);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk
