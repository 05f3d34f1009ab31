#include "nissa/export/mlflow/mlflow_point_buffer.h"

#include <algorithm>

namespace esper::nissa {

std::size_t MlflowPointBuffer::push(MlflowMetric metric) {
  std::size_t shed = 0;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (points_.size() >= max_points_) {
      points_.pop_front();
      shed = 1;
    }
    points_.push_back(std::move(metric));
    wake = flush_points_ != 0 && points_.size() == flush_points_;
  }
  if (wake) ready_.notify_one();
  return shed;
}

bool MlflowPointBuffer::take(std::size_t flush_points, std::chrono::steady_clock::time_point until,
                             std::size_t max, std::vector<MlflowMetric>& out) {
  out.clear();
  std::unique_lock lock(mu_);
  flush_points_ = std::max<std::size_t>(1, flush_points);
  ready_.wait_until(lock, until, [&] { return stopped_ || points_.size() >= flush_points_; });
  flush_points_ = 0;
  if (stopped_) return false;
  const std::size_t n = std::min(max, points_.size());
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(points_.front()));
    points_.pop_front();
  }
  return true;
}

void MlflowPointBuffer::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  ready_.notify_all();
}

std::size_t MlflowPointBuffer::size() const {
  std::lock_guard lock(mu_);
  return points_.size();
}

}  // namespace esper::nissa
