#include "oona/tail_reader.h"

namespace esper::oona {

TailReader::TailReader(BusSubscriberOptions options, TailFilter filter, std::size_t capacity)
    : subscriber_(std::move(options)),
      filter_(std::move(filter)),
      capacity_(capacity == 0 ? 1 : capacity),
      thread_([this] { run(); }) {}

TailReader::~TailReader() {
  stopping_ = true;
  thread_.join();
}

void TailReader::run() {
  while (!stopping_.load()) {
    auto message = subscriber_.receive(std::chrono::milliseconds(100));
    if (!message || !filter_.matches(*message)) continue;
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_) {
      ++skipped_;  // The printer is behind: skip this one rather than stop reading the bus.
      continue;
    }
    queue_.push_back(Next{std::move(message), skipped_});
    skipped_ = 0;
    ready_.notify_one();
  }
}

TailReader::Next TailReader::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!ready_.wait_for(lock, timeout, [&] { return !queue_.empty(); })) return {};
  Next next = std::move(queue_.front());
  queue_.pop_front();
  return next;
}

std::uint64_t TailReader::skipped_pending() const {
  std::lock_guard lock(mu_);
  return skipped_;
}

}  // namespace esper::oona
