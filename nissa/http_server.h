// Nissa's HTTP endpoints (cpp-httplib), bound to 127.0.0.1 by default:
//   /metrics                 Prometheus text exposition (nissa/prometheus_exposition.h)
//   /api/v1/series, /api/v1/rollups, /api/v1/events, /api/v1/field_reports   (nissa/query_api.h)
//   /api/v1/alerts           the alert log (nissa/alert_log.h)
//   /api/v1/views/gpu/metrics, /api/v1/views/network/demand, /api/v1/views/sla/compliance
//                            session rollup views (nissa/session_views.h)
//   POST /api/v1/admin/reload  re-reads the config's alerts, schema contracts and session options,
//                            resetting alert baselines and history (as SIGHUP does); 200 with
//                            {"reloaded":true,...}, or 400 with {"reloaded":false,"error":"..."}
//   /healthz                 200 while the process serves
//   /readyz                  200 once the WAL is replayed and the bus is connected, else 503
#ifndef ESPER_NISSA_HTTP_SERVER_H_
#define ESPER_NISSA_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "nissa/observer.h"

namespace httplib {
class Server;
}

namespace esper::nissa {

class HttpServer {
 public:
  // Binds address:port (port 0: any free port) and serves on a background thread. Throws
  // std::runtime_error if the address cannot be bound.
  HttpServer(Observer& observer, const std::string& address, int port);
  ~HttpServer();  // Stops serving and joins.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_HTTP_SERVER_H_
