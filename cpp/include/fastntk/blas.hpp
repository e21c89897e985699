// The one door to a BLAS: the library NumPy has already loaded, found at import
// time and called through its CBLAS entry points. Two OpenBLAS copies in one
// process fight over the cores (docs/design.md §4), so we never link our own.
#pragma once
#include <cstdint>
#include <string>

namespace fastntk::blas {

using i64 = std::int64_t;
enum class Op { N, T };

// Resolve gemm/syrk from an already-loaded shared library (RTLD_NOLOAD: never a
// second copy). Returns false, and keeps the Eigen fallback, when it cannot.
bool load(const std::string& path);
bool loaded();
std::string describe();

// Row-major C = alpha op(A) op(B) + beta C; op(A) is M×K, op(B) is K×N.
// Falls back to Eigen (single-threaded inside OpenMP regions) when no BLAS is
// loaded or when called from inside a parallel region.
template <class T>
void gemm(Op ta, Op tb, i64 M, i64 N, i64 K, T alpha, const T* A, i64 lda,
          const T* B, i64 ldb, T beta, T* C, i64 ldc);

// Row-major lower triangle of C = alpha A Aᵀ + beta C, A is N×K. The strict
// upper triangle of C is unspecified on return (the Eigen fallback fills it).
template <class T>
void syrk_lower(i64 N, i64 K, T alpha, const T* A, i64 lda, T beta, T* C, i64 ldc);

// For the current thread, inside an OpenMP region (ensembles run one member per
// thread): with single_threaded_blas the caller has limited the BLAS to one thread,
// so it may be called from here; otherwise Eigen's products are used (a threaded
// BLAS inside OpenMP oversubscribes the cores).
struct SerialScope {
  explicit SerialScope(bool single_threaded_blas);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;
 private:
  int previous_;
};

}  // namespace fastntk::blas
