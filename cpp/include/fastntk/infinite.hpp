// The infinite-width kernels of the MLP (docs/design.md §3): the NNGP Σ — the
// covariance of f at initialization — and the NTK Θ as every width → ∞, by the
// layer recursion of Neal, Lee et al. and Jacot et al., in neural-tangents'
// conventions (Dense(W_std = σ, b_std) + activation):
//
//   Σ¹ = σ²⟨x, x′⟩/d + b²,   Θ¹ = Σ¹ (NTK parametrization)
//   Σˡ = σ² T(Σˡ⁻¹) + b²,    Θˡ = σ² Ṫ(Σˡ⁻¹)Θˡ⁻¹ + Σˡ + (b̃² − b²)
//
// with T = E[a(u)a(v)] and Ṫ = E[a′(u)a′(v)] over (u, v) ~ N(0, Σˡ⁻¹ on {x, x′}).
// b² is the bias variance at initialization (σ² for bias "normal", 0 for "zero" and
// "none"), b̃² the bias gradient's share of the NTK (σ² unless "none"). The standard
// parametrization's NTK keeps the widths: Θˡ = m_{l−1}T + σ²ṪΘˡ⁻¹ + [bias] (its
// first-layer T is ⟨x, x′⟩/d, so m₀T = ⟨x, x′⟩), as neural-tangents computes it.
// ReLU: T = √(ΣₓₓΣᵧᵧ)(√(1−ρ²) + (π − θ)ρ)/(2π), Ṫ = (π − θ)/(2π), θ = arccos ρ;
// identity: T = Σ, Ṫ = 1.
#pragma once
#include "fastntk/model.hpp"
#include "fastntk/types.hpp"

namespace fastntk {

// nngp and ntk (either may be null) receive n1 × n2 row-major kernels between the rows
// of x1 (n1 × d) and x2 (n2 × d; null: x1). sigma_b is the bias scale of the standard
// parametrization's init. Float64 throughout: the recursion's arccos near ρ = ±1 needs it.
void infinite_kernels(const Spec& spec, double sigma_b, const double* x1, i64 n1, const double* x2, i64 n2,
                      double* nngp, double* ntk, i64 tile);

}  // namespace fastntk
