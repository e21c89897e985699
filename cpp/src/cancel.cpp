#include "fastntk/cancel.hpp"

#include <atomic>

namespace fastntk {

namespace {
std::atomic<bool> requested{false};
}

void request_cancel() { requested.store(true, std::memory_order_relaxed); }
void clear_cancel() { requested.store(false, std::memory_order_relaxed); }
bool cancel_requested() { return requested.load(std::memory_order_relaxed); }

}  // namespace fastntk
