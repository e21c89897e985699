#include <vector>

#include "bindings.hpp"
#include "fastntk/model.hpp"
#include "fastntk/network.hpp"

namespace fastntk::py_bindings {

void register_model(py::module_& m) {
  // The core's name tables, which fastntk.model validates against; an activation's
  // number is the `kind` the element-wise rules (and the CUDA kernels) take.
  m.attr("PARAMETRIZATIONS") = names(kParametrizations);
  m.attr("BIAS_MODES") = names(kBiasModes);
  m.attr("ACTIVATIONS") = names(kActivations);
  // Each name's number, and its canonical name (the first of its value in the table: "identity" for "linear").
  py::dict kind, canonical;
  for (const auto& a : kActivations) {
    kind[a.name] = int(a.value);
    canonical[a.name] = name_of(kActivations, a.value);
  }
  m.attr("ACTIVATION_KIND") = kind;
  m.attr("CANONICAL_ACTIVATION") = canonical;
  py::class_<Spec>(m, "Spec")
      .def(py::init([](std::vector<i64> widths, double sigma, double sigma_b, const std::string& param,
                       const std::string& bias, const std::string& act) {
             return Spec(std::move(widths), sigma, sigma_b, parse_parametrization(param), parse_bias(bias),
                         parse_activation(act));
           }),
           py::arg("widths"), py::arg("sigma"), py::arg("sigma_b"), py::arg("parametrization"), py::arg("bias"),
           py::arg("activation"))
      .def_readonly("widths", &Spec::widths)
      .def_readonly("sigma", &Spec::sigma)
      .def_readonly("sigma_b", &Spec::sigma_b)
      .def_property_readonly("depth", &Spec::depth)
      .def_property_readonly("num_params", &Spec::num_params)
      .def("weight_offset", &Spec::weight_offset)
      .def("bias_offset", &Spec::bias_offset)
      .def("weight_multiplier", &Spec::weight_multiplier)
      .def("bias_multiplier", &Spec::bias_multiplier)
      .def("forward_block_rows", &forward_block_rows);
}

}  // namespace fastntk::py_bindings
