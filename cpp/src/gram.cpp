#include "fastntk/gram.hpp"

#include <algorithm>

#include "fastntk/cancel.hpp"
#include "fastntk/elementwise.hpp"
#include "fastntk/blas.hpp"

namespace fastntk {

using blas::Op;

namespace {

// One tile of A_aᵀ-style products: out (ti × tj, ld tj or ldk) = alpha · P_a[I] P_b[J]ᵀ,
// lower triangle only when the tile sits on the diagonal of a symmetric Gram.
template <class T>
void tile_product(const T* pa, const T* pb, i64 width, i64 i0, i64 ti, i64 j0, i64 tj,
                  bool diagonal, T alpha, T* out, i64 ldo) {
  if (diagonal)
    blas::syrk_lower<T>(ti, width, alpha, pa + i0 * width, width, T(0), out, ldo);
  else
    blas::gemm<T>(Op::N, Op::T, ti, tj, width, alpha, pa + i0 * width, width, pb + j0 * width,
                  width, T(0), out, ldo);
}

}  // namespace

template <class T>
void mirror_lower(T* k, i64 n, i64 ldk) {
  constexpr i64 B = 64;
  const i64 nb = (n + B - 1) / B;
#pragma omp parallel for schedule(dynamic) if (n * n > kParallelGrain)
  for (i64 bi = 0; bi < nb; ++bi) {
    const i64 i0 = bi * B, i1 = std::min(n, i0 + B);
    for (i64 j0 = i0; j0 < n; j0 += B) {
      const i64 j1 = std::min(n, j0 + B);
      for (i64 i = i0; i < i1; ++i)
        for (i64 j = std::max(j0, i + 1); j < j1; ++j) k[i * ldk + j] = k[j * ldk + i];
    }
  }
}

template <class T>
FeatureRefs<T> feature_refs(const Spec& spec, const Features<T>& f) {
  FeatureRefs<T> r;
  r.n = f.primal.n;
  for (int l = 0; l < spec.depth(); ++l) r.input.push_back(f.primal.input(l));
  for (int l = 1; l < spec.depth(); ++l) r.delta.push_back(f.delta[l - 1].size() ? f.delta[l - 1].data() : nullptr);
  if (f.traced_last.size() > 0) r.traced_last = f.traced_last.data();
  return r;
}

template <class T>
void gram(const Spec& spec, const Features<T>& a, const Features<T>* b, T* k, i64 ldk,
          i64 tile) {
  const FeatureRefs<T> ra = feature_refs(spec, a);
  if (b == nullptr) {
    gram(spec, ra, static_cast<const FeatureRefs<T>*>(nullptr), k, ldk, tile);
  } else {
    const FeatureRefs<T> rb = feature_refs(spec, *b);
    gram(spec, ra, &rb, k, ldk, tile);
  }
}

template <class T>
void gram(const Spec& spec, const FeatureRefs<T>& a, const FeatureRefs<T>* b, T* k, i64 ldk,
          i64 tile) {
  const bool symmetric = (b == nullptr);
  const FeatureRefs<T>& fb = symmetric ? a : *b;
  const i64 na = a.n, nb = fb.n;
  const int L = spec.depth();
  const i64 outputs = spec.outputs();
  tile = std::max<i64>(1, tile);
  const i64 ta_max = std::min(na, tile), tb_max = std::min(nb, tile);
  Mat<T> ga(ta_max, tb_max), gd(ta_max, tb_max);
  // Traced over the k outputs, neural-tangents' convention: the mean (1/k)·Σ_a over the outputs, so
  // that the traced kernel of k outputs converges to the one-output kernel at infinite width. Δ^L = I_k
  // makes the last layer's term one output's, and the k rows of a sample's Δ^l side by side
  // (N × k·m_l) give Σ_a Δ^l_a Δ′^l_aᵀ in one product, scaled by 1/k.
  const T cL2 = T(spec.weight_multiplier(L) * spec.weight_multiplier(L));
  const T bL2 = T(spec.bias_multiplier(L) * spec.bias_multiplier(L));
  const T per_output = T(1) / T(outputs);

  for (i64 i0 = 0; i0 < na; i0 += tile) {
    const i64 ti = std::min(tile, na - i0);
    for (i64 j0 = 0; j0 < (symmetric ? i0 + 1 : nb); j0 += tile) {
      check_cancel();
      const i64 tj = std::min(tile, nb - j0);
      const bool diagonal = symmetric && i0 == j0;
      T* kt = k + i0 * ldk + j0;
      // Last layer: Δ^L = 1, so its term is c_L² A_{L−1} A′ᵀ + β_L², written straight into K.
      tile_product(a.input[L - 1], fb.input[L - 1], spec.widths[L - 1], i0, ti, j0,
                   tj, diagonal, cL2, kt, ldk);
      if (bL2 != T(0)) {
#pragma omp parallel for schedule(static) if (ti * tj > kParallelGrain)
        for (i64 i = 0; i < ti; ++i) {
          const i64 jend = diagonal ? i + 1 : tj;
          for (i64 j = 0; j < jend; ++j) kt[i * ldk + j] += bL2;
        }
      }
      for (int l = 1; l < L; ++l) {
        const T c2 = T(spec.weight_multiplier(l) * spec.weight_multiplier(l));
        const T b2 = T(spec.bias_multiplier(l) * spec.bias_multiplier(l));
        tile_product(a.input[l - 1], fb.input[l - 1], spec.widths[l - 1], i0, ti, j0,
                     tj, diagonal, c2, ga.data(), tb_max);
        if (l == L - 1 && outputs > 1 && a.traced_last && fb.traced_last)
          tile_product(a.traced_last, fb.traced_last, spec.widths[l], i0, ti, j0, tj, diagonal, per_output,
                       gd.data(), tb_max);
        else
          tile_product(a.delta[l - 1], fb.delta[l - 1], outputs * spec.widths[l], i0, ti, j0, tj,
                       diagonal, per_output, gd.data(), tb_max);
        // The element-wise work between the GEMMs, on every thread: run on one, it left
        // the other cores idle for a tenth of a large Gram.
#pragma omp parallel for schedule(static) if (ti * tj > kParallelGrain)
        for (i64 i = 0; i < ti; ++i) {
          const i64 jend = diagonal ? i + 1 : tj;
          T* krow = kt + i * ldk;
          const T* arow = ga.data() + i * tb_max;
          const T* drow = gd.data() + i * tb_max;
          for (i64 j = 0; j < jend; ++j) krow[j] = elementwise::gram_term(krow[j], drow[j], arow[j], b2);
        }
      }
    }
  }
  if (symmetric) mirror_lower(k, na, ldk);
}

template <class T>
void gram_blocks(const Spec& spec, const Features<T>& a, const Features<T>* b, T* out, i64 tile,
                 BlockLayout layout) {
  const bool symmetric = (b == nullptr);
  const FeatureRefs<T> ra = feature_refs(spec, a);
  const FeatureRefs<T> rb = symmetric ? ra : feature_refs(spec, *b);
  const i64 na = ra.n, nb = rb.n, k = spec.outputs(), kk = k * k;
  const int L = spec.depth();
  // The Δ product of a tile is (t·k)², so the tile side shrinks by k to keep 2·tile² entries.
  tile = std::max<i64>(1, tile / k);
  const i64 ta_max = std::min(na, tile), tb_max = std::min(nb, tile);
  Mat<T> ga(ta_max, tb_max), gd(ta_max * k, tb_max * k);
  const T cL2 = T(spec.weight_multiplier(L) * spec.weight_multiplier(L));
  const T bL2 = T(spec.bias_multiplier(L) * spec.bias_multiplier(L));
  // Entry (a, b) of the block of (i, j) is at(i, j)[a·row + b].
  const bool pairs = layout == BlockLayout::Pairs;
  const i64 row = pairs ? k : nb * k;
  auto at = [&](i64 i, i64 j) { return pairs ? out + (i * nb + j) * kk : out + i * k * row + j * k; };

  for (i64 i0 = 0; i0 < na; i0 += tile) {
    const i64 ti = std::min(tile, na - i0);
    for (i64 j0 = 0; j0 < (symmetric ? i0 + 1 : nb); j0 += tile) {
      check_cancel();
      const i64 tj = std::min(tile, nb - j0);
      // Last layer: Δ^L = I_k, so only the diagonal of each block gets c_L² A A′ᵀ + β_L².
      blas::gemm<T>(Op::N, Op::T, ti, tj, spec.widths[L - 1], cL2, ra.input[L - 1] + i0 * spec.widths[L - 1],
                    spec.widths[L - 1], rb.input[L - 1] + j0 * spec.widths[L - 1], spec.widths[L - 1], T(0),
                    ga.data(), tb_max);
      for (i64 i = 0; i < ti; ++i)
        for (i64 j = 0; j < tj; ++j) {
          T* blk = at(i0 + i, j0 + j);
          for (i64 o = 0; o < k; ++o) {
            std::fill(blk + o * row, blk + o * row + k, T(0));
            blk[o * row + o] = ga(i, j) + bL2;
          }
        }
      for (int l = 1; l < L; ++l) {
        const i64 m = spec.widths[l], mp = spec.widths[l - 1];
        const T c2 = T(spec.weight_multiplier(l) * spec.weight_multiplier(l));
        const T b2 = T(spec.bias_multiplier(l) * spec.bias_multiplier(l));
        blas::gemm<T>(Op::N, Op::T, ti, tj, mp, c2, ra.input[l - 1] + i0 * mp, mp, rb.input[l - 1] + j0 * mp, mp,
                      T(0), ga.data(), tb_max);
        blas::gemm<T>(Op::N, Op::T, ti * k, tj * k, m, T(1), ra.delta[l - 1] + i0 * k * m, m,
                      rb.delta[l - 1] + j0 * k * m, m, T(0), gd.data(), tb_max * k);
#pragma omp parallel for schedule(static) if (ti * tj * kk > kParallelGrain)
        for (i64 i = 0; i < ti; ++i)
          for (i64 j = 0; j < tj; ++j) {
            T* blk = at(i0 + i, j0 + j);
            for (i64 o = 0; o < k; ++o)
              for (i64 p = 0; p < k; ++p)
                blk[o * row + p] = elementwise::gram_term(blk[o * row + p], gd(i * k + o, j * k + p), ga(i, j), b2);
          }
      }
    }
  }
  if (!symmetric) return;
  // K(x_i, x_j)_{ab} = K(x_j, x_i)_{ba} from the lower triangle, exactly (the tiles above the
  // diagonal were skipped; the diagonal ones are overwritten so that rounding cannot differ).
  for (i64 i = 0; i < na; ++i)
    for (i64 j = i; j < na; ++j) {
      const T* src = at(j, i);
      T* dst = at(i, j);
      for (i64 o = 0; o < k; ++o)
        for (i64 p = (j == i ? o + 1 : 0); p < k; ++p) dst[o * row + p] = src[p * row + o];
    }
}

#define FASTNTK_INSTANTIATE(T)                                                               \
  template FeatureRefs<T> feature_refs<T>(const Spec&, const Features<T>&);                 \
  template void gram_blocks<T>(const Spec&, const Features<T>&, const Features<T>*, T*, i64, BlockLayout); \
  template void gram<T>(const Spec&, const FeatureRefs<T>&, const FeatureRefs<T>*, T*, i64, \
                        i64);                                                               \
  template void gram<T>(const Spec&, const Features<T>&, const Features<T>*, T*, i64, i64); \
  template void mirror_lower<T>(T*, i64, i64);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk
