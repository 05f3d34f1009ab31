// The query API's analytics endpoints, read with the same rules as the rest (query_args.h):
//
//   GET /api/v1/alerts ?since_id=<id> &min_severity=warning &rule=<name> &state=firing|resolved|unknown
//                      &limit=<n>
//   -> {"alerts": [{"id", "kind", "rule", "event", "severity", "source", "metric", "series",
//                   "attributes", "value", "baseline", "score", "time_ms", "message",
//                   "state", "since_ms": time_ms, or when it was resolved}...],
//       "total": <raised since reset>, "dropped": <forgotten because the log was full>}
//
//   GET /api/v1/views/{gpu/metrics,network/demand,sla/compliance} ?window=24h | &from=<ms>&to=<ms>
//   -> {"from_ms", "to_ms", "groups": [...]} over whole hours (the last hour by default)
#ifndef ESPER_NISSA_SERVE_ANALYTICS_QUERIES_H_
#define ESPER_NISSA_SERVE_ANALYTICS_QUERIES_H_

#include <cstdint>

#include "nissa/analytics/alert_log.h"
#include "nissa/analytics/session_views.h"
#include "nissa/serve/query_args.h"

namespace esper::nissa {

QueryReply alerts_reply(const AlertLog& log, const QueryParams& params);
QueryReply session_view_reply(const SessionViews& views, SessionView view, const QueryParams& params,
                              std::int64_t now_ms);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_ANALYTICS_QUERIES_H_
