#include "oona/lane_handoff.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace esper::oona {

LaneHandoff::LaneHandoff() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

LaneHandoff::~LaneHandoff() { close(fd_); }

void LaneHandoff::push(QueuedMessage item) {
  std::lock_guard lock(mu_);
  items_.push_back(std::move(item));
  size_.store(items_.size(), std::memory_order_relaxed);
  if (items_.size() == 1) {  // Empty until now: make the descriptor readable.
    const std::uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);
  }
}

std::deque<QueuedMessage> LaneHandoff::take_all() {
  std::deque<QueuedMessage> taken;
  std::lock_guard lock(mu_);
  if (items_.empty()) return taken;
  std::uint64_t count = 0;
  (void)!read(fd_, &count, sizeof count);  // Resets the eventfd to 0 (not readable).
  taken.swap(items_);
  size_.store(0, std::memory_order_relaxed);
  return taken;
}

}  // namespace esper::oona
