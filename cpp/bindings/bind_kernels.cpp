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
void check_x(const Spec& s, const CArray<T>& x) {
  require(x.ndim() == 2 && x.shape(1) == s.input_dim(), "X: expected shape (N, d)");
}

template <class T>
void check_theta(const Spec& s, const CArray<T>& theta) {
  require(theta.ndim() == 1 && theta.shape(0) == s.num_params(), "theta: expected shape (P,) with P = num_params");
}

template <class T>
void check_batch(const Spec& s, const CArray<T>& theta, const CArray<T>& x) {
  check_theta(s, theta);
  check_x(s, x);
}

// θ as the caller passes it: one flat (P,) array, or the per-layer arrays [W¹, b¹, …, W^L, b^L]
// ([W¹, …, W^L] without biases), each checked against the network and read in place, so that
// parameters kept as one array per layer are not concatenated into a copy of θ; `keep` holds
// the arrays while they are used.
template <class T>
Params<T> params_from(const Spec& s, const py::object& theta, std::vector<CArray<T>>& keep) {
  if (!py::isinstance<py::list>(theta) && !py::isinstance<py::tuple>(theta)) {
    keep.push_back(theta.cast<CArray<T>>());
    check_theta(s, keep.back());
    return Params<T>(s, keep.back().data());
  }
  const int L = s.depth(), per = s.has_bias() ? 2 : 1;
  const auto layers = theta.cast<py::sequence>();
  require(static_cast<int>(layers.size()) == per * L,
          "theta: expected the per-layer arrays [W1, b1, …] (" + std::to_string(per * L) + " arrays)");
  std::vector<const T*> w, b;
  for (int l = 1; l <= L; ++l) {
    keep.push_back(layers[per * (l - 1)].template cast<CArray<T>>());
    require(keep.back().ndim() == 2 && keep.back().shape(0) == s.widths[l] && keep.back().shape(1) == s.widths[l - 1],
            "theta: W" + std::to_string(l) + " of shape (m_l, m_{l-1}) expected");
    w.push_back(keep.back().data());
    if (per == 1) {
      b.push_back(nullptr);
      continue;
    }
    keep.push_back(layers[per * (l - 1) + 1].template cast<CArray<T>>());
    require(keep.back().ndim() == 1 && keep.back().shape(0) == s.widths[l],
            "theta: b" + std::to_string(l) + " of shape (m_l,) expected");
    b.push_back(keep.back().data());
  }
  return Params<T>(std::move(w), std::move(b));
}

template <class T>
py::array_t<T> owned_array(Mat<T>&& m) {
  auto* heap = new Mat<T>(std::move(m));
  py::capsule owner(heap, [](void* p) { delete static_cast<Mat<T>*>(p); });
  return py::array_t<T>({heap->rows(), heap->cols()}, heap->data(), owner);
}

// A block's features as NumPy arrays (x, [A_1 … A_{L−1}], [Δ^1 … Δ^{L−1}]) checked
// against the network and read in place; `keep` holds the arrays while they are used.
template <class T>
FeatureRefs<T> refs_from(const Spec& s, const py::tuple& block, const char* name,
                         std::vector<CArray<T>>& keep) {
  const int L = s.depth();
  require(block.size() == 3, std::string(name) + ": expected (x, hidden, delta) from features()");
  auto x = block[0].cast<CArray<T>>();
  require(x.ndim() == 2 && x.shape(1) == s.input_dim(), std::string(name) + ": x of shape (N, d) expected");
  FeatureRefs<T> r;
  r.n = x.shape(0);
  keep.push_back(x);
  r.input.push_back(keep.back().data());
  auto hidden = block[1].cast<py::sequence>(), delta = block[2].cast<py::sequence>();
  require(static_cast<int>(hidden.size()) == L - 1 && static_cast<int>(delta.size()) == L - 1,
          std::string(name) + ": expected L − 1 hidden and delta arrays");
  auto take = [&](const py::sequence& arrays, int l, i64 rows) {
    auto a = arrays[l - 1].template cast<CArray<T>>();
    require(a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == s.widths[l],
            std::string(name) + ": a hidden or delta array of the wrong shape");
    keep.push_back(a);
    return keep.back().data();
  };
  for (int l = 1; l < L; ++l) {
    r.input.push_back(take(hidden, l, r.n));
    r.delta.push_back(take(delta, l, r.n * s.outputs()));
  }
  return r;
}

template <class T>
CArray<T> ntk_features_impl(const Spec& s, const py::tuple& a, const std::optional<py::tuple>& b,
                            i64 tile) {
  std::vector<CArray<T>> keep;
  const FeatureRefs<T> ra = refs_from<T>(s, a, "a", keep);
  std::optional<FeatureRefs<T>> rb;
  if (b) rb = refs_from<T>(s, *b, "b", keep);
  CArray<T> out({ra.n, rb ? rb->n : ra.n});
  {
    py::gil_scoped_release release;
    gram(s, ra, rb ? &*rb : nullptr, out.mutable_data(), rb ? rb->n : ra.n, tile);
  }
  return out;
}

template <class T>
void register_dtype(py::module_& m) {
  m.def("forward", [](const Spec& s, const py::object& theta_arg, const CArray<T>& x) {
    std::vector<CArray<T>> keep;
    const Params<T> theta = params_from<T>(s, theta_arg, keep);
    check_x(s, x);
    CArray<T> out({x.shape(0), s.outputs()});
    {
      py::gil_scoped_release release;
      require_finite_pass(forward_outputs(s, theta, x.data(), x.shape(0), out.mutable_data()));
    }
    return out;
  });

  m.def("jacobian", [](const Spec& s, const py::object& theta_arg, const CArray<T>& x) {
    std::vector<CArray<T>> keep;
    const Params<T> theta = params_from<T>(s, theta_arg, keep);
    check_x(s, x);
    const i64 n = x.shape(0) * s.outputs();  // rows of φ: one per sample and output
    CArray<T> out({n, s.num_params()});
    {
      py::gil_scoped_release release;
      Features<T> f;
      features(s, theta, x.data(), x.shape(0), f);
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
      [](const Spec& s, const py::object& theta_arg, const CArray<T>& x1,
         const std::optional<CArray<T>>& x2, i64 tile, bool full) {
        std::vector<CArray<T>> keep;
        const Params<T> theta = params_from<T>(s, theta_arg, keep);
        check_x(s, x1);
        if (x2) check_x(s, *x2);
        const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1, k = s.outputs();
        CArray<T> out(full ? std::vector<py::ssize_t>{n1, n2, k, k} : std::vector<py::ssize_t>{n1, n2});
        {
          py::gil_scoped_release release;
          Features<T> fa, fb;
          features(s, theta, x1.data(), n1, fa, !full);
          require_finite_pass(fa.primal.finite);
          if (x2) features(s, theta, x2->data(), n2, fb, !full);
          if (x2) require_finite_pass(fb.primal.finite);
          if (full) gram_blocks(s, fa, x2 ? &fb : nullptr, out.mutable_data(), tile);
          else gram(s, fa, x2 ? &fb : nullptr, out.mutable_data(), n2, tile);
        }
        return out;
      },
      py::arg("spec"), py::arg("theta"), py::arg("x1"), py::arg("x2"), py::arg("tile"), py::arg("full") = false);

  m.def(
      "features",
      [](const Spec& s, const py::object& theta_arg, const CArray<T>& x) {
        std::vector<CArray<T>> keep;
        const Params<T> theta = params_from<T>(s, theta_arg, keep);
        check_x(s, x);
        Features<T> f;
        {
          py::gil_scoped_release release;
          features(s, theta, x.data(), x.shape(0), f);
          require_finite_pass(f.primal.finite);
        }
        py::list hidden, delta;
        for (int l = 1; l < s.depth(); ++l) {
          hidden.append(owned_array(std::move(f.primal.hidden[l - 1])));
          delta.append(owned_array(std::move(f.delta[l - 1])));
        }
        return py::make_tuple(x, hidden, delta);
      },
      py::arg("spec"), py::arg("theta"), py::arg("x"));

  m.def("adaptive_ntk", [](const Spec& s, const CArray<T>& theta, const CArray<T>& x1,
                           const std::optional<CArray<T>>& x2, const CArray<T>& d,
                           i64 max_bytes) {
    check_batch(s, theta, x1);
    if (x2) check_batch(s, theta, *x2);
    require(d.ndim() == 1 && d.shape(0) == s.num_params(), "d: expected shape (P,)");
    const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1, k = s.outputs();
    CArray<T> out({n1 * k, n2 * k});  // rows and columns as φ's: (sample, output)
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
    CArray<T> out({x.shape(0), s.outputs()});
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
    require(r.ndim() == 2 && r.shape(0) == x.shape(0) && r.shape(1) == s.outputs(), "r: expected shape (N, k)");
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
      [](const Spec& s, const CArray<double>& x1, const std::optional<CArray<double>>& x2,
         bool want_nngp, bool want_ntk, i64 tile) {
        require(x1.ndim() == 2 && x1.shape(1) == s.input_dim(), "X1: expected shape (N1, d)");
        if (x2) require(x2->ndim() == 2 && x2->shape(1) == s.input_dim(), "X2: expected shape (N2, d)");
        const i64 n1 = x1.shape(0), n2 = x2 ? x2->shape(0) : n1;
        py::object nngp = py::none(), ntk = py::none();
        CArray<double> a(want_nngp ? std::vector<py::ssize_t>{n1, n2} : std::vector<py::ssize_t>{0});
        CArray<double> b(want_ntk ? std::vector<py::ssize_t>{n1, n2} : std::vector<py::ssize_t>{0});
        {
          py::gil_scoped_release release;
          infinite_kernels(s, x1.data(), n1, x2 ? x2->data() : nullptr, n2,
                           want_nngp ? a.mutable_data() : nullptr, want_ntk ? b.mutable_data() : nullptr, tile);
        }
        if (want_nngp) nngp = a;
        if (want_ntk) ntk = b;
        return py::make_tuple(nngp, ntk);
      },
      py::arg("spec"), py::arg("x1"), py::arg("x2"), py::arg("want_nngp"),
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
  // One entry for both dtypes: the blocks are tuples, so pybind's overloads cannot tell them apart.
  m.def(
      "ntk_features",
      [](const Spec& s, const py::tuple& a, const std::optional<py::tuple>& b, i64 tile) -> py::object {
        require(a.size() == 3, "a: expected (x, hidden, delta) from features()");
        const auto dtype = py::array::ensure(a[0]).dtype();
        if (dtype.is(py::dtype::of<float>())) return ntk_features_impl<float>(s, a, b, tile);
        require(dtype.is(py::dtype::of<double>()), "a: expected float32 or float64 features");
        return ntk_features_impl<double>(s, a, b, tile);
      },
      py::arg("spec"), py::arg("a"), py::arg("b"), py::arg("tile"));
}

}  // namespace fastntk::py_bindings
