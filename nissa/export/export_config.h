// The `export:` section of Nissa's config: how often series are collected for the exporters, and
// each exporter, off unless its section is present.
//
//   export:
//     interval: 15s                  # like a scrape interval
//     remote_write:
//       url: http://prometheus.example:9090/api/v1/write
//       external_labels: {host: gpu-01}
//       timeout: 5s
//       buffer: 64MiB                # held while the remote is down; oldest shed beyond it
//       max_batch_age: 1h
//       max_samples_per_request: 2000
//       min_backoff: 100ms           # retry delays double from min to max, jittered
//       max_backoff: 5s
//     otlp:                          # OTLP/HTTP metrics (nissa/export/otlp_encoder.h)
//       url: http://collector.example:4318/v1/metrics   # /v1/metrics is added to a bare host
//       encoding: protobuf           # or json
//       resource_attributes: {host.name: gpu-01}        # service.name is each series' source
//       headers: {Authorization: Bearer ...}
//       max_points_per_request: 2000
//       # timeout, buffer, max_batch_age, min_backoff, max_backoff as for remote_write
//     mlflow:                        # every point with a step, as ingested (mlflow/mlflow_exporter.h)
//       url: http://mlflow.example:5000
//       experiment_id: "0"           # where runs are created; default MLFLOW_EXPERIMENT_ID, else 0
//       run_id: ...                  # one run for every source; default MLFLOW_RUN_ID
//       runs: {tolaria: 8c1f...}     # or per source (or source/run_id); others are created
//       sources: [tolaria, rl-trainer]   # default: every source
//       headers: {Authorization: Bearer ...}
//       flush_interval: 1s           # send every second, or once flush_points have gathered
//       flush_points: 50
//       max_points_per_request: 1000 # MLflow's own limit
//       timeout: 3s
//       attempts: 3                  # per request, then its metrics are dropped (counted)
//       min_backoff: 100ms
//       max_backoff: 1s
//       buffer_points: 100000        # oldest shed beyond it
//       max_runs: 1000               # run keys this Nissa creates runs for
#ifndef ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_
#define ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_

#include <chrono>
#include <optional>

#include "config/config_section.h"
#include "nissa/export/exporter.h"
#include "nissa/export/mlflow/mlflow_exporter.h"
#include "nissa/export/otlp_encoder.h"
#include "nissa/export/remote_write_encoder.h"

namespace esper::nissa {

struct RemoteWriteExport {
  ExporterOptions exporter;
  RemoteWriteOptions encoding;
};

struct OtlpExport {
  ExporterOptions exporter;
  OtlpOptions encoding;
};

struct ExportConfig {
  std::chrono::milliseconds interval{15'000};
  std::optional<RemoteWriteExport> remote_write;
  std::optional<OtlpExport> otlp;
  std::optional<MlflowOptions> mlflow;  // runs_file is set by Nissa's config: in its state directory.

  // Whether any exporter is on; whether any works on the interval's snapshots.
  bool any() const { return interval_exporters() || mlflow.has_value(); }
  bool interval_exporters() const { return remote_write.has_value() || otlp.has_value(); }
};

// Reads `export:`. Throws config::ConfigError.
ExportConfig read_export_config(config::Section section);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_
