// The MLflow REST requests Nissa makes, as JSON bodies, and what it reads from the answers:
//
//   POST /api/2.0/mlflow/runs/create     {"experiment_id", "run_name", "start_time", "tags"}
//                                        -> {"run": {"info": {"run_id": ...}}}
//   POST /api/2.0/mlflow/runs/log-batch  {"run_id", "metrics": [{"key", "value", "timestamp", "step"}]}
//
// A log-batch request stays within MLflow's documented limits: at most 1,000 metrics and 1 MB of
// JSON; log_batch_bodies() splits a run's metrics across as many requests as that takes.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_REQUESTS_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_REQUESTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nissa/export/mlflow/mlflow_metric.h"

namespace esper::nissa {

inline constexpr std::size_t kMlflowMaxMetricsPerRequest = 1000;
inline constexpr std::size_t kMlflowMaxRequestBytes = 1'000'000;

inline constexpr std::string_view kMlflowCreateRunPath = "/api/2.0/mlflow/runs/create";
inline constexpr std::string_view kMlflowLogBatchPath = "/api/2.0/mlflow/runs/log-batch";

struct MlflowLogBatchBody {
  std::string json;
  std::size_t metrics = 0;
};

// `metrics` (all of one run) as log-batch bodies of at most `max_metrics` (capped at MLflow's
// 1,000) metrics and 1 MB each, in order.
std::vector<MlflowLogBatchBody> log_batch_bodies(std::string_view run_id, std::span<const MlflowMetric> metrics,
                                                 std::size_t max_metrics);

std::string create_run_body(std::string_view experiment_id, std::string_view run_name, std::int64_t start_time_ms,
                            const std::map<std::string, std::string>& tags);

// The run id in a runs/create answer; nullopt if the answer is not one.
std::optional<std::string> created_run_id(std::string_view answer);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_REQUESTS_H_
