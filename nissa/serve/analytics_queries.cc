#include "nissa/serve/analytics_queries.h"

#include <nlohmann/json.hpp>

#include "proto/topic.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

json alert_json(const Alert& a) {
  json attributes = json::object();
  for (const auto& [k, v] : a.attributes) attributes[k] = v;
  return json{{"id", a.id},
              {"kind", std::string(alert_kind_name(a.kind))},
              {"rule", a.rule},
              {"event", a.event},
              {"severity", std::string(proto::severity_name(a.severity))},
              {"source", a.source},
              {"metric", a.metric},
              {"series", a.series},
              {"attributes", std::move(attributes)},
              {"value", a.value},
              {"baseline", a.baseline},
              {"score", a.score},
              {"time_ms", a.time_ms},
              {"message", a.message},
              {"state", std::string(alert_state_name(a.state))},
              {"since_ms", a.state == AlertState::kResolved ? a.resolved_ms : a.time_ms}};
}

}  // namespace

QueryReply alerts_reply(const AlertLog& log, const QueryParams& params) {
  return answer([&] {
    const QueryArgs p(params, {"since_id", "min_severity", "rule", "state", "limit"});
    AlertFilter filter;
    filter.since_id = p.unsigned_integer("since_id").value_or(0);
    filter.min_severity = p.severity("min_severity").value_or(proto::SEVERITY_DEBUG);
    filter.rule = p.text("rule").value_or("");
    if (const auto state = p.text("state")) {
      filter.state = parse_alert_state(*state);
      if (!filter.state) throw BadParameter("state", "expected firing, resolved or unknown");
    }
    filter.limit = p.limit(1000, 100'000);
    json list = json::array();
    for (const Alert* a : log.select(filter)) list.push_back(alert_json(*a));
    return QueryReply{200, json{{"alerts", std::move(list)}, {"total", log.total()}, {"dropped", log.dropped()}}.dump()};
  });
}

QueryReply session_view_reply(const SessionViews& views, SessionView view, const QueryParams& params,
                              std::int64_t now_ms) {
  return answer([&] {
    const TimeRangeArg range = QueryArgs(params, {"window", "from", "to"}).time_range();
    const auto [from_ms, to_ms] =
        range.from_to ? SessionViews::hours_covering(range.from_to->first, range.from_to->second)
                      : SessionViews::hours_before(now_ms, range.window.value_or(std::chrono::hours(1)).count());
    return QueryReply{200, views.report_json(view, from_ms, to_ms)};
  });
}

}  // namespace esper::nissa
