#include "nissa/http_server.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "nissa/prometheus_exposition.h"
#include "nissa/query_api.h"
#include "nissa/session_views.h"
#include "proto/envelope_codec.h"

namespace esper::nissa {
namespace {

std::int64_t now_ms() { return static_cast<std::int64_t>(wire::now_unix_ns() / 1'000'000); }

// Runs a QueryApi handler against the observer's state and writes its reply.
template <typename Method>
void answer(const Observer& observer, Method method, const httplib::Request& req, httplib::Response& res) {
  const QueryReply reply = observer.read([&](const MetricAggregator& m, const EventLog& e, const FieldReportStore& r) {
    const QueryApi api(m, e, r, now_ms);
    return (api.*method)(req.params);
  });
  res.status = reply.status;
  res.set_content(reply.body, "application/json");
}

}  // namespace

HttpServer::HttpServer(Observer& observer, const std::string& address, int port)
    : server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  s.Get("/metrics", [&observer](const httplib::Request&, httplib::Response& res) {
    std::string text = observer.read([](const MetricAggregator& m, const EventLog&, const FieldReportStore&) {
      return render_prometheus(m);
    });
    res.set_content(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/v1/series", [&observer](const httplib::Request& q, httplib::Response& r) {
    answer(observer, &QueryApi::series, q, r);
  });
  s.Get("/api/v1/rollups", [&observer](const httplib::Request& q, httplib::Response& r) {
    answer(observer, &QueryApi::rollups, q, r);
  });
  s.Get("/api/v1/events", [&observer](const httplib::Request& q, httplib::Response& r) {
    answer(observer, &QueryApi::events, q, r);
  });
  s.Get("/api/v1/field_reports", [&observer](const httplib::Request& q, httplib::Response& r) {
    answer(observer, &QueryApi::field_reports, q, r);
  });
  s.Get("/api/v1/alerts", [&observer](const httplib::Request& q, httplib::Response& r) {
    const QueryReply reply = observer.read_analytics([&](const Analytics& a) { return a.alerts.log().query(q.params); });
    r.status = reply.status;
    r.set_content(reply.body, "application/json");
  });
  const std::pair<const char*, SessionView> views[] = {{"/api/v1/views/gpu/metrics", SessionView::kGpuMetrics},
                                                       {"/api/v1/views/network/demand", SessionView::kNetworkDemand},
                                                       {"/api/v1/views/sla/compliance", SessionView::kSlaCompliance}};
  for (const auto& [path, view] : views) {
    s.Get(path, [&observer, view = view](const httplib::Request& q, httplib::Response& r) {
      const QueryReply reply =
          observer.read_analytics([&](const Analytics& a) { return a.sessions.query(view, q.params, now_ms()); });
      r.status = reply.status;
      r.set_content(reply.body, "application/json");
    });
  }
  s.Post("/api/v1/admin/reload", [&observer](const httplib::Request&, httplib::Response& r) {
    const ReloadResult result = observer.reload();
    nlohmann::json j{{"reloaded", result.ok}};
    if (result.ok) {
      j["alert_rules"] = result.rules;
      j["schema_contracts"] = result.contracts;
      j["message"] = result.message;
    } else {
      j["error"] = result.message;
    }
    r.status = result.ok ? 200 : 400;
    r.set_content(j.dump(), "application/json");
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  s.Get("/readyz", [&observer](const httplib::Request&, httplib::Response& res) {
    const bool ready = observer.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "{\"ready\":true}" : "{\"ready\":false}", "application/json");
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(res.status == 404 ? "{\"error\":\"no such endpoint\"}" : "{\"error\":\"request failed\"}",
                      "application/json");
    }
  });

  if (port == 0) {
    port_ = s.bind_to_any_port(address);
  } else {
    port_ = s.bind_to_port(address, port) ? port : -1;
  }
  if (port_ <= 0) {
    throw std::runtime_error("cannot bind HTTP to " + address + ":" + std::to_string(port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HttpServer::~HttpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace esper::nissa
