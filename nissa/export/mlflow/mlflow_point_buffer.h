// The buffer between Nissa's ingest and the MLflow sender: metrics in arrival order, bounded in
// count. push() runs on the ingest loop, under the observer's lock, so it only appends (and sheds
// the oldest when full, returning how many for the caller to count); it never waits and never
// allocates beyond the bound. The sender takes what is there once `flush_points` have gathered or
// `flush_interval` has passed since its last take, whichever comes first.
//
// Thread-safe: one pusher, one taker.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "nissa/export/mlflow/mlflow_metric.h"

namespace esper::nissa {

class MlflowPointBuffer {
 public:
  explicit MlflowPointBuffer(std::size_t max_points) : max_points_(max_points) {}

  // Appends `metric`; returns the number of oldest metrics shed to make room (0 or 1).
  std::size_t push(MlflowMetric metric);

  // Waits until `flush_points` metrics are here, `until` passes, or stop(); then moves up to
  // `max` of them into `out` (cleared first). Returns false once stopped.
  bool take(std::size_t flush_points, std::chrono::steady_clock::time_point until, std::size_t max,
            std::vector<MlflowMetric>& out);

  void stop();
  std::size_t size() const;

 private:
  const std::size_t max_points_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<MlflowMetric> points_;
  std::size_t flush_points_ = 0;  // What the taker is waiting for; push() wakes it only then.
  bool stopped_ = false;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_
