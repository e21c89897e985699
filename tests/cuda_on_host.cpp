// The kernels of cuda/kernels.cu compiled as host C++ and run over their launch
// grid, one thread after another, so that tests without a GPU execute the kernel
// source itself (indexing, grid-stride loops, null optional pointers) and the
// launch glue of fastntk._gpu.runtime.CudaKernels that drives it.
//
// The kernels use no shared memory and no __syncthreads (atomics only to add), so
// running the threads one by one is a legal schedule. The threads run in a permuted
// order (not 0, 1, 2, …): a kernel whose result depended on the order of its
// threads, i.e. one with a race, would then differ from the reference.
//
// The Python side (tests/gpu_emulation.py) generates kernel_table.inc, one
// FASTNTK_ENTRY(name) per extern "C" kernel it parsed from kernels.cu.
#include <cstddef>
#include <numeric>

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
// One launch at a time (the tests call from one thread).
static dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

// Threads run one at a time, so an atomic add is a plain one.
inline double atomicAdd(double* address, double value) {
  const double old = *address;
  *address = old + value;
  return old;
}

#include "kernels.cu"

namespace {

// dims: grid x, y, z, block x, y, z.
template <class... A>
void run_grid(void (*kernel)(A...), const long long* dims, A... args) {
  gridDim = {unsigned(dims[0]), unsigned(dims[1]), unsigned(dims[2])};
  blockDim = {unsigned(dims[3]), unsigned(dims[4]), unsigned(dims[5])};
  const unsigned long long blocks = 1ull * gridDim.x * gridDim.y * gridDim.z;
  const unsigned long long threads = 1ull * blockDim.x * blockDim.y * blockDim.z;
  const unsigned long long total = blocks * threads;
  // i ↦ (i·step + total/3) mod total is a permutation when gcd(step, total) = 1.
  unsigned long long step = total / 2 + 1;
  while (std::gcd(step, total) != 1) ++step;
  for (unsigned long long i = 0; i < total; ++i) {
    const unsigned long long e = (i * step + total / 3) % total;
    const unsigned long long b = e / threads, t = e % threads;
    blockIdx = {unsigned(b % gridDim.x), unsigned(b / gridDim.x % gridDim.y), unsigned(b / gridDim.x / gridDim.y)};
    threadIdx = {unsigned(t % blockDim.x), unsigned(t / blockDim.x % blockDim.y),
                 unsigned(t / blockDim.x / blockDim.y)};
    kernel(args...);
  }
}

template <auto Kernel>
struct Entry;

template <class... A, void (*Kernel)(A...)>
struct Entry<Kernel> {
  static void launch(const long long* dims, A... args) { run_grid(Kernel, dims, args...); }
};

}  // namespace

#define FASTNTK_ENTRY(name) reinterpret_cast<void*>(&Entry<name>::launch),
extern "C" void* fastntk_host_launchers[] = {
#include "kernel_table.inc"
    nullptr};
