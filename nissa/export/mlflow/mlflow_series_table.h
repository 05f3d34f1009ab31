// What the MLflow exporter derives once per series: its run key and metric key
// (mlflow_metric.h), under a small id the series keeps (Series::export_tag), so that each point on
// the ingest loop costs a copy of its value, step and time, never a string. The ingest loop interns
// (the first point of a series builds its keys); the sender thread reads the keys back when it
// encodes. The table only grows, as the aggregator's series do.
//
// A tag names its table too (the high 32 bits are the table's epoch, distinct for every table in
// the process), so a series tagged by an earlier exporter is interned afresh, never misread.
//
// Thread-safe.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_SERIES_TABLE_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_SERIES_TABLE_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "esper/telemetry.pb.h"
#include "nissa/export/mlflow/mlflow_metric.h"
#include "nissa/export/mlflow/mlflow_point_buffer.h"

namespace esper::nissa {

class MlflowSeriesTable {
 public:
  // The low 32 bits of a tag: an id in the table, or one of these.
  static constexpr std::uint32_t kBadKey = UINT32_MAX;           // A key MLflow would refuse: never sent.
  static constexpr std::uint32_t kNotExported = UINT32_MAX - 1;  // Of a source MLflow is not for.
  static constexpr std::uint32_t kWanted = UINT32_MAX - 2;       // To intern at its first stepped point.

  MlflowSeriesTable();

  // Whether `tag` was given by this table.
  bool owns(std::uint64_t tag) const { return (tag >> 32) == epoch_; }
  std::uint64_t tag(std::uint32_t id) const { return (epoch_ << 32) | id; }
  static std::uint32_t id(std::uint64_t tag) { return static_cast<std::uint32_t>(tag); }

  // The tag of `point`'s series (of `source`): its keys, built now. `point` has a step and a
  // finite value. Its id is kBadKey for a series whose key MLflow would refuse.
  std::uint64_t intern(std::string_view source, const proto::MetricPoint& point);

  // The metrics `points` stand for, appended to `out` in order.
  void resolve(std::span<const MlflowPoint> points, std::vector<MlflowMetric>& out) const;

 private:
  struct Keys {
    std::string run;
    std::string key;
  };
  const std::uint64_t epoch_;
  mutable std::mutex mu_;
  std::deque<Keys> keys_;  // Id n is keys_[n - 1].
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_SERIES_TABLE_H_
