// Nissa's HTTP server (GNU libmicrohttpd). One epoll event-loop thread owns every socket, so a
// connection that is idle or sends a byte a second costs a file descriptor and a few KiB, never a
// thread. Routes marked `on_event_loop` (cheap, never blocking: /healthz, /readyz) are answered
// right there; every other route runs on a small HandlerPool while its connection is suspended, so
// a slow handler delays only the requests queued behind it in the pool, never the event loop.
//
// What every request gets, whatever the route (nissa/serve/http_routes.h lists Nissa's):
//   - 421 {"error": ...} if its Host header does not name this server (nissa/serve/host_allowlist.h: a
//     page using DNS rebinding to reach Nissa from a browser); a request without Host (HTTP/1.0)
//     is answered to loopback clients only;
//   - its query string decoded and checked (nissa/serve/query_params.h), else 400
//     {"error": ..., "parameter": ...}: handlers only ever see valid UTF-8 without NUL;
//   - 414 for a request target over kMaxRequestTargetBytes, 431 for headers over
//     kMaxRequestHeaderBytes (a head that does not even fit kConnectionMemoryBytes is refused by
//     libmicrohttpd itself, with 414 or 431), 413 for a body over kMaxRequestBodyBytes;
//   - 404 {"error":"no such endpoint"} for an unknown path, 405 (with Allow) for a known path with
//     another method (OPTIONS included: no CORS preflight is ever approved); HEAD is served by GET
//     routes;
//   - for routes marked `admin` (the state-changing ones), 401/403 unless nissa/serve/admin_access.h lets
//     it through;
//   - 500 {"error":"internal error"} if its handler throws, logged (rate-limited) with the reason,
//     which never reaches the client;
//   - the connection closed if the request is not whole within `request_timeout` of the connection
//     opening or of its previous response (nissa/serve/request_deadlines.h), or if nothing moves on it
//     for kIdleTimeout (an idle keep-alive connection; a client that stops reading its reply).
// Refusals for a foreign Host, a cross-origin or an unauthorized admin request are counted
// (nissa/serve/http_refusals.h) and logged, rate-limited.
// At most `max_connections` connections are open; beyond that new ones are closed at once.
//
// A reply may instead be a stream (HttpReply::stream, the dashboard's Server-Sent Events,
// nissa/web/sse_stream.h): its bytes are sent as they are queued, by the event loop, and the
// connection is suspended while nothing is queued, so an open stream holds no handler thread.
// The server ends every stream it serves before it stops.
#ifndef ESPER_NISSA_SERVE_HTTP_SERVER_H_
#define ESPER_NISSA_SERVE_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nissa/serve/http_refusals.h"
#include "nissa/serve/query_params.h"
#include "nissa/web/sse_stream.h"

namespace esper::nissa {

// A request line plus headers far beyond what any client of Nissa sends (curl, Prometheus and
// Grafana send well under 1 KiB); the limits bound what one connection can make the server hold.
inline constexpr std::size_t kMaxRequestTargetBytes = 8 * 1024;
inline constexpr std::size_t kMaxRequestHeaderBytes = 8 * 1024;
// No route takes a body today (POST /api/v1/admin/reload ignores it); room for a small one.
inline constexpr std::size_t kMaxRequestBodyBytes = 64 * 1024;
// libmicrohttpd's per-connection memory pool: holds the head, the read buffer and reply headers.
inline constexpr std::size_t kConnectionMemoryBytes = 32 * 1024;
// A keep-alive connection idle this long is closed (cpp-httplib, the server before, used 5 s too);
// scrapers simply reconnect.
inline constexpr std::chrono::seconds kIdleTimeout{5};
// Handler threads: every Nissa handler reads the observer under one mutex, so more threads would
// only queue on it; two keep one slow handler (a huge /metrics) from holding up all the others.
inline constexpr std::size_t kHandlerThreads = 2;

struct HttpRequest {
  std::string method;  // As sent ("HEAD" for HEAD, though GET routes serve it).
  std::string path;
  QueryParams params;  // Decoded and checked.
  std::string body;
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers{};  // Beyond Content-Type.
  // When set, the response is this stream's bytes as they come (body is ignored).
  std::shared_ptr<web::SseStream> stream{};
};

struct HttpRoute {
  std::string method;  // "GET" (serves HEAD too) or "POST".
  std::string path;
  std::function<HttpReply(const HttpRequest&)> handler;
  bool on_event_loop = false;  // Cheap and never blocks: answered on the event loop.
  bool admin = false;          // Changes state: only for requests nissa/serve/admin_access.h lets through.
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free port.
  std::size_t max_connections = 256;
  std::chrono::milliseconds request_timeout{10'000};
  // Host names (or name:port) answered besides loopback and the bound address; "*": any.
  std::vector<std::string> allowed_hosts{};
  // The bearer token admin routes require; none: a loopback client with X-Esper-Admin: 1.
  std::optional<std::string> admin_token{};
  HttpRefusals* refusals = nullptr;  // Counted here when set; must outlive the server.
};

class HttpServer {
 public:
  // Binds and serves on background threads. Throws std::runtime_error if the address cannot be
  // bound.
  HttpServer(std::vector<HttpRoute> routes, const HttpServerOptions& options);
  ~HttpServer();  // Finishes the handlers already queued, then closes every connection.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Connections closed because a request did not arrive whole within request_timeout.
  std::uint64_t requests_timed_out() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_HTTP_SERVER_H_
