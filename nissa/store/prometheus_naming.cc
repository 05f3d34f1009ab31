#include "nissa/store/prometheus_naming.h"

namespace esper::nissa {
namespace {

struct UnitRule {
  std::string_view unit;
  std::string_view suffix;        // Base-unit suffix in the Prometheus name.
  std::string_view name_suffix;   // The same unit as Esper names often spell it, replaced if present.
  double scale;
};

constexpr std::array<UnitRule, 9> kUnitRules{{
    {"ms", "_seconds", "_ms", 1e-3},
    {"s", "_seconds", "_s", 1},
    {"ns", "_seconds", "_ns", 1e-9},
    {"GB", "_bytes", "_gb", 1e9},
    {"MB", "_bytes", "_mb", 1e6},
    {"bytes", "_bytes", "_bytes", 1},
    {"%", "_percent", "_percent", 1},
    {"ratio", "_ratio", "_ratio", 1},
    {"Mbps", "_bits_per_second", "_mbps", 1e6},
}};

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

void strip_suffix(std::string& name, std::string_view suffix) {
  if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
}

}  // namespace

std::string prometheus_label_name(std::string_view key) {
  std::string out = sanitize(key);
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "_");
  if (out.starts_with("__")) out.insert(0, "attr");  // Names starting "__" are reserved.
  return out;
}

PrometheusName prometheus_name(std::string_view dotted_name, std::string_view unit,
                               proto::MetricKind kind) {
  PrometheusName out;
  out.name = "esper_" + sanitize(dotted_name);
  if (kind == proto::METRIC_KIND_COUNTER) strip_suffix(out.name, "_total");
  for (const auto& rule : kUnitRules) {
    if (unit != rule.unit) continue;
    strip_suffix(out.name, rule.name_suffix);
    if (!out.name.ends_with(rule.suffix)) out.name += rule.suffix;
    out.scale = rule.scale;
    break;
  }
  if (kind == proto::METRIC_KIND_COUNTER) out.name += "_total";
  return out;
}

std::vector<std::pair<std::string, std::string>> prometheus_labels(const SeriesKey& key) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(key.attributes.size() + 1);
  out.emplace_back("source", key.source);
  for (const auto& [k, v] : key.attributes) {
    std::string name = prometheus_label_name(k);
    if (name == "source" || name == "quantile") name = "attr_" + name;
    out.emplace_back(std::move(name), v);
  }
  return out;
}

}  // namespace esper::nissa
