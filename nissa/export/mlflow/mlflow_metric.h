// What Nissa sends MLflow for one metric point: the run it belongs to and the metric as
// `runs/log-batch` takes it. A point becomes one when it has a step and a finite value; its key is
// the point's name under its category prefix (proto/metric_category.h: the `category` attribute
// picks it, misc/ without one; a name that already has a prefix keeps it), followed by its other
// attributes, so two series of one run never share a key:
//
//   rl-trainer  evaluator/mean_return                       -> evaluator/mean_return
//   tolaria     tolaria.loss {category: TRAINER}            -> trainer/tolaria.loss
//   kasmina     kasmina.seed.alpha {seed_id: s3}            -> misc/kasmina.seed.alpha/seed_id_s3
//
// The run is the point's source, or "<source>/<run_id>" when the point has a `run_id` attribute
// (a trainer that starts several runs in one process). Characters MLflow refuses in a key
// (anything but letters, digits, _ - . / and space) become '_'.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_METRIC_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_METRIC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "esper/telemetry.pb.h"

namespace esper::nissa {

struct MlflowMetric {
  std::string run;  // The run key: source, or source/run_id.
  std::string key;
  double value = 0;
  std::int64_t timestamp_ms = 0;  // Unix ms.
  std::int64_t step = 0;
};

// Why a point is not sent to MLflow.
enum class MlflowSkip {
  kNoStep,     // MLflow charts metrics by step; a point without one has nowhere to go.
  kNonFinite,  // JSON has no NaN or infinity.
  kBadKey,     // Longer than MLflow's 250 characters.
};

inline constexpr std::size_t kMlflowMaxKeyBytes = 250;

std::variant<MlflowMetric, MlflowSkip> to_mlflow_metric(std::string_view source, const proto::MetricPoint& point,
                                                        std::int64_t time_ms);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_METRIC_H_
