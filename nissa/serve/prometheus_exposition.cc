#include "nissa/serve/prometheus_exposition.h"

#include <array>
#include <cmath>
#include <charconv>
#include <map>
#include <vector>

namespace esper::nissa {
namespace {

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
  std::string out = "{";
  for (const auto& [name, value] : prometheus_labels(key)) {
    if (out.size() > 1) out += ",";
    out += name + "=\"" + escape_label_value(value) + "\"";
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
  for (const auto& [name, family] : families) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " ";
    out += type_name(family.kind);
    out += "\n";
    for (const Series* s : family.series) {
      const auto& stats = s->stats;
      if (family.kind == proto::METRIC_KIND_HISTOGRAM && stats.sketch()) {
        for (const auto& [q, qname] : kSummaryQuantiles) {
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
