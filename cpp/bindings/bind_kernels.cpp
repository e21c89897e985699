#include <optional>

#include "bindings.hpp"
#include "fastntk/cancel.hpp"
#include "fastntk/gram.hpp"
#include "fastntk/infinite.hpp"
#include "fastntk/jacobian.hpp"
#include "fastntk/network.hpp"

namespace fastntk::py_bindings {

namespace {

template <class T>
void check_batch(const Spec& s, const CArray<T>& theta, const CArray<T>& x) {
  require(theta.ndim() == 1 && theta.shape(0) == s.num_params(),
          "theta: expected shape (P,) with P = num_params");
  require(x.ndim() == 2 && x.shape(1) == s.input_dim(), "X: expected shape (N, d)");
}

template <class T>
void register_dtype(py::module_& m) {
  m.def("forward", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x) {
    check_batch(s, theta, x);
    CArray<T> out(x.shape(0));
    {
      py::gil_scoped_release release;
      Primal<T> p;
      forward(s, theta.data(), x.data(), x.shape(0), p);
      require_finite_pass(p.finite);
      std::copy(p.f.data(), p.f.data() + p.n, out.mutable_data());
    }
    return out;
  });

  m.def("jacobian", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x) {
    check_batch(s, theta, x);
    const i64 n = x.shape(0);
    CArray<T> out({n, s.num_params()});
    {
      py::gil_scoped_release release;
      Features<T> f;
      features(s, theta.data(), x.data(), n, f);
      require_finite_pass(f.primal.finite);
      // In blocks of rows, so that a cancel request is seen between them.
      const i64 block = std::max<i64>(1, (i64(1) << 24) / std::max<i64>(1, s.num_params()));
      for (i64 r0 = 0; r0 < n; r0 += block) {
        check_cancel();
        jacobian_rows(s, f, r0, std::min(n, r0 + block), out.mutable_data() + r0 * s.num_params());
      }
    }
    return out;
  });

  m.def(
      "ntk",
      [](const Spec& s, const CArray<T>& theta, const CArray<T>& x1,
         const std::optional<CArray<T>>& x2, i64 tile) {
        check_batch(s, theta, x1);
        if (x2) check_batch(s, theta, *x2);
        const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1;
        CArray<T> out({n1, n2});
        {
          py::gil_scoped_release release;
          Features<T> fa, fb;
          features(s, theta.data(), x1.data(), n1, fa);
          require_finite_pass(fa.primal.finite);
          if (x2) features(s, theta.data(), x2->data(), n2, fb);
          if (x2) require_finite_pass(fb.primal.finite);
          gram(s, fa, x2 ? &fb : nullptr, out.mutable_data(), n2, tile);
        }
        return out;
      },
      py::arg("spec"), py::arg("theta"), py::arg("x1"), py::arg("x2"), py::arg("tile"));

  m.def("adaptive_ntk", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x1,
                           const std::optional<CArray<T>>& x2, const CArray<T>& d,
                           i64 max_bytes) {
    check_batch(s, theta, x1);
    if (x2) check_batch(s, theta, *x2);
    require(d.ndim() == 1 && d.shape(0) == s.num_params(), "d: expected shape (P,)");
    const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1;
    CArray<T> out({n1, n2});
    {
      py::gil_scoped_release release;
      Features<T> fa, fb;
      features(s, theta.data(), x1.data(), n1, fa);
      require_finite_pass(fa.primal.finite);
      if (x2) features(s, theta.data(), x2->data(), n2, fb);
      if (x2) require_finite_pass(fb.primal.finite);
      adaptive_gram(s, fa, x2 ? &fb : nullptr, d.data(), out.mutable_data(), max_bytes);
    }
    return out;
  });

  m.def("jvp", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x, const CArray<T>& v) {
    check_batch(s, theta, x);
    require(v.ndim() == 1 && v.shape(0) == s.num_params(), "v: expected shape (P,)");
    CArray<T> out(x.shape(0));
    {
      py::gil_scoped_release release;
      Primal<T> p;
      forward(s, theta.data(), x.data(), x.shape(0), p);
      require_finite_pass(p.finite);
      jvp(s, theta.data(), p, v.data(), out.mutable_data());
    }
    return out;
  });

  m.def("vjp", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x, const CArray<T>& r) {
    check_batch(s, theta, x);
    require(r.ndim() == 1 && r.shape(0) == x.shape(0), "r: expected shape (N,)");
    CArray<T> out(s.num_params());
    {
      py::gil_scoped_release release;
      Primal<T> p;
      forward(s, theta.data(), x.data(), x.shape(0), p);
      require_finite_pass(p.finite);
      vjp(s, theta.data(), p, r.data(), T(1), T(0), out.mutable_data());
    }
    return out;
  });
}

}  // namespace

void register_infinite(py::module_& m) {
  m.def(
      "infinite_kernels",
      [](const Spec& s, double sigma_b, const CArray<double>& x1, const std::optional<CArray<double>>& x2,
         bool want_nngp, bool want_ntk, i64 tile) {
        require(x1.ndim() == 2 && x1.shape(1) == s.input_dim(), "X1: expected shape (N1, d)");
        if (x2) require(x2->ndim() == 2 && x2->shape(1) == s.input_dim(), "X2: expected shape (N2, d)");
        const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1;
        py::object nngp = py::none(), ntk = py::none();
        CArray<double> a(want_nngp ? std::vector<py::ssize_t>{n1, n2} : std::vector<py::ssize_t>{0});
        CArray<double> b(want_ntk ? std::vector<py::ssize_t>{n1, n2} : std::vector<py::ssize_t>{0});
        {
          py::gil_scoped_release release;
          infinite_kernels(s, sigma_b, x1.data(), n1, x2 ? x2->data() : nullptr, n2,
                           want_nngp ? a.mutable_data() : nullptr, want_ntk ? b.mutable_data() : nullptr, tile);
        }
        if (want_nngp) nngp = a;
        if (want_ntk) ntk = b;
        return py::make_tuple(nngp, ntk);
      },
      py::arg("spec"), py::arg("sigma_b"), py::arg("x1"), py::arg("x2"), py::arg("want_nngp"),
      py::arg("want_ntk"), py::arg("tile"));
}

void register_kernels(py::module_& m) {
  register_infinite(m);
  py::register_exception<NonFiniteError>(m, "NonFiniteError", PyExc_ValueError);
  py::register_exception<Cancelled>(m, "Cancelled", PyExc_KeyboardInterrupt);
  m.def("request_cancel", &request_cancel, "Ask running kernels to stop at their next tile (Ctrl-C).");
  m.def("clear_cancel", &clear_cancel);
  register_dtype<float>(m);
  register_dtype<double>(m);
}

}  // namespace fastntk::py_bindings
