// A few threads that run HTTP handlers which may take long (anything that takes the observer's
// lock, or renders /metrics for many series), so the server's event loop never waits on one.
// Jobs run in the order submitted; a job must not throw.
#ifndef ESPER_NISSA_SERVE_HANDLER_POOL_H_
#define ESPER_NISSA_SERVE_HANDLER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace esper::nissa {

class HandlerPool {
 public:
  explicit HandlerPool(std::size_t threads);
  ~HandlerPool();  // stop().
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Calls `before_queueing` and queues `job`, both under the pool's lock so that no thread can start
  // the job before `before_queueing` has returned; returns true. Once stop() has begun, calls
  // neither and returns false.
  bool submit(std::function<void()> job, const std::function<void()>& before_queueing = {});

  // Refuses new jobs, runs every job already queued, and joins the threads. Idempotent.
  void stop();

 private:
  void work();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_HANDLER_POOL_H_
