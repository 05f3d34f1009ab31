#include "nissa/serve/prometheus_exposition.h"

#include <array>
#include <cmath>
#include <charconv>
#include <map>
#include <vector>

namespace esper::nissa {
namespace {

struct UnitRule {
  std::string_view unit;
  std::string_view suffix;        // Base-unit suffix in the exposition name.
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

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];  // Shortest text that reads back as the same double.
    const auto result = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, result.ptr);
  }
}

// `{source="...",k="v"}` plus an optional extra label (the summary's quantile).
std::string labels(const SeriesKey& key, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  std::string out = "{source=\"" + escape_label_value(key.source) + "\"";
  for (const auto& [k, v] : key.attributes) {
    std::string name = prometheus_label_name(k);
    if (name == "source" || name == "quantile") name = "attr_" + name;  // Reserved by the exposition.
    out += "," + name + "=\"" + escape_label_value(v) + "\"";
  }
  if (!extra_name.empty()) {
    out += ",";
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += "\"";
  }
  return out + "}";
}

std::string_view type_name(proto::MetricKind kind) {
  switch (kind) {
    case proto::METRIC_KIND_COUNTER: return "counter";
    case proto::METRIC_KIND_HISTOGRAM: return "summary";
    default: return "gauge";
  }
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

std::string render_prometheus(const MetricAggregator& aggregator) {
  // Families by exposition name; a family takes the kind of its first series, and a series of
  // another kind under the same name is left out (Prometheus forbids mixed types in a family).
  struct Family {
    proto::MetricKind kind;
    std::string help;
    double scale;
    std::vector<const Series*> series;
  };
  std::map<std::string, Family> families;
  aggregator.for_each([&](const Series& s) {
    const PrometheusName pn = prometheus_name(s.key.name, s.unit, s.kind);
    auto [it, inserted] = families.try_emplace(pn.name);
    if (inserted) {
      it->second.kind = s.kind;
      it->second.help = "Esper metric " + s.key.name + (s.unit.empty() ? "" : " (" + s.unit + ")");
      it->second.scale = pn.scale;
    } else if (it->second.kind != s.kind) {
      return;
    }
    it->second.series.push_back(&s);
  });

  std::string out;
  out.reserve(families.size() * 256);
  static constexpr std::array<std::pair<double, std::string_view>, 4> kQuantiles{
      {{0.5, "0.5"}, {0.9, "0.9"}, {0.95, "0.95"}, {0.99, "0.99"}}};
  for (const auto& [name, family] : families) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " ";
    out += type_name(family.kind);
    out += "\n";
    for (const Series* s : family.series) {
      const auto& stats = s->stats;
      if (family.kind == proto::METRIC_KIND_HISTOGRAM && stats.sketch()) {
        for (const auto& [q, qname] : kQuantiles) {
          out += name + labels(s->key, "quantile", qname) + " ";
          append_value(out, stats.sketch()->quantile(q) * family.scale);
          out += "\n";
        }
        out += name + "_sum" + labels(s->key) + " ";
        append_value(out, stats.sum() * family.scale);
        out += "\n" + name + "_count" + labels(s->key) + " " + std::to_string(stats.count()) + "\n";
      } else {
        out += name + labels(s->key) + " ";
        append_value(out, stats.last() * family.scale);
        out += "\n";
      }
    }
  }
  return out;
}

}  // namespace esper::nissa
