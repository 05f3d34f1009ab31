// Exporter options for tests against a receiver on loopback: a short timeout and retries 10-50 ms
// apart, so a scripted failure is retried within the test's patience (MLflow's also flush every
// 100 ms rather than every second).
#ifndef ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_
#define ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_

#include <chrono>
#include <filesystem>
#include <string>

#include "nissa/export/exporter.h"
#include "nissa/export/mlflow/mlflow_exporter.h"

namespace esper::nissa::testing {

inline ExporterOptions fast_exporter_options(std::string name, std::string url) {
  using namespace std::chrono_literals;
  ExporterOptions o;
  o.name = std::move(name);
  o.url = std::move(url);
  o.timeout = 2s;
  o.min_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}

inline MlflowOptions fast_mlflow_options(std::string url, std::filesystem::path runs_file = {}) {
  using namespace std::chrono_literals;
  MlflowOptions o;
  o.url = std::move(url);
  o.runs_file = std::move(runs_file);
  o.flush_interval = 100ms;
  o.timeout = 2s;
  o.min_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_
