#include "fastntk/jacobian.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "fastntk/cancel.hpp"
#include "fastntk/blas.hpp"
#include "fastntk/gram.hpp"

namespace fastntk {

using blas::Op;

template <class T>
void jacobian_rows(const Spec& spec, const Features<T>& f, i64 r0, i64 r1, T* out,
                   const T* scale) {
  const int L = spec.depth();
  const i64 P = spec.num_params(), k = spec.outputs();
#pragma omp parallel for schedule(static) if ((r1 - r0) * P > kParallelGrain)
  for (i64 i = r0; i < r1; ++i) {
    T* row = out + (i - r0) * P;
    for (int l = 1; l <= L; ++l) {
      const i64 m = spec.widths[l], mp = spec.widths[l - 1];
      const T c = T(spec.weight_multiplier(l));
      const T* delta = f.delta[l - 1].data() + i * m;
      ConstVecMap<T> a(f.primal.input(l - 1) + (i / k) * mp, mp);  // row i is (sample i / k, output i % k)
      T* w = row + spec.weight_offset(l);
      for (i64 r = 0; r < m; ++r) {
        const T g = c * delta[r];
        T* dst = w + r * mp;
        if (g == T(0)) {
          std::memset(dst, 0, sizeof(T) * mp);
        } else if (scale) {
          VecMap<T>(dst, mp) = g * a.cwiseProduct(ConstVecMap<T>(scale + (dst - row), mp));
        } else {
          VecMap<T>(dst, mp) = g * a;
        }
      }
      if (spec.has_bias()) {
        const T beta = T(spec.bias_multiplier(l));
        T* bias = row + spec.bias_offset(l);
        for (i64 r = 0; r < m; ++r) bias[r] = beta * delta[r] * (scale ? scale[bias - row + r] : T(1));
      }
    }
  }
}

template <class T>
void adaptive_gram(const Spec& spec, const Features<T>& a, const Features<T>* b, const T* d,
                   T* k, i64 max_bytes) {
  const i64 P = spec.num_params();
  const i64 na = a.primal.n * spec.outputs();
  const Features<T>& fb = b ? *b : a;
  const i64 nb = fb.primal.n * spec.outputs();
  const i64 chunk = std::max<i64>(1, max_bytes / std::max<i64>(1, P * i64(sizeof(T))));
  const bool nonneg = std::all_of(d, d + P, [](T v) { return v >= T(0); });
  const bool symmetric = (b == nullptr) && nonneg;

  if (symmetric) {
    Vec<T> root = ConstVecMap<T>(d, P).cwiseSqrt();
    const i64 c = std::min(chunk, na);
    Mat<T> pi(c, P), pj(c, P);
    for (i64 i0 = 0; i0 < na; i0 += c) {
      check_cancel();
      const i64 ti = std::min(c, na - i0);
      jacobian_rows(spec, a, i0, i0 + ti, pi.data(), root.data());
      blas::syrk_lower<T>(ti, P, T(1), pi.data(), P, T(0), k + i0 * na + i0, na);
      for (i64 j0 = 0; j0 < i0; j0 += c) {
        const i64 tj = std::min(c, na - j0);
        jacobian_rows(spec, a, j0, j0 + tj, pj.data(), root.data());
        blas::gemm<T>(Op::N, Op::T, ti, tj, P, T(1), pi.data(), P, pj.data(), P, T(0),
                      k + i0 * na + j0, na);
      }
    }
    mirror_lower(k, na, na);
    return;
  }
  // φ(X_a)·diag(d) against unscaled chunks of φ(X_b); splits the byte budget between the two.
  const i64 c = std::max<i64>(1, chunk / 2);
  const i64 ca = std::min(c, na), cb = std::min(c, nb);
  Mat<T> pa(ca, P), pb(cb, P);
  for (i64 i0 = 0; i0 < na; i0 += ca) {
    const i64 ti = std::min(ca, na - i0);
    jacobian_rows(spec, a, i0, i0 + ti, pa.data(), d);
    for (i64 j0 = 0; j0 < nb; j0 += cb) {
      check_cancel();
      const i64 tj = std::min(cb, nb - j0);
      jacobian_rows(spec, fb, j0, j0 + tj, pb.data());
      blas::gemm<T>(Op::N, Op::T, ti, tj, P, T(1), pa.data(), P, pb.data(), P, T(0),
                    k + i0 * nb + j0, nb);
    }
  }
}

#define FASTNTK_INSTANTIATE(T)                                                               \
  template void jacobian_rows<T>(const Spec&, const Features<T>&, i64, i64, T*, const T*);   \
  template void adaptive_gram<T>(const Spec&, const Features<T>&, const Features<T>*, const T*, \
                                 T*, i64);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk
