// Saving and restoring Nissa's aggregates (nissa/checkpoint.proto). A checkpoint file is replaced
// atomically: written to a temporary name, fsynced, renamed over the old one, and the directory
// fsynced, so a crash leaves either the old checkpoint or the new one, never a torn one.
#ifndef ESPER_NISSA_AGGREGATES_CHECKPOINT_H_
#define ESPER_NISSA_AGGREGATES_CHECKPOINT_H_

#include <cstddef>
#include <filesystem>
#include <string>

#include "nissa/metric_aggregator.h"

namespace esper::nissa {

// Serializes every series of `aggregator`.
std::string serialize_aggregates(const MetricAggregator& aggregator);
// Adds the series of a serialized checkpoint to `aggregator`. Returns the number of series
// restored; throws std::runtime_error if `bytes` is not a checkpoint.
std::size_t restore_aggregates(MetricAggregator& aggregator, const std::string& bytes);

// Atomically replaces `path` with `bytes`. Throws std::system_error naming the step that failed.
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_AGGREGATES_CHECKPOINT_H_
