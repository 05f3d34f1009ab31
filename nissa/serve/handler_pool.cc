#include "nissa/serve/handler_pool.h"

namespace esper::nissa {

HandlerPool::HandlerPool(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

HandlerPool::~HandlerPool() { stop(); }

bool HandlerPool::submit(std::function<void()> job, const std::function<void()>& before_queueing) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (before_queueing) before_queueing();
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void HandlerPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void HandlerPool::work() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // Stopping, and nothing is left to run.
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace esper::nissa
