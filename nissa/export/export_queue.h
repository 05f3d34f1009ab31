// The buffer between Nissa's collection and one exporter's sender: batches in the order they were
// made, bounded in bytes. When the remote is down longer than the buffer covers, the oldest batches
// are shed to make room for the newest (the caller counts them), so memory stays bounded and the
// newest data is what survives an outage. Never blocks the side that pushes.
//
// Thread-safe: one pusher (the collector), one popper (the exporter's sender).
#ifndef ESPER_NISSA_EXPORT_EXPORT_QUEUE_H_
#define ESPER_NISSA_EXPORT_EXPORT_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "nissa/export/export_batch.h"

namespace esper::nissa {

class ExportQueue {
 public:
  explicit ExportQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends `batch`, first shedding the oldest batches until it fits; a batch larger than the
  // whole bound is kept alone. Returns the samples shed.
  std::size_t push(ExportBatch batch);

  // The oldest batch, waiting for one; nullopt once stop() was called.
  std::optional<ExportBatch> pop();

  // Wakes pop() for good.
  void stop();

  std::size_t bytes() const;
  std::size_t batches() const;

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<ExportBatch> batches_;
  std::size_t bytes_ = 0;
  bool stopped_ = false;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_QUEUE_H_
