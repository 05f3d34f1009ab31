#include "nissa/export/mlflow/mlflow_point_buffer.h"

#include <algorithm>

namespace esper::nissa {

std::size_t MlflowPointBuffer::push(const MlflowPoint& point) {
  std::size_t overwritten = 0;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    ring_[(head_ + size_) % ring_.size()] = point;
    if (size_ == ring_.size()) {
      head_ = (head_ + 1) % ring_.size();
      overwritten = 1;
    } else {
      ++size_;
    }
    wake = flush_points_ != 0 && size_ == flush_points_;
  }
  if (wake) ready_.notify_one();
  return overwritten;
}

bool MlflowPointBuffer::take(std::size_t flush_points, std::chrono::steady_clock::time_point until,
                             std::size_t max, std::vector<MlflowPoint>& out) {
  out.clear();
  std::unique_lock lock(mu_);
  flush_points_ = std::clamp<std::size_t>(flush_points, 1, ring_.size());
  ready_.wait_until(lock, until, [&] { return stopped_ || size_ >= flush_points_; });
  flush_points_ = 0;
  if (stopped_) return false;
  const std::size_t n = std::min(max, size_);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ring_[(head_ + i) % ring_.size()]);
  head_ = (head_ + n) % ring_.size();
  size_ -= n;
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
  return size_;
}

}  // namespace esper::nissa
