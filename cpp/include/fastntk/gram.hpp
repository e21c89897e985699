// The empirical NTK by the structured formula of docs/design.md §2, never through φφᵀ:
//   K(X, X′) = Σ_l (Δ^l Δ′^lᵀ) ⊙ (c_l² A_{l−1} A′_{l−1}ᵀ + β_l²).
#pragma once
#include "fastntk/network.hpp"

namespace fastntk {

// K (row-major, leading dimension ldk) = K(X_a, X_b), or K(X_a, X_a) by the
// symmetric product when b is null. Works on tile × tile blocks so that the
// temporaries stay 2·tile² however large N is.
template <class T>
void gram(const Spec& spec, const Features<T>& a, const Features<T>* b, T* k, i64 ldk,
          i64 tile = 2048);

// Copies the lower triangle of the n × n matrix onto the upper one.
template <class T>
void mirror_lower(T* k, i64 n, i64 ldk);

}  // namespace fastntk
