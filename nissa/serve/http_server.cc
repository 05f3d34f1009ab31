#include "nissa/serve/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "logging/rate_limited_log.h"
#include "nissa/serve/admin_access.h"
#include "nissa/serve/handler_pool.h"
#include "nissa/serve/host_allowlist.h"
#include "nissa/serve/request_deadlines.h"

namespace esper::nissa {
namespace {

HttpReply json_error(int status, const std::string& error) {
  // The error may quote what the client sent (a Host, an Origin): escaped, and any bad byte replaced.
  return HttpReply{status, nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                   "application/json"};
}

// The client's address, as libmicrohttpd saw it (null if unknown).
const sockaddr* client_address(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return info != nullptr ? info->client_addr : nullptr;
}

bool is_loopback(const sockaddr* address) {
  if (address == nullptr) return false;
  if (address->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

std::string address_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address != nullptr && address->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address != nullptr && address->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

const char* header(MHD_Connection* connection, const char* name) {
  return MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
}

// One request on a connection, from its request line to the end of its response
// (libmicrohttpd's per-request context).
struct Request {
  std::string target;  // As received: path and query string, still percent-encoded.
  bool head_checked = false;
  bool dispatched = false;
  std::string body;
  std::optional<HttpReply> reply;  // Set on a handler thread before the connection is resumed.
};

// A streamed reply's state, owned by its libmicrohttpd response (freed with it).
struct StreamedBody {
  std::shared_ptr<web::SseStream> stream;
  MHD_Connection* connection;

  // Runs on the event loop. With nothing queued the connection is suspended (under the stream's
  // lock; the stream resumes it when bytes arrive), so libmicrohttpd does not spin on it.
  static ssize_t read(void* cls, std::uint64_t, char* out, std::size_t max) {
    auto* self = static_cast<StreamedBody*>(cls);
    MHD_Connection* connection = self->connection;
    const auto result = self->stream->read(out, max, [connection] { MHD_suspend_connection(connection); });
    switch (result.what) {
      case web::SseStream::Read::kBytes: return static_cast<ssize_t>(result.bytes);
      case web::SseStream::Read::kNothingYet: return 0;
      case web::SseStream::Read::kEnded: return MHD_CONTENT_READER_END_OF_STREAM;
      case web::SseStream::Read::kDropped: return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  static void free(void* cls) {
    auto* self = static_cast<StreamedBody*>(cls);
    self->stream->close();  // The connection is going: never resume it again.
    delete self;
  }
};

// Bytes libmicrohttpd asks a stream for at a time.
constexpr std::size_t kStreamBlockBytes = 16 * 1024;

MHD_Result send_reply(MHD_Connection* connection, const HttpReply& reply) {
  MHD_Response* response = nullptr;
  if (reply.stream) {
    auto body = std::make_unique<StreamedBody>(StreamedBody{reply.stream, connection});
    reply.stream->attach([connection] { MHD_resume_connection(connection); });
    response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, kStreamBlockBytes, &StreamedBody::read, body.get(),
                                                 &StreamedBody::free);
    if (response != nullptr) body.release();
  } else {
    response = MHD_create_response_from_buffer(reply.body.size(), const_cast<char*>(reply.body.data()),
                                               MHD_RESPMEM_MUST_COPY);
  }
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  for (const auto& [name, value] : reply.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned int>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result add_header_bytes(void* cls, MHD_ValueKind, const char* key, const char* value) {
  *static_cast<std::size_t*>(cls) += std::char_traits<char>::length(key) + 4 +  // ": " and CRLF.
                                     (value ? std::char_traits<char>::length(value) : 0);
  return MHD_YES;
}

void log_from_libmicrohttpd(void*, const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  spdlog::debug("http: {}", line);
}

}  // namespace

struct HttpServer::Impl {
  Impl(std::vector<HttpRoute> routes_, const HttpServerOptions& options)
      : routes(std::move(routes_)),
        hosts(options.address, options.allowed_hosts),
        admin(options.admin_token, hosts),
        refusals(options.refusals),
        deadlines(options.request_timeout),
        pool(kHandlerThreads) {}

  void refused(HttpRefusal reason, const std::string& message) {
    if (refusals != nullptr) refusals->count(reason);
    problems.log(spdlog::level::warn, http_refusal_name(reason), "http: " + message);
  }

  // The refusal of a request whose Host does not name this server (DNS rebinding), if it does not.
  std::optional<HttpReply> check_host(MHD_Connection* connection) {
    const sockaddr* client = client_address(connection);
    const char* host = header(connection, MHD_HTTP_HEADER_HOST);
    if (host == nullptr) {
      // HTTP/1.0 without Host: never a browser (they all send it), so fine from this machine.
      if (is_loopback(client)) return std::nullopt;
      refused(HttpRefusal::kForeignHost, "refused a request without Host from " + address_text(client));
      return json_error(421, "a request without a Host header is answered to loopback clients only");
    }
    if (hosts.allows(host)) return std::nullopt;
    const std::string shown = std::string(host).substr(0, 200);  // Headers may be 8 KiB.
    refused(HttpRefusal::kForeignHost, "refused a request for Host '" + shown + "' from " + address_text(client) +
                                           ": not this server's address nor in http.allowed_hosts (DNS rebinding?)");
    return json_error(421, "Host '" + shown +
                               "' is not this server; add it to http.allowed_hosts if Nissa is reached under that name");
  }

  // The refusal of a request to an admin route that nissa/serve/admin_access.h does not let through.
  std::optional<HttpReply> check_admin(MHD_Connection* connection, const char* method, const char* path) {
    const sockaddr* client = client_address(connection);
    const AdminRequest request{header(connection, MHD_HTTP_HEADER_AUTHORIZATION), header(connection, kAdminHeader),
                               header(connection, "Origin"), is_loopback(client)};
    auto refusal = admin.check(request);
    if (!refusal) return std::nullopt;
    refused(refusal->reason, "refused " + std::string(method) + " " + path + " from " + address_text(client) + ": " +
                                 refusal->error);
    HttpReply reply = json_error(refusal->status, refusal->error);
    if (refusal->status == 401) reply.headers.emplace_back(MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"nissa\"");
    return reply;
  }

  // The refusal of a request whose head breaks a limit, if it does.
  std::optional<HttpReply> check_head(MHD_Connection* connection, const Request& request) const {
    if (request.target.size() > kMaxRequestTargetBytes) {
      return json_error(414, "request target longer than " + std::to_string(kMaxRequestTargetBytes) + " bytes");
    }
    std::size_t header_bytes = 0;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, add_header_bytes, &header_bytes);
    if (header_bytes > kMaxRequestHeaderBytes) {
      return json_error(431, "request headers larger than " + std::to_string(kMaxRequestHeaderBytes) + " bytes");
    }
    if (const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
      std::uint64_t n = 0;
      const std::string_view text(length);
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && n > kMaxRequestBodyBytes) {
        return json_error(413, "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes");
      }
    }
    return std::nullopt;
  }

  // Methods the server before this one knew (it answered others 400, and these 404 on a route of
  // another method).
  static bool known_method(std::string_view method) {
    for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
      if (method == m) return true;
    }
    return false;
  }

  const HttpRoute* find_route(std::string_view method, std::string_view path) const {
    if (method == "HEAD") method = "GET";
    for (const HttpRoute& route : routes) {
      if (route.path == path && route.method == method) return &route;
    }
    return nullptr;
  }

  // The methods `path` is served with ("GET, HEAD", "POST"); empty for an unknown path.
  std::string allowed_methods(std::string_view path) const {
    std::string allow;
    for (const HttpRoute& route : routes) {
      if (route.path != path) continue;
      if (!allow.empty()) allow += ", ";
      allow += route.method == "GET" ? "GET, HEAD" : route.method;
    }
    return allow;
  }

  // send_reply(), remembering a streamed reply so that the destructor can end it.
  MHD_Result send_reply_tracked(MHD_Connection* connection, const HttpReply& reply) {
    if (reply.stream) {
      std::lock_guard lock(streams_mu);
      std::erase_if(streams, [](const std::weak_ptr<web::SseStream>& s) { return s.expired(); });
      streams.push_back(reply.stream);
      if (streams_finished) reply.stream->finish();  // Stopping: it sends what it has and ends.
    }
    return send_reply(connection, reply);
  }

  // Ends every stream still served, so that each suspended connection is resumed (libmicrohttpd
  // must not stop with one suspended).
  void finish_streams() {
    std::lock_guard lock(streams_mu);
    streams_finished = true;
    for (const auto& weak : streams) {
      if (auto stream = weak.lock()) stream->finish();
    }
  }

  // The route's reply; whatever it throws becomes a generic 500 (the reason goes to the log only).
  HttpReply run(const HttpRoute& route, const HttpRequest& request) {
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      problems.log(spdlog::level::err, "handler " + route.path,
                   "http: " + request.method + " " + route.path + " failed: " + e.what());
    } catch (...) {
      problems.log(spdlog::level::err, "handler " + route.path,
                   "http: " + request.method + " " + route.path + " failed with a non-standard exception");
    }
    return json_error(500, "internal error");
  }

  MHD_Result dispatch(MHD_Connection* connection, const char* method, const char* path, Request& r) {
    if (!known_method(method)) return send_reply(connection, json_error(400, "unknown method"));
    const HttpRoute* route = find_route(method, path);
    if (route == nullptr) {
      const std::string allow = allowed_methods(path);
      if (allow.empty()) return send_reply(connection, json_error(404, "no such endpoint"));
      HttpReply reply = json_error(405, std::string("method ") + method + " not allowed; " + path + " takes " + allow);
      reply.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, allow);
      return send_reply(connection, reply);
    }
    if (route->admin) {
      if (auto refusal = check_admin(connection, method, path)) return send_reply(connection, *refusal);
    }
    const std::size_t query_at = r.target.find('?');
    ParsedQuery query =
        parse_query_string(query_at == std::string::npos ? std::string_view() : std::string_view(r.target).substr(query_at + 1));
    if (!query.ok()) {
      return send_reply(connection, HttpReply{400, bad_parameter_json(query.error->parameter, query.error->error)});
    }
    HttpRequest request{method, path, std::move(query.params), std::move(r.body)};
    if (route->on_event_loop) return send_reply_tracked(connection, run(*route, request));

    Request* pending = &r;
    const bool queued = pool.submit(
        [this, connection, route, pending, request = std::move(request)] {
          pending->reply = run(*route, request);
          MHD_resume_connection(connection);  // The event loop calls on_request() again to send it.
        },
        [connection] { MHD_suspend_connection(connection); });
    if (!queued) return send_reply(connection, json_error(503, "shutting down"));
    return MHD_YES;
  }

  MHD_Result on_request(MHD_Connection* connection, const char* path, const char* method, const char* upload,
                        std::size_t* upload_size, void** request_context) {
    if (*request_context == nullptr) *request_context = new Request();  // No request line was logged.
    Request& r = *static_cast<Request*>(*request_context);
    if (r.reply) return send_reply_tracked(connection, *r.reply);  // Back from the handler pool.
    if (!r.head_checked) {  // First call: the head is in, the body (if any) not yet.
      r.head_checked = true;
      auto refusal = check_head(connection, r);
      if (!refusal) refusal = check_host(connection);
      if (refusal) {
        r.dispatched = true;
        deadlines.request_received(connection);
        return send_reply(connection, *refusal);
      }
      return MHD_YES;
    }
    if (*upload_size != 0) {
      // A chunked body (no Content-Length to refuse up front) past the limit: drop the connection.
      if (r.body.size() + *upload_size > kMaxRequestBodyBytes) return MHD_NO;
      r.body.append(upload, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    if (r.dispatched) return MHD_YES;
    r.dispatched = true;
    deadlines.request_received(connection);
    return dispatch(connection, method, path, r);
  }

  // libmicrohttpd's callbacks, which must not throw.
  static MHD_Result on_request_cb(void* cls, MHD_Connection* connection, const char* path, const char* method,
                                  const char*, const char* upload, std::size_t* upload_size, void** request_context) {
    try {
      return static_cast<Impl*>(cls)->on_request(connection, path, method, upload, upload_size, request_context);
    } catch (...) {
      return MHD_NO;  // Out of memory, most likely: drop this connection, keep serving.
    }
  }
  static void* on_request_line(void*, const char* target, MHD_Connection*) {
    try {
      auto request = std::make_unique<Request>();
      request->target = target;
      return request.release();
    } catch (...) {
      return nullptr;
    }
  }
  static void on_request_done(void* cls, MHD_Connection* connection, void** request_context, MHD_RequestTerminationCode) {
    delete static_cast<Request*>(*request_context);
    *request_context = nullptr;
    static_cast<Impl*>(cls)->deadlines.response_done(connection);
  }
  static void on_connection(void* cls, MHD_Connection* connection, void**, MHD_ConnectionNotificationCode code) {
    auto& deadlines = static_cast<Impl*>(cls)->deadlines;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (info != nullptr) deadlines.opened(connection, info->connect_fd);
    } else {
      deadlines.closed(connection);
    }
  }

  const std::vector<HttpRoute> routes;
  const HostAllowlist hosts;
  const AdminAccess admin;  // Refers to hosts.
  HttpRefusals* const refusals;
  RequestDeadlines deadlines;
  HandlerPool pool;
  logging::RateLimitedLog problems;
  std::mutex streams_mu;
  std::vector<std::weak_ptr<web::SseStream>> streams;
  bool streams_finished = false;  // Set when the server stops; under streams_mu.
  MHD_Daemon* daemon = nullptr;
  int port = 0;
};

HttpServer::HttpServer(std::vector<HttpRoute> routes, const HttpServerOptions& options)
    : impl_(std::make_unique<Impl>(std::move(routes), options)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = options.address + ":" + std::to_string(options.port);
  if (::getaddrinfo(options.address.c_str(), std::to_string(options.port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    throw std::runtime_error("cannot bind HTTP to " + where + ": unknown address");
  }
  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  Impl* impl = impl_.get();
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request_cb, impl,
      MHD_OPTION_EXTERNAL_LOGGER, &log_from_libmicrohttpd, nullptr,  // First, so it sees every message.
      MHD_OPTION_SOCK_ADDR, found->ai_addr,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned int>(options.max_connections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned int>(kIdleTimeout.count()),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemoryBytes,
      MHD_OPTION_URI_LOG_CALLBACK, &Impl::on_request_line, impl,
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_request_done, impl,
      MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection, impl,
      MHD_OPTION_END);
  ::freeaddrinfo(found);
  if (impl->daemon == nullptr) throw std::runtime_error("cannot bind HTTP to " + where);
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl->port = info != nullptr ? info->port : options.port;
}

HttpServer::~HttpServer() {
  // Every suspended connection must be resumed before libmicrohttpd stops: the pool first runs
  // what is queued (each job resumes its connection) and refuses more.
  impl_->pool.stop();
  impl_->finish_streams();
  MHD_stop_daemon(impl_->daemon);
}

int HttpServer::port() const { return impl_->port; }

std::uint64_t HttpServer::requests_timed_out() const { return impl_->deadlines.expired(); }

}  // namespace esper::nissa
