#include "nissa/export/mlflow/mlflow_metric.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "proto/metric_category.h"

namespace esper::nissa {
namespace {

bool key_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == ' ';
}

void append_sanitized(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(key_char_ok(c) ? c : '_');
}

}  // namespace

std::variant<MlflowMetric, MlflowSkip> to_mlflow_metric(std::string_view source, const proto::MetricPoint& point,
                                                        std::int64_t time_ms) {
  if (!point.has_step()) return MlflowSkip::kNoStep;
  if (!std::isfinite(point.value())) return MlflowSkip::kNonFinite;

  MlflowMetric m;
  m.run = std::string(source);
  m.value = point.value();
  m.timestamp_ms = time_ms;
  m.step = static_cast<std::int64_t>(std::min<std::uint64_t>(point.step(), std::numeric_limits<std::int64_t>::max()));

  const auto& attributes = point.attributes();
  if (!proto::has_category_prefix(point.name())) {
    const auto category = attributes.find("category");
    m.key = proto::category_prefix(category == attributes.end() ? std::string_view() : category->second);
  }
  append_sanitized(m.key, point.name());
  // Protobuf maps have no order: sort, so a series keeps one key.
  std::vector<std::pair<std::string_view, std::string_view>> rest;
  for (const auto& [name, value] : attributes) {
    if (name == "category") continue;
    if (name == "run_id") {
      m.run += "/";
      append_sanitized(m.run, value);  // It names a run and a line of the runs file.
      continue;
    }
    rest.emplace_back(name, value);
  }
  std::sort(rest.begin(), rest.end());
  for (const auto& [name, value] : rest) {
    m.key += '/';
    append_sanitized(m.key, name);
    m.key += '_';
    append_sanitized(m.key, value);
  }
  if (m.key.size() > kMlflowMaxKeyBytes) return MlflowSkip::kBadKey;
  return m;
}

}  // namespace esper::nissa
