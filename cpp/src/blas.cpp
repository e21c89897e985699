#include "fastntk/blas.hpp"

#include <dlfcn.h>

#include <Eigen/Core>
#include <climits>
#include <stdexcept>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastntk::blas {
namespace {

// CBLAS enum values are fixed by the reference interface.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112, kLower = 122;

template <class I, class T>
using GemmFn = void (*)(int, int, int, I, I, I, T, const T*, I, const T*, I, T, T*, I);
template <class I, class T>
using SyrkFn = void (*)(int, int, int, I, I, T, const T*, I, T, T*, I);

struct Table {
  bool ilp64 = false;
  void* sgemm = nullptr;
  void* dgemm = nullptr;
  void* ssyrk = nullptr;
  void* dsyrk = nullptr;
  std::string name = "Eigen (no CBLAS found)";
  bool ok() const { return sgemm && dgemm && ssyrk && dsyrk; }
};

Table table;
// 0: default; 1: Eigen only; 2: the BLAS, even inside a parallel region.
thread_local int serial_mode = 0;

bool in_parallel() {
#ifdef _OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

bool use_blas(i64 a, i64 b, i64 c) {
  if (!table.ok() || serial_mode == 1 || (serial_mode == 0 && in_parallel())) return false;
  if (!table.ilp64 && (a > INT_MAX || b > INT_MAX || c > INT_MAX)) return false;
  return true;
}

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using CMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;
template <class T>
using MMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;

template <class T, class LHS, class RHS>
void eigen_product(MMap<T>& c, const LHS& a, const RHS& b, T alpha, T beta) {
  if (beta == T(0)) {
    c.noalias() = alpha * (a * b);
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * (a * b);
  }
}

template <class T>
void eigen_gemm(Op ta, Op tb, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda,
                const T* B, i64 ldb, T beta, T* C, i64 ldc) {
  MMap<T> c(C, M, N, Eigen::OuterStride<>(ldc));
  if (K == 0) {
    if (beta == T(0)) c.setZero(); else c *= beta;
    return;
  }
  CMap<T> a(A, ta == Op::N ? M : K, ta == Op::N ? K : M, Eigen::OuterStride<>(lda));
  CMap<T> b(B, tb == Op::N ? K : N, tb == Op::N ? N : K, Eigen::OuterStride<>(ldb));
  if (ta == Op::N && tb == Op::N) eigen_product(c, a, b, alpha, beta);
  else if (ta == Op::N) eigen_product(c, a, b.transpose(), alpha, beta);
  else if (tb == Op::N) eigen_product(c, a.transpose(), b, alpha, beta);
  else eigen_product(c, a.transpose(), b.transpose(), alpha, beta);
}

template <class I, class T>
void call_gemm(void* fn, Op ta, Op tb, i64 M, i64 N, i64 K, T alpha, const T* A,
               i64 lda, const T* B, i64 ldb, T beta, T* C, i64 ldc) {
  reinterpret_cast<GemmFn<I, T>>(fn)(kRowMajor, ta == Op::N ? kNoTrans : kTrans,
                                     tb == Op::N ? kNoTrans : kTrans, I(M), I(N), I(K),
                                     alpha, A, I(lda), B, I(ldb), beta, C, I(ldc));
}

template <class I, class T>
void call_syrk(void* fn, i64 N, i64 K, T alpha, const T* A, i64 lda, T beta, T* C,
               i64 ldc) {
  reinterpret_cast<SyrkFn<I, T>>(fn)(kRowMajor, kLower, kNoTrans, I(N), I(K), alpha, A,
                                     I(lda), beta, C, I(ldc));
}

void* find(void* handle, const char* const* names, std::string* found) {
  for (const char* const* n = names; *n; ++n) {
    if (void* p = dlsym(handle, *n)) {
      *found = *n;
      return p;
    }
  }
  return nullptr;
}

}  // namespace

bool load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!handle) return false;
  // ILP64 names first (NumPy's wheels), then the plain LP64 CBLAS names.
  struct Candidate {
    bool ilp64;
    const char* s[4];
    const char* d[4];
    const char* ss[4];
    const char* ds[4];
  };
  const Candidate candidates[] = {
      {true,
       {"scipy_cblas_sgemm64_", "cblas_sgemm64_", nullptr},
       {"scipy_cblas_dgemm64_", "cblas_dgemm64_", nullptr},
       {"scipy_cblas_ssyrk64_", "cblas_ssyrk64_", nullptr},
       {"scipy_cblas_dsyrk64_", "cblas_dsyrk64_", nullptr}},
      {false,
       {"cblas_sgemm", nullptr},
       {"cblas_dgemm", nullptr},
       {"cblas_ssyrk", nullptr},
       {"cblas_dsyrk", nullptr}},
  };
  for (const auto& c : candidates) {
    Table t;
    std::string sname, tmp;
    t.ilp64 = c.ilp64;
    t.sgemm = find(handle, c.s, &sname);
    t.dgemm = find(handle, c.d, &tmp);
    t.ssyrk = find(handle, c.ss, &tmp);
    t.dsyrk = find(handle, c.ds, &tmp);
    if (t.ok()) {
      t.name = path + " [" + sname + (t.ilp64 ? ", 64-bit integers]" : ", 32-bit integers]");
      table = t;
      return true;
    }
  }
  dlclose(handle);
  return false;
}

bool loaded() { return table.ok(); }
std::string describe() { return table.name; }

SerialScope::SerialScope(bool single_threaded_blas) : previous_(serial_mode) {
  serial_mode = single_threaded_blas ? 2 : 1;
}
SerialScope::~SerialScope() { serial_mode = previous_; }

template <class T>
void gemm(Op ta, Op tb, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda, const T* B,
          i64 ldb, T beta, T* C, i64 ldc) {
  if (M == 0 || N == 0) return;
  if (K > 0 && use_blas(M, N, K)) {
    void* fn = std::is_same_v<T, float> ? table.sgemm : table.dgemm;
    if (table.ilp64) call_gemm<std::int64_t, T>(fn, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else call_gemm<int, T>(fn, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void syrk_lower(i64 N, i64 K, T alpha, const T* A, i64 lda, T beta, T* C, i64 ldc) {
  if (N == 0) return;
  if (K > 0 && use_blas(N, N, K)) {
    void* fn = std::is_same_v<T, float> ? table.ssyrk : table.dsyrk;
    if (table.ilp64) call_syrk<std::int64_t, T>(fn, N, K, alpha, A, lda, beta, C, ldc);
    else call_syrk<int, T>(fn, N, K, alpha, A, lda, beta, C, ldc);
    return;
  }
  // Eigen's rankUpdate is slower than a full product here (docs/design.md §4); the
  // full product also fills the upper triangle, which callers ignore.
  eigen_gemm(Op::N, Op::T, N, N, K, alpha, A, lda, A, lda, beta, C, ldc);
}

#define FASTNTK_INSTANTIATE(T)                                                        \
  template void gemm<T>(Op, Op, i64, i64, i64, T, const T*, i64, const T*, i64, T, T*, \
                        i64);                                                         \
  template void syrk_lower<T>(i64, i64, T, const T*, i64, T, T*, i64);
FASTNTK_INSTANTIATE(float)
FASTNTK_INSTANTIATE(double)
#undef FASTNTK_INSTANTIATE

}  // namespace fastntk::blas
