#include "fastntk/model.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace fastntk {

i64 checked_mul(i64 a, i64 b, const char* what) {
  i64 out;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out))
    throw std::length_error(std::string(what) + ": size overflows a 64-bit integer");
  return out;
}

i64 checked_add(i64 a, i64 b, const char* what) {
  i64 out;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &out))
    throw std::length_error(std::string(what) + ": size overflows a 64-bit integer");
  return out;
}

Parametrization parse_parametrization(const std::string& s) {
  return parse_named(kParametrizations, s, "parametrization");
}
BiasMode parse_bias(const std::string& s) { return parse_named(kBiasModes, s, "bias"); }
Activation parse_activation(const std::string& s) { return parse_named(kActivations, s, "activation"); }

Spec::Spec(std::vector<i64> w, double s, double s_b, Parametrization p, BiasMode b, Activation a)
    : widths(std::move(w)), sigma(s), sigma_b(s_b), parametrization(p), bias(b), activation(a) {
  if (widths.size() < 2)
    throw std::invalid_argument("widths: expected at least [d, 1] (depth L >= 1)");
  for (i64 m : widths)
    if (m < 1) throw std::invalid_argument("widths: every width must be >= 1");
  if (!(sigma > 0) || !std::isfinite(sigma))
    throw std::invalid_argument("sigma: expected a finite value > 0");
  if (!(sigma_b >= 0) || !std::isfinite(sigma_b))
    throw std::invalid_argument("sigma_b: expected a finite value >= 0");
  offsets_.assign(1, 0);
  for (int l = 1; l <= depth(); ++l) {
    const i64 w_size = checked_mul(widths[l], widths[l - 1], "widths");
    offsets_.push_back(checked_add(offsets_.back(), w_size, "widths"));
    offsets_.push_back(checked_add(offsets_.back(), has_bias() ? widths[l] : 0, "widths"));
  }
}

double Spec::weight_multiplier(int l) const {
  if (parametrization == Parametrization::Standard) return 1.0;
  return sigma / std::sqrt(static_cast<double>(widths[l - 1]));
}

double Spec::bias_multiplier(int) const {
  if (!has_bias()) return 0.0;
  return parametrization == Parametrization::Standard ? 1.0 : sigma_b;
}

i64 Spec::sum_hidden_widths() const {
  i64 s = 0;
  for (int l = 1; l <= depth(); ++l) s += widths[l];
  return s;
}

}  // namespace fastntk
