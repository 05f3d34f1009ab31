// Nissa's export stage: every `interval`, a collector thread of its own copies every series (a
// slice at a time through the reader the observer gives it, so ingest waits ~1 ms per slice at
// most) and hands the copy to each configured exporter (nissa/export/exporter.h), which encodes,
// buffers and sends it on its own thread. Like a scrape: each series is exported at each interval
// with the collection time as its timestamp, whether or not it changed.
//
// The MLflow exporter (mlflow/mlflow_exporter.h) is fed differently: point() hands it every
// ingested point as it comes, since MLflow charts each step rather than a snapshot per interval.
#ifndef ESPER_NISSA_EXPORT_EXPORT_STAGE_H_
#define ESPER_NISSA_EXPORT_EXPORT_STAGE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "nissa/export/export_config.h"
#include "nissa/export/exporter.h"
#include "nissa/export/mlflow/mlflow_exporter.h"
#include "nissa/export/series_sample.h"

namespace esper::nissa {

// sample_series_range (series_sample.h) under the lock that guards the aggregates: writes the
// series numbered `begin` to `begin + max - 1` into out[begin...], returns how many, 0 past the last.
// Called from the collector thread.
using SeriesReader = std::function<std::size_t(std::size_t begin, std::size_t max, std::vector<SeriesSample>& out)>;

class ExportStage {
 public:
  // Starts the collector and every exporter `config` turns on.
  ExportStage(const ExportConfig& config, SeriesReader reader);
  ~ExportStage();  // stop()
  ExportStage(const ExportStage&) = delete;
  ExportStage& operator=(const ExportStage&) = delete;

  void stop();
  std::vector<ExporterStats> stats() const;

  // One ingested point, from the ingest loop, with the export_tag of the series it was added to
  // (nissa/store/metric_aggregator.h). Cheap: a copy of 32 bytes, or nothing when MLflow is off.
  void point(std::string_view source, const proto::MetricPoint& p, std::int64_t time_ms, std::uint64_t& series_tag) {
    if (mlflow_) mlflow_->offer(source, p, time_ms, series_tag);
  }

 private:
  void collect_loop();
  void collect_once(std::int64_t time_ms);  // Unix ms the samples are stamped with.

  std::chrono::milliseconds interval_;
  SeriesReader reader_;
  std::vector<std::unique_ptr<Exporter>> exporters_;
  std::unique_ptr<MlflowExporter> mlflow_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::vector<SeriesSample> samples_;  // Refilled in place each collection; may hold stale extras.
  std::thread collector_;  // Only when an interval exporter is on.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_STAGE_H_
