// SGD, momentum, AdaGrad, RMSprop and Adam with PyTorch's documented update
// rules, each one fused pass over the parameters and their state.
#pragma once
#include <string>
#include <vector>

#include "fastntk/names.hpp"
#include "fastntk/types.hpp"

namespace fastntk {

enum class OptimizerKind { SGD, Momentum, AdaGrad, RMSprop, Adam };
// "gd" (full batch, checked in Python) and "sgd" are both SGD.
inline constexpr Named<OptimizerKind> kOptimizers[] = {
    {"gd", OptimizerKind::SGD},         {"sgd", OptimizerKind::SGD},         {"momentum", OptimizerKind::Momentum},
    {"adagrad", OptimizerKind::AdaGrad}, {"rmsprop", OptimizerKind::RMSprop}, {"adam", OptimizerKind::Adam}};
OptimizerKind parse_optimizer(const std::string& s);
bool is_adaptive(OptimizerKind k);

// PyTorch's hyper-parameters by its names, converted from fastntk.TrainConfig, which
// owns their defaults (PyTorch's) and resolves eps; the zeros here are no defaults.
struct Hyper {
  double momentum = 0;       // Momentum
  double dampening = 0;      // Momentum
  bool nesterov = false;     // Momentum
  double eps = 0;            // AdaGrad, RMSprop, Adam
  double alpha = 0;          // RMSprop
  double beta1 = 0;          // Adam
  double beta2 = 0;          // Adam
  double initial_accumulator_value = 0;  // AdaGrad
  double lr_decay = 0;       // AdaGrad
};

// The scalars of update t = 1, 2, … that the per-element rules of elementwise.hpp take
// besides lr: AdaGrad's rate divisor 1 + (t − 1)·lr_decay (the rate is lr/divisor, one
// rounding, as PyTorch), momentum's first step (b ← g) and its factor 1 − dampening on g
// after it, Adam's bias corrections 1 − β₁ᵗ and √(1 − β₂ᵗ). Written once for every loop:
// the CPU's Optimizer, the function-space momentum and the GPU's (bound to Python).
struct StepScalars {
  double lr_divisor = 1;
  bool first = false;
  double damp = 1;
  double bc1 = 1;
  double sqrt_bc2 = 1;
};
StepScalars step_scalars(OptimizerKind kind, const Hyper& h, i64 t);

template <class T>
class Optimizer {
 public:
  Optimizer(OptimizerKind kind, const Hyper& hyper, i64 size);
  // θ ← θ − lr·update(g) for step t = 1, 2, …; when diag is given it receives the
  // diagonal D_t of this step (θ_{t+1} = θ_t − lr·D_t·g_t exactly for SGD,
  // AdaGrad, RMSprop and Adam with beta1 = 0; Adam's momentum makes it a proxy).
  void step(T* theta, const T* g, double lr, T* diag = nullptr);
  // The mean of lr·D over the parameters at the last step (lr for plain SGD).
  double effective_lr() const { return effective_lr_; }
  OptimizerKind kind() const { return kind_; }
  i64 steps() const { return t_; }

 private:
  OptimizerKind kind_;
  Hyper h_;
  i64 size_;
  i64 t_ = 0;
  double effective_lr_ = 0;
  Vec<T> s1_, s2_;  // momentum buffer / accumulator / first moment; second moment
};

}  // namespace fastntk
