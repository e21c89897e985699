// C++ GPU benchmark (issue #4): the structured Gram of N = 10000, d = 784, m = 4096,
// L = 3 (float32) against the card's SGEMM rate for the structured flop count, next
// to the same cuBLAS calls without the kernels; and one full-batch GD step at
// N = 100, m = 4000, L = 2. Built by CMake with -DFASTNTK_CUDA=ON -DFASTNTK_BENCH=ON
// where cuBLAS is found. Usage: bench_gpu [--quick]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "kernels.cu"

namespace {

using i64 = long long;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "bench_gpu: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "bench_gpu: %s: cuBLAS status %d\n", what, int(s));
    std::exit(1);
  }
}

cublasHandle_t handle;

// Row-major C (M × N, ldc) = alpha·op(A)·op(B) + beta·C: cuBLAS is column-major, so
// it computes Cᵀ = op(B)ᵀ·op(A)ᵀ with the operands and the sizes swapped.
void gemm(bool ta, bool tb, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda, const float* B,
          i64 ldb, float beta, float* C, i64 ldc) {
  check(cublasSgemm(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, int(N), int(M),
                    int(K), &alpha, B, int(ldb), A, int(lda), &beta, C, int(ldc)),
        "sgemm");
}

float* device_random(i64 count, std::mt19937& rng, float scale) {
  std::normal_distribution<float> normal(0.f, scale);
  std::vector<float> host(count);
  for (auto& v : host) v = normal(rng);
  float* d = nullptr;
  check(cudaMalloc(&d, sizeof(float) * count), "cudaMalloc");
  check(cudaMemcpy(d, host.data(), sizeof(float) * count, cudaMemcpyHostToDevice), "cudaMemcpy");
  return d;
}

float* device_empty(i64 count) {
  float* d = nullptr;
  check(cudaMalloc(&d, sizeof(float) * count), "cudaMalloc");
  return d;
}

// Best of `repeat` timings (CUDA events) after one warm-up, in seconds.
double time_best(const std::function<void()>& fn, int repeat) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  fn();
  check(cudaDeviceSynchronize(), "warm-up");
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    cudaEventRecord(start);
    fn();
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    best = std::min(best, ms / 1e3);
  }
  check(cudaGetLastError(), "kernels");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

dim3 grid1(i64 n) { return dim3(unsigned(std::max<i64>(1, std::min<i64>(65535, (n + 255) / 256)))); }

// An NTK-parametrized ReLU MLP without biases: the layer inputs A_l and Δ^l of N rows.
struct Net {
  std::vector<i64> w;                   // widths m_0 … m_L
  std::vector<float*> W;                // W^l (m_l × m_{l−1}), l = 1 … L
  std::vector<float> c;                 // c_l = 1/√m_{l−1}
  int L() const { return int(w.size()) - 1; }
};

struct Passes {
  std::vector<float*> A;      // A_0 = X, A_1 … A_{L−1}
  std::vector<float*> delta;  // Δ^1 … Δ^L
};

void features(const Net& net, i64 n, Passes& p, bool with_kernels) {
  const int L = net.L();
  for (int l = 1; l < L; ++l) {
    gemm(false, true, n, net.w[l], net.w[l - 1], net.c[l], p.A[l - 1], net.w[l - 1], net.W[l], net.w[l - 1],
         0.f, p.A[l], net.w[l]);
    if (with_kernels)
      fastntk_bias_activation_f32<<<grid1(n * net.w[l]), 256>>>(p.A[l], nullptr, 0.f, n, net.w[l], 0);
  }
  for (int l = L; l >= 2; --l) {
    gemm(false, false, n, net.w[l - 1], net.w[l], net.c[l], p.delta[l - 1], net.w[l], net.W[l], net.w[l - 1],
         0.f, p.delta[l - 2], net.w[l - 1]);
    if (with_kernels)
      fastntk_activation_grad_f32<<<grid1(n * net.w[l - 1]), 256>>>(0, p.A[l - 1], p.delta[l - 2],
                                                                      n * net.w[l - 1]);
  }
}

// K (N × N) by the structured formula in tiles; lower tiles only (the mirror is a copy).
void gram(const Net& net, i64 n, const Passes& p, float* K, float* ga, float* gd, i64 tile, bool with_kernels) {
  const int L = net.L();
  for (i64 i0 = 0; i0 < n; i0 += tile) {
    const i64 ti = std::min(tile, n - i0);
    for (i64 j0 = 0; j0 <= i0; j0 += tile) {
      const i64 tj = std::min(tile, n - j0);
      float* kt = K + i0 * n + j0;
      gemm(false, true, ti, tj, net.w[L - 1], net.c[L] * net.c[L], p.A[L - 1] + i0 * net.w[L - 1],
           net.w[L - 1], p.A[L - 1] + j0 * net.w[L - 1], net.w[L - 1], 0.f, kt, n);
      for (int l = 1; l < L; ++l) {
        gemm(false, true, ti, tj, net.w[l - 1], net.c[l] * net.c[l], p.A[l - 1] + i0 * net.w[l - 1],
             net.w[l - 1], p.A[l - 1] + j0 * net.w[l - 1], net.w[l - 1], 0.f, ga, tj);
        gemm(false, true, ti, tj, net.w[l], 1.f, p.delta[l - 1] + i0 * net.w[l], net.w[l],
             p.delta[l - 1] + j0 * net.w[l], net.w[l], 0.f, gd, tj);
        if (with_kernels)
          fastntk_gram_accumulate_f32<<<dim3(unsigned((tj + 15) / 16), unsigned((ti + 15) / 16)), dim3(16, 16)>>>(
              kt, n, gd, ga, tj, ti, tj, 0.f, 0);
      }
    }
  }
}

Net make_net(std::vector<i64> widths, std::mt19937& rng) {
  Net net;
  net.w = std::move(widths);
  net.W.push_back(nullptr);
  net.c.push_back(0.f);
  for (int l = 1; l <= net.L(); ++l) {
    net.W.push_back(device_random(net.w[l] * net.w[l - 1], rng, 1.f));
    net.c.push_back(1.f / std::sqrt(float(net.w[l - 1])));
  }
  return net;
}

Passes make_passes(const Net& net, i64 n, std::mt19937& rng) {
  Passes p;
  p.A.push_back(device_random(n * net.w[0], rng, 1.f / std::sqrt(float(net.w[0]))));
  for (int l = 1; l < net.L(); ++l) p.A.push_back(device_empty(n * net.w[l]));
  for (int l = 1; l <= net.L(); ++l) p.delta.push_back(device_empty(n * net.w[l]));
  std::vector<float> ones(n, 1.f);
  check(cudaMemcpy(p.delta.back(), ones.data(), sizeof(float) * n, cudaMemcpyHostToDevice), "cudaMemcpy");
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  check(cublasCreate(&handle), "cublasCreate");
  std::printf("device: %s\n", prop.name);
  std::mt19937 rng(0);

  const i64 s = 8192;
  float *a = device_random(s * s, rng, 1.f), *b = device_random(s * s, rng, 1.f), *c = device_empty(s * s);
  const double t_sgemm = time_best([&] { gemm(false, false, s, s, s, 1.f, a, s, b, s, 0.f, c, s); }, 5);
  const double sgemm_rate = 2.0 * double(s) * s * s / t_sgemm;
  std::printf("SGEMM %lld³: %.1f TFLOP/s\n", s, sgemm_rate / 1e12);
  cudaFree(a), cudaFree(b), cudaFree(c);

  const i64 N = quick ? 2000 : 10000, d = 784, m = quick ? 1024 : 4096, tile = 4096;
  Net net = make_net({d, m, m, m, 1}, rng);
  Passes p = make_passes(net, N, rng);
  float *K = device_empty(N * N), *ga = device_empty(tile * tile), *gd = device_empty(tile * tile);
  auto run = [&](bool kernels) {
    features(net, N, p, kernels);
    gram(net, N, p, K, ga, gd, tile, kernels);
  };
  const double t_gram = time_best([&] { run(true); }, 3);
  const double t_blas = time_best([&] { run(false); }, 3);
  double flops = 0;
  for (int l = 1; l <= net.L(); ++l) flops += 2.0 * N * net.w[l] * net.w[l - 1] * (l >= 2 ? 2 : 1);
  for (int l = 1; l <= net.L(); ++l) flops += double(N) * N * (net.w[l - 1] + (l < net.L() ? net.w[l] : 0));
  std::printf("Gram N=%lld d=%lld m=%lld L=3: %.3f s (cuBLAS calls alone %.3f s), %.1f TFLOP/s = %.0f%% of SGEMM "
              "(target >= 50%%)\n",
              N, d, m, t_gram, t_blas, flops / t_gram / 1e12, 100.0 * flops / t_gram / sgemm_rate);

  // One full-batch GD step, N = 100, m = 4000, L = 2: forward, backward with the update
  // folded into the weight-gradient GEMMs (β = 1, α = −η); f stands in for the residual
  // (one N-vector operation less than a real step).
  const i64 n2 = 100, m2 = 4000;
  Net small = make_net({d, m2, 1}, rng);
  Passes q = make_passes(small, n2, rng);
  float* f = device_empty(n2);
  const double t_step = time_best([&] {
    for (int it = 0; it < 100; ++it) {
      gemm(false, true, n2, m2, d, small.c[1], q.A[0], d, small.W[1], d, 0.f, q.A[1], m2);
      fastntk_bias_activation_f32<<<grid1(n2 * m2), 256>>>(q.A[1], nullptr, 0.f, n2, m2, 0);
      gemm(false, true, n2, 1, m2, small.c[2], q.A[1], m2, small.W[2], m2, 0.f, f, 1);
      gemm(false, false, n2, m2, 1, small.c[2], f, 1, small.W[2], m2, 0.f, q.delta[0], m2);
      fastntk_activation_grad_f32<<<grid1(n2 * m2), 256>>>(0, q.A[1], q.delta[0], n2 * m2);
      gemm(true, false, 1, m2, n2, -1e-3f * small.c[2], f, 1, q.A[1], m2, 1.f, small.W[2], m2);
      gemm(true, false, m2, d, n2, -1e-3f * small.c[1], q.delta[0], m2, q.A[0], d, 1.f, small.W[1], d);
    }
  }, 3) / 100;
  std::printf("GD step N=%lld d=%lld m=%lld L=2: %.1f µs (target well under 1000 µs)\n", n2, d, m2, t_step * 1e6);
  cublasDestroy(handle);
  return 0;
}
