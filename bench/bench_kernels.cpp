// C++ benchmark of the core kernels (no Python): Gram, Jacobian, JVP, VJP, each
// beside the time of the BLAS products it is made of.
//
//   bench_kernels [path/to/libopenblas.so] [N d m L]
//
// The BLAS is dlopen'ed from the path (NumPy's, for the same library the package
// uses); without it Eigen's products are timed. Prints a table and JSON lines.
#include <dlfcn.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fastntk/blas.hpp"
#include "fastntk/gram.hpp"
#include "fastntk/jacobian.hpp"
#include "fastntk/network.hpp"

using namespace fastntk;

template <class F>
double best_seconds(F&& f, int repeat = 5) {
  f();
  double best = 1e30;
  for (int i = 0; i < repeat; ++i) {
    auto t = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return best;
}

template <class T>
void run(const std::string& dtype, i64 n, i64 d, i64 m, int L) {
  std::vector<i64> widths{d};
  for (int l = 1; l < L; ++l) widths.push_back(m);
  widths.push_back(1);
  Spec spec(widths, 1.0, 1.0, Parametrization::NTK, BiasMode::Zero, Activation::ReLU);
  std::mt19937_64 rng(0);
  std::normal_distribution<double> normal;
  std::vector<T> theta(spec.num_params()), x(n * d), v(spec.num_params()), r(n), out(n);
  for (auto& t : theta) t = T(normal(rng));
  for (auto& t : x) t = T(normal(rng) / std::sqrt(double(d)));
  for (auto& t : v) t = T(normal(rng));
  for (auto& t : r) t = T(normal(rng));
  for (int l = 1; l <= L; ++l)
    std::fill(theta.begin() + spec.bias_offset(l), theta.begin() + spec.bias_offset(l) + widths[l], T(0));

  Mat<T> k(n, n);
  const double t_gram = best_seconds([&] {
    Features<T> f;
    features(spec, theta.data(), x.data(), n, f);
    gram(spec, f, static_cast<const Features<T>*>(nullptr), k.data(), n);
  });
  // The same BLAS products alone: forward, backward, and the SYRKs of A and Δ.
  Features<T> f;
  features(spec, theta.data(), x.data(), n, f);
  double t_blas = 0;
  for (int l = 1; l <= L; ++l) {
    const i64 ml = widths[l], mp = widths[l - 1];
    Mat<T> h(n, ml);
    t_blas += best_seconds([&] {
      blas::gemm<T>(blas::Op::N, blas::Op::T, n, ml, mp, T(1), f.primal.input(l - 1), mp,
                    theta.data() + spec.weight_offset(l), mp, T(0), h.data(), ml);
    });
    if (l > 1) {
      Mat<T> g(n, mp);
      t_blas += best_seconds([&] {
        blas::gemm<T>(blas::Op::N, blas::Op::N, n, mp, ml, T(1), f.delta[l - 1].data(), ml,
                      theta.data() + spec.weight_offset(l), mp, T(0), g.data(), mp);
      });
    }
    t_blas += best_seconds([&] {
      blas::syrk_lower<T>(n, mp, T(1), f.primal.input(l - 1), mp, T(0), k.data(), n);
    });
    if (l < L)
      t_blas += best_seconds([&] { blas::syrk_lower<T>(n, ml, T(1), f.delta[l - 1].data(), ml, T(0), k.data(), n); });
  }
  const double t_jvp = best_seconds([&] {
    Primal<T> p;
    forward(spec, theta.data(), x.data(), n, p);
    jvp(spec, theta.data(), p, v.data(), out.data());
  });
  const double t_vjp = best_seconds([&] {
    Primal<T> p;
    forward(spec, theta.data(), x.data(), n, p);
    vjp(spec, theta.data(), p, r.data(), T(1), T(0), v.data());
  });
  // φ of at most 100 rows: N = 1000 would need 13–26 GB.
  const i64 rows = std::min<i64>(n, 100);
  const double bytes = double(rows) * spec.num_params() * sizeof(T);
  std::vector<T> phi(size_t(rows) * spec.num_params());
  const double t_jac = best_seconds([&] { jacobian_rows(spec, f, 0, rows, phi.data()); }, 3);
  const double t_fill = best_seconds([&] { std::fill(phi.begin(), phi.end(), T(1)); }, 3);
  std::printf("%s N=%lld d=%lld m=%lld L=%d: ntk %.2f ms (BLAS products %.2f ms, ratio %.2f) | jvp %.2f ms | "
              "vjp %.2f ms | jacobian (100 rows) %.1f GB/s (fill %.1f GB/s, %.0f%%)\n",
              dtype.c_str(), (long long)n, (long long)d, (long long)m, L, t_gram * 1e3, t_blas * 1e3,
              t_gram / t_blas, t_jvp * 1e3, t_vjp * 1e3, bytes / t_jac / 1e9, bytes / t_fill / 1e9,
              100 * t_fill / t_jac);
  std::printf("{\"dtype\":\"%s\",\"N\":%lld,\"d\":%lld,\"m\":%lld,\"L\":%d,\"ntk_s\":%g,\"blas_s\":%g,"
              "\"jvp_s\":%g,\"vjp_s\":%g,\"jacobian_s\":%g,\"fill_s\":%g}\n",
              dtype.c_str(), (long long)n, (long long)d, (long long)m, L, t_gram, t_blas, t_jvp, t_vjp, t_jac,
              t_fill);
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1) {
    if (!dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) || !blas::load(argv[1]))
      std::fprintf(stderr, "could not load CBLAS from %s; timing Eigen's products\n", argv[1]);
  }
  std::printf("BLAS: %s\n", blas::describe().c_str());
  std::vector<std::array<long long, 4>> sizes{{100, 784, 4000, 2}, {1000, 784, 4096, 2}, {1000, 784, 1024, 3}};
  if (argc > 5) sizes = {{std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]), std::atoll(argv[5])}};
  for (auto s : sizes) {
    run<float>("float32", s[0], s[1], s[2], int(s[3]));
    run<double>("float64", s[0], s[1], s[2], int(s[3]));
  }
  return 0;
}
