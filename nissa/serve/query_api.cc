#include "nissa/serve/query_api.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <tuple>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "config/config_section.h"
#include "nissa/serve/query_args.h"
#include "proto/topic.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

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

std::string_view kind_name(proto::MetricKind kind) {
  switch (kind) {
    case proto::METRIC_KIND_COUNTER: return "counter";
    case proto::METRIC_KIND_HISTOGRAM: return "histogram";
    default: return "gauge";
  }
}

// group_by=a,b: the attribute names ("source" names the source) a rollup is grouped by.
std::vector<std::string> group_by_names(const QueryArgs& p) {
  std::vector<std::string> names;
  const auto g = p.text("group_by");
  if (!g) return names;
  std::size_t start = 0;
  while (start <= g->size()) {
    const std::size_t comma = g->find(',', start);
    std::string part = g->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.empty()) throw BadParameter("group_by", "empty attribute name");
    names.push_back(std::move(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

// The additive fields of a merged window and what derives from them.
json rollup_json(const RollupCell& cell, proto::MetricKind kind, double seconds) {
  json j{{"count", cell.count},
         {"sum", cell.sum},
         {"sum_sq", cell.sum_sq},
         {"increase", cell.increase},
         {"min", number(cell.min)},
         {"max", number(cell.max)},
         {"mean", number(cell.mean())},
         {"stddev", number(cell.stddev())},
         // Counters: increase per second; other kinds: points per second.
         {"rate", kind == proto::METRIC_KIND_COUNTER ? cell.increase / seconds
                                                       : static_cast<double>(cell.count) / seconds}};
  for (const auto& [q, name] : {std::pair{0.5, "p50"}, {0.95, "p95"}, {0.99, "p99"}}) j[name] = number(cell.quantile(q));
  return j;
}

// step=<duration>: the rollup is also given as points, one per step of the range (a chart's
// line). At least one bucket wide, and at most kMaxRollupPoints steps.
constexpr std::int64_t kMaxRollupPoints = 2000;
std::optional<std::int64_t> step_ms(const QueryArgs& p, std::int64_t bucket, std::int64_t range_ms) {
  const auto text = p.text("step");
  if (!text) return std::nullopt;
  const auto parsed = config::parse_duration(*text);
  if (!parsed || parsed->count() <= 0) throw BadParameter("step", "expected a duration such as 1m or 5m");
  if (parsed->count() < bucket) {
    throw BadParameter("step", "shorter than a rollup bucket (" + std::to_string(bucket / 1000) + "s)");
  }
  if (range_ms / parsed->count() > kMaxRollupPoints) {
    throw BadParameter("step", "more than " + std::to_string(kMaxRollupPoints) + " points in the range; take a longer step");
  }
  return parsed->count();
}

QueryReply reply(json body, int status = 200) { return QueryReply{status, body.dump()}; }

}  // namespace

QueryApi::QueryApi(const MetricAggregator& metrics, const EventLog& events,
                   const FieldReportStore& reports, Clock now_ms)
    : metrics_(metrics), events_(events), reports_(reports), now_ms_(std::move(now_ms)) {}

QueryReply QueryApi::series(const QueryParams& raw) const {
  return answer([&] {
    const QueryArgs p(raw, {"metric", "source", "limit"}, QueryArgs::AttributeFilters::kAccepted);
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
  return answer([&] {
    const QueryArgs p(raw, {"metric", "source", "group_by", "window", "from", "to", "step"},
                      QueryArgs::AttributeFilters::kAccepted);
    const auto metric = p.text("metric");
    if (!metric) throw BadParameter("metric", "required");
    const auto source = p.text("source");
    const auto attrs = p.attributes();
    const std::int64_t bucket = metrics_.options().rollups.bucket_ms;

    // Default: the hour before the end of the current bucket.
    const TimeRangeArg range = p.time_range();
    std::int64_t to = (now_ms_() / bucket + 1) * bucket;
    std::int64_t from = to - range.window.value_or(std::chrono::hours(1)).count();
    if (range.from_to) std::tie(from, to) = *range.from_to;

    const std::vector<std::string> group_by = group_by_names(p);
    const std::optional<std::int64_t> step = step_ms(p, bucket, to - from);
    const std::size_t steps = step ? static_cast<std::size_t>((to - from + *step - 1) / *step) : 0;
    std::map<std::vector<std::string>, std::vector<RollupCell>> points;

    // Groups keyed by the values of the group_by attributes ("source" names the source).
    std::map<std::vector<std::string>, std::pair<RollupCell, std::size_t>> groups;
    proto::MetricKind kind = proto::METRIC_KIND_GAUGE;
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
      if (step) {
        auto& cells = points[group];
        cells.resize(steps);
        for (const auto& [start, bucket_cell] : s.rollups.buckets()) {
          if (start < from || start >= to) continue;
          cells[static_cast<std::size_t>((start - from) / *step)].merge(bucket_cell);
        }
      }
    });

    json out = json::array();
    for (const auto& [group, entry] : groups) {
      const auto& [cell, series_count] = entry;
      json g = json::object();
      for (std::size_t i = 0; i < group_by.size(); ++i) g[group_by[i]] = group[i];
      json j = rollup_json(cell, kind, static_cast<double>(to - from) / 1000.0);
      j["group"] = std::move(g);
      j["series"] = series_count;
      if (step) {
        json line = json::array();
        const auto& cells = points[group];
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (cells[i].count == 0) continue;  // No point in that step: a gap, not a zero.
          json point = rollup_json(cells[i], kind, static_cast<double>(*step) / 1000.0);
          point["t_ms"] = from + static_cast<std::int64_t>(i) * *step;
          line.push_back(std::move(point));
        }
        j["points"] = std::move(line);
      }
      out.push_back(std::move(j));
    }
    json body{{"metric", *metric}, {"from_ms", from}, {"to_ms", to}, {"bucket_ms", bucket}, {"groups", std::move(out)}};
    if (step) body["step_ms"] = *step;
    return reply(std::move(body));
  });
}

QueryReply QueryApi::events(const QueryParams& raw) const {
  return answer([&] {
    const QueryArgs p(raw, {"since", "min_severity", "source", "limit"});
    EventQuery q;
    q.since_ms = p.integer("since").value_or(0);
    if (const auto severity = p.severity("min_severity")) q.min_severity = *severity;
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
                         {"severity", proto::severity_name(e->event.level())},
                         {"attributes", std::move(attrs)}});
    }
    return reply(json{{"events", std::move(out)}});
  });
}

QueryReply QueryApi::field_reports(const QueryParams& raw) const {
  return answer([&] {
    const QueryArgs p(raw, {"report_id", "outcome", "source", "offset", "limit"});
    const FieldReportFilter filter{p.outcome("outcome"), p.text("source")};
    const auto offset = static_cast<std::size_t>(p.unsigned_integer("offset").value_or(0));
    const std::size_t limit = p.limit(1000, 100'000);
    std::vector<const StoredFieldReport*> found;
    std::size_t matched = 0;
    if (auto id = p.text("report_id")) {
      const auto* r = reports_.find(*id);
      if (r && (!filter.outcome || r->report.outcome() == *filter.outcome) && (!filter.source || r->source == *filter.source)) {
        found.push_back(r);
      }
      matched = found.size();
    } else {
      FieldReportPage page = reports_.select(filter, offset, limit);
      found = std::move(page.reports);
      matched = page.matched;
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
    return reply(json{{"total", reports_.size()}, {"matched", matched}, {"field_reports", std::move(out)}});
  });
}

}  // namespace esper::nissa
