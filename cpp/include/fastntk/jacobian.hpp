// The per-sample Jacobian φ(X) (N × P), written block by block from Δ and A:
//   ∂f/∂W^l = c_l Δ^l ⊗ A_{l−1},   ∂f/∂b^l = β_l Δ^l     (docs/design.md §2).
#pragma once
#include "fastntk/network.hpp"

namespace fastntk {

// Rows [r0, r1) of φ into out ((r1 − r0) × P, row-major); row i·k + a is ∂f_a(x_i)/∂θ. When scale is given
// (P entries) each column is multiplied by it in the same pass: φ·diag(s).
template <class T>
void jacobian_rows(const Spec& spec, const Features<T>& f, i64 r0, i64 r1, T* out,
                   const T* scale = nullptr);

// K_D(X_a, X_b) = φ(X_a) diag(d) φ(X_b)ᵀ (N_a·k × N_b·k, rows and columns as φ's) from row chunks of φ holding at most
// max_bytes each (no Hadamard shortcut exists for a general diagonal D). The
// symmetric case (b null) with d ≥ 0 uses SYRK on φ·diag(√d).
template <class T>
void adaptive_gram(const Spec& spec, const Features<T>& a, const Features<T>* b, const T* d,
                   T* k, i64 max_bytes);

}  // namespace fastntk
