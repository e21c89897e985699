// Training of the network and of its linearization around θ₀ (docs/design.md §2):
// one call runs a whole run, with no Python work per step.
//
// Loss L_B(θ) = (1/2|B|)‖f(X_B) − Y_B‖² (f and Y of |B| × k), update θ_{t+1} = θ_t − η D_t g_t.
// The network is iterated in parameter space, its first layer in the row space of
// X when that saves work (SGD, momentum, N < d: Path::RowSpace).
// The linearization f_lin(x) = f₀(x) + φ₀(x)(θ − θ₀) is iterated in the cheapest
// exact space: function space (coefficients c with θ − θ₀ = φ₀ᵀc) when D = 1,
// parameter space otherwise (matrix-free from the cached θ₀ activations and
// backward vectors — jvp_features/vjp_features — or over a materialized φ₀ when
// that is smaller).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fastntk/model.hpp"
#include "fastntk/names.hpp"
#include "fastntk/optimizers.hpp"
#include "fastntk/step_control.hpp"
#include "fastntk/types.hpp"

namespace fastntk {

enum class ModelKind { Network, Linearized };
inline constexpr Named<ModelKind> kModels[] = {{"network", ModelKind::Network}, {"linearized", ModelKind::Linearized}};
// The training loss, averaged over the samples and summed over a sample's k outputs:
// squared ½(f − y)², logistic (two-class cross-entropy, per output) log(1 + e^{−ỹf}) with
// ỹ = +1 for y > 0 and −1 otherwise (labels {0, 1} or ±1), or cross-entropy, the softmax
// over the k ≥ 2 outputs against one-hot targets, −Σ_a y_a log softmax(f)_a.
enum class LossKind { Squared = 0, Logistic = 1, CrossEntropy = 2 };  // the kind of elementwise::loss_term
inline constexpr Named<LossKind> kLosses[] = {
    {"squared", LossKind::Squared}, {"logistic", LossKind::Logistic}, {"cross_entropy", LossKind::CrossEntropy}};
// How a run is iterated. The network: Direct (every layer's products with its
// weights) or RowSpace (W¹(t) = W¹(0) + C(t)X, exact for SGD and momentum, which
// keep every first-layer update in the row space of X: the first layer then costs
// N²m₁ a step instead of N·d·m₁). The linearization: FunctionSpace, MatrixFree or
// Materialized (see the top of this file).
enum class Path { Auto, FunctionSpace, MatrixFree, Materialized, Direct, RowSpace };
inline constexpr Named<Path> kPaths[] = {{"auto", Path::Auto},         {"function", Path::FunctionSpace},
                                         {"matrix-free", Path::MatrixFree}, {"materialized", Path::Materialized},
                                         {"direct", Path::Direct},       {"row-space", Path::RowSpace}};
// Whether `p` is a path of `model` (Auto is either's).
bool path_of(ModelKind model, Path p);

ModelKind parse_model(const std::string& s);
LossKind parse_loss(const std::string& s);
Path parse_path(const std::string& s);
std::string to_string(Path p);

// The path a run takes: `requested` unless it is Auto, else the cheapest exact one for
// the model, optimizer and shape (d: input dimension, P: parameters; all_layers:
// whether every layer trains). One rule for both backends.
// k: the outputs (the materialized φ₀ has N·k rows).
Path choose_path(ModelKind model, Path requested, OptimizerKind optimizer, i64 n, i64 d, i64 P, bool all_layers,
                 i64 k = 1);
// invalid_argument, naming what is wrong, unless `path` (Auto or chosen) can train `model`
// exactly with `optimizer` (and with a subset of the layers when !all_layers): the one
// statement of which path is exact for what, for fastntk.TrainConfig and the loop.
void check_path(ModelKind model, Path path, OptimizerKind optimizer, bool all_layers);

// Which D_t a run keeps: none, every update's (updates × P), or two rows (Ends): per
// coordinate D_t at the first update that a gradient above eps had reached it (D_t < 1/(2·eps);
// before, D_t is eps's value, 1/(√0 + eps), not the method's), and at the last update. For
// AdaGrad, whose D_t falls monotonically per coordinate, the two bound its whole path.
enum class RecordD { None, Every, Ends };

// A run's settings, converted from fastntk.TrainConfig, which owns every default and
// check (the binding's config_from is the one conversion); the zeros here are no defaults.
struct TrainConfig {
  ModelKind model = ModelKind::Network;
  LossKind loss = LossKind::Squared;
  OptimizerKind optimizer = OptimizerKind::SGD;
  Hyper hyper;
  double lr = 0;             // > 0
  i64 batch_size = 0;        // 0: full batch
  bool shuffle = false;      // reshuffle the rows every epoch
  std::uint64_t seed = 0;    // of the shuffling
  StopRule stop;             // tolerance, step cap, record cadence, divergence bound, progress pacing
  RecordD record_D = RecordD::None;
  Path path = Path::Auto;
  // The layers l (1 … L) whose W^l and b^l are trained; empty: all. The others stay at
  // θ₀ (004 trains only the hidden layer); effective_lr is then the mean over the
  // trained parameters. Not for the function-space and row-space paths.
  std::vector<int> train_layers;
};

template <class T>
struct History {
  std::vector<i64> step;
  std::vector<double> train_loss, param_distance, max_unit_movement, effective_lr;
  std::vector<T> test_pred;  // records × N_test × k
  std::vector<T> diag;       // updates × P (record_D Every), 2 × P (Ends: first reached, last)
};

template <class T>
struct TrainResult {
  Vec<T> theta;
  i64 steps = 0;
  Status status = Status::MaxSteps;
  Path path = Path::Auto;  // the path used
  double max_climb = 0;    // StepController::max_climb
  History<T> history;
};

// Called at most every stop.progress_seconds with (step, last full training loss);
// returning false stops the run with status Interrupted.
using Progress = std::function<bool(i64, double)>;

template <class T>
TrainResult<T> train(const Spec& spec, const T* theta0, const T* x, const T* y, i64 n,
                     const T* x_test, i64 n_test, const TrainConfig& config,
                     const Progress& progress = nullptr);

// One member of an ensemble: its network (σ may differ), θ₀ and settings.
template <class T>
struct Run {
  Spec spec;
  const T* theta0;
  TrainConfig config;
};

// Independent runs on the same data, side by side (OpenMP across runs, each
// run's products single-threaded: through the BLAS when the caller has limited it
// to one thread, through Eigen otherwise). progress is called under a lock.
template <class T>
std::vector<TrainResult<T>> train_many(const std::vector<Run<T>>& runs, const T* x, const T* y,
                                       i64 n, const T* x_test, i64 n_test,
                                       const Progress& progress = nullptr,
                                       bool single_threaded_blas = false);

}  // namespace fastntk
