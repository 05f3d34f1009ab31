// Nissa's HTTP endpoints, served by nissa/serve/http_server.h (bound to 127.0.0.1 by default):
//   /metrics                 Prometheus text exposition (nissa/serve/prometheus_exposition.h)
//   /api/v1/series, /api/v1/rollups, /api/v1/events, /api/v1/field_reports   (nissa/serve/query_api.h)
//   /api/v1/alerts           the alert log (nissa/analytics/alert_log.h)
//   /api/v1/views/gpu/metrics, /api/v1/views/network/demand, /api/v1/views/sla/compliance
//                            session rollup views (nissa/analytics/session_views.h)
//   POST /api/v1/admin/reload  re-reads the config's alerts, schema contracts and session options,
//                            resetting alert baselines and history (as SIGHUP does); 200 with
//                            {"reloaded":true,...}, or 400 with {"reloaded":false,"error":"..."}.
//                            An admin route: the only one that changes state, and it takes POST
//                            only (nissa/serve/admin_access.h says who may call it). Every other route
//                            is a GET that only reads.
//   /, /assets/*, /api/v1/metrics/search, /api/v1/stream
//                            the dashboard and what it alone uses (nissa/serve/dashboard_routes.h)
//   /healthz                 200 while the process serves
//   /readyz                  200 once the WAL is replayed and the bus is connected, else 503
// Everything else a request can get (400 for a bad query string, 401/403 on the admin route, 404,
// 405, 413, 414, 421, 431, 500) is the server's, the same for every route.
#ifndef ESPER_NISSA_SERVE_HTTP_ROUTES_H_
#define ESPER_NISSA_SERVE_HTTP_ROUTES_H_

#include <vector>

#include "nissa/serve/http_server.h"
#include "nissa/core/observer.h"

namespace esper::nissa {

// The routes read `observer`, which must outlive the server serving them.
std::vector<HttpRoute> nissa_http_routes(Observer& observer);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_HTTP_ROUTES_H_
