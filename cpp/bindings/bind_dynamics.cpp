#include <string>
#include <vector>

#include "bindings.hpp"
#include "fastntk/dynamics.hpp"

namespace fastntk::py_bindings {

namespace {

// Ctrl-C and the user's callback, checked a few times a second from the loop.
Progress make_progress(py::object callback) {
  return [callback](i64 step, double loss) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();  // reported as status 'interrupted', with what was recorded
      return false;
    }
    if (!callback.is_none()) {
      py::object keep = callback(step, loss);
      if (!keep.is_none() && !keep.cast<bool>()) return false;
    }
    return true;
  };
}

template <class T>
CArray<T> to_array(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  CArray<T> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

template <class T>
py::dict to_dict(const TrainResult<T>& r, i64 n_test, i64 P) {
  py::dict d;
  CArray<T> theta(r.theta.size());
  std::copy(r.theta.data(), r.theta.data() + r.theta.size(), theta.mutable_data());
  d["theta"] = theta;
  d["steps"] = r.steps;
  d["status"] = to_string(r.status);
  d["path"] = to_string(r.path);
  const auto& h = r.history;
  const py::ssize_t k = py::ssize_t(h.step.size());
  py::dict hist;
  hist["step"] = to_array(h.step, {k});
  hist["train_loss"] = to_array(h.train_loss, {k});
  hist["param_distance"] = to_array(h.param_distance, {k});
  hist["max_unit_movement"] = to_array(h.max_unit_movement, {k});
  hist["effective_lr"] = to_array(h.effective_lr, {k});
  if (n_test > 0) hist["test_pred"] = to_array(h.test_pred, {k, py::ssize_t(n_test)});
  if (!h.diag.empty()) hist["D"] = to_array(h.diag, {py::ssize_t(h.diag.size() / P), py::ssize_t(P)});
  d["history"] = hist;
  return d;
}

template <class T>
void register_dtype(py::module_& m) {
  m.def("train", [](const Spec& s, const CArray<T>& theta0, const CArray<T>& x, const CArray<T>& y,
                    const std::optional<CArray<T>>& xt, const TrainConfig& cfg, py::object callback) {
    require(theta0.ndim() == 1 && theta0.shape(0) == s.num_params(), "theta0: expected shape (P,)");
    require(x.ndim() == 2 && x.shape(1) == s.input_dim(), "X: expected shape (N, d)");
    require(y.ndim() == 1 && y.shape(0) == x.shape(0), "Y: expected shape (N,)");
    if (xt) require(xt->ndim() == 2 && xt->shape(1) == s.input_dim(), "X_test: expected shape (N_test, d)");
    const i64 nt = xt ? xt->shape(0) : 0;
    TrainResult<T> r;
    {
      py::gil_scoped_release release;
      r = train(s, theta0.data(), x.data(), y.data(), x.shape(0), xt ? xt->data() : nullptr, nt, cfg,
                make_progress(callback));
    }
    return to_dict(r, nt, s.num_params());
  });

  m.def("train_many", [](const std::vector<Spec>& specs, const std::vector<CArray<T>>& thetas,
                         const std::vector<TrainConfig>& configs, const CArray<T>& x,
                         const CArray<T>& y, const std::optional<CArray<T>>& xt, py::object callback,
                         bool single_threaded_blas) {
    require(specs.size() == thetas.size() && specs.size() == configs.size(),
            "runs: specs, thetas and configs must have the same length");
    std::vector<Run<T>> runs;
    for (size_t i = 0; i < specs.size(); ++i) {
      require(thetas[i].ndim() == 1 && thetas[i].shape(0) == specs[i].num_params(),
              "theta0: expected shape (P,) for every run");
      require(specs[i].input_dim() == x.shape(1), "X: expected shape (N, d) for every run");
      runs.push_back(Run<T>{specs[i], thetas[i].data(), configs[i]});
    }
    require(y.ndim() == 1 && y.shape(0) == x.shape(0), "Y: expected shape (N,)");
    const i64 nt = xt ? xt->shape(0) : 0;
    std::vector<TrainResult<T>> rs;
    {
      py::gil_scoped_release release;
      rs = train_many(runs, x.data(), y.data(), x.shape(0), xt ? xt->data() : nullptr, nt,
                      make_progress(callback), single_threaded_blas);
    }
    py::list out;
    for (size_t i = 0; i < rs.size(); ++i) out.append(to_dict(rs[i], nt, specs[i].num_params()));
    return out;
  });
}

}  // namespace

void register_dynamics(py::module_& m) {
  py::class_<Hyper>(m, "Hyper")
      .def(py::init<>())
      .def_readwrite("momentum", &Hyper::momentum)
      .def_readwrite("dampening", &Hyper::dampening)
      .def_readwrite("nesterov", &Hyper::nesterov)
      .def_readwrite("eps", &Hyper::eps)
      .def_readwrite("alpha", &Hyper::alpha)
      .def_readwrite("beta1", &Hyper::beta1)
      .def_readwrite("beta2", &Hyper::beta2)
      .def_readwrite("initial_accumulator_value", &Hyper::initial_accumulator_value)
      .def_readwrite("lr_decay", &Hyper::lr_decay);
  py::class_<TrainConfig>(m, "TrainConfig")
      .def(py::init<>())
      .def_property("model", [](const TrainConfig&) { return py::none(); },
                    [](TrainConfig& c, const std::string& s) { c.model = parse_model(s); })
      .def_property("optimizer", [](const TrainConfig&) { return py::none(); },
                    [](TrainConfig& c, const std::string& s) { c.optimizer = parse_optimizer(s); })
      .def_property("path", [](const TrainConfig& c) { return to_string(c.path); },
                    [](TrainConfig& c, const std::string& s) { c.path = parse_path(s); })
      .def_readwrite("hyper", &TrainConfig::hyper)
      .def_readwrite("lr", &TrainConfig::lr)
      .def_readwrite("batch_size", &TrainConfig::batch_size)
      .def_readwrite("shuffle", &TrainConfig::shuffle)
      .def_readwrite("seed", &TrainConfig::seed)
      .def_readwrite("tol", &TrainConfig::tol)
      .def_readwrite("max_steps", &TrainConfig::max_steps)
      .def_readwrite("record_every", &TrainConfig::record_every)
      .def_readwrite("record_D", &TrainConfig::record_D)
      .def_readwrite("divergence_factor", &TrainConfig::divergence_factor)
      .def_readwrite("progress_seconds", &TrainConfig::progress_seconds)
      .def_readwrite("train_layers", &TrainConfig::train_layers);
  m.def("batch_schedule", [](i64 n, i64 batch_size, bool shuffle, std::uint64_t seed, i64 steps) {
    const i64 width = batch_size <= 0 || batch_size >= n ? n : batch_size;
    return to_array(batch_schedule(n, batch_size, shuffle, seed, steps), {steps, width});
  });
  register_dtype<float>(m);
  register_dtype<double>(m);
}

}  // namespace fastntk::py_bindings
