#include "nissa/serve/http_routes.h"

#include <nlohmann/json.hpp>

#include "nissa/serve/analytics_queries.h"
#include "nissa/serve/dashboard_routes.h"
#include "nissa/serve/prometheus_exposition.h"
#include "nissa/serve/query_api.h"
#include "proto/envelope_codec.h"

namespace esper::nissa {
namespace {

std::int64_t now_ms() { return static_cast<std::int64_t>(proto::now_unix_ns() / 1'000'000); }

HttpReply json_reply(const QueryReply& reply) { return HttpReply{reply.status, reply.body, "application/json"}; }

// A QueryApi handler run against the observer's state.
template <typename Method>
HttpRoute query_route(Observer& observer, const char* path, Method method) {
  return {"GET", path, [&observer, method](const HttpRequest& request) {
            return json_reply(observer.read([&](const MetricAggregator& m, const EventLog& e, const FieldReportStore& r) {
              const QueryApi api(m, e, r, now_ms);
              return (api.*method)(request.params);
            }));
          }};
}

}  // namespace

std::vector<HttpRoute> nissa_http_routes(Observer& observer) {
  std::vector<HttpRoute> routes;
  routes.push_back({"GET", "/metrics", [&observer](const HttpRequest&) {
                      std::string text = observer.read(
                          [](const MetricAggregator& m, const EventLog&, const FieldReportStore&) { return render_prometheus(m); });
                      return HttpReply{200, std::move(text), "text/plain; version=0.0.4; charset=utf-8"};
                    }});
  routes.push_back(query_route(observer, "/api/v1/series", &QueryApi::series));
  routes.push_back(query_route(observer, "/api/v1/rollups", &QueryApi::rollups));
  routes.push_back(query_route(observer, "/api/v1/events", &QueryApi::events));
  routes.push_back(query_route(observer, "/api/v1/field_reports", &QueryApi::field_reports));
  routes.push_back({"GET", "/api/v1/alerts", [&observer](const HttpRequest& request) {
                      return json_reply(
                          observer.read_analytics([&](const Analytics& a) { return alerts_reply(a.alerts.log(), request.params); }));
                    }});
  const std::pair<const char*, SessionView> views[] = {{"/api/v1/views/gpu/metrics", SessionView::kGpuMetrics},
                                                       {"/api/v1/views/network/demand", SessionView::kNetworkDemand},
                                                       {"/api/v1/views/sla/compliance", SessionView::kSlaCompliance}};
  for (const auto& [path, view] : views) {
    routes.push_back({"GET", path, [&observer, view = view](const HttpRequest& request) {
                        return json_reply(observer.read_analytics(
                            [&](const Analytics& a) { return session_view_reply(a.sessions, view, request.params, now_ms()); }));
                      }});
  }
  routes.push_back({"POST", "/api/v1/admin/reload", [&observer](const HttpRequest&) {
                      const ReloadResult result = observer.reload();
                      nlohmann::json j{{"reloaded", result.ok}};
                      if (result.ok) {
                        j["alert_rules"] = result.rules;
                        j["schema_contracts"] = result.contracts;
                        j["message"] = result.message;
                      } else {
                        j["error"] = result.message;
                      }
                      // The error is a config error naming the file; replace what is not UTF-8.
                      return HttpReply{result.ok ? 200 : 400, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                       "application/json"};
                    },
                    /*on_event_loop=*/false, /*admin=*/true});
  routes.push_back({"GET", "/healthz",
                    [](const HttpRequest&) { return HttpReply{200, "{\"status\":\"ok\"}", "application/json"}; },
                    /*on_event_loop=*/true});
  routes.push_back({"GET", "/readyz",
                    [&observer](const HttpRequest&) {
                      const bool ready = observer.ready();
                      return HttpReply{ready ? 200 : 503, ready ? "{\"ready\":true}" : "{\"ready\":false}",
                                       "application/json"};
                    },
                    /*on_event_loop=*/true});
  for (HttpRoute& route : dashboard_routes(observer)) routes.push_back(std::move(route));
  return routes;
}

}  // namespace esper::nissa
