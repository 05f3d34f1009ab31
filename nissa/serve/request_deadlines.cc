#include "nissa/serve/request_deadlines.h"

#include <sys/socket.h>

#include <optional>

namespace esper::nissa {

RequestDeadlines::RequestDeadlines(std::chrono::milliseconds timeout) : timeout_(timeout) {
  thread_ = std::thread([this] { watch(); });
}

RequestDeadlines::~RequestDeadlines() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RequestDeadlines::wait_for_request(const void* key, std::unique_lock<std::mutex>& lock) {
  Connection& c = connections_[key];
  c.waiting_since = Clock::now();
  c.handling = false;
  // Every deadline already set is earlier than this one (the timeout is the same for all), so the
  // thread needs waking only when it waits for none.
  if (idle_) {
    idle_ = false;
    lock.unlock();
    wake_.notify_one();
  }
}

void RequestDeadlines::opened(const void* key, int fd) {
  std::unique_lock lock(mu_);
  connections_[key].fd = fd;
  wait_for_request(key, lock);
}

void RequestDeadlines::request_received(const void* key) {
  std::lock_guard lock(mu_);
  if (auto it = connections_.find(key); it != connections_.end()) it->second.handling = true;
}

void RequestDeadlines::response_done(const void* key) {
  std::unique_lock lock(mu_);
  if (connections_.contains(key)) wait_for_request(key, lock);
}

void RequestDeadlines::closed(const void* key) {
  std::lock_guard lock(mu_);
  connections_.erase(key);
}

std::uint64_t RequestDeadlines::expired() const {
  std::lock_guard lock(mu_);
  return expired_;
}

void RequestDeadlines::watch() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    for (auto& [key, c] : connections_) {
      if (c.handling || c.shut_down) continue;
      const auto deadline = c.waiting_since + timeout_;
      if (deadline <= now) {
        // Under mu_, and closed() (which the server calls before closing fd) takes mu_: fd is
        // still this connection's socket.
        ::shutdown(c.fd, SHUT_RDWR);
        c.shut_down = true;
        ++expired_;
      } else if (!next || deadline < *next) {
        next = deadline;
      }
    }
    idle_ = !next.has_value();
    if (next) {
      wake_.wait_until(lock, *next);
    } else {
      wake_.wait(lock);
    }
  }
}

}  // namespace esper::nissa
