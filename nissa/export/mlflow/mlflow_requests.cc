#include "nissa/export/mlflow/mlflow_requests.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

using json = nlohmann::json;

// Run names carry a producer's `run_id` attribute, which is free text: never let a bad byte throw.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json metric_json(const MlflowMetric& m) {
  return json{{"key", m.key}, {"value", m.value}, {"timestamp", m.timestamp_ms}, {"step", m.step}};
}

MlflowLogBatchBody finish(std::string_view run_id, json metrics) {
  MlflowLogBatchBody body;
  body.metrics = metrics.size();
  body.json = dump(json{{"run_id", run_id}, {"metrics", std::move(metrics)}});
  return body;
}

}  // namespace

std::vector<MlflowLogBatchBody> log_batch_bodies(std::string_view run_id, std::span<const MlflowMetric> metrics,
                                                 std::size_t max_metrics) {
  max_metrics = std::clamp<std::size_t>(max_metrics, 1, kMlflowMaxMetricsPerRequest);
  // What a body is besides its metrics, and a margin for the commas between them.
  const std::size_t envelope_bytes = run_id.size() * 2 + 64;
  std::vector<MlflowLogBatchBody> out;
  json current = json::array();
  std::size_t current_bytes = envelope_bytes;
  for (const MlflowMetric& m : metrics) {
    json one = metric_json(m);
    const std::size_t bytes = dump(one).size() + 1;
    if (!current.empty() && (current.size() == max_metrics || current_bytes + bytes > kMlflowMaxRequestBytes)) {
      out.push_back(finish(run_id, std::move(current)));
      current = json::array();
      current_bytes = envelope_bytes;
    }
    current.push_back(std::move(one));
    current_bytes += bytes;
  }
  if (!current.empty()) out.push_back(finish(run_id, std::move(current)));
  return out;
}

std::string create_run_body(std::string_view experiment_id, std::string_view run_name, std::int64_t start_time_ms,
                            const std::map<std::string, std::string>& tags) {
  json tag_list = json::array();
  for (const auto& [key, value] : tags) tag_list.push_back(json{{"key", key}, {"value", value}});
  return dump(json{{"experiment_id", experiment_id},
                   {"run_name", run_name},
                   {"start_time", start_time_ms},
                   {"tags", std::move(tag_list)}});
}

std::optional<std::string> created_run_id(std::string_view answer) {
  const json j = json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto run = j.find("run");
  if (run == j.end() || !run->is_object()) return std::nullopt;
  const auto info = run->find("info");
  if (info == run->end() || !info->is_object()) return std::nullopt;
  for (const char* field : {"run_id", "run_uuid"}) {  // run_uuid: what servers before 1.x answered.
    const auto id = info->find(field);
    if (id != info->end() && id->is_string() && !id->get<std::string>().empty()) return id->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace esper::nissa
