#include <string>
#include <vector>

#include "bindings.hpp"
#include "fastntk/dynamics.hpp"

namespace fastntk::py_bindings {

namespace {

// What a run saw of the signals: the exception a signal handler raised (Ctrl-C:
// KeyboardInterrupt) is kept, the run stops with status 'interrupted' and what it
// recorded, and Python raises the exception again once the result is built, so that
// a loop of runs stops too. Owned by the binding call, which holds the GIL.
struct SignalSeen {
  bool seen = false;
  py::object error;
};

// Ctrl-C and the user's callback, checked a few times a second from the loop. The
// lambda holds raw pointers only: the core may copy it with the GIL released.
Progress make_progress(PyObject* callback, SignalSeen* signal) {
  return [callback, signal](i64 step, double loss) {
    if (signal->seen) return false;  // one signal stops every run of an ensemble
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      py::error_already_set e;
      signal->error = e.value();
      signal->seen = true;
      return false;
    }
    if (callback != Py_None) {
      py::object keep = py::reinterpret_borrow<py::object>(callback)(step, loss);
      // Any value stops the run by its truth value, as in Python; None goes on.
      if (!keep.is_none() && !py::bool_(keep)) return false;
    }
    return true;
  };
}

// The one conversion of a fastntk.TrainConfig (the frozen dataclass that owns every
// default and check) into the core's struct: its fields are read by name.
TrainConfig config_from(py::handle c) {
  TrainConfig cfg;
  cfg.model = parse_model(c.attr("model").cast<std::string>());
  cfg.loss = parse_loss(c.attr("loss").cast<std::string>());
  cfg.optimizer = parse_optimizer(c.attr("optimizer").cast<std::string>());
  cfg.path = parse_path(c.attr("path").cast<std::string>());
  cfg.lr = c.attr("lr").cast<double>();
  py::object batch = c.attr("batch_size");
  cfg.batch_size = batch.is_none() ? 0 : batch.cast<i64>();
  cfg.shuffle = c.attr("shuffle").cast<bool>();
  cfg.seed = c.attr("seed").cast<std::uint64_t>();
  cfg.stop.tol = c.attr("tol").cast<double>();
  cfg.stop.max_steps = c.attr("max_steps").cast<i64>();
  cfg.stop.record_every = c.attr("record_every").cast<i64>();
  cfg.stop.records_per_decade = c.attr("records_per_decade").cast<i64>();
  py::object record_D = c.attr("record_D");  // False, True or "ends" (TrainConfig checked it)
  cfg.record_D = py::isinstance<py::str>(record_D) ? RecordD::Ends
                 : record_D.cast<bool>()           ? RecordD::Every
                                                   : RecordD::None;
  cfg.stop.divergence_factor = c.attr("divergence_factor").cast<double>();
  py::object rise = c.attr("monotone");
  cfg.stop.rise_tol = rise.is_none() ? -1.0 : rise.cast<double>();
  cfg.stop.progress_seconds = c.attr("progress_seconds").cast<double>();
  py::object layers = c.attr("train_layers");
  if (!layers.is_none()) cfg.train_layers = layers.cast<std::vector<int>>();
  Hyper& h = cfg.hyper;
  h.momentum = c.attr("momentum").cast<double>();
  h.dampening = c.attr("dampening").cast<double>();
  h.nesterov = c.attr("nesterov").cast<bool>();
  h.eps = c.attr("eps").cast<double>();
  h.alpha = c.attr("alpha").cast<double>();
  auto betas = c.attr("betas").cast<std::pair<double, double>>();
  h.beta1 = betas.first;
  h.beta2 = betas.second;
  h.initial_accumulator_value = c.attr("initial_accumulator_value").cast<double>();
  h.lr_decay = c.attr("lr_decay").cast<double>();
  return cfg;
}

template <class T>
CArray<T> to_array(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  CArray<T> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

template <class T>
py::dict to_dict(const TrainResult<T>& r, i64 n_test, i64 outputs, i64 P) {
  py::dict d;
  CArray<T> theta(r.theta.size());
  std::copy(r.theta.data(), r.theta.data() + r.theta.size(), theta.mutable_data());
  d["theta"] = theta;
  d["steps"] = r.steps;
  d["status"] = to_string(r.status);
  d["path"] = to_string(r.path);
  d["max_climb"] = r.max_climb;
  const auto& h = r.history;
  const py::ssize_t k = py::ssize_t(h.step.size());
  py::dict hist;
  hist["step"] = to_array(h.step, {k});
  hist["train_loss"] = to_array(h.train_loss, {k});
  hist["param_distance"] = to_array(h.param_distance, {k});
  hist["max_unit_movement"] = to_array(h.max_unit_movement, {k});
  hist["effective_lr"] = to_array(h.effective_lr, {k});
  if (n_test > 0) hist["test_pred"] = to_array(h.test_pred, {k, py::ssize_t(n_test), py::ssize_t(outputs)});
  if (!h.diag.empty()) hist["D"] = to_array(h.diag, {py::ssize_t(h.diag.size() / P), py::ssize_t(P)});
  d["history"] = hist;
  return d;
}

template <class T>
void register_dtype(py::module_& m) {
  m.def("train", [](const Spec& s, const CArray<T>& theta0, const CArray<T>& x, const CArray<T>& y,
                    const std::optional<CArray<T>>& xt, py::handle config, py::object callback) {
    const TrainConfig cfg = config_from(config);
    require(theta0.ndim() == 1 && theta0.shape(0) == s.num_params(), "theta0: expected shape (P,)");
    require(x.ndim() == 2 && x.shape(1) == s.input_dim(), "X: expected shape (N, d)");
    require(y.size() == x.shape(0) * s.outputs() && y.ndim() <= 2 && y.shape(0) == x.shape(0),
            "Y: expected shape (N,) or (N, k)");
    if (xt) require(xt->ndim() == 2 && xt->shape(1) == s.input_dim(), "X_test: expected shape (N_test, d)");
    const i64 nt = xt ? xt->shape(0) : 0;
    TrainResult<T> r;
    SignalSeen signal;
    const Progress progress = make_progress(callback.ptr(), &signal);
    {
      py::gil_scoped_release release;
      r = train(s, theta0.data(), x.data(), y.data(), x.shape(0), xt ? xt->data() : nullptr, nt, cfg,
                progress);
    }
    py::dict d = to_dict(r, nt, s.outputs(), s.num_params());
    if (signal.seen) d["signal_error"] = signal.error;
    return d;
  });

  m.def("train_many", [](const std::vector<Spec>& specs, const std::vector<CArray<T>>& thetas,
                         const std::vector<py::handle>& configs, const CArray<T>& x,
                         const CArray<T>& y, const std::optional<CArray<T>>& xt, py::object callback,
                         bool single_threaded_blas) {
    require(specs.size() == thetas.size() && specs.size() == configs.size(),
            "runs: specs, thetas and configs must have the same length");
    std::vector<Run<T>> runs;
    for (size_t i = 0; i < specs.size(); ++i) {
      require(thetas[i].ndim() == 1 && thetas[i].shape(0) == specs[i].num_params(),
              "theta0: expected shape (P,) for every run");
      require(specs[i].input_dim() == x.shape(1), "X: expected shape (N, d) for every run");
      runs.push_back(Run<T>{specs[i], thetas[i].data(), config_from(configs[i])});
    }
    require(y.size() == x.shape(0) * (specs.empty() ? 1 : specs.front().outputs()) && y.ndim() <= 2 && y.shape(0) == x.shape(0),
            "Y: expected shape (N,) or (N, k)");
    const i64 nt = xt ? xt->shape(0) : 0;
    std::vector<TrainResult<T>> rs;
    SignalSeen signal;
    const Progress progress = make_progress(callback.ptr(), &signal);
    {
      py::gil_scoped_release release;
      rs = train_many(runs, x.data(), y.data(), x.shape(0), xt ? xt->data() : nullptr, nt, progress,
                      single_threaded_blas);
    }
    py::list out;
    for (size_t i = 0; i < rs.size(); ++i) {
      py::dict d = to_dict(rs[i], nt, specs[i].outputs(), specs[i].num_params());
      if (signal.seen) d["signal_error"] = signal.error;
      out.append(d);
    }
    return out;
  });
}

py::array_t<i64> indices_where(const StepController& c, bool (StepController::*pred)(i64) const) {
  std::vector<i64> out;
  for (i64 r = 0; r < c.runs(); ++r)
    if ((c.*pred)(r)) out.push_back(r);
  return to_array(out, {py::ssize_t(out.size())});
}

}  // namespace

void register_dynamics(py::module_& m) {
  // The core's name tables, which fastntk.config validates against.
  m.attr("OPTIMIZERS") = names(kOptimizers);
  m.attr("ADAPTIVE") = names(kOptimizers, [](OptimizerKind k) { return is_adaptive(k); });
  m.attr("MODELS") = names(kModels);
  m.attr("LOSSES") = names(kLosses);
  py::dict loss_kind;  // a loss's number, the `kind` the element-wise rules (and the CUDA kernels) take
  for (const auto& l : kLosses) loss_kind[l.name] = int(l.value);
  m.attr("LOSS_KIND") = loss_kind;
  py::dict paths;
  for (const auto& model : kModels)
    paths[model.name] = names(kPaths, [&](Path p) { return path_of(model.value, p); });
  m.attr("PATHS") = paths;
  m.def("batch_schedule", [](i64 n, i64 batch_size, bool shuffle, std::uint64_t seed, i64 steps) {
    const i64 width = Batcher(n, batch_size, shuffle, seed).width();
    return to_array(batch_schedule(n, batch_size, shuffle, seed, steps), {steps, width});
  });
  m.def(
      "choose_path",
      [](const std::string& model, const std::string& path, const std::string& optimizer, i64 n, i64 d, i64 P,
         bool all_layers, i64 k) {
        return to_string(choose_path(parse_model(model), parse_path(path), parse_optimizer(optimizer), n, d, P,
                                     all_layers, k));
      },
      py::arg("model"), py::arg("path"), py::arg("optimizer"), py::arg("n"), py::arg("d"), py::arg("P"),
      py::arg("all_layers"), py::arg("k") = 1);
  m.def("check_path", [](const std::string& model, const std::string& path, const std::string& optimizer,
                         bool all_layers) {
    check_path(parse_model(model), parse_path(path), parse_optimizer(optimizer), all_layers);
  });
  // The GPU loop's per-update scalars (optimizers.hpp's step_scalars), the config converted once.
  struct OptimizerRule {
    OptimizerKind kind;
    Hyper hyper;
  };
  py::class_<OptimizerRule>(m, "OptimizerRule")
      .def(py::init([](py::handle config) {
             const TrainConfig c = config_from(config);
             return OptimizerRule{c.optimizer, c.hyper};
           }),
           py::arg("config"))
      // (lr_divisor, first, damp, bc1, sqrt_bc2) of update t = 1, 2, …
      .def("scalars", [](const OptimizerRule& r, i64 t) {
        const StepScalars s = step_scalars(r.kind, r.hyper, t);
        return py::make_tuple(s.lr_divisor, s.first, s.damp, s.bc1, s.sqrt_bc2);
      });
  // The GPU loop's control (step_control.hpp): one call per step or less.
  py::class_<StepController>(m, "StepController")
      .def(py::init([](py::handle config, i64 runs, i64 n) {
             const TrainConfig c = config_from(config);
             return StepController(runs, n, c.batch_size, c.shuffle, c.seed, c.stop);
           }),
           py::arg("config"), py::arg("runs"), py::arg("n"))
      // (rows, needs_full_loss): rows None for the whole training set.
      .def("next_batch", [](StepController& c) {
        const Batch& b = c.next_batch();
        py::object rows = py::none();
        if (!b.full) rows = to_array(std::vector<i64>(b.rows, b.rows + b.count), {py::ssize_t(b.count)});
        return py::make_tuple(rows, !b.full && c.needs_full_loss());
      })
      // The runs that record at this step (those that stop among them).
      .def("judge", [](StepController& c, const CArray<double>& losses, bool known) {
        require(losses.ndim() == 1 && losses.shape(0) == c.runs(), "losses: expected shape (runs,)");
        c.judge(losses.data(), known);
        return indices_where(c, &StepController::records);
      })
      .def("interrupt", [](StepController& c) {
        c.interrupt();
        return indices_where(c, &StepController::records);
      })
      .def("advance", &StepController::advance)
      .def("progress_due", &StepController::progress_due)
      .def("any_active", &StepController::any_active)
      .def("active", [](const StepController& c) {
        py::array_t<bool> out(c.runs());
        for (i64 r = 0; r < c.runs(); ++r) out.mutable_data()[r] = c.active(r);
        return out;
      })
      .def("status", [](const StepController& c, i64 r) {
        require(r >= 0 && r < c.runs(), "r: expected a run number 0 … runs − 1");
        return to_string(c.status(r));
      })
      .def("steps", [](const StepController& c, i64 r) {
        require(r >= 0 && r < c.runs(), "r: expected a run number 0 … runs − 1");
        return c.steps(r);
      })
      .def("max_climb", [](const StepController& c, i64 r) {
        require(r >= 0 && r < c.runs(), "r: expected a run number 0 … runs − 1");
        return c.max_climb(r);
      })
      .def_property_readonly("step", &StepController::step)
      .def_property_readonly("last_loss", &StepController::last_loss);
  register_dtype<float>(m);
  register_dtype<double>(m);
}

}  // namespace fastntk::py_bindings
