#include "fastntk/step_control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace fastntk {

std::string to_string(Status s) {
  switch (s) {
    case Status::Running: return "running";
    case Status::Converged: return "converged";
    case Status::MaxSteps: return "max_steps";
    case Status::Diverged: return "diverged";
    case Status::NotMonotone: return "not monotone";
    case Status::Interrupted: return "interrupted";
  }
  return "?";
}

Batcher::Batcher(i64 n, i64 batch_size, bool shuffle, std::uint64_t seed)
    : n_(n), b_(batch_size <= 0 || batch_size >= n ? n : batch_size), shuffle_(shuffle), rng_(seed), perm_(n) {
  std::iota(perm_.begin(), perm_.end(), i64(0));
}

Batch Batcher::next() {
  const bool epoch_start = pos_ == 0 || pos_ >= n_;
  if (pos_ >= n_) pos_ = 0;
  if (pos_ == 0 && shuffle_) reshuffle();
  Batch b{perm_.data() + pos_, std::min(b_, n_ - pos_), pos_, !shuffle_, b_ == n_, epoch_start};
  pos_ += b.count;
  return b;
}

void Batcher::reshuffle() {
  for (i64 i = n_ - 1; i > 0; --i) std::swap(perm_[i], perm_[rng_() % std::uint64_t(i + 1)]);
}

std::vector<i64> batch_schedule(i64 n, i64 batch_size, bool shuffle, std::uint64_t seed, i64 steps) {
  if (n < 1) throw std::invalid_argument("n: expected an integer >= 1");
  if (steps < 0) throw std::invalid_argument("steps: expected an integer >= 0");
  Batcher batcher(n, batch_size, shuffle, seed);
  const i64 width = batcher.width();
  std::vector<i64> out(checked_mul(steps, width, "steps"), -1);
  for (i64 t = 0; t < steps; ++t) {
    const Batch b = batcher.next();
    std::copy(b.rows, b.rows + b.count, out.begin() + t * width);
  }
  return out;
}

StepController::StepController(i64 runs, i64 n, i64 batch_size, bool shuffle, std::uint64_t seed,
                               const StopRule& rule)
    : rule_(rule), batcher_((n < 1 ? throw std::invalid_argument("X: expected at least one training sample") : n),
                            batch_size, shuffle, seed),
      status_(runs, Status::Running), steps_(runs, 0), records_(runs, 0),
      bound_(runs, std::numeric_limits<double>::infinity()),
      least_(runs, std::numeric_limits<double>::infinity()), climb_(runs, 0.0), last_loss_(std::numeric_limits<double>::quiet_NaN()) {
  if (runs < 1) throw std::invalid_argument("runs: expected an integer >= 1");
  // The settings come checked from fastntk.TrainConfig; this guards the modulo only.
  if (rule.record_every < 1) throw std::invalid_argument("record_every: expected an integer >= 1");
  if (rule.records_per_decade < 0) throw std::invalid_argument("records_per_decade: expected an integer >= 0");
  progress_gap_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(rule.progress_seconds));
  next_progress_ = Clock::now() + progress_gap_;
}

const Batch& StepController::next_batch() {
  batch_ = batcher_.next();
  std::fill(records_.begin(), records_.end(), 0);
  return batch_;
}

bool StepController::record_step(i64 t) const {
  if (t % rule_.record_every == 0) return true;
  if (rule_.records_per_decade == 0) return false;
  // ⌊n·log₁₀ t⌋ > ⌊n·log₁₀ (t − 1)⌋; the 1e-9 keeps a step that is exactly a power 10^(k/n) in its
  // own bin against log10's rounding.
  const double n = double(rule_.records_per_decade);
  const auto bin = [n](i64 s) { return s < 1 ? -1.0 : std::floor(n * std::log10(double(s)) + 1e-9); };
  return bin(t) > bin(t - 1);
}

bool StepController::needs_full_loss() const {
  return batch_.epoch_start || record_step(t_) || t_ == rule_.max_steps;
}

void StepController::judge(const double* losses, bool known) {
  double least = std::numeric_limits<double>::quiet_NaN();
  bool first = true;
  const bool record_now = record_step(t_);  // once a step, not once a run
  for (i64 r = 0; r < runs(); ++r) {
    if (!active(r)) continue;
    const double loss = losses[r];
    Status s = Status::Running;
    if (known) {
      if (first || (std::isfinite(loss) && !(loss >= least))) least = loss;
      first = false;
      if (t_ == 0) bound_[r] = rule_.divergence_factor * std::max(loss, 1.0);
      if (!std::isfinite(loss) || loss > bound_[r]) s = Status::Diverged;
      else if (rule_.rise_tol >= 0 && loss > (1 + rule_.rise_tol) * least_[r]) s = Status::NotMonotone;
      else if (loss < rule_.tol) s = Status::Converged;
      if (std::isfinite(loss) && least_[r] > 0 && std::isfinite(least_[r]))
        climb_[r] = std::max(climb_[r], loss / least_[r] - 1);
      least_[r] = std::min(least_[r], loss);
    }
    if (s == Status::Running && t_ == rule_.max_steps) s = Status::MaxSteps;
    records_[r] = s != Status::Running || record_now;
    if (s != Status::Running) {
      status_[r] = s;
      steps_[r] = t_;
    }
  }
  if (known) last_loss_ = least;
}

bool StepController::any_active() const {
  return std::any_of(status_.begin(), status_.end(), [](Status s) { return s == Status::Running; });
}

void StepController::advance() {
  ++t_;
  std::fill(records_.begin(), records_.end(), 0);
}

bool StepController::progress_due() {
  const auto now = Clock::now();
  if (now < next_progress_) return false;
  next_progress_ = now + progress_gap_;
  return true;
}

void StepController::interrupt() {
  for (i64 r = 0; r < runs(); ++r) {
    records_[r] = active(r);
    if (active(r)) {
      status_[r] = Status::Interrupted;
      steps_[r] = t_;
    }
  }
}

}  // namespace fastntk
