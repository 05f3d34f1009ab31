// The buffer between Nissa's ingest and the MLflow sender: points in arrival order, each as the
// series it belongs to (an id of mlflow_series_table.h) and its value, step and time, in a ring of
// fixed size. push() runs on the ingest loop, under the observer's lock, so it only copies 32 bytes
// (and overwrites the oldest when full, returning 1 for the caller to count); it never waits and
// never allocates. The sender takes what is there once `flush_points` have gathered or `until`
// passes, whichever comes first.
//
// Thread-safe: one pusher, one taker.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace esper::nissa {

struct MlflowPoint {
  std::uint32_t series = 0;  // mlflow_series_table.h
  double value = 0;
  std::int64_t step = 0;
  std::int64_t time_ms = 0;  // Unix ms.
};

class MlflowPointBuffer {
 public:
  explicit MlflowPointBuffer(std::size_t max_points) : ring_(std::max<std::size_t>(1, max_points)) {}

  // Appends `point`; returns the number of oldest points overwritten to make room (0 or 1).
  std::size_t push(const MlflowPoint& point);

  // Waits until `flush_points` points are here, `until` passes, or stop(); then moves up to `max`
  // of them into `out` (cleared first). Returns false once stopped.
  bool take(std::size_t flush_points, std::chrono::steady_clock::time_point until, std::size_t max,
            std::vector<MlflowPoint>& out);

  void stop();
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::vector<MlflowPoint> ring_;
  std::size_t head_ = 0;  // The oldest.
  std::size_t size_ = 0;
  std::size_t flush_points_ = 0;  // What the taker is waiting for; push() wakes it only then.
  bool stopped_ = false;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_POINT_BUFFER_H_
