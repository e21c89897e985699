// The binding layer: shapes in, arrays out, GIL released. No mathematics here.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "fastntk/names.hpp"

namespace fastntk::py_bindings {

namespace py = pybind11;

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

// Sizes are checked in Python with the argument names the user knows; these
// guard the core against a caller that skipped them.
inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

// A kernel's forward pass met a non-finite pre-activation or output (Primal::finite):
// Python then names the cause (a NaN/Inf in θ or an input, or an overflow).
struct NonFiniteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void require_finite_pass(bool finite) {
  if (!finite) throw NonFiniteError("non-finite activations in the forward pass");
}

// The names of a core table (names.hpp) as a tuple, those whose value passes `keep`.
template <class E, std::size_t N, class Keep>
py::tuple names(const Named<E> (&table)[N], Keep keep) {
  py::list out;
  for (const auto& entry : table)
    if (keep(entry.value)) out.append(entry.name);
  return py::tuple(out);
}
template <class E, std::size_t N>
py::tuple names(const Named<E> (&table)[N]) {
  return names(table, [](E) { return true; });
}

void register_blas(py::module_& m);
void register_model(py::module_& m);
void register_kernels(py::module_& m);
void register_dynamics(py::module_& m);

}  // namespace fastntk::py_bindings
