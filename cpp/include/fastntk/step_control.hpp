// The control of a training loop, apart from its arithmetic (docs/design.md §2): the
// batch order and epochs, the steps at which the full training loss must be known,
// the stopping rule (tolerance, divergence bound, step cap), each run's status, the
// record cadence and the pacing of progress reports — for R runs trained side by
// side. The CPU loop (dynamics.cpp, R = 1 per run) and the GPU loop
// (python/fastntk/_gpu/train.py, R stacked runs, through the binding) both run over
// this one object, so they stop, record and batch alike by construction.
#pragma once
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fastntk/types.hpp"

namespace fastntk {

enum class Status { Running, Converged, MaxSteps, Diverged, NotMonotone, Interrupted };
std::string to_string(Status s);

// One step's rows.
struct Batch {
  const i64* rows;   // count row numbers
  i64 count;
  i64 start;         // rows are start … start+count−1 when contiguous
  bool contiguous;
  bool full;         // the whole training set
  bool epoch_start;
};

// Batches in fixed order, or reshuffled each epoch by a seeded Fisher–Yates (own
// draw, not std::shuffle, so the order is the same with every library). A batch of
// 0 or ≥ n rows is the full set.
class Batcher {
 public:
  Batcher(i64 n, i64 batch_size, bool shuffle, std::uint64_t seed);
  Batch next();
  i64 width() const { return b_; }

 private:
  void reshuffle();
  i64 n_, b_;
  bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<i64> perm_;
  i64 pos_ = 0;
};

// The rows each step uses: steps × width entries (-1 pads a short last batch).
std::vector<i64> batch_schedule(i64 n, i64 batch_size, bool shuffle, std::uint64_t seed, i64 steps);

// When a run stops and what it records (fastntk.TrainConfig owns the defaults).
struct StopRule {
  double tol = 0;                // converged when the full training loss first drops below
  i64 max_steps = 0;
  i64 record_every = 1;          // and the step at which a run stops
  i64 records_per_decade = 0;    // also at log-spaced steps, this many per decade (0: none), for loss curves
  double divergence_factor = 0;  // loss > factor·max(L₀, 1) or non-finite: diverged
  // With rise_tol = δ ≥ 0, a full training loss above (1 + δ)× the least one known so far ends
  // the run as not monotone — the rule under which runs trained at a fixed rate are compared at
  // equal loss. The full loss is known at every step of a full-batch run, and with mini-batches
  // at the steps needs_full_loss() names; δ > 0 lets through the single-step blips of a ReLU
  // net's activation pattern changing while still catching a loss that climbs. Negative: off.
  double rise_tol = -1;
  double progress_seconds = 0;   // least time between progress reports
};

// A step goes: next_batch(); the runs' outputs and, when the batch is not the full set
// and needs_full_loss(), their full training losses; judge(losses) — afterwards
// records(r) and status(r) say what run r does at this step; the update of the runs
// still active(); advance(). Runs that stop keep their last iterate.
class StepController {
 public:
  StepController(i64 runs, i64 n, i64 batch_size, bool shuffle, std::uint64_t seed, const StopRule& rule);

  const Batch& next_batch();
  // The full loss is needed beyond the batch's own: at an epoch start (the divergence
  // bound comes from step 0, which starts one), a record step or the step cap.
  bool needs_full_loss() const;
  // losses: one per run (stopped runs' entries are ignored); known: whether they are
  // the full training losses (else the stopping rule waits).
  void judge(const double* losses, bool known);
  bool records(i64 r) const { return records_[r] != 0; }
  bool active(i64 r) const { return status_[r] == Status::Running; }
  bool any_active() const;
  Status status(i64 r) const { return status_[r]; }
  i64 steps(i64 r) const { return steps_[r]; }  // the step at which run r stopped
  // The largest relative climb of run r's known full loss above its least so far, max_t L_t/min_{s<t} L_s − 1
  // (0 for a loss that never rose): how far from monotone the run was, whatever rise_tol says.
  double max_climb(i64 r) const { return climb_[r]; }
  i64 step() const { return t_; }
  i64 runs() const { return i64(status_.size()); }
  // The least full training loss of the running runs last known (for progress).
  double last_loss() const { return last_loss_; }
  void advance();
  // Whether step t is a record step: every record_every steps, and with records_per_decade = n > 0 the
  // first step of each 1/n decade too (0, 1, 2, …, the step after which ⌊n·log₁₀ t⌋ rises).
  bool record_step(i64 t) const;
  // Whether a progress report is due now (at most every progress_seconds).
  bool progress_due();
  // Every active run stops as interrupted at the current step; records(r) says which.
  void interrupt();

 private:
  using Clock = std::chrono::steady_clock;
  StopRule rule_;
  Batcher batcher_;
  Batch batch_{};
  i64 t_ = 0;
  std::vector<Status> status_;
  std::vector<i64> steps_;
  std::vector<char> records_;
  std::vector<double> bound_;
  std::vector<double> least_;  // each run's least full loss known so far (rise_tol, max_climb)
  std::vector<double> climb_;
  double last_loss_;
  Clock::duration progress_gap_;
  Clock::time_point next_progress_;
};

}  // namespace fastntk
