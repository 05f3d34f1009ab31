#include "nissa/web/live_feed.h"

namespace esper::nissa::web {

LiveFeed::LiveFeed(SseHub& hub, Poll poll, std::chrono::milliseconds period, std::chrono::milliseconds keep_alive)
    : hub_(hub), poll_(std::move(poll)), period_(period), keep_alive_(keep_alive) {}

LiveFeed::~LiveFeed() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  hub_.finish_all();
}

void LiveFeed::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void LiveFeed::run() {
  auto last_keep_alive = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    if (hub_.open_streams() > 0) {
      std::string news;
      try {
        news = poll_();
      } catch (...) {
        news.clear();  // A failed look this period; the next one tries again.
      }
      if (!news.empty()) hub_.broadcast(news);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_keep_alive >= keep_alive_) {
        hub_.broadcast(sse_comment("keep-alive"));
        last_keep_alive = now;
      }
    }
    lock.lock();
  }
}

}  // namespace esper::nissa::web
