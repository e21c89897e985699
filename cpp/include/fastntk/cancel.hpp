// A process-wide request to stop a long kernel: the caller saw Ctrl-C while the kernel
// ran with the GIL released (fastntk._cpu runs large calls on a worker thread and sets
// this). Kernels check it between tiles and chunks and then throw Cancelled.
#pragma once
#include <stdexcept>

namespace fastntk {

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled: interrupted by the caller") {}
};

void request_cancel();
void clear_cancel();
bool cancel_requested();
inline void check_cancel() {
  if (cancel_requested()) throw Cancelled();
}

}  // namespace fastntk
