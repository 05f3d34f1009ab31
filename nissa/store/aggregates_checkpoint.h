// Saving and restoring Nissa's aggregates (nissa/store/checkpoint.proto). A checkpoint file is replaced
// atomically: written to a temporary name, fsynced, renamed over the old one, and the directory
// fsynced, so a crash leaves either the old checkpoint or the new one, never a torn one.
#ifndef ESPER_NISSA_STORE_AGGREGATES_CHECKPOINT_H_
#define ESPER_NISSA_STORE_AGGREGATES_CHECKPOINT_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <google/protobuf/arena.h>

#include "nissa/store/metric_aggregator.h"

namespace esper::nissa {

class AggregatesCheckpoint;  // nissa/store/checkpoint.proto

// The series of an aggregator in checkpoint form. Capturing copies their state onto an arena and
// is the only part that needs the aggregator's lock; serialize() (the bytes) does not. A caller
// that must not hold the lock for long (Nissa's ingest loop: capturing 100k series takes ~150 ms)
// captures in ranges of series_at() indices, releasing the lock between them: each series is then
// consistent in itself, and the checkpoint as a whole spans the capture's few hundred ms, which
// restoring does not mind (what came after a checkpoint is lost on a crash either way).
class AggregatesSnapshot {
 public:
  AggregatesSnapshot();
  explicit AggregatesSnapshot(const MetricAggregator& aggregator);  // Every series at once.
  ~AggregatesSnapshot();

  // Captures series [from, to) in aggregator.series_at() order.
  void capture(const MetricAggregator& aggregator, std::size_t from, std::size_t to);
  AggregatesSnapshot(const AggregatesSnapshot&) = delete;
  AggregatesSnapshot& operator=(const AggregatesSnapshot&) = delete;

  std::string serialize() const;

 private:
  std::unique_ptr<google::protobuf::Arena> arena_;
  AggregatesCheckpoint* checkpoint_;  // On arena_.
};

// Serializes every series of `aggregator` (a snapshot, serialized at once).
std::string serialize_aggregates(const MetricAggregator& aggregator);
// Adds the series of a serialized checkpoint to `aggregator`. Returns the number of series
// restored; throws std::runtime_error if `bytes` is not a checkpoint.
std::size_t restore_aggregates(MetricAggregator& aggregator, const std::string& bytes);
// The same from the checkpoint file at `path`, if there is one; an unreadable one is logged and
// ignored (the aggregates start empty rather than Nissa not starting).
void restore_aggregates_file(MetricAggregator& aggregator, const std::filesystem::path& path);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_AGGREGATES_CHECKPOINT_H_
