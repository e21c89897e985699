// The MLP of docs/design.md §1: its shape, parametrization and the flat layout of θ.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fastntk/elementwise.hpp"  // Activation
#include "fastntk/names.hpp"

namespace fastntk {

using i64 = std::int64_t;

enum class Parametrization { NTK, Standard };
inline constexpr Named<Parametrization> kParametrizations[] = {{"ntk", Parametrization::NTK},
                                                                {"standard", Parametrization::Standard}};
// `None` has no bias parameters at all; `Zero` and `Normal` differ only at init.
enum class BiasMode { Zero, Normal, None };
inline constexpr Named<BiasMode> kBiasModes[] = {{"zero", BiasMode::Zero}, {"normal", BiasMode::Normal},
                                                 {"none", BiasMode::None}};
Parametrization parse_parametrization(const std::string& s);
BiasMode parse_bias(const std::string& s);
Activation parse_activation(const std::string& s);

struct Spec {
  std::vector<i64> widths;  // [m_0 = d, m_1, …, m_L = k], k ≥ 1 outputs
  double sigma = 1.0;    // σ: c_l = σ/√m_{l−1} (NTK parametrization), the weights' init scale
  double sigma_b = 1.0;  // σ_b: β_l = σ_b (NTK parametrization), the biases' init scale (standard)
  Parametrization parametrization = Parametrization::NTK;
  BiasMode bias = BiasMode::Zero;
  Activation activation = Activation::ReLU;

  Spec() = default;
  Spec(std::vector<i64> widths, double sigma, double sigma_b, Parametrization p, BiasMode b, Activation a);

  int depth() const { return static_cast<int>(widths.size()) - 1; }  // L
  i64 input_dim() const { return widths.front(); }
  i64 outputs() const { return widths.back(); }  // k
  bool has_bias() const { return bias != BiasMode::None; }
  i64 num_params() const { return offsets_.back(); }
  // Offsets into θ of W^l and b^l, l = 1..L.
  i64 weight_offset(int l) const { return offsets_[2 * (l - 1)]; }
  i64 bias_offset(int l) const { return offsets_[2 * (l - 1) + 1]; }
  // Forward multipliers c_l and β_l of h^l = c_l W^l a(h^{l-1}) + β_l b^l (docs/design.md §1):
  // c_l = σ/√m_{l−1}, β_l = σ_b in the NTK parametrization, c_l = β_l = 1 in the standard
  // one; β_l = 0 without biases. Every pass and kernel reads them from here.
  double weight_multiplier(int l) const;
  double bias_multiplier(int l) const;
  i64 sum_hidden_widths() const;  // Σ_{l=1..L} m_l

 private:
  std::vector<i64> offsets_;
};

// θ read layer by layer: W^l (m_l × m_{l−1}, row-major) and b^l (m_l; null without biases),
// l = 1 … L — slices of one flat θ in docs/design.md §1's order, or arrays the caller holds,
// read in place: parameters kept as one array per layer need no concatenated copy of θ.
template <class T>
struct Params {
  std::vector<const T*> w, b;  // W^l at w[l − 1], b^l at b[l − 1]

  Params(std::vector<const T*> weights, std::vector<const T*> biases)
      : w(std::move(weights)), b(std::move(biases)) {}
  Params(const Spec& s, const T* theta) {
    for (int l = 1; l <= s.depth(); ++l) {
      w.push_back(theta + s.weight_offset(l));
      b.push_back(s.has_bias() ? theta + s.bias_offset(l) : nullptr);
    }
  }
  const T* weight(int l) const { return w[l - 1]; }
  const T* bias(int l) const { return b[l - 1]; }
};

}  // namespace fastntk
