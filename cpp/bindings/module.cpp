#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastntk compiled core (use the fastntk package, not this module)";
  using namespace fastntk::py_bindings;
  register_blas(m);
  register_model(m);
  register_kernels(m);
  register_dynamics(m);
}
