#include "fastntk/optimizers.hpp"

#include "fastntk/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastntk {

OptimizerKind parse_optimizer(const std::string& s) { return parse_named(kOptimizers, s, "optimizer"); }

bool is_adaptive(OptimizerKind k) {
  return k == OptimizerKind::AdaGrad || k == OptimizerKind::RMSprop || k == OptimizerKind::Adam;
}

StepScalars step_scalars(OptimizerKind kind, const Hyper& h, i64 t) {
  if (t < 1) throw std::invalid_argument("t: expected an update number 1, 2, …");
  StepScalars s;
  switch (kind) {
    case OptimizerKind::SGD:
    case OptimizerKind::RMSprop:
      break;
    case OptimizerKind::Momentum:
      s.first = t == 1;
      s.damp = 1 - (s.first ? 0.0 : h.dampening);
      break;
    case OptimizerKind::AdaGrad:
      s.lr_divisor = 1 + double(t - 1) * h.lr_decay;
      break;
    case OptimizerKind::Adam:
      s.bc1 = 1 - std::pow(h.beta1, double(t));
      s.sqrt_bc2 = std::sqrt(1 - std::pow(h.beta2, double(t)));
      break;
  }
  return s;
}

template <class T>
Optimizer<T>::Optimizer(OptimizerKind kind, const Hyper& hyper, i64 size)
    : kind_(kind), h_(hyper), size_(size) {
  switch (kind) {
    case OptimizerKind::SGD:
      break;
    case OptimizerKind::Momentum:
      s1_.setZero(size);
      break;
    case OptimizerKind::AdaGrad:
      s1_.setConstant(size, T(h_.initial_accumulator_value));
      break;
    case OptimizerKind::RMSprop:
      s1_.setZero(size);
      break;
    case OptimizerKind::Adam:
      s1_.setZero(size);
      s2_.setZero(size);
      break;
  }
}

namespace {

// Runs d_i = rule(i) over all parameters and returns Σ d_i. The simd reduction
// lets the compiler vectorize the sum (and with it sqrt and the division of the
// adaptive rules), which a plain serial `+=` into a double forbids; the loop is
// written twice so the store to diag is not a branch inside it.
template <class T, class Rule>
double sweep(i64 n, T* diag, Rule rule) {
  double dsum = 0;
  if (diag) {
#pragma omp simd reduction(+ : dsum)
    for (i64 i = 0; i < n; ++i) {
      const T d = rule(i);
      diag[i] = d;
      dsum += double(d);
    }
  } else {
#pragma omp simd reduction(+ : dsum)
    for (i64 i = 0; i < n; ++i) dsum += double(rule(i));
  }
  return dsum;
}

}  // namespace

template <class T>
void Optimizer<T>::step(T* theta, const T* g, double lr, T* diag) {
  ++t_;
  const i64 n = size_;
  const T eps = T(h_.eps);
  const StepScalars sc = step_scalars(kind_, h_, t_);
  const T lrT = T(lr / sc.lr_divisor);
  switch (kind_) {
    case OptimizerKind::SGD: {
#pragma omp simd
      for (i64 i = 0; i < n; ++i) theta[i] -= lrT * g[i];
      effective_lr_ = lr;
      if (diag) std::fill(diag, diag + n, T(1));
      return;
    }
    case OptimizerKind::Momentum: {
      const T mu = T(h_.momentum), damp = T(sc.damp);
      const bool first = sc.first, nesterov = h_.nesterov;
      T* b = s1_.data();
#pragma omp simd
      for (i64 i = 0; i < n; ++i)
        elementwise::momentum_step(theta[i], b[i], g[i], lrT, mu, damp, first, nesterov);
      effective_lr_ = lr;
      if (diag) std::fill(diag, diag + n, T(1));
      return;
    }
    case OptimizerKind::AdaGrad: {
      T* s = s1_.data();
      const double dsum =
          sweep(n, diag, [&](i64 i) { return elementwise::adagrad_step(theta[i], s[i], g[i], lrT, eps); });
      effective_lr_ = double(lrT) * dsum / double(n);
      return;
    }
    case OptimizerKind::RMSprop: {
      const T a = T(h_.alpha);
      T* v = s1_.data();
      const double dsum =
          sweep(n, diag, [&](i64 i) { return elementwise::rmsprop_step(theta[i], v[i], g[i], lrT, a, eps); });
      effective_lr_ = lr * dsum / double(n);
      return;
    }
    case OptimizerKind::Adam: {
      const T b1 = T(h_.beta1), b2 = T(h_.beta2), bc1 = T(sc.bc1), sqrt_bc2 = T(sc.sqrt_bc2);
      T* m = s1_.data();
      T* v = s2_.data();
      const double dsum = sweep(n, diag, [&](i64 i) {
        return elementwise::adam_step(theta[i], m[i], v[i], g[i], lrT, b1, b2, bc1, sqrt_bc2, eps);
      });
      effective_lr_ = lr * dsum / double(n);
      return;
    }
  }
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace fastntk
