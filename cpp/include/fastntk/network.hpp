// Forward pass, backward pass and the matrix-free products φv and φᵀr of
// docs/design.md §2. Everything else (Gram, Jacobian, dynamics) is built on these.
#pragma once
#include <vector>

#include "fastntk/model.hpp"
#include "fastntk/types.hpp"

namespace fastntk {

// The primal pass at θ: the layer inputs A_0 = X (not owned), A_1 … A_{L−1} and
// f(X) (N × k, row-major). ReLU masks and a'(h) are read off A (a' is a function of a(h) for the
// activations we support), so nothing else is stored.
template <class T>
struct Primal {
  i64 n = 0;
  const T* x = nullptr;
  std::vector<Mat<T>> hidden;  // hidden[l-1] = A_l, N × m_l, l = 1 … L−1
  Vec<T> f;                    // N·k: f(x_i)_a at i·k + a
  // Every pre-activation and output finite. False means a non-finite θ or input (a
  // NaN or Inf reaches every unit it feeds: NaN·0 is NaN) or an overflow: the kernels
  // report it instead of separate passes over θ and X.
  bool finite = true;

  const T* input(int l) const { return l == 0 ? x : hidden[l - 1].data(); }  // A_l
};

template <class T>
void forward(const Spec& spec, const T* theta, const T* x, i64 n, Primal<T>& out);
template <class T>
void forward(const Spec& spec, const Params<T>& theta, const T* x, i64 n, Primal<T>& out);

// The same pass with the first layer's product c₁ X W¹ᵀ (N × m₁) given in `first`
// instead of computed from θ's W¹ block, which is not read: the row-space path
// of training (docs/design.md §1) forms it as c₁(X W¹(0)ᵀ + (X Xᵀ) Cᵀ). `first` is
// swapped into out, not copied; on return it holds a buffer to reuse.
template <class T>
void forward_given_first(const Spec& spec, const T* theta, const T* x, i64 n, Mat<T>& first,
                         Primal<T>& out);

// f(X) alone (n × k into f), in blocks of rows: a block's activations stay in cache
// instead of each layer's N × m_l matrix going through memory, which made the pass
// memory-bound at small d and wide m (N = 9500, d = 20, m = 10⁴: 760 MB a layer).
// Returns whether every pre-activation and output was finite (Primal::finite).
template <class T>
bool forward_outputs(const Spec& spec, const Params<T>& theta, const T* x, i64 n, T* f);
// The rows of one of its blocks: about 2²⁰ entries over all the layers a block holds at once,
// and never fewer than 64 rows, so that a very wide layer's weights are read once per 64 rows.
i64 forward_block_rows(const Spec& spec);
template <class T>
bool forward_outputs(const Spec& spec, const T* theta, const T* x, i64 n, T* f);

// Δ^l for l = 1 … L (delta[l-1]) for the cotangent r (N × k) at the output: N × m_l.
// r = nullptr means the per-sample, per-output derivatives ∂f_a(x_i)/∂h^l_i, one row
// for each (i, a) at i·k + a: N·k × m_l (docs/design.md §2, k outputs).
template <class T>
void backward(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r,
              std::vector<Mat<T>>& delta);
template <class T>
void backward(const Spec& spec, const Params<T>& theta, const Primal<T>& primal, const T* r,
              std::vector<Mat<T>>& delta);

// out = β·out + α·φ(X)ᵀ r  (P; r is N × k). Only one Δ^l is alive at a time; with β = 1,
// α = −η and out = θ this is a fused gradient step (θ is read before written).
template <class T>
void vjp(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
         T beta, T* out);

// The same, except that the first layer's weight block of out is left untouched and
// its cotangent α·c₁·(Δ¹ ⊙ r) (N × m₁) is written to first_cotangent instead: the
// W¹ gradient is first_cotangentᵀ X, a combination of the rows of X, which the
// row-space path keeps as coefficients.
template <class T>
void vjp_to_first(const Spec& spec, const T* theta, const Primal<T>& primal, const T* r, T alpha,
                  T beta, T* out, T* first_cotangent);

// out = φ(X) v  (N × k): one tangent pass through the cached primal.
template <class T>
void jvp(const Spec& spec, const T* theta, const Primal<T>& primal, const T* v, T* out);

// A batch's primal pass and its per-sample, per-output Δ^l (N·k rows): everything
// the Jacobian, the Gram and the adaptive kernel are made of.
template <class T>
struct Features {
  Primal<T> primal;
  std::vector<Mat<T>> delta;
  // For k > 1 and L ≥ 2, Δ̄ (N × m_{L−1}) with Δ̄ Δ̄′ᵀ = Σ_a Δ^{L−1}_a Δ′^{L−1}_aᵀ: since
  // Δ^{L−1}_a = c_L W^L_a ⊙ a'(h^{L−1}), Δ̄_j = a'(h_j)·(Σ_a c_L² (W^L_{aj})²)^{1/2}. The kernel
  // traced over the outputs reads it at that layer, a product of width m_{L−1} instead of k·m_{L−1}.
  Mat<T> traced_last;
};

// traced_only: only what the kernel traced over the outputs reads — for a k-output net of one
// hidden layer that is traced_last alone, and the N·k rows of Δ¹ (k times its size) are not formed.
template <class T>
void features(const Spec& spec, const T* theta, const T* x, i64 n, Features<T>& out, bool traced_only = false);
template <class T>
void features(const Spec& spec, const Params<T>& theta, const T* x, i64 n, Features<T>& out,
              bool traced_only = false);

// φ(X)v and φ(X)ᵀr from cached features, using that row i of φ is, per layer,
// c_l Δ^l_i ⊗ A_{l−1,i} (and β_l Δ^l_i for b^l): one product of N·m_l·m_{l−1}
// per layer and pass, where jvp/vjp also carry the tangent or cotangent through
// W^l (a second such product for every l ≥ 2). For a linearization, whose
// Δ^l and A_l stay those of θ₀, this is the cheapest exact matrix-free product.
template <class T>
void jvp_features(const Spec& spec, const Features<T>& feat, const T* v, T* out);

// out = β·out + α·φ(X)ᵀ r.
template <class T>
void vjp_features(const Spec& spec, const Features<T>& feat, const T* r, T alpha, T beta, T* out);

// The rows `rows` of cached features (a mini-batch of them); the input rows
// (d columns) are copied into x_buffer, which dst.primal.x then points into.
template <class T>
void gather_features(const Features<T>& src, i64 d, const i64* rows, i64 count,
                     Vec<T>& x_buffer, Features<T>& dst);

// a'(h) ⊙ M in place, with a' read off the activations A = a(h).
template <class T>
void apply_activation_derivative(Activation act, const T* a, T* m, i64 size);

}  // namespace fastntk
