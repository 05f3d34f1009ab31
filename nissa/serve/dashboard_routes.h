// The routes of Nissa's dashboard (issue #19), registered beside the API by nissa/serve/http_routes.h:
//   /, /assets/*              the single-page app compiled into Nissa (nissa/web/dashboard_assets.h),
//                             with a strict Content-Security-Policy and nosniff
//   /api/v1/metrics/search    one page of metric names (nissa/serve/metric_search.h)
//   /api/v1/stream            Server-Sent Events: "hello" and "counters" (headline numbers, every
//                             second), "events" and "alerts" (what is new, as /api/v1/events and
//                             /api/v1/alerts would return it); 503 beyond web::kMaxSseStreams streams
#ifndef ESPER_NISSA_SERVE_DASHBOARD_ROUTES_H_
#define ESPER_NISSA_SERVE_DASHBOARD_ROUTES_H_

#include <vector>

#include "nissa/core/observer.h"
#include "nissa/serve/http_server.h"

namespace esper::nissa {

// The routes read `observer`, which must outlive them. They share one live feed thread, started by
// the first stream and stopped when the last route is destroyed.
std::vector<HttpRoute> dashboard_routes(Observer& observer);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_DASHBOARD_ROUTES_H_
