#include "fastntk/infinite.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "fastntk/blas.hpp"
#include "fastntk/cancel.hpp"

namespace fastntk {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The per-layer constants of the recursion, read once from the spec.
struct Layers {
  int L;
  bool relu, standard;
  double w2;                  // σ² (W_std²)
  double b2_init, b2_grad;    // bias variance at init; bias share of the NTK per layer
  std::vector<double> fan_in;  // m_{l−1}
};

Layers layers_of(const Spec& s, double sigma_b) {
  if (s.activation == Activation::Tanh)
    throw std::invalid_argument(
        "activation: the infinite-width kernels have a closed form for 'relu' and 'identity', not 'tanh'");
  Layers c;
  c.L = s.depth();
  c.relu = s.activation == Activation::ReLU;
  c.standard = s.parametrization == Parametrization::Standard;
  c.w2 = s.sigma * s.sigma;
  const double b = c.standard ? sigma_b : s.sigma;
  c.b2_init = s.bias == BiasMode::Normal ? b * b : 0.0;
  // The bias gradient: β² = σ² (NTK parametrization) or 1 (standard) per layer.
  c.b2_grad = s.bias == BiasMode::None ? 0.0 : (c.standard ? 1.0 : c.w2);
  for (int l = 1; l <= c.L; ++l) c.fan_in.push_back(double(s.widths[l - 1]));
  return c;
}

// T and Ṫ of the activation for variances a, b and covariance ab.
inline void dual(bool relu, double a, double b, double ab, double& t, double& tdot) {
  if (!relu) {
    t = ab;
    tdot = 1.0;
    return;
  }
  const double norm = std::sqrt(a * b);
  if (!(norm > 0)) {  // a unit that is 0 on x or x′: its ReLU is 0 too
    t = 0.0;
    tdot = 0.0;
    return;
  }
  const double rho = std::clamp(ab / norm, -1.0, 1.0);
  // arccos near ρ = 1 through 2·asin(√((1 − ρ)/2)): the direct form loses half the digits there.
  const double theta = rho > 0.5 ? 2.0 * std::asin(std::sqrt(0.5 * (1.0 - rho))) : std::acos(rho);
  const double sin_theta = std::sqrt(std::max(0.0, (1.0 - rho) * (1.0 + rho)));
  t = norm * (sin_theta + (kPi - theta) * rho) / (2.0 * kPi);
  tdot = (kPi - theta) / (2.0 * kPi);
}

// One entry: the recursion from the input products (x·x′, x·x, x′·x′) to the output kernels.
inline void entry(const Layers& c, double xy, const double* dx, const double* dy, double& nngp, double& ntk) {
  // dx[l−1], dy[l−1]: Σˡ(x, x) and Σˡ(x′, x′), precomputed per sample.
  double post = xy;  // the kernel of this layer's inputs (T of the previous Σ; x·x′/d first)
  double sigma = 0.0, theta = 0.0;
  for (int l = 1; l <= c.L; ++l) {
    double t = post, tdot = 1.0;
    if (l > 1) dual(c.relu, dx[l - 2], dy[l - 2], sigma, t, tdot);
    const double s_new = c.w2 * t + c.b2_init;
    if (c.standard)
      theta = c.fan_in[l - 1] * t + (l > 1 ? c.w2 * tdot * theta : 0.0) + c.b2_grad;
    else
      theta = (l > 1 ? c.w2 * tdot * theta : 0.0) + c.w2 * t + c.b2_grad;
    sigma = s_new;
    post = t;
  }
  nngp = sigma;
  ntk = theta;
}

// x·x/d of every row.
std::vector<double> squares(const double* x, i64 n, i64 d) {
  std::vector<double> out(n);
  for (i64 i = 0; i < n; ++i) {
    double sq = 0;
    for (i64 k = 0; k < d; ++k) sq += x[i * d + k] * x[i * d + k];
    out[i] = sq / double(d);
  }
  return out;
}

// Σˡ(x, x) for l = 1 … L of every row (n × L): the diagonal the entries need.
std::vector<double> diagonals(const Layers& c, const std::vector<double>& sq) {
  const i64 n = i64(sq.size());
  std::vector<double> out(n * c.L);
  for (i64 i = 0; i < n; ++i) {
    double t = sq[i], sigma = 0.0;
    for (int l = 1; l <= c.L; ++l) {
      if (l > 1) {
        double tdot;
        dual(c.relu, sigma, sigma, sigma, t, tdot);
      }
      sigma = c.w2 * t + c.b2_init;
      out[i * c.L + l - 1] = sigma;
    }
  }
  return out;
}

}  // namespace

void infinite_kernels(const Spec& spec, double sigma_b, const double* x1, i64 n1, const double* x2, i64 n2,
                      double* nngp, double* ntk, i64 tile) {
  const Layers c = layers_of(spec, sigma_b);
  const i64 d = spec.input_dim();
  const bool same = x2 == nullptr;
  if (same) {
    x2 = x1;
    n2 = n1;
  }
  const std::vector<double> sq1 = squares(x1, n1, d);
  const std::vector<double> d1 = diagonals(c, sq1);
  const std::vector<double> d2 = same ? d1 : diagonals(c, squares(x2, n2, d));
  tile = std::max<i64>(1, std::min(tile, n1));
  // Rows of X1 X2ᵀ/d in tiles (one GEMM each), then the recursion on each entry.
  std::vector<double> prod(checked_mul(tile, n2, "n2"));
  for (i64 r0 = 0; r0 < n1; r0 += tile) {
    check_cancel();
    const i64 rows = std::min(tile, n1 - r0);
    blas::gemm<double>(blas::Op::N, blas::Op::T, rows, n2, d, 1.0 / double(d), x1 + r0 * d, d, x2, d, 0.0,
                       prod.data(), n2);
    // The symmetric case: the lower triangle, mirrored below — half the work, and K = Kᵀ
    // exactly (the GEMM's two halves need not agree to the last bit).
#pragma omp parallel for schedule(dynamic, 16) if (rows * n2 * c.L > kParallelGrain)
    for (i64 i = 0; i < rows; ++i) {
      const double* dx = d1.data() + (r0 + i) * c.L;
      const i64 jend = same ? r0 + i + 1 : n2;
      for (i64 j = 0; j < jend; ++j) {
        double s, t;
        // On the diagonal ρ = 1 exactly: x·x/d is taken from the same sum as Σ(x, x),
        // since near ρ = ±1 the kernels have square-root singularities (an error ε in ρ
        // moves them by √ε).
        const double xy = same && j == r0 + i ? sq1[j] : prod[i * n2 + j];
        entry(c, xy, dx, d2.data() + j * c.L, s, t);
        if (nngp) nngp[(r0 + i) * n2 + j] = s;
        if (ntk) ntk[(r0 + i) * n2 + j] = t;
      }
    }
  }
  if (same)
    for (double* k : {nngp, ntk})
      if (k)
        for (i64 i = 0; i < n1; ++i)
          for (i64 j = 0; j < i; ++j) k[j * n1 + i] = k[i * n1 + j];
}

}  // namespace fastntk
