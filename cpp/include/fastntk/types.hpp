#pragma once
#include <Eigen/Core>
#include <cstdint>

namespace fastntk {

using i64 = std::int64_t;
template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using MatMap = Eigen::Map<Mat<T>>;
template <class T>
using ConstMatMap = Eigen::Map<const Mat<T>>;
template <class T>
using VecMap = Eigen::Map<Vec<T>>;
template <class T>
using ConstVecMap = Eigen::Map<const Vec<T>>;

// Loops below this many elements stay on one thread: waking the OpenMP team
// costs more than the work. Element-wise work between BLAS calls (masks, bias,
// Hadamard accumulation, optimizer updates) is always serial: right after a call,
// OpenBLAS's idle thread spins on the other core, and an OpenMP team sharing that
// core made the Gram and the training step up to 1.5× slower (bench/README.md).
constexpr i64 kParallelGrain = 1 << 15;

// a·b for sizes (a, b ≥ 0), or std::length_error naming `what` when it does not fit
// in an i64: no size arithmetic on user input may overflow into undefined behaviour.
i64 checked_mul(i64 a, i64 b, const char* what);
i64 checked_add(i64 a, i64 b, const char* what);

}  // namespace fastntk
