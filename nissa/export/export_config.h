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
#ifndef ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_
#define ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_

#include <chrono>
#include <optional>

#include "config/config_section.h"
#include "nissa/export/exporter.h"
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

  bool any() const { return remote_write.has_value() || otlp.has_value(); }
};

// Reads `export:`. Throws config::ConfigError.
ExportConfig read_export_config(config::Section section);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_CONFIG_H_
