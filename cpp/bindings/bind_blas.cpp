#include <string>

#include "bindings.hpp"
#include "fastntk/blas.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastntk::py_bindings {

void register_blas(py::module_& m) {
  m.def("blas_load", &blas::load, py::arg("path"),
        "Resolve CBLAS gemm/syrk from an already-loaded library; False if it cannot.");
  m.def("blas_describe", &blas::describe);
  m.def("openmp_threads", []() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 0;
#endif
  });
  m.def("set_openmp_threads", [](int n) {
    require(n >= 1, "threads: expected an integer >= 1");
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
  });
  m.attr("has_openmp") =
#ifdef _OPENMP
      true;
#else
      false;
#endif
}

}  // namespace fastntk::py_bindings
