#include "nissa/query_api.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "config/config_section.h"
#include "nissa/query_params.h"
#include "proto/topic.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

// A 400 reply, thrown by parameter parsing and caught at the top of each handler.
struct BadParameter : std::runtime_error {
  BadParameter(std::string parameter_, const std::string& problem)
      : std::runtime_error(problem), parameter(std::move(parameter_)) {}
  std::string parameter;
};

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// The parameters of one request, with the set of names a handler accepts.
class Params {
 public:
  Params(const QueryParams& raw, std::set<std::string> allowed) : raw_(raw) {
    for (const auto& [name, value] : raw_) {
      if (!allowed.contains(name) && !name.starts_with("attr.")) {
        throw BadParameter(name, "unknown parameter");
      }
    }
  }

  std::optional<std::string> text(const std::string& name) const {
    auto it = raw_.find(name);
    if (it == raw_.end()) return std::nullopt;
    if (raw_.count(name) > 1) throw BadParameter(name, "given more than once");
    return it->second;
  }

  template <typename Int>
  std::optional<Int> integer(const std::string& name) const {
    auto t = text(name);
    if (!t) return std::nullopt;
    Int v{};
    auto [ptr, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec != std::errc() || ptr != t->data() + t->size()) {
      throw BadParameter(name, "expected an integer, got '" + *t + "'");
    }
    return v;
  }

  std::size_t limit(std::size_t fallback, std::size_t max) const {
    const auto v = integer<std::size_t>("limit");
    if (v && (*v == 0 || *v > max)) {
      throw BadParameter("limit", "must be between 1 and " + std::to_string(max));
    }
    return v.value_or(fallback);
  }

  // attr.<key>=<value> filters.
  std::vector<std::pair<std::string, std::string>> attributes() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : raw_) {
      if (name.starts_with("attr.")) {
        if (name.size() == 5) throw BadParameter(name, "attribute filter needs a key: attr.<key>=<value>");
        out.emplace_back(name.substr(5), value);
      }
    }
    return out;
  }

 private:
  const QueryParams& raw_;
};

const std::string* attribute(const SeriesKey& key, const std::string& name) {
  for (const auto& [k, v] : key.attributes) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool matches(const Series& s, const std::optional<std::string>& metric,
             const std::optional<std::string>& source,
             const std::vector<std::pair<std::string, std::string>>& attrs) {
  if (metric && s.key.name != *metric) return false;
  if (source && s.key.source != *source) return false;
  for (const auto& [k, v] : attrs) {
    const std::string* have = attribute(s.key, k);
    if (have == nullptr || *have != v) return false;
  }
  return true;
}

json attributes_json(const SeriesKey& key) {
  json a = json::object();
  for (const auto& [k, v] : key.attributes) a[k] = v;
  return a;
}

std::string_view kind_name(leyline::MetricKind kind) {
  switch (kind) {
    case leyline::METRIC_KIND_COUNTER: return "counter";
    case leyline::METRIC_KIND_HISTOGRAM: return "histogram";
    default: return "gauge";
  }
}

QueryReply reply(json body, int status = 200) { return QueryReply{status, body.dump()}; }

template <typename Handler>
QueryReply guarded(Handler&& handler) {
  try {
    return handler();
  } catch (const BadParameter& e) {
    return QueryReply{400, bad_parameter_json(e.parameter, e.what())};
  }
}

}  // namespace

QueryApi::QueryApi(const MetricAggregator& metrics, const EventLog& events,
                   const FieldReportStore& reports, Clock now_ms)
    : metrics_(metrics), events_(events), reports_(reports), now_ms_(std::move(now_ms)) {}

QueryReply QueryApi::series(const QueryParams& raw) const {
  return guarded([&] {
    const Params p(raw, {"metric", "source", "limit"});
    const auto metric = p.text("metric");
    const auto source = p.text("source");
    const auto attrs = p.attributes();
    const std::size_t limit = p.limit(1000, 100'000);
    json out = json::array();
    std::size_t matched = 0;
    metrics_.for_each([&](const Series& s) {
      if (!matches(s, metric, source, attrs)) return;
      if (++matched > limit) return;
      const auto& st = s.stats;
      json j{{"source", s.key.source},
             {"metric", s.key.name},
             {"attributes", attributes_json(s.key)},
             {"unit", s.unit},
             {"kind", kind_name(s.kind)},
             {"count", st.count()},
             {"sum", number(st.sum())},
             {"min", number(st.min())},
             {"max", number(st.max())},
             {"last", number(st.last())},
             {"last_time_ms", st.last_time_ms()},
             {"ewma", number(st.ewma())},
             {"rolling_mean", number(st.rolling_mean())},
             {"rolling_stddev", number(st.rolling_stddev())}};
      if (st.sketch()) {
        for (const auto& [q, name] : {std::pair{0.5, "p50"}, {0.9, "p90"}, {0.95, "p95"}, {0.99, "p99"}}) {
          j[name] = number(st.sketch()->quantile(q));
        }
      }
      out.push_back(std::move(j));
    });
    return reply(json{{"series", std::move(out)}, {"matched", matched}, {"truncated", matched > limit}});
  });
}

QueryReply QueryApi::rollups(const QueryParams& raw) const {
  return guarded([&] {
    const Params p(raw, {"metric", "source", "group_by", "window", "from", "to"});
    const auto metric = p.text("metric");
    if (!metric) throw BadParameter("metric", "required");
    const auto source = p.text("source");
    const auto attrs = p.attributes();
    const std::int64_t bucket = metrics_.options().rollups.bucket_ms;

    std::int64_t from = 0, to = 0;
    const auto window = p.text("window");
    const auto from_ms = p.integer<std::int64_t>("from");
    const auto to_ms = p.integer<std::int64_t>("to");
    if (window && (from_ms || to_ms)) throw BadParameter("window", "give either window or from/to");
    if (window) {
      const auto d = config::parse_duration(*window);
      if (!d || d->count() <= 0) throw BadParameter("window", "expected a duration such as 5m or 1h");
      to = (now_ms_() / bucket + 1) * bucket;
      from = to - d->count();
    } else if (from_ms && to_ms) {
      from = *from_ms;
      to = *to_ms;
      if (to <= from) throw BadParameter("to", "must be after from");
    } else if (from_ms || to_ms) {
      throw BadParameter(from_ms ? "to" : "from", "from and to go together");
    } else {
      to = (now_ms_() / bucket + 1) * bucket;
      from = to - 3'600'000;  // Default: the last hour.
    }

    std::vector<std::string> group_by;
    if (auto g = p.text("group_by")) {
      std::size_t start = 0;
      while (start <= g->size()) {
        const std::size_t comma = g->find(',', start);
        std::string part = g->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (part.empty()) throw BadParameter("group_by", "empty attribute name");
        group_by.push_back(std::move(part));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }

    // Groups keyed by the values of the group_by attributes ("source" names the source).
    std::map<std::vector<std::string>, std::pair<RollupCell, std::size_t>> groups;
    leyline::MetricKind kind = leyline::METRIC_KIND_GAUGE;
    metrics_.for_each([&](const Series& s) {
      if (!matches(s, metric, source, attrs)) return;
      std::vector<std::string> group;
      for (const auto& name : group_by) {
        const std::string* v = name == "source" ? &s.key.source : attribute(s.key, name);
        group.push_back(v ? *v : "");
      }
      auto& [cell, series_count] = groups[group];
      cell.merge(s.rollups.window(from, to));
      ++series_count;
      kind = s.kind;
    });

    const double seconds = static_cast<double>(to - from) / 1000.0;
    json out = json::array();
    for (const auto& [group, entry] : groups) {
      const auto& [cell, series_count] = entry;
      json g = json::object();
      for (std::size_t i = 0; i < group_by.size(); ++i) g[group_by[i]] = group[i];
      json j{{"group", std::move(g)},
             {"series", series_count},
             {"count", cell.count},
             {"sum", cell.sum},
             {"sum_sq", cell.sum_sq},
             {"increase", cell.increase},
             {"min", number(cell.min)},
             {"max", number(cell.max)},
             {"mean", number(cell.mean())},
             {"stddev", number(cell.stddev())},
             // Counters: increase per second; other kinds: points per second.
             {"rate", kind == leyline::METRIC_KIND_COUNTER ? cell.increase / seconds
                                                           : static_cast<double>(cell.count) / seconds}};
      for (const auto& [q, name] : {std::pair{0.5, "p50"}, {0.95, "p95"}, {0.99, "p99"}}) {
        j[name] = number(cell.quantile(q));
      }
      out.push_back(std::move(j));
    }
    return reply(json{{"metric", *metric},
                      {"from_ms", from},
                      {"to_ms", to},
                      {"bucket_ms", bucket},
                      {"groups", std::move(out)}});
  });
}

QueryReply QueryApi::events(const QueryParams& raw) const {
  return guarded([&] {
    const Params p(raw, {"since", "min_severity", "source", "limit"});
    EventQuery q;
    q.since_ms = p.integer<std::int64_t>("since").value_or(0);
    if (auto s = p.text("min_severity")) {
      const auto severity = wire::parse_severity(*s);
      if (!severity) throw BadParameter("min_severity", "expected debug, info, warning, high or critical");
      q.min_severity = *severity;
    }
    q.source = p.text("source");
    q.limit = p.limit(1000, 100'000);
    json out = json::array();
    for (const StoredEvent* e : events_.query(q)) {
      json attrs = json::object();
      for (const auto& [k, v] : e->event.attributes()) attrs[k] = v;
      out.push_back(json{{"seq", e->seq},
                         {"source", e->source},
                         {"time_ms", e->time_ms},
                         {"event_id", e->event.event_id()},
                         {"description", e->event.description()},
                         {"severity", wire::severity_name(e->event.level())},
                         {"attributes", std::move(attrs)}});
    }
    return reply(json{{"events", std::move(out)}});
  });
}

QueryReply QueryApi::field_reports(const QueryParams& raw) const {
  return guarded([&] {
    const Params p(raw, {"report_id", "offset", "limit"});
    std::vector<const StoredFieldReport*> found;
    if (auto id = p.text("report_id")) {
      if (const auto* r = reports_.find(*id)) found.push_back(r);
    } else {
      found = reports_.list(p.integer<std::size_t>("offset").value_or(0), p.limit(1000, 100'000));
    }
    json out = json::array();
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    for (const StoredFieldReport* r : found) {
      std::string report_json;
      (void)google::protobuf::util::MessageToJsonString(r->report, &report_json, options);
      out.push_back(json{{"source", r->source},
                         {"durable_at_unix_ns", r->durable_at_unix_ns},
                         {"report", json::parse(report_json)}});
    }
    return reply(json{{"total", reports_.size()}, {"field_reports", std::move(out)}});
  });
}

}  // namespace esper::nissa
