// The empirical NTK by the structured formula of docs/design.md §2, never through φφᵀ:
//   K(X, X′) = Σ_l (Δ^l Δ′^lᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²),
// for k outputs their mean (1/k)·Σ_a, neural-tangents' trace_axes = (-1,).
#pragma once
#include <vector>

#include "fastntk/network.hpp"

namespace fastntk {

// What the Gram reads of a batch's features, by pointer (row-major, N rows each):
// input[l] = A_l for l = 0 … L−1 (A_0 = X) and delta[l−1] = Δ^l for l = 1 … L−1
// (Δ^L = 1 is not stored). Features computed elsewhere — a block of rows cached as
// NumPy arrays by fastntk.distributed — are read in place through it.
template <class T>
struct FeatureRefs {
  i64 n = 0;
  std::vector<const T*> input;
  std::vector<const T*> delta;
  const T* traced_last = nullptr;  // Features::traced_last when present (k > 1): a narrower product
};

template <class T>
FeatureRefs<T> feature_refs(const Spec& spec, const Features<T>& f);

// K (row-major, leading dimension ldk) = K(X_a, X_b), or K(X_a, X_a) by the
// symmetric product when b is null. Works on tile × tile blocks so that the
// temporaries stay 2·tile² however large N is.
template <class T>
void gram(const Spec& spec, const FeatureRefs<T>& a, const FeatureRefs<T>* b, T* k, i64 ldk,
          i64 tile = 2048);

template <class T>
void gram(const Spec& spec, const Features<T>& a, const Features<T>* b, T* k, i64 ldk,
          i64 tile = 2048);

// The full (N_a, N_b, k, k) NTK of a k-output network, out[i, j, a, b] = ⟨∂f_a(x_i)/∂θ,
// ∂f_b(x′_j)/∂θ⟩ (neural-tangents' trace_axes = ()), by the same formula per pair of
// outputs: Σ_l (Δ^l_a Δ′^l_bᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²), with Δ^L = I_k. (`gram`
// gives its trace over the outputs.) Tiles of tile/k samples keep the temporaries at
// about 2·tile² entries; b null: K(X_a, X_a) from the lower tiles, mirrored.
// Layout Pairs is (N_a, N_b, k, k); Rows is φ(X_a)φ(X_b)ᵀ as an (N_a·k) × (N_b·k) matrix, row
// i·k + a and column j·k + b (what training in function space iterates with).
enum class BlockLayout { Pairs, Rows };
template <class T>
void gram_blocks(const Spec& spec, const Features<T>& a, const Features<T>* b, T* out, i64 tile = 2048,
                 BlockLayout layout = BlockLayout::Pairs);

// Copies the lower triangle of the n × n matrix onto the upper one.
template <class T>
void mirror_lower(T* k, i64 n, i64 ldk);

}  // namespace fastntk
