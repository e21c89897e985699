#include "fastntk/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fastntk/elementwise.hpp"
#include "fastntk/blas.hpp"

namespace fastntk {

using blas::Op;

namespace {

template <class T>
void add_bias_rows(T* h, i64 n, i64 m, const T* b, T beta) {
  if (beta == T(0)) return;
  for (i64 i = 0; i < n; ++i) {
    T* row = h + i * m;
    for (i64 j = 0; j < m; ++j) row[j] += beta * b[j];
  }
}

// v − v is NaN exactly when v is ±Inf or NaN, and 0 otherwise, so a sum of them is NaN
// exactly when one v is not finite. A floating-point sum (not an integer OR of comparisons)
// keeps the pass vectorized for double too: an int reduction over 64-bit compares left
// double's pass scalar, with a branch per element (a tenth of a mini-batch step at m = 10⁴).
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "the forward pass detects NaN and Inf in θ and X by IEEE arithmetic: build without -ffast-math/-ffinite-math-only"
#endif
template <class T>
inline T non_finite_term(T v) {
  return v - v;
}

// h ← a(h + β·b) row by row, one pass; returns whether every pre-activation was finite.
// A non-finite weight or bias makes its unit's pre-activation non-finite for every
// sample (IEEE: NaN·0 and Inf·0 are NaN), and the activation could hide it (ReLU maps
// NaN to 0): this is where the kernels detect a non-finite θ without a pass over it.
template <class T>
bool bias_activate(Activation act, T* h, i64 n, i64 m, const T* b, T beta) {
  return with_kind(act, [&](auto kind) {
    T bad = 0;
    if (!b || beta == T(0)) {
#pragma omp simd reduction(+ : bad)
      for (i64 i = 0; i < n * m; ++i) {
        bad += non_finite_term(h[i]);
        h[i] = elementwise::activate(kind(), h[i]);
      }
      return bad == bad;
    }
    for (i64 i = 0; i < n; ++i) {
      T* row = h + i * m;
#pragma omp simd reduction(+ : bad)
      for (i64 j = 0; j < m; ++j) {
        const T v = row[j] + beta * b[j];
        bad += non_finite_term(v);
        row[j] = elementwise::activate(kind(), v);
      }
    }
    return bad == bad;
  });
}

// m ← a'(h) ⊙ m (a' read off A = a(h)) and, when colsum is given, colsum = Σ_i m_i:
// one pass where the bias gradient would otherwise cost a second.
template <class T>
void derivative_and_colsum(Activation act, const T* a, T* m, i64 n, i64 cols, T* colsum) {
  with_kind(act, [&](auto kind) {
    if (colsum) std::fill(colsum, colsum + cols, T(0));
    for (i64 i = 0; i < n; ++i) {
      const T* ai = a + i * cols;
      T* mi = m + i * cols;
      if (kind() != 1)
        for (i64 j = 0; j < cols; ++j) mi[j] = elementwise::activation_grad(kind(), ai[j], mi[j]);
      if (colsum)
        for (i64 j = 0; j < cols; ++j) colsum[j] += mi[j];
    }
  });
}

}  // namespace

template <class T>
void apply_activation_derivative(Activation act, const T* a, T* m, i64 size) {
  if (act == Activation::Identity) return;
  with_kind(act, [&](auto kind) {
#pragma omp simd
    for (i64 i = 0; i < size; ++i) m[i] = elementwise::activation_grad(kind(), a[i], m[i]);
  });
}

namespace {

// The same for the per-output rows of Δ: rows i·k … i·k + k − 1 of m (each of `cols`
// entries) all take a'(h) of sample i, row i of a.
template <class T>
void apply_activation_derivative_rows(Activation act, const T* a, T* m, i64 n, i64 k, i64 cols) {
  if (k == 1) return apply_activation_derivative(act, a, m, n * cols);
  for (i64 i = 0; i < n; ++i)
    for (i64 o = 0; o < k; ++o) apply_activation_derivative(act, a + i * cols, m + (i * k + o) * cols, cols);
}

}  // namespace

namespace {

template <class T>
void forward_impl(const Spec& spec, const Params<T>& theta, const T* x, i64 n, Mat<T>* first, Primal<T>& out) {
  const int L = spec.depth();
  out.n = n;
  out.x = x;
  out.hidden.resize(L - 1);
  out.f.resize(n * spec.outputs());
  out.finite = true;
  for (int l = 1; l <= L; ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    T* h;
    const bool given = l == 1 && first;
    if (l < L) {
      if (given) out.hidden[0].swap(*first);
      else out.hidden[l - 1].resize(n, m);
      h = out.hidden[l - 1].data();
    } else {
      h = out.f.data();
      if (given) std::copy(first->data(), first->data() + n * m, h);
    }
    if (!given)
      blas::gemm<T>(Op::N, Op::T, n, m, mp, T(spec.weight_multiplier(l)), out.input(l - 1), mp,
                    theta.weight(l), mp, T(0), h, m);
    const T* b = theta.bias(l);
    if (l < L) {
      out.finite &= bias_activate(spec.activation, h, n, m, b, T(spec.bias_multiplier(l)));
    } else {
      if (b) add_bias_rows(h, n, m, b, T(spec.bias_multiplier(l)));
      T bad = 0;
#pragma omp simd reduction(+ : bad)
      for (i64 i = 0; i < n * m; ++i) bad += non_finite_term(h[i]);
      out.finite &= bad == bad;
    }
  }
}

}  // namespace

template <class T>
void forward(const Spec& spec, const Params<T>& theta, const T* x, i64 n, Primal<T>& out) {
  forward_impl(spec, theta, x, n, static_cast<Mat<T>*>(nullptr), out);
}

template <class T>
void forward(const Spec& spec, const T* theta, const T* x, i64 n, Primal<T>& out) {
  forward(spec, Params<T>(spec, theta), x, n, out);
}

template <class T>
void forward_given_first(const Spec& spec, const T* theta, const T* x, i64 n, Mat<T>& first,
                         Primal<T>& out) {
  forward_impl(spec, Params<T>(spec, theta), x, n, &first, out);
}

namespace {

// Entries a block of forward_outputs holds over all its layers (8 MB in double): in the last-level
// cache, with the rows of a block many enough that the products stay at their full rate (at
// m = 1024, L = 3: 512 rows); and at least kMinBlockRows rows, so that a very wide layer's weights
// (read once per block) are not read once per handful of rows.
constexpr i64 kForwardBlockEntries = i64(1) << 20;
constexpr i64 kMinBlockRows = 64;

}  // namespace

i64 forward_block_rows(const Spec& spec) {
  i64 held = 0;  // a block's Primal keeps every hidden layer and the outputs
  for (int l = 1; l <= spec.depth(); ++l) held += spec.widths[l];
  return std::max(kMinBlockRows, kForwardBlockEntries / std::max<i64>(1, held));
}

template <class T>
bool forward_outputs(const Spec& spec, const Params<T>& theta, const T* x, i64 n, T* f) {
  const i64 rows = forward_block_rows(spec), d = spec.input_dim(), k = spec.outputs();
  Primal<T> block;
  bool finite = true;
  for (i64 r0 = 0; r0 < n; r0 += rows) {
    const i64 count = std::min(rows, n - r0);
    forward(spec, theta, x + r0 * d, count, block);
    finite &= block.finite;
    std::copy(block.f.data(), block.f.data() + count * k, f + r0 * k);
  }
  return finite;
}

template <class T>
bool forward_outputs(const Spec& spec, const T* theta, const T* x, i64 n, T* f) {
  return forward_outputs(spec, Params<T>(spec, theta), x, n, f);
}

template <class T>
void backward(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r,
              std::vector<Mat<T>>& delta) {
  backward(spec, Params<T>(spec, theta), primal, r, delta);
}

template <class T>
void backward(const Spec& spec, const Params<T>& theta, const Primal<T>& primal, const T* r,
              std::vector<Mat<T>>& delta) {
  const int L = spec.depth();
  const i64 n = primal.n, k = spec.outputs();
  // With a cotangent, one row per sample; without, one per sample and output, Δ^L = I_k.
  const i64 per = r ? 1 : k, rows = n * per;
  delta.resize(L);
  delta[L - 1].resize(rows, k);
  if (r) {
    delta[L - 1] = ConstMatMap<T>(r, n, k);
  } else {
    delta[L - 1].setZero();
    for (i64 i = 0; i < n; ++i)
      for (i64 o = 0; o < k; ++o) delta[L - 1](i * k + o, o) = T(1);
  }
  for (int l = L; l >= 2; --l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    Mat<T>& next = delta[l - 2];
    next.resize(rows, mp);
    blas::gemm<T>(Op::N, Op::N, rows, mp, m, T(spec.weight_multiplier(l)), delta[l - 1].data(), m,
                  theta.weight(l), mp, T(0), next.data(), mp);
    apply_activation_derivative_rows(spec.activation, primal.input(l - 1), next.data(), n, per, mp);
  }
}

namespace {

template <class T>
void vjp_impl(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
              T beta, T* out, T* first_cotangent) {
  const int L = spec.depth();
  const i64 n = primal.n;
  const bool bias = spec.has_bias();
  Mat<T> cur = ConstMatMap<T>(r, n, spec.outputs()), next;
  Vec<T> colsum, next_colsum;
  if (bias) colsum = cur.colwise().sum().transpose();
  for (int l = L; l >= 1; --l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    const T c = T(spec.weight_multiplier(l));
    if (l > 1) {
      next.resize(n, mp);
      const T* a = primal.input(l - 1);
      T* cs = nullptr;
      if (bias) {
        next_colsum.resize(mp);
        cs = next_colsum.data();
      }
      if (m == 1) {
        // An outer product r ⊗ c·w: written straight into the masked form, no GEMM.
        const T* w = theta + spec.weight_offset(l);
        if (cs) std::fill(cs, cs + mp, T(0));
        T* const nx = next.data();
        with_kind(spec.activation, [&, nx, w, a, cs, mp](auto kind) {
          // The inner loops' bound and pointers by value: read through a reference they may
          // alias the stores and keep the loops scalar.
          for (i64 i = 0; i < n; ++i) {
            const T ri = c * cur(i, 0);
            const T* ai = a + i * mp;
            T* ni = nx + i * mp;
            // Two passes over the row (in cache): with the product inside the activation's
            // condition, GCC sinks it into a branch that -ftrapping-math keeps scalar.
#pragma omp simd
            for (i64 j = 0; j < mp; ++j) ni[j] = ri * w[j];
#pragma omp simd
            for (i64 j = 0; j < mp; ++j) ni[j] = elementwise::activation_grad(kind(), ai[j], ni[j]);
            if (cs)
#pragma omp simd
              for (i64 j = 0; j < mp; ++j) cs[j] += ni[j];
          }
        });
      } else {
        blas::gemm<T>(Op::N, Op::N, n, mp, m, c, cur.data(), m, theta + spec.weight_offset(l), mp,
                      T(0), next.data(), mp);
        derivative_and_colsum(spec.activation, a, next.data(), n, mp, cs);
      }
    }
    if (l == 1 && first_cotangent) {
      VecMap<T>(first_cotangent, n * m) = (alpha * c) * ConstVecMap<T>(cur.data(), n * m);
    } else {
      blas::gemm<T>(Op::T, Op::N, m, mp, n, alpha * c, cur.data(), m, primal.input(l - 1), mp,
                    beta, out + spec.weight_offset(l), mp);
    }
    if (bias) {
      VecMap<T> ob(out + spec.bias_offset(l), m);
      const T scale = alpha * T(spec.bias_multiplier(l));
      if (beta == T(0)) ob = scale * colsum;
      else ob = beta * ob + scale * colsum;
    }
    cur.swap(next);
    colsum.swap(next_colsum);
  }
}

}  // namespace

template <class T>
void vjp(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
         T beta, T* out) {
  vjp_impl(spec, theta, primal, r, alpha, beta, out, static_cast<T*>(nullptr));
}

template <class T>
void vjp_to_first(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
                  T beta, T* out, T* first_cotangent) {
  vjp_impl(spec, theta, primal, r, alpha, beta, out, first_cotangent);
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
  std::copy(prev.data(), prev.data() + prev.size(), out);
}

template <class T>
void features(const Spec& spec, const T* theta, const T* x, i64 n, Features<T>& out, bool traced_only) {
  features(spec, Params<T>(spec, theta), x, n, out, traced_only);
}

template <class T>
void features(const Spec& spec, const Params<T>& theta, const T* x, i64 n, Features<T>& out, bool traced_only) {
  forward(spec, theta, x, n, out.primal);
  const int L = spec.depth();
  const i64 k = spec.outputs();
  if (traced_only && k > 1 && L == 2) out.delta.assign(L, Mat<T>());
  else backward(spec, theta, out.primal, static_cast<const T*>(nullptr), out.delta);
  if (k == 1 || L < 2) {
    out.traced_last.resize(0, 0);
    return;
  }
  const i64 m = spec.widths[L - 1];
  const T c = T(spec.weight_multiplier(L));
  const ConstMatMap<T> W(theta.weight(L), k, m);
  Vec<T> scale = (c * c * W.colwise().squaredNorm().transpose()).cwiseSqrt();
  out.traced_last.resize(n, m);
  for (i64 i = 0; i < n; ++i) std::copy(scale.data(), scale.data() + m, out.traced_last.data() + i * m);
  apply_activation_derivative(spec.activation, out.primal.input(L - 1), out.traced_last.data(), n * m);
}

namespace {

// The layer's tangent t = c_l A_{l−1} V^lᵀ (+ β_l v_b), N × m_l, which every output reads.
template <class T>
void layer_tangent(const Spec& spec, const Features<T>& feat, int l, const T* v, Mat<T>& t) {
  const i64 n = feat.primal.n, m = spec.widths[l], mp = spec.widths[l - 1];
  t.resize(n, m);
  blas::gemm<T>(Op::N, Op::T, n, m, mp, T(spec.weight_multiplier(l)), feat.primal.input(l - 1), mp,
                v + spec.weight_offset(l), mp, T(0), t.data(), m);
  if (spec.has_bias()) add_bias_rows(t.data(), n, m, v + spec.bias_offset(l), T(spec.bias_multiplier(l)));
}

// k > 1: out_{i,a} = Σ_l ⟨t^l_i, Δ^l_{(i,a)}⟩.
template <class T>
void jvp_features_outputs(const Spec& spec, const Features<T>& feat, const T* v, T* out) {
  const i64 n = feat.primal.n, k = spec.outputs();
  std::fill(out, out + n * k, T(0));
  Mat<T> t;
  for (int l = 1; l <= spec.depth(); ++l) {
    const i64 m = spec.widths[l];
    layer_tangent(spec, feat, l, v, t);
    const T* d = feat.delta[l - 1].data();
    for (i64 i = 0; i < n; ++i)
      for (i64 o = 0; o < k; ++o)
        out[i * k + o] += ConstVecMap<T>(t.data() + i * m, m).dot(ConstVecMap<T>(d + (i * k + o) * m, m));
  }
}

// k > 1: the outputs' cotangents contracted into one row per sample,
// R^l_i = Σ_a r_{i,a} Δ^l_{(i,a)}, then the gradient R^lᵀ A_{l−1} as for k = 1.
template <class T>
void vjp_features_outputs(const Spec& spec, const Features<T>& feat, const T* r, T alpha, T beta, T* out) {
  const i64 n = feat.primal.n, k = spec.outputs();
  Mat<T> contracted;
  for (int l = 1; l <= spec.depth(); ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    const T* d = feat.delta[l - 1].data();
    contracted.setZero(n, m);
    for (i64 i = 0; i < n; ++i)
      for (i64 o = 0; o < k; ++o)
        contracted.row(i) += r[i * k + o] * ConstVecMap<T>(d + (i * k + o) * m, m).transpose();
    blas::gemm<T>(Op::T, Op::N, m, mp, n, alpha * T(spec.weight_multiplier(l)), contracted.data(), m,
                  feat.primal.input(l - 1), mp, beta, out + spec.weight_offset(l), mp);
    if (spec.has_bias()) {
      VecMap<T> ob(out + spec.bias_offset(l), m);
      const Vec<T> sum = contracted.colwise().sum().transpose() * (alpha * T(spec.bias_multiplier(l)));
      if (beta == T(0)) ob = sum;
      else ob = beta * ob + sum;
    }
  }
}

}  // namespace

template <class T>
void jvp_features(const Spec& spec, const Features<T>& feat, const T* v, T* out) {
  const int L = spec.depth();
  const i64 n = feat.primal.n, k = spec.outputs();
  if (k > 1) return jvp_features_outputs(spec, feat, v, out);
  VecMap<T> o(out, n);
  o.setZero();
  Mat<T> t;
  for (int l = 1; l <= L; ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    t.resize(n, m);
    blas::gemm<T>(Op::N, Op::T, n, m, mp, T(spec.weight_multiplier(l)), feat.primal.input(l - 1), mp,
                  v + spec.weight_offset(l), mp, T(0), t.data(), m);
    // The bias tangent joins the weight tangent before the one pass over Δ^l.
    if (spec.has_bias()) {
      const auto vb = ConstVecMap<T>(v + spec.bias_offset(l), m).transpose() * T(spec.bias_multiplier(l));
      o += ((t.rowwise() + vb).array() * feat.delta[l - 1].array()).rowwise().sum().matrix();
    } else {
      o += (t.array() * feat.delta[l - 1].array()).rowwise().sum().matrix();
    }
  }
}

template <class T>
void vjp_features(const Spec& spec, const Features<T>& feat, const T* r, T alpha, T beta, T* out) {
  const int L = spec.depth();
  const i64 n = feat.primal.n;
  if (spec.outputs() > 1) return vjp_features_outputs(spec, feat, r, alpha, beta, out);
  ConstVecMap<T> rv(r, n);
  Mat<T> scaled;
  for (int l = 1; l <= L; ++l) {
    const i64 m = spec.widths[l], mp = spec.widths[l - 1];
    const Mat<T>& delta = feat.delta[l - 1];
    const T* a = feat.primal.input(l - 1);
    const T c = alpha * T(spec.weight_multiplier(l));
    // (Δ ⊙ r)ᵀ A = Δᵀ (r ⊙ A): scale whichever factor is narrower.
    if (m <= mp) {
      scaled = delta;
      scaled.array().colwise() *= rv.array();
      blas::gemm<T>(Op::T, Op::N, m, mp, n, c, scaled.data(), m, a, mp, beta,
                    out + spec.weight_offset(l), mp);
    } else {
      scaled = ConstMatMap<T>(a, n, mp);
      scaled.array().colwise() *= rv.array();
      blas::gemm<T>(Op::T, Op::N, m, mp, n, c, delta.data(), m, scaled.data(), mp, beta,
                    out + spec.weight_offset(l), mp);
    }
    if (spec.has_bias())
      blas::gemm<T>(Op::T, Op::N, m, 1, n, alpha * T(spec.bias_multiplier(l)), delta.data(), m, r, 1,
                    beta, out + spec.bias_offset(l), 1);
  }
}

template <class T>
void gather_features(const Features<T>& src, i64 d, const i64* rows, i64 count,
                     Vec<T>& x_buffer, Features<T>& dst) {
  auto gather = [&](const T* from, i64 cols, T* to) {
    for (i64 k = 0; k < count; ++k)
      std::copy(from + rows[k] * cols, from + (rows[k] + 1) * cols, to + k * cols);
  };
  x_buffer.resize(count * d);
  gather(src.primal.x, d, x_buffer.data());
  dst.primal.n = count;
  dst.primal.x = x_buffer.data();
  dst.primal.hidden.resize(src.primal.hidden.size());
  for (size_t l = 0; l < src.primal.hidden.size(); ++l) {
    const i64 m = src.primal.hidden[l].cols();
    dst.primal.hidden[l].resize(count, m);
    gather(src.primal.hidden[l].data(), m, dst.primal.hidden[l].data());
  }
  // f and each Δ^l hold k consecutive rows (one per output) for every sample.
  const i64 k = src.primal.n > 0 ? src.primal.f.size() / src.primal.n : 1;
  dst.primal.f.resize(count * k);
  gather(src.primal.f.data(), k, dst.primal.f.data());
  dst.delta.resize(src.delta.size());
  for (size_t l = 0; l < src.delta.size(); ++l) {
    const i64 m = src.delta[l].cols();
    dst.delta[l].resize(count * k, m);
    gather(src.delta[l].data(), k * m, dst.delta[l].data());
  }
}

#define FASTNTK_INSTANTIATE(T)                                                              \
  template void forward<T>(const Spec&, const T*, const T*, i64, Primal<T>&);                \
  template bool forward_outputs<T>(const Spec&, const T*, const T*, i64, T*);                \
  template bool forward_outputs<T>(const Spec&, const Params<T>&, const T*, i64, T*);        \
  template void forward<T>(const Spec&, const Params<T>&, const T*, i64, Primal<T>&);        \
  template void forward_given_first<T>(const Spec&, const T*, const T*, i64, Mat<T>&,        \
                                       Primal<T>&);                                         \
  template void vjp_to_first<T>(const Spec&, const T*, const Primal<T>&, const T*, T, T, T*,  \
                                T*);                                                        \
  template void backward<T>(const Spec&, const T*, const Primal<T>&, const T*,              \
                            std::vector<Mat<T>>&);                                          \
  template void vjp<T>(const Spec&, const T*, const Primal<T>&, const T*, T, T, T*);         \
  template void jvp<T>(const Spec&, const T*, const Primal<T>&, const T*, T*);               \
  template void features<T>(const Spec&, const T*, const T*, i64, Features<T>&, bool);        \
  template void features<T>(const Spec&, const Params<T>&, const T*, i64, Features<T>&, bool); \
  template void backward<T>(const Spec&, const Params<T>&, const Primal<T>&, const T*,      \
                            std::vector<Mat<T>>&);                                          \
  template void apply_activation_derivative<T>(Activation, const T*, T*, i64);              \
  template void jvp_features<T>(const Spec&, const Features<T>&, const T*, T*);              \
  template void vjp_features<T>(const Spec&, const Features<T>&, const T*, T, T, T*);        \
  template void gather_features<T>(const Features<T>&, i64, const i64*, i64, Vec<T>&,          \
                                    Features<T>&);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk
