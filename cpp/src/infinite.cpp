#include "fastntk/infinite.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastntk/blas.hpp"
#include "fastntk/cancel.hpp"

namespace fastntk {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The per-layer constants of the recursion, read once from the spec.
struct Layers {
  int L;
  bool relu, erf, standard;
  double w2;                    // σ² (W_std²)
  double b2_init;               // the variance of β_l bˡ at init (b_std²)
  std::vector<double> b2_grad;  // β_l²: the bias gradient's share of Θˡ
  std::vector<double> fan_in;   // m_{l−1}
};

Layers layers_of(const Spec& s) {
  Layers c;
  c.relu = c.erf = false;
  // Every activation named, none falling through to the identity's recursion.
  switch (s.activation) {
    case Activation::ReLU: c.relu = true; break;
    case Activation::Erf: c.erf = true; break;
    case Activation::Identity: break;
    case Activation::Tanh:
      throw std::invalid_argument(
          "activation: the infinite-width kernels have a closed form for 'relu', 'erf' and 'identity', not 'tanh'");
  }
  if (!c.relu && !c.erf && s.activation != Activation::Identity)  // a value outside the enum (-Wswitch names new ones)
    throw std::invalid_argument("activation: unknown activation kind " +
                                std::to_string(static_cast<int>(s.activation)));
  c.L = s.depth();
  c.standard = s.parametrization == Parametrization::Standard;
  c.w2 = s.sigma * s.sigma;
  // β_l bˡ ~ N(0, σ_b²) in both parametrizations: b ~ N(0, 1) times β_l = σ_b, or
  // b ~ N(0, σ_b²) times 1.
  c.b2_init = s.bias == BiasMode::Normal ? s.sigma_b * s.sigma_b : 0.0;
  for (int l = 1; l <= c.L; ++l) {
    c.fan_in.push_back(double(s.widths[l - 1]));
    c.b2_grad.push_back(s.bias_multiplier(l) * s.bias_multiplier(l));
  }
  return c;
}

// asin(s) for |s| ≤ 1/2: its Taylor series to 26 terms (the remainder is below 1e-18),
// branch-free so that the loops over a row of the Gram vectorize.
constexpr double kAsin[26] = {
    1.0,
    0.16666666666666666,
    0.075,
    0.044642857142857144,
    0.030381944444444444,
    0.022372159090909092,
    0.017352764423076924,
    0.01396484375,
    0.011551800896139705,
    0.009761609529194078,
    0.008390335809616815,
    0.0073125258735988454,
    0.006447210311889649,
    0.005740037670841924,
    0.005153309682319905,
    0.004660143486915096,
    0.004240907093679363,
    0.003880964558837669,
    0.0035692053938259347,
    0.003297059503473485,
    0.0030578216492580306,
    0.002846178401108942,
    0.00265787063820729,
    0.0024894486782468836,
    0.002338091892111975,
    0.0022014739737101384};

inline double asin_small(double s) {
  const double z = s * s;
  double p = kAsin[25];
#pragma GCC unroll 32
  for (int k = 24; k >= 0; --k) p = p * z + kAsin[k];
  return s * p;
}

// π − arccos ρ for ρ ∈ [−1, 1], accurate at both ends: arccos|ρ| = π/2 − asin|ρ| for
// |ρ| ≤ 1/2 and 2·asin(√((1 − |ρ|)/2)) above, where the direct forms lose half the digits.
inline double pi_minus_acos(double rho) {
  const double a = std::fabs(rho);
  const bool big = a > 0.5;
  const double r = asin_small(big ? std::sqrt(0.5 * (1.0 - a)) : a);
  const double acos_abs = big ? 2.0 * r : 0.5 * kPi - r;
  return rho >= 0 ? kPi - acos_abs : acos_abs;
}

// T and Ṫ of ReLU for variances a, b and covariance ab; a unit that is 0 on x or x′
// (a or b zero) has T = Ṫ = 0.
inline void relu_dual(double a, double b, double ab, double& t, double& tdot) {
  const double norm = std::sqrt(a * b);
  const bool live = norm > 0;
  const double rho = std::min(1.0, std::max(-1.0, live ? ab / norm : 0.0));
  const double pm = pi_minus_acos(rho);  // π − θ
  const double sin_theta = std::sqrt(std::max(0.0, (1.0 - rho) * (1.0 + rho)));
  t = live ? norm * (sin_theta + pm * rho) * (0.5 / kPi) : 0.0;
  tdot = live ? pm * (0.5 / kPi) : 0.0;
}

// T and Ṫ of erf (Williams 1997; Lee et al. 2019, App. C) for variances a, b and
// covariance ab: T = (2/π)·asin(2ab/√((1+2a)(1+2b))), Ṫ = (4/π)/√((1+2a)(1+2b) − 4ab²),
// whose radicand is at least 1 + 2a + 2b (|ab| ≤ √(a·b)), so Ṫ has no singularity.
inline void erf_dual(double a, double b, double ab, double& t, double& tdot) {
  const double q = (1.0 + 2.0 * a) * (1.0 + 2.0 * b);
  const double s = std::min(1.0, std::max(-1.0, 2.0 * ab / std::sqrt(q)));
  t = (2.0 / kPi) * (pi_minus_acos(s) - 0.5 * kPi);  // asin s = (π − arccos s) − π/2
  tdot = (4.0 / kPi) / std::sqrt(std::max(q - 4.0 * ab * ab, 1.0));
}

// One row of the Gram, layer by layer over the whole row (each loop vectorizes): from
// the input products xy[j] = x·x′_j/d to Σᴸ and Θᴸ. dx[l−1] = Σˡ(x, x); dy holds
// Σˡ(x′_j, x′_j) layer-major (dy[(l−1)·stride + j]).
void row(const Layers& c, const double* xy, i64 n, const double* dx, const double* dy, i64 stride,
         double* sigma, double* theta) {
  const double w2 = c.w2, b2i = c.b2_init;
  const double first = c.standard ? c.fan_in[0] : w2;
  for (i64 j = 0; j < n; ++j) {
    theta[j] = first * xy[j] + c.b2_grad[0];
    sigma[j] = w2 * xy[j] + b2i;
  }
  for (int l = 2; l <= c.L; ++l) {
    const double a = dx[l - 2], wt = c.standard ? c.fan_in[l - 1] : w2, b2g = c.b2_grad[l - 1];
    const double* b = dy + i64(l - 2) * stride;
    // Θˡ = wt·T + σ²·Ṫ·Θˡ⁻¹ + b²_grad and Σˡ = σ²·T + b²_init over the row, for the dual
    // (T, Ṫ) of the activation; a lambda, so that the loop vectorizes with it inlined.
    auto layer = [&](auto dual) {
#pragma omp simd
      for (i64 j = 0; j < n; ++j) {
        double t, tdot;
        dual(a, b[j], sigma[j], t, tdot);
        theta[j] = wt * t + w2 * tdot * theta[j] + b2g;
        sigma[j] = w2 * t + b2i;
      }
    };
    if (c.relu) {
      layer([](double x, double y, double xy, double& t, double& td) { relu_dual(x, y, xy, t, td); });
    } else if (c.erf) {
      layer([](double x, double y, double xy, double& t, double& td) { erf_dual(x, y, xy, t, td); });
    } else {
      for (i64 j = 0; j < n; ++j) {
        theta[j] = wt * sigma[j] + w2 * theta[j] + b2g;
        sigma[j] = w2 * sigma[j] + b2i;
      }
    }
  }
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
        if (c.relu) relu_dual(sigma, sigma, sigma, t, tdot);
        else if (c.erf) erf_dual(sigma, sigma, sigma, t, tdot);
        else t = sigma;
      }
      sigma = c.w2 * t + c.b2_init;
      out[i * c.L + l - 1] = sigma;
    }
  }
  return out;
}

}  // namespace

void infinite_kernels(const Spec& spec, const double* x1, i64 n1, const double* x2, i64 n2, double* nngp,
                      double* ntk, i64 tile) {
  const Layers c = layers_of(spec);
  const i64 d = spec.input_dim();
  const bool same = x2 == nullptr;
  if (same) {
    x2 = x1;
    n2 = n1;
  }
  const std::vector<double> sq1 = squares(x1, n1, d);
  const std::vector<double> d1 = diagonals(c, sq1);
  const std::vector<double> d2 = same ? d1 : diagonals(c, squares(x2, n2, d));
  // Σˡ(x′, x′) layer-major, so that a row's loop reads it contiguously.
  std::vector<double> d2t(checked_mul(n2, c.L, "n2"));
  for (i64 j = 0; j < n2; ++j)
    for (int l = 0; l < c.L; ++l) d2t[l * n2 + j] = d2[j * c.L + l];
  tile = std::max<i64>(1, std::min(tile, n1));
  // Rows of X1 X2ᵀ/d in tiles (one GEMM each), then the recursion on each row.
  std::vector<double> prod(checked_mul(tile, n2, "n2"));
  for (i64 r0 = 0; r0 < n1; r0 += tile) {
    check_cancel();
    const i64 rows = std::min(tile, n1 - r0);
    // The symmetric case: the lower triangle, mirrored below — half the work (the GEMM
    // stops at the tile's last column of the triangle), and K = Kᵀ exactly (the GEMM's
    // two halves need not agree to the last bit).
    const i64 cols = same ? r0 + rows : n2;
    blas::gemm<double>(blas::Op::N, blas::Op::T, rows, cols, d, 1.0 / double(d), x1 + r0 * d, d, x2, d, 0.0,
                       prod.data(), n2);
#pragma omp parallel if (rows * n2 * c.L > kParallelGrain)
    {
      std::vector<double> sigma(n2), theta(n2);
#pragma omp for schedule(dynamic, 8)
      for (i64 i = 0; i < rows; ++i) {
        const i64 r = r0 + i, len = same ? r + 1 : n2;
        double* xy = prod.data() + i * n2;
        // On the diagonal ρ = 1 exactly: x·x/d from the same sum as Σ(x, x), since near
        // ρ = ±1 the kernels have square-root singularities (an error ε in ρ moves them by √ε).
        if (same) xy[r] = sq1[r];
        row(c, xy, len, d1.data() + r * c.L, d2t.data(), n2, sigma.data(), theta.data());
        if (nngp) std::copy(sigma.data(), sigma.data() + len, nngp + r * n2);
        if (ntk) std::copy(theta.data(), theta.data() + len, ntk + r * n2);
      }
    }
  }
  if (same)  // mirrored in blocks: a column of K at a time would miss the cache on every write
    for (double* k : {nngp, ntk})
      if (k) {
        constexpr i64 B = 64;
#pragma omp parallel for schedule(dynamic) if (n1 * n1 > kParallelGrain)
        for (i64 i0 = 0; i0 < n1; i0 += B)
          for (i64 j0 = 0; j0 <= i0; j0 += B)
            for (i64 i = i0; i < std::min(n1, i0 + B); ++i)
              for (i64 j = j0; j < std::min(i, j0 + B); ++j) k[j * n1 + i] = k[i * n1 + j];
      }
}

}  // namespace fastntk
