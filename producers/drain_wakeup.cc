#include "producers/drain_wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace esper::producers {

DrainWakeup::DrainWakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

DrainWakeup::~DrainWakeup() { ::close(fd_); }

void DrainWakeup::notify() {
  const std::uint64_t one = 1;
  // Only fails with EAGAIN when the counter is about to overflow, and then fd() is readable anyway.
  (void)!::write(fd_, &one, sizeof one);
}

bool DrainWakeup::clear() {
  std::uint64_t count = 0;
  return ::read(fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count) && count > 0;
}

}  // namespace esper::producers
