#include "fastntk/dynamics.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "fastntk/blas.hpp"
#include "fastntk/elementwise.hpp"
#include "fastntk/gram.hpp"
#include "fastntk/jacobian.hpp"
#include "fastntk/network.hpp"

namespace fastntk {

using blas::Op;

LossKind parse_loss(const std::string& s) { return parse_named(kLosses, s, "loss"); }
ModelKind parse_model(const std::string& s) { return parse_named(kModels, s, "model"); }
Path parse_path(const std::string& s) { return parse_named(kPaths, s, "path"); }
std::string to_string(Path p) { return name_of(kPaths, p); }

bool path_of(ModelKind model, Path p) {
  if (p == Path::Auto) return true;
  const bool network = p == Path::Direct || p == Path::RowSpace;
  return network == (model == ModelKind::Network);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class T>
void gather_rows(const T* src, i64 cols, const i64* rows, i64 count, T* dst) {
  for (i64 k = 0; k < count; ++k) std::copy(src + rows[k] * cols, src + (rows[k] + 1) * cols, dst + k * cols);
}

// max over first-layer units r of ‖W¹_r − W¹_r(0)‖, from δ = θ − θ₀.
template <class T>
double first_layer_movement(const Spec& spec, const T* delta) {
  const i64 m = spec.widths[1], d = spec.widths[0];
  ConstMatMap<T> w(delta + spec.weight_offset(1), m, d);
  return m > 0 ? double(w.template cast<double>().rowwise().norm().maxCoeff()) : 0.0;
}

// The loss of docs/design.md §1 averaged over n samples (in double), f and y of n × k,
// and its derivative in one sample's f — the residual the backward pass carries; the
// per-sample rules are elementwise.hpp's, which the CUDA kernels run too.
struct Loss {
  LossKind kind;
  i64 k;  // outputs

  // Every kind is named (-Wswitch flags one left out) and none falls through to another's rule.
  template <class T>
  double mean(const T* f, const T* y, i64 n) const {
    // The kind is fixed outside the loop: with it inside, the accumulator lives in memory
    // across the logistic branch's calls, which made a function-space step 1.5× slower.
    switch (kind) {
      case LossKind::Squared: return sum_terms<0>(f, y, n * k) / double(n);
      case LossKind::Logistic: return sum_terms<1>(f, y, n * k) / double(n);
      case LossKind::CrossEntropy: {
        double s = 0;
        for (i64 i = 0; i < n; ++i) s += elementwise::cross_entropy_row(f + i * k, y + i * k, k);
        return s / double(n);
      }
    }
    throw std::invalid_argument("loss: unknown loss kind " + std::to_string(static_cast<int>(kind)));
  }

  // r (k entries a sample) = ∂ℓ(f, y)/∂f / count for n samples: rows[i] of f and y, or the
  // first n when rows is null.
  template <class T>
  void residuals(const T* f, const T* y, const i64* rows, i64 n, T count, T* r) const {
    switch (kind) {
      case LossKind::Squared: return residual_terms<0>(f, y, rows, n, count, r);
      case LossKind::Logistic: return residual_terms<1>(f, y, rows, n, count, r);
      case LossKind::CrossEntropy:
        for (i64 i = 0; i < n; ++i) {
          const i64 row = rows ? rows[i] : i;
          elementwise::cross_entropy_residual_row(f + row * k, y + row * k, k, T(1) / count, r + i * k);
        }
        return;
    }
    throw std::invalid_argument("loss: unknown loss kind " + std::to_string(static_cast<int>(kind)));
  }

  template <class T>
  void residuals(const T* f, const T* y, i64 n, T count, T* r) const {
    residuals(f, y, static_cast<const i64*>(nullptr), n, count, r);
  }

 private:
  template <int Kind, class T>
  static double sum_terms(const T* f, const T* y, i64 count) {
    double s = 0;
    for (i64 i = 0; i < count; ++i) s += elementwise::loss_term(Kind, f[i], y[i]);
    return s;
  }

  template <int Kind, class T>
  void residual_terms(const T* f, const T* y, const i64* rows, i64 n, T count, T* r) const {
    if (!rows) {
      for (i64 i = 0; i < n * k; ++i) r[i] = elementwise::loss_residual(Kind, f[i], y[i]) / count;
      return;
    }
    for (i64 i = 0; i < n; ++i)
      for (i64 a = 0; a < k; ++a)
        r[i * k + a] = elementwise::loss_residual(Kind, f[rows[i] * k + a], y[rows[i] * k + a]) / count;
  }
};

// The trained parameters as contiguous ranges of θ (W^l and b^l of a layer are
// adjacent), all of θ when every layer trains.
std::vector<std::pair<i64, i64>> trained_ranges(const Spec& s, const std::vector<int>& layers) {
  const int L = s.depth();
  if (layers.empty()) return {{0, s.num_params()}};
  std::vector<bool> on(L + 1, false);
  for (int l : layers) {
    if (l < 1 || l > L)
      throw std::invalid_argument("train_layers: expected layer numbers 1 … " + std::to_string(L) + ", got " +
                                  std::to_string(l));
    on[l] = true;
  }
  std::vector<std::pair<i64, i64>> out;
  for (int l = 1; l <= L; ++l) {
    if (!on[l]) continue;
    const i64 begin = s.weight_offset(l), end = l < L ? s.weight_offset(l + 1) : s.num_params();
    if (!out.empty() && out.back().first + out.back().second == begin) out.back().second += end - begin;
    else out.emplace_back(begin, end - begin);
  }
  return out;
}

bool all_layers(const Spec& s, const std::vector<int>& layers) {
  const auto r = trained_ranges(s, layers);
  return r.size() == 1 && r[0].first == 0 && r[0].second == s.num_params();
}

// One optimizer per trained range; frozen parameters keep their value (D = 0 there).
template <class T>
class LayerOptimizer {
 public:
  LayerOptimizer(const Spec& s, const TrainConfig& c) : P_(s.num_params()), ranges_(trained_ranges(s, c.train_layers)) {
    for (const auto& r : ranges_) {
      opts_.emplace_back(c.optimizer, c.hyper, r.second);
      trained_ += r.second;
    }
  }
  void step(T* theta, const T* g, double lr, T* diag) {
    if (diag && trained_ != P_) std::fill(diag, diag + P_, T(0));
    double sum = 0;
    for (size_t i = 0; i < ranges_.size(); ++i) {
      const i64 off = ranges_[i].first;
      opts_[i].step(theta + off, g + off, lr, diag ? diag + off : nullptr);
      sum += opts_[i].effective_lr() * double(ranges_[i].second);
    }
    effective_lr_ = trained_ > 0 ? sum / double(trained_) : 0.0;
  }
  double effective_lr() const { return effective_lr_; }
  i64 steps() const { return opts_.empty() ? 0 : opts_[0].steps(); }

 private:
  i64 P_, trained_ = 0;
  std::vector<std::pair<i64, i64>> ranges_;
  std::vector<Optimizer<T>> opts_;
  double effective_lr_ = 0;
};

template <class T>
class Runner {
 public:
  virtual ~Runner() = default;
  // Prepares the step on the batch; returns the full training loss when the batch
  // is the whole set (it is then free), NaN otherwise.
  virtual double prepare(const Batch& b) = 0;
  virtual double full_loss() = 0;
  virtual void update(double lr, T* diag) = 0;
  virtual void test_pred(T* out) = 0;
  virtual double param_distance() = 0;
  virtual double max_unit_movement() = 0;
  virtual double effective_lr() const = 0;
  virtual Vec<T> theta() = 0;
};

template <class T>
class NetworkRunner final : public Runner<T> {
  const Loss loss_;

 public:
  NetworkRunner(const Spec& s, const TrainConfig& c, const T* theta0, const T* x, const T* y, i64 n,
                const T* xt, i64 nt)
      : loss_{c.loss, s.outputs()}, s_(s), c_(c), x_(x), y_(y), xt_(xt), n_(n), nt_(nt),
        theta_(ConstVecMap<T>(theta0, s.num_params())), theta0_(theta_), opt_(s, c),
        all_(all_layers(s, c.train_layers)), last_lr_(is_adaptive(c.optimizer) ? kNaN : c.lr) {}

  double prepare(const Batch& b) override {
    const i64 d = s_.input_dim(), k = loss_.k;
    const T *xb = x_ + b.start * d, *yb = y_ + b.start * k;
    if (!b.contiguous) {
      xbuf_.resize(b.count * d);
      ybuf_.resize(b.count * k);
      gather_rows(x_, d, b.rows, b.count, xbuf_.data());
      gather_rows(y_, k, b.rows, b.count, ybuf_.data());
      xb = xbuf_.data();
      yb = ybuf_.data();
    }
    forward(s_, theta_.data(), xb, b.count, batch_);
    r_.resize(b.count * k);
    loss_.residuals(batch_.f.data(), yb, b.count, T(b.count), r_.data());
    return b.full ? loss_.mean(batch_.f.data(), yb, b.count) : kNaN;
  }
  double full_loss() override {
    other_.resize(n_ * loss_.k);
    forward_outputs(s_, theta_.data(), x_, n_, other_.data());
    return loss_.mean(other_.data(), y_, n_);
  }
  void update(double lr, T* diag) override {
    if (c_.optimizer == OptimizerKind::SGD && !diag && all_) {
      // The GD update folded into the weight-gradient GEMMs (β = 1, α = −η).
      vjp(s_, theta_.data(), batch_, r_.data(), T(-lr), T(1), theta_.data());
      last_lr_ = lr;
      return;
    }
    g_.resize(s_.num_params());
    vjp(s_, theta_.data(), batch_, r_.data(), T(1), T(0), g_.data());
    opt_.step(theta_.data(), g_.data(), lr, diag);
    last_lr_ = opt_.effective_lr();
  }
  void test_pred(T* out) override { forward_outputs(s_, theta_.data(), xt_, nt_, out); }
  double param_distance() override { return double((theta_ - theta0_).template cast<double>().norm()); }
  double max_unit_movement() override {
    const Vec<T> delta = theta_ - theta0_;
    return first_layer_movement(s_, delta.data());
  }
  double effective_lr() const override { return last_lr_; }
  Vec<T> theta() override { return theta_; }

 private:
  const Spec& s_;
  const TrainConfig& c_;
  const T *x_, *y_, *xt_;
  i64 n_, nt_;
  Vec<T> theta_, theta0_, g_, r_, xbuf_, ybuf_, other_;
  Primal<T> batch_;
  LayerOptimizer<T> opt_;
  bool all_;
  double last_lr_;
};

// The network with W¹(t) = W¹(0) + C(t)X (docs/design.md §1): SGD and momentum update
// W¹ by combinations of the rows of X only, so C (kept as Cᵀ, N × m₁) carries the
// first layer exactly. Then c₁X_B W¹(t)ᵀ = c₁X_B W¹(0)ᵀ + c₁(X_B Xᵀ)Cᵀ costs |B|·N·m₁
// instead of |B|·d·m₁, and the first-layer gradient is the cotangent itself (no
// product with X). Both optimizers are linear and act coordinate-wise, so running
// them on (Cᵀ, the other parameters) is the same update as on θ.
template <class T>
class RowSpaceRunner final : public Runner<T> {
  const Loss loss_;

 public:
  RowSpaceRunner(const Spec& s, const TrainConfig& c, const T* theta0, const T* x, const T* y, i64 n,
                 const T* xt, i64 nt)
      : loss_{c.loss, s.outputs()}, s_(s), c_(c), x_(x), y_(y), n_(n), nt_(nt), d_(s.input_dim()), m1_(s.widths[1]),
        rest_(m1_ * d_), c1_(T(s.weight_multiplier(1))),
        theta_(ConstVecMap<T>(theta0, s.num_params())), theta0_(theta_),
        opt_c_(c.optimizer, c.hyper, n * m1_), opt_rest_(c.optimizer, c.hyper, s.num_params() - rest_) {
    const T* w0 = theta0 + s.weight_offset(1);
    z0_.resize(n, m1_);
    blas::gemm<T>(Op::N, Op::T, n, m1_, d_, c1_, x, d_, w0, d_, T(0), z0_.data(), m1_);
    xxt_.resize(n, n);
    blas::gemm<T>(Op::N, Op::T, n, n, d_, T(1), x, d_, x, d_, T(0), xxt_.data(), n);
    ct_.setZero(n, m1_);
    if (nt > 0) {
      z0t_.resize(nt, m1_);
      blas::gemm<T>(Op::N, Op::T, nt, m1_, d_, c1_, xt, d_, w0, d_, T(0), z0t_.data(), m1_);
      xtxt_.resize(nt, n);
      blas::gemm<T>(Op::N, Op::T, nt, n, d_, T(1), xt, d_, x, d_, T(0), xtxt_.data(), n);
    }
  }

  double prepare(const Batch& b) override {
    b_ = b;
    const i64 k = loss_.k;
    const T* yb = y_ + b.start * k;
    if (b.contiguous) {
      first_ = z0_.middleRows(b.start, b.count);
      first_layer(xxt_.data() + b.start * n_, b.count, first_);
    } else {
      ybuf_.resize(b.count * k);
      gather_rows(y_, k, b.rows, b.count, ybuf_.data());
      yb = ybuf_.data();
      first_.resize(b.count, m1_);
      gather_rows(z0_.data(), m1_, b.rows, b.count, first_.data());
      gbuf_.resize(b.count, n_);
      gather_rows(xxt_.data(), n_, b.rows, b.count, gbuf_.data());
      first_layer(gbuf_.data(), b.count, first_);
    }
    // The input rows are never read: the first layer's products are done above.
    forward_given_first(s_, theta_.data(), static_cast<const T*>(nullptr), b.count, first_, batch_);
    r_.resize(b.count * k);
    loss_.residuals(batch_.f.data(), yb, b.count, T(b.count), r_.data());
    return b.full ? loss_.mean(batch_.f.data(), yb, b.count) : kNaN;
  }
  double full_loss() override {
    other_first_ = z0_;
    first_layer(xxt_.data(), n_, other_first_);
    forward_given_first(s_, theta_.data(), static_cast<const T*>(nullptr), n_, other_first_, other_);
    return loss_.mean(other_.f.data(), y_, n_);
  }
  void update(double lr, T* diag) override {
    if (diag) std::fill(diag, diag + s_.num_params(), T(1));  // SGD and momentum: D = 1
    cot_.resize(b_.count, m1_);
    if (c_.optimizer == OptimizerKind::SGD) {
      // Fused as in the direct path: θ ← θ − η g for the other parameters, and the
      // first layer's cotangent −η c₁(Δ¹ ⊙ r) added onto the batch's rows of Cᵀ.
      vjp_to_first(s_, theta_.data(), batch_, r_.data(), T(-lr), T(1), theta_.data(), cot_.data());
      scatter_add(cot_, ct_);
      return;
    }
    g_.resize(s_.num_params());
    vjp_to_first(s_, theta_.data(), batch_, r_.data(), T(1), T(0), g_.data(), cot_.data());
    gct_.setZero(n_, m1_);
    scatter_add(cot_, gct_);
    opt_c_.step(ct_.data(), gct_.data(), lr);
    opt_rest_.step(theta_.data() + rest_, g_.data() + rest_, lr);
  }
  void test_pred(T* out) override {
    other_first_ = z0t_;
    first_layer(xtxt_.data(), nt_, other_first_);
    forward_given_first(s_, theta_.data(), static_cast<const T*>(nullptr), nt_, other_first_, other_);
    std::copy(other_.f.data(), other_.f.data() + other_.f.size(), out);
  }
  double param_distance() override {
    const double rest = (theta_.tail(theta_.size() - rest_) - theta0_.tail(theta0_.size() - rest_))
                            .template cast<double>().squaredNorm();
    return std::sqrt(rest + unit_movements_sq().sum());
  }
  double max_unit_movement() override {
    return m1_ > 0 ? std::sqrt(std::max(0.0, unit_movements_sq().maxCoeff())) : 0.0;
  }
  double effective_lr() const override { return c_.lr; }
  Vec<T> theta() override {
    Vec<T> th = theta_;
    blas::gemm<T>(Op::T, Op::N, m1_, d_, n_, T(1), ct_.data(), m1_, x_, d_, T(1),
                  th.data() + s_.weight_offset(1), d_);
    return th;
  }

 private:
  // out += c₁ G_rows Cᵀ for `count` rows of a Gram with the training inputs.
  void first_layer(const T* g_rows, i64 count, Mat<T>& out) {
    blas::gemm<T>(Op::N, Op::N, count, m1_, n_, c1_, g_rows, n_, ct_.data(), m1_, T(1), out.data(), m1_);
  }
  // The batch's rows of `target` (N × m₁) += the rows of `rows` (|B| × m₁).
  void scatter_add(const Mat<T>& rows, Mat<T>& target) {
    if (b_.contiguous) {
      target.middleRows(b_.start, b_.count) += rows;
      return;
    }
    for (i64 k = 0; k < b_.count; ++k) target.row(b_.rows[k]) += rows.row(k);
  }
  // ‖W¹_r(t) − W¹_r(0)‖² = c_rᵀ(XXᵀ)c_r for every unit r (c_r: column r of Cᵀ).
  Eigen::Array<double, Eigen::Dynamic, 1> unit_movements_sq() {
    Mat<T> gc(n_, m1_);
    blas::gemm<T>(Op::N, Op::N, n_, m1_, n_, T(1), xxt_.data(), n_, ct_.data(), m1_, T(0), gc.data(), m1_);
    return (ct_.array().template cast<double>() * gc.array().template cast<double>()).colwise().sum().transpose();
  }

  const Spec& s_;
  const TrainConfig& c_;
  const T *x_, *y_;
  i64 n_, nt_, d_, m1_, rest_;  // rest_: where the parameters after W¹ start in θ
  T c1_;
  Vec<T> theta_, theta0_, g_, r_, ybuf_;  // theta_'s W¹ block stays W¹(0)
  Mat<T> z0_, z0t_, xxt_, xtxt_, ct_, gct_, cot_, first_, other_first_, gbuf_;
  Primal<T> batch_, other_;
  Optimizer<T> opt_c_, opt_rest_;
  Batch b_{};
};

// D = 1: θ_t − θ₀ = φ₀ᵀc_t, f_t(X) = f₀(X) + K c_t — O(N·|B|) per step.
template <class T>
class FunctionSpaceRunner final : public Runner<T> {
  const Loss loss_;

 public:
  FunctionSpaceRunner(const Spec& s, const TrainConfig& c, const T* theta0, const T* x, const T* y,
                      i64 n, const T* xt, i64 nt)
      : loss_{c.loss, s.outputs()}, s_(s), c_(c), theta0_(theta0), y_(y), n_(n), nt_(nt), ko_(s.outputs()),
        nk_(n * ko_) {
    // With k outputs, K is the (N·k × N·k) block kernel φφᵀ, a sample's k rows consecutive.
    features(s, theta0, x, n, fx_);
    k_.resize(nk_, nk_);
    if (ko_ == 1) gram(s, fx_, static_cast<const Features<T>*>(nullptr), k_.data(), n);
    else gram_blocks(s, fx_, static_cast<const Features<T>*>(nullptr), k_.data(), 2048, BlockLayout::Rows);
    f0_ = fx_.primal.f;
    u_ = f0_;
    coef_.setZero(nk_);
    if (nt > 0) {
      Features<T> ft;
      features(s, theta0, xt, nt, ft);
      kt_.resize(nt * ko_, nk_);
      if (ko_ == 1) gram(s, ft, &fx_, kt_.data(), n);
      else gram_blocks(s, ft, &fx_, kt_.data(), 2048, BlockLayout::Rows);
      f0t_ = ft.primal.f;
    }
    if (c.optimizer == OptimizerKind::Momentum) buf_.setZero(nk_);
    // First-layer movement from c: δW¹ = c₁(Δ¹ ⊙ c)ᵀX, so ‖δW¹_r‖² = a_rᵀ(XXᵀ)a_r with
    // a_r = c₁ c ⊙ Δ¹_{:,r} — N²·m₁ per record instead of a full VJP (N·P).
    delta1_ = std::move(fx_.delta[0]);
    fx_.delta.clear();
    const i64 d = s.input_dim();
    xxt_.resize(n, n);
    blas::gemm<T>(Op::N, Op::T, n, n, d, T(1), x, d, x, d, T(0), xxt_.data(), n);
  }

  double prepare(const Batch& b) override {
    b_ = b;
    r_.resize(b.count * ko_);
    if (b.contiguous) loss_.residuals(u_.data() + b.start * ko_, y_ + b.start * ko_, b.count, T(b.count), r_.data());
    else loss_.residuals(u_.data(), y_, b.rows, b.count, T(b.count), r_.data());
    return loss_.mean(u_.data(), y_, n_);
  }
  double full_loss() override { return loss_.mean(u_.data(), y_, n_); }
  void update(double lr, T* diag) override {
    if (diag) std::fill(diag, diag + s_.num_params(), T(1));
    if (c_.optimizer == OptimizerKind::Momentum) {
      const Hyper& h = c_.hyper;
      Vec<T> g = Vec<T>::Zero(nk_);
      for (i64 i = 0; i < b_.count; ++i)
        for (i64 a = 0; a < ko_; ++a) g[b_.rows[i] * ko_ + a] = r_[i * ko_ + a];
      const StepScalars sc = step_scalars(OptimizerKind::Momentum, h, ++t_);
      if (sc.first) buf_ = g;
      else buf_ = T(h.momentum) * buf_ + T(sc.damp) * g;
      const Vec<T> step = h.nesterov ? Vec<T>(g + T(h.momentum) * buf_) : buf_;
      coef_ -= T(lr) * step;
      blas::gemm<T>(Op::N, Op::N, nk_, 1, nk_, T(-lr), k_.data(), nk_, step.data(), 1, T(1), u_.data(), 1);
      return;
    }
    dc_ = T(-lr) * r_;
    if (b_.contiguous) {
      coef_.segment(b_.start * ko_, b_.count * ko_) += dc_;
      // K is symmetric: K[:, B] δ = K[B, :]ᵀ δ over contiguous rows.
      blas::gemm<T>(Op::T, Op::N, nk_, 1, b_.count * ko_, T(1), k_.data() + b_.start * ko_ * nk_, nk_,
                    dc_.data(), 1, T(1), u_.data(), 1);
    } else {
      for (i64 i = 0; i < b_.count; ++i)
        for (i64 a = 0; a < ko_; ++a) {
          coef_[b_.rows[i] * ko_ + a] += dc_[i * ko_ + a];
          u_ += dc_[i * ko_ + a] * k_.row(b_.rows[i] * ko_ + a).transpose();
        }
    }
  }
  void test_pred(T* out) override {
    VecMap<T> o(out, nt_ * ko_);
    o = f0t_;
    blas::gemm<T>(Op::N, Op::N, nt_ * ko_, 1, nk_, T(1), kt_.data(), nk_, coef_.data(), 1, T(1), out, 1);
  }
  double param_distance() override {
    // ‖θ − θ₀‖² = cᵀKc = cᵀ(u − f₀).
    return std::sqrt(std::max(0.0, double(coef_.template cast<double>().dot((u_ - f0_).template cast<double>()))));
  }
  double max_unit_movement() override {
    const i64 m1 = s_.widths[1];
    // a_i = c₁ Σ_o c_{i,o} Δ¹_{(i,o)}: the first-layer cotangent of sample i.
    Mat<T> a;
    if (ko_ == 1) {
      a = delta1_;
      a.array().colwise() *= (T(s_.weight_multiplier(1)) * coef_).array();
    } else {
      a.setZero(n_, m1);
      for (i64 i = 0; i < n_; ++i)
        for (i64 o = 0; o < ko_; ++o)
          a.row(i) += (T(s_.weight_multiplier(1)) * coef_[i * ko_ + o]) * delta1_.row(i * ko_ + o);
    }
    Mat<T> b(n_, m1);
    blas::gemm<T>(Op::N, Op::N, n_, m1, n_, T(1), xxt_.data(), n_, a.data(), m1, T(0), b.data(), m1);
    const double sq = (a.array() * b.array()).colwise().sum().template cast<double>().maxCoeff();
    return std::sqrt(std::max(0.0, sq));
  }
  double effective_lr() const override { return c_.lr; }
  Vec<T> theta() override {
    Vec<T> th = ConstVecMap<T>(theta0_, s_.num_params());
    vjp(s_, theta0_, fx_.primal, coef_.data(), T(1), T(1), th.data());
    return th;
  }

 private:
  const Spec& s_;
  const TrainConfig& c_;
  const T *theta0_, *y_;
  i64 n_, nt_, ko_, nk_;
  Features<T> fx_;
  Mat<T> k_, kt_, delta1_, xxt_;
  Vec<T> f0_, f0t_, u_, coef_, buf_, r_, dc_;
  Batch b_{};
  i64 t_ = 0;
};

// General D_t: δ = θ − θ₀ in parameter space; per step one φ₀v and one φ₀ᵀr from
// the cached θ₀ features (jvp_features/vjp_features: no product through the
// weights), or two GEMVs over a materialized φ₀.
template <class T>
class ParameterSpaceRunner final : public Runner<T> {
  const Loss loss_;

 public:
  ParameterSpaceRunner(const Spec& s, const TrainConfig& c, const T* theta0, const T* x, const T* y,
                       i64 n, const T* xt, i64 nt, bool materialize)
      : loss_{c.loss, s.outputs()}, s_(s), c_(c), theta0_(theta0), y_(y), n_(n), nt_(nt), P_(s.num_params()),
        ko_(s.outputs()), materialized_(materialize), opt_(s, c) {
    Features<T> fx;
    features(s, theta0, x, n, fx);
    f0_ = fx.primal.f;
    if (materialized_) {  // N·k rows, a sample's k consecutive
      phi_.resize(n * ko_, P_);
      jacobian_rows(s, fx, 0, n * ko_, phi_.data());
    }
    full_ = std::move(fx);
    if (nt > 0) {
      features(s, theta0, xt, nt, test_);
      f0t_ = test_.primal.f;
    }
    delta_.setZero(P_);
  }

  double prepare(const Batch& b) override {
    b_ = b;
    const i64 rows = b.count * ko_;
    ub_.resize(rows);
    const T* yb = y_ + b.start * ko_;
    if (!b.contiguous) {
      ybuf_.resize(rows);
      gather_rows(y_, ko_, b.rows, b.count, ybuf_.data());
      yb = ybuf_.data();
    }
    if (materialized_) {
      phi_rows_ = phi_.data() + b.start * ko_ * P_;
      if (!b.contiguous) {
        phib_.resize(rows, P_);
        gather_rows(phi_.data(), ko_ * P_, b.rows, b.count, phib_.data());
        phi_rows_ = phib_.data();
      }
      blas::gemm<T>(Op::N, Op::N, rows, 1, P_, T(1), phi_rows_, P_, delta_.data(), 1, T(0), ub_.data(), 1);
    } else {
      cur_ = &batch_features(b);
      jvp_features(s_, *cur_, delta_.data(), ub_.data());
    }
    for (i64 i = 0; i < b.count; ++i)
      for (i64 a = 0; a < ko_; ++a) ub_[i * ko_ + a] += f0_[b.rows[i] * ko_ + a];
    r_.resize(rows);
    loss_.residuals(ub_.data(), yb, b.count, T(b.count), r_.data());
    return b.full ? loss_.mean(ub_.data(), yb, b.count) : kNaN;
  }
  double full_loss() override {
    Vec<T> u(n_ * ko_);
    if (materialized_)
      blas::gemm<T>(Op::N, Op::N, n_ * ko_, 1, P_, T(1), phi_.data(), P_, delta_.data(), 1, T(0), u.data(), 1);
    else
      jvp_features(s_, full_, delta_.data(), u.data());
    u += f0_;
    return loss_.mean(u.data(), y_, n_);
  }
  void update(double lr, T* diag) override {
    g_.resize(P_);
    if (materialized_)
      blas::gemm<T>(Op::T, Op::N, P_, 1, b_.count * ko_, T(1), phi_rows_, P_, r_.data(), 1, T(0), g_.data(), 1);
    else
      vjp_features(s_, *cur_, r_.data(), T(1), T(0), g_.data());
    opt_.step(delta_.data(), g_.data(), lr, diag);
  }
  void test_pred(T* out) override {
    jvp_features(s_, test_, delta_.data(), out);
    VecMap<T>(out, nt_ * ko_) += f0t_;
  }
  double param_distance() override { return double(delta_.template cast<double>().norm()); }
  double max_unit_movement() override { return first_layer_movement(s_, delta_.data()); }
  double effective_lr() const override {
    if (opt_.steps()) return opt_.effective_lr();
    return is_adaptive(c_.optimizer) ? kNaN : c_.lr;  // D = 1 before any step, too
  }
  Vec<T> theta() override { return ConstVecMap<T>(theta0_, P_) + delta_; }

 private:
  // The θ₀ features of the batch rows: the cached ones for the full set, the
  // rows gathered once per step otherwise (a copy, cheap next to the GEMMs).
  const Features<T>& batch_features(const Batch& b) {
    if (b.full && b.contiguous) return full_;
    gather_features(full_, s_.input_dim(), b.rows, b.count, xbuf_, part_);
    return part_;
  }

  const Spec& s_;
  const TrainConfig& c_;
  const T *theta0_, *y_;
  i64 n_, nt_, P_, ko_;
  bool materialized_;
  LayerOptimizer<T> opt_;
  Features<T> full_, test_, part_;
  Mat<T> phi_, phib_;
  const T* phi_rows_ = nullptr;
  Vec<T> f0_, f0t_, delta_, g_, r_, ub_, xbuf_, ybuf_;
  const Features<T>* cur_ = nullptr;
  Batch b_{};
};

bool linear_in_gradients(OptimizerKind k) {
  return k == OptimizerKind::SGD || k == OptimizerKind::Momentum;
}

// record_D Ends: row 0 takes this update's D_t where no gradient above eps has reached it yet.
template <class T>
void keep_first_reached(T* first, const T* now, i64 P, double eps) {
  for (i64 i = 0; i < P; ++i) elementwise::keep_first_reached(first[i], now[i], eps);
}

}  // namespace

// The network's path: the row space where it saves work. Per step the first layer
// costs |B|·N·m₁ there against 2|B|·d·m₁ (forward and weight gradient) directly, so
// it pays whenever N < d; the paths agree to rounding, so the choice is speed only.
// The linearization's: function space for D = 1 over every layer; else parameter
// space, over φ₀ materialized below ~1M entries (cache-sized: two GEMVs beat 2L small
// GEMMs) and matrix-free above.
Path choose_path(ModelKind model, Path requested, OptimizerKind optimizer, i64 n, i64 d, i64 P, bool all_layers,
                 i64 k) {
  if (requested != Path::Auto) return requested;
  if (model == ModelKind::Network)
    return linear_in_gradients(optimizer) && n < d && all_layers ? Path::RowSpace : Path::Direct;
  if (linear_in_gradients(optimizer) && all_layers) return Path::FunctionSpace;
  return n * k * P <= (i64(1) << 20) ? Path::Materialized : Path::MatrixFree;
}

void check_path(ModelKind model, Path path, OptimizerKind optimizer, bool all_layers) {
  if (!path_of(model, path)) {
    throw std::invalid_argument(model == ModelKind::Network
                                    ? "path: the network is trained on path 'auto', 'direct' or 'row-space', not '" +
                                          to_string(path) + "'"
                                    : "path: the linearization is trained on path 'auto', 'function', 'matrix-free' "
                                      "or 'materialized', not '" + to_string(path) + "'");
  }
  if (path == Path::RowSpace && !linear_in_gradients(optimizer))
    throw std::invalid_argument(
        "path: 'row-space' is exact only for gd, sgd and momentum (updates that combine past gradients), not '" +
        name_of(kOptimizers, optimizer) + "', whose per-coordinate scaling leaves the row space");
  if (path == Path::FunctionSpace && !linear_in_gradients(optimizer))
    throw std::invalid_argument("path: function space is exact only for D = 1 (gd, sgd, momentum), not '" +
                                name_of(kOptimizers, optimizer) + "'");
  if ((path == Path::RowSpace || path == Path::FunctionSpace) && !all_layers)
    throw std::invalid_argument("train_layers: the '" + to_string(path) +
                                "' path trains every layer; use path 'auto' with a subset of the layers");
}

template <class T>
TrainResult<T> train(const Spec& spec, const T* theta0, const T* x, const T* y, i64 n,
                     const T* x_test, i64 n_test, const TrainConfig& cfg, const Progress& progress) {
  if (!(cfg.lr > 0) || !std::isfinite(cfg.lr)) throw std::invalid_argument("lr: expected a finite value > 0");
  StepController control(1, n, cfg.batch_size, cfg.shuffle, cfg.seed, cfg.stop);

  TrainResult<T> res;
  std::unique_ptr<Runner<T>> runner;
  const bool every_layer = all_layers(spec, cfg.train_layers);
  check_path(cfg.model, cfg.path, cfg.optimizer, every_layer);
  res.path = choose_path(cfg.model, cfg.path, cfg.optimizer, n, spec.input_dim(), spec.num_params(), every_layer,
                         spec.outputs());
  switch (res.path) {
    case Path::RowSpace:
      runner = std::make_unique<RowSpaceRunner<T>>(spec, cfg, theta0, x, y, n, x_test, n_test);
      break;
    case Path::Direct:
      runner = std::make_unique<NetworkRunner<T>>(spec, cfg, theta0, x, y, n, x_test, n_test);
      break;
    case Path::FunctionSpace:
      runner = std::make_unique<FunctionSpaceRunner<T>>(spec, cfg, theta0, x, y, n, x_test, n_test);
      break;
    default:
      runner = std::make_unique<ParameterSpaceRunner<T>>(spec, cfg, theta0, x, y, n, x_test, n_test,
                                                         res.path == Path::Materialized);
  }

  History<T>& h = res.history;
  const i64 P = spec.num_params();
  auto record = [&](i64 t, double loss) {
    h.step.push_back(t);
    h.train_loss.push_back(loss);
    h.param_distance.push_back(runner->param_distance());
    h.max_unit_movement.push_back(runner->max_unit_movement());
    h.effective_lr.push_back(t == 0 && is_adaptive(cfg.optimizer) ? kNaN : runner->effective_lr());
    if (n_test > 0) {
      const i64 per = n_test * spec.outputs();
      h.test_pred.resize(h.step.size() * per);
      runner->test_pred(h.test_pred.data() + (h.step.size() - 1) * per);
    }
  };

  for (;;) {
    const Batch& b = control.next_batch();
    double loss = runner->prepare(b);
    bool known = b.full;
    if (!known && control.needs_full_loss()) {
      loss = runner->full_loss();
      known = true;
    }
    control.judge(&loss, known);
    if (control.records(0)) record(control.step(), loss);
    if (!control.active(0)) break;
    T* diag = nullptr;
    if (cfg.record_D != RecordD::None) {
      const i64 row = cfg.record_D == RecordD::Every ? control.step() : std::min<i64>(control.step(), 1);
      h.diag.resize((row + 1) * P);
      diag = h.diag.data() + row * P;
    }
    runner->update(cfg.lr, diag);
    if (cfg.record_D == RecordD::Ends && control.step() > 0) keep_first_reached(h.diag.data(), diag, P, cfg.hyper.eps);
    control.advance();
    if (progress && control.progress_due() && !progress(control.step(), control.last_loss())) {
      control.interrupt();
      record(control.step(), runner->full_loss());
      break;
    }
  }
  res.status = control.status(0);
  res.steps = control.steps(0);
  res.max_climb = control.max_climb(0);
  if (progress) progress(res.steps, h.train_loss.back());
  res.theta = runner->theta();
  return res;
}

template <class T>
std::vector<TrainResult<T>> train_many(const std::vector<Run<T>>& runs, const T* x, const T* y,
                                       i64 n, const T* x_test, i64 n_test, const Progress& progress,
                                       bool single_threaded_blas) {
  const i64 count = i64(runs.size());
  std::vector<TrainResult<T>> out(count);
  std::vector<std::exception_ptr> errors(count);
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  // Each run's products single-threaded, the runs side by side: on few cores many
  // small nets go faster this way than one after another with threaded GEMMs.
#pragma omp parallel for schedule(dynamic, 1)
  for (i64 i = 0; i < count; ++i) {
    try {
      blas::SerialScope serial(single_threaded_blas);
      Progress each = [&](i64 step, double loss) {
        if (stop.load()) return false;
        if (progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          if (!progress(step, loss)) stop = true;
        }
        return !stop.load();
      };
      out[i] = train(runs[i].spec, runs[i].theta0, x, y, n, x_test, n_test, runs[i].config, each);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

#define FASTNTK_INSTANTIATE(T)                                                                  \
  template TrainResult<T> train<T>(const Spec&, const T*, const T*, const T*, i64, const T*, i64, \
                                   const TrainConfig&, const Progress&);      \
  template std::vector<TrainResult<T>> train_many<T>(const std::vector<Run<T>>&, const T*,     \
                                                     const T*, i64, const T*, i64, const Progress&, \
                                                     bool);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk
