// Nissa's MLflow exporter: every metric point with a step, as it is ingested, becomes an MLflow
// metric (mlflow_metric.h) of the run its source maps to (mlflow_run_registry.h), sent with
// runs/log-batch from a thread of its own. Unlike the interval exporters it sends every point, not
// a snapshot per interval: MLflow draws a line per step.
//
// offer() runs on the ingest loop, under the observer's lock: it copies the point's value, step and
// time, with the id of its series (whose keys were built once, at its first point:
// mlflow_series_table.h), into a fixed ring (oldest overwritten, counted), nothing more. The sender takes what has gathered every
// `flush_interval` or once `flush_points` are there, groups it by run, creates the runs it does not
// know yet (runs/create in `experiment_id`, tagged with the source), and posts each run's metrics
// in requests within MLflow's limits. A request is tried at most `attempts` times with a short
// timeout and a jittered backoff between; then its metrics are dropped and counted, so an MLflow
// that is down or slow costs a bounded buffer and this thread, never ingest, and never blocks
// later points for long. Warnings are rate-limited per reason.
//
// Dropped (ExporterStats::dropped, by reason): buffer_full, rejected (a 4xx other than 429),
// retries_exhausted, no_run (the run could not be created), too_many_runs (beyond max_runs run
// keys, e.g. a producer inventing run_id attributes). Skipped, not meant for MLflow
// (ExporterStats::skipped): no_step, non_finite, bad_key.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_EXPORTER_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_EXPORTER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "esper/telemetry.pb.h"
#include "logging/rate_limited_log.h"
#include "nissa/export/exporter.h"
#include "nissa/export/http_post.h"
#include "nissa/export/mlflow/mlflow_point_buffer.h"
#include "nissa/export/mlflow/mlflow_run_registry.h"
#include "nissa/export/mlflow/mlflow_series_table.h"

namespace esper::nissa {

struct MlflowOptions {
  std::string url;                  // The tracking server, e.g. http://mlflow.example:5000.
  std::string experiment_id = "0";  // Where runs are created.
  std::string run_id;               // One run for every source not in `runs`; empty: create them.
  std::map<std::string, std::string> runs;  // Run key -> existing run id.
  std::set<std::string> sources;            // Only these sources; empty: every source.
  std::filesystem::path runs_file;          // Where created runs are remembered; empty: not kept.
  std::map<std::string, std::string> headers;  // Sent with every request (e.g. Authorization).
  std::chrono::milliseconds flush_interval{1000};
  std::size_t flush_points = 50;
  std::size_t max_points_per_request = 1000;  // Capped at MLflow's 1,000.
  std::chrono::milliseconds timeout{3000};     // Per request.
  int attempts = 3;                            // Per request, the first included.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{1000};
  std::size_t buffer_points = 100'000;
  std::size_t max_runs = 1000;  // Run keys this Nissa creates runs for.
};

class MlflowExporter {
 public:
  explicit MlflowExporter(MlflowOptions options);
  ~MlflowExporter();  // stop()
  MlflowExporter(const MlflowExporter&) = delete;
  MlflowExporter& operator=(const MlflowExporter&) = delete;

  // One ingested point of `source`, observed at `time_ms` (Unix ms); `series_tag` is its series'
  // Series::export_tag, set here at the series' first point. Never blocks, never allocates but
  // at a series' first point.
  void offer(std::string_view source, const proto::MetricPoint& point, std::int64_t time_ms,
             std::uint64_t& series_tag);

  // Stops the sender (a request in flight is aborted) and joins it; what is buffered is not sent.
  void stop();

  ExporterStats stats() const;
  const MlflowOptions& options() const { return options_; }

 private:
  void send_loop();
  void send_run(const std::string& run_key, std::span<const MlflowMetric> metrics);
  std::optional<std::string> resolve_run(const std::string& run_key, std::size_t metrics);
  std::optional<std::string> create_run(const std::string& run_key);
  // Posts `body` to `http` up to `attempts` times; returns the last answer.
  HttpPostResult post_with_retries(HttpPost& http, const std::string& body);
  bool wait_backoff(std::chrono::milliseconds delay);  // False if stopped meanwhile.

  MlflowOptions options_;
  MlflowSeriesTable series_;
  MlflowPointBuffer buffer_;
  MlflowRunRegistry runs_;  // Sender thread only.
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wake_;
  HttpPost create_http_;
  HttpPost log_http_;
  logging::RateLimitedLog warnings_;

  std::atomic<std::uint64_t> samples_sent_{0}, requests_sent_{0}, retries_{0};
  std::atomic<std::uint64_t> shed_{0}, rejected_{0}, exhausted_{0}, no_run_{0}, too_many_runs_{0};
  std::atomic<std::uint64_t> no_step_{0}, non_finite_{0}, bad_key_{0};
  std::uint64_t shed_logged_ = 0;  // Sender thread only.
  std::thread sender_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_EXPORTER_H_
