// The HTTP server in-process, with routes of the test's own: a handler that throws gets a generic
// 500 and no internals; the edge refuses bad query strings, oversized heads and bodies; unknown
// paths get the JSON 404, other methods of a known path 405; a slow handler on the pool delays
// neither the event loop nor the other handler thread; a request not whole by the deadline closes
// its connection; a foreign Host gets 421 and an admin route answers only what
// nissa/serve/admin_access.h lets through, each refusal counted.
#include "nissa/serve/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>

#include "tests/nissa/raw_http_client.h"
#include "tests/support/wait_until.h"

namespace esper::nissa {
namespace {

using namespace std::chrono_literals;
using esper::testing::wait_until;
using nlohmann::json;
using testing::RawConnection;
using testing::body_of;
using testing::raw_exchange;
using testing::status_of;

// A latch a handler waits on until the test opens it (bounded, so a failing test cannot hang).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait_for(lock, 10s, [this] { return open_; });
  }
  bool wait_for_waiters(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(std::chrono::milliseconds request_timeout = 10s, std::optional<std::string> admin_token = std::nullopt) {
    std::vector<HttpRoute> routes;
    routes.push_back({"GET", "/healthz", [](const HttpRequest&) { return HttpReply{200, "{\"status\":\"ok\"}"}; },
                      /*on_event_loop=*/true});
    routes.push_back({"GET", "/echo", [](const HttpRequest& r) {
                        json j = json::object();
                        for (const auto& [k, v] : r.params) j[k] = v;
                        return HttpReply{200, j.dump()};
                      }});
    routes.push_back({"GET", "/throws", [](const HttpRequest&) -> HttpReply {
                        throw std::runtime_error("secret internals: /var/lib/x");
                      }});
    routes.push_back({"GET", "/throws_json", [](const HttpRequest&) {
                        return HttpReply{200, json("\xFF").dump()};  // nlohmann throws on dump().
                      }});
    routes.push_back({"GET", "/slow", [this](const HttpRequest&) {
                        gate_.wait();
                        return HttpReply{200, "{\"slow\":true}"};
                      }});
    routes.push_back({"POST", "/post", [](const HttpRequest& r) {
                        return HttpReply{200, json{{"bytes", r.body.size()}}.dump()};
                      }});
    routes.push_back({"POST", "/admin", [this](const HttpRequest&) {
                        ++admin_calls_;
                        return HttpReply{200, "{\"done\":true}"};
                      },
                      /*on_event_loop=*/false, /*admin=*/true});
    server_ = std::make_unique<HttpServer>(
        std::move(routes), HttpServerOptions{.address = "127.0.0.1", .port = 0, .max_connections = 64,
                                             .request_timeout = request_timeout, .allowed_hosts = {"nissa.example:8443"},
                                             .admin_token = std::move(admin_token), .refusals = &refusals_});
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }

  void TearDown() override { gate_.open(); }

  // A raw request to the test's server, its connection closed after the answer.
  std::string exchange(const std::string& request_line, const std::string& headers = "", const std::string& body = "") {
    return raw_exchange(server_->port(), request_line + " HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n" + body);
  }

  Gate gate_;
  std::atomic<int> admin_calls_{0};
  HttpRefusals refusals_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, AThrowingHandlerGetsAGeneric500AndTheServerCarriesOn) {
  start();
  for (const char* path : {"/throws", "/throws_json"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 500) << path;
    EXPECT_EQ(res->body, "{\"error\":\"internal error\"}") << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    EXPECT_FALSE(res->has_header("EXCEPTION_WHAT")) << path;
    for (const auto& [name, value] : res->headers) {
      EXPECT_EQ(value.find("secret"), std::string::npos) << name << ": " << value;
    }
  }
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, QueryStringsAreDecodedAndCheckedAtTheEdge) {
  start();
  const std::string echoed =
      raw_exchange(server_->port(), "GET /echo?a=1+2&b=%E2%82%AC HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(json::parse(body_of(echoed), nullptr, false), (json{{"a", "1 2"}, {"b", "\xE2\x82\xAC"}})) << echoed;
  // The same refusals whatever the route; raw invalid bytes too (no client library sends those).
  const std::pair<std::string, std::string> cases[] = {
      {"/echo?limit=%FF", "limit"}, {"/echo?%FF=1", "%FF"},      {"/echo?m=x%00", "m"},
      {"/echo?m=\xC3", "m"},        {"/echo?a=1&a=2", "a"},      {"/healthz?x=%FF", "x"}};
  for (const auto& [target, parameter] : cases) {
    const std::string response = raw_exchange(server_->port(), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(response), 400) << target << "\n" << response;
    EXPECT_EQ(response.find("EXCEPTION_WHAT"), std::string::npos) << response;
    const json j = json::parse(body_of(response), nullptr, false);
    ASSERT_TRUE(j.is_object()) << target << ": " << body_of(response);
    EXPECT_EQ(j["parameter"], parameter) << target;
    EXPECT_TRUE(j["error"].is_string());
  }
}

TEST_F(HttpServerTest, UnknownPathsGet404AndOtherMethodsOfAKnownPath405) {
  start();
  auto res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, "{\"error\":\"no such endpoint\"}");
  res = client_->Post("/healthz", "", "application/json");  // A known path, another method.
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET, HEAD");
  EXPECT_TRUE(json::parse(res->body, nullptr, false)["error"].is_string()) << res->body;
  res = client_->Get("/post");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  res = client_->Head("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
  const std::string response = exchange("BREW /healthz", "Host: 127.0.0.1\r\n");
  EXPECT_EQ(status_of(response), 400) << response;
}

TEST_F(HttpServerTest, AHostThatIsNotThisServerGets421AndIsCounted) {
  start();
  const std::string port = std::to_string(server_->port());
  for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST", "127.0.0.1",
                                 "localhost.:" + port, "127.0.0.1:8080" /* an ssh tunnel's port */, "nissa.example:8443"}) {
    const std::string response = exchange("GET /healthz", "Host: " + host + "\r\n");
    EXPECT_EQ(status_of(response), 200) << "Host: " << host << "\n" << response;
  }
  EXPECT_EQ(refusals_.total(HttpRefusal::kForeignHost), 0u);
  for (const std::string& host : std::vector<std::string>{"evil.example", "evil.example:" + port, "nissa.example", "nissa.example:9464",
                                 "127.0.0.1.evil.example", "localhost@evil", ""}) {
    const std::string response = exchange("GET /healthz", "Host: " + host + "\r\n");
    EXPECT_EQ(status_of(response), 421) << "Host: " << host << "\n" << response;
    const json body = json::parse(body_of(response), nullptr, false);
    EXPECT_TRUE(body.is_object() && body["error"].is_string()) << body_of(response);
  }
  EXPECT_EQ(refusals_.total(HttpRefusal::kForeignHost), 7u);
  // HTTP/1.0 without Host is no browser; from loopback it is served.
  const std::string old = raw_exchange(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_of(old), 200) << old;
}

TEST_F(HttpServerTest, AnAdminRouteNeedsTheAdminHeaderFromLoopbackAndRefusesOtherOrigins) {
  start();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(server_->port()) + "\r\n";
  const std::string plain = "Content-Type: text/plain\r\nContent-Length: 1\r\n";
  // What a cross-origin form or fetch() can send without a preflight: refused, the handler never runs.
  EXPECT_EQ(status_of(exchange("POST /admin", host + plain, "x")), 403);
  EXPECT_EQ(status_of(exchange("POST /admin", host + plain + "Origin: http://evil.example\r\n", "x")), 403);
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Origin: http://evil.example\r\nX-Esper-Admin: 1\r\n")), 403);
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Origin: null\r\nX-Esper-Admin: 1\r\n")), 403);
  EXPECT_EQ(status_of(exchange("POST /admin", host + "X-Esper-Admin: yes\r\n")), 403);
  EXPECT_EQ(admin_calls_, 0);
  EXPECT_EQ(refusals_.total(HttpRefusal::kCrossOrigin), 3u);
  EXPECT_EQ(refusals_.total(HttpRefusal::kAdminUnauthorized), 2u);
  // No preflight is ever approved, and no GET changes anything.
  const std::string preflight = exchange("OPTIONS /admin", host + "Origin: http://evil.example\r\n"
                                                                  "Access-Control-Request-Method: POST\r\n");
  EXPECT_EQ(status_of(preflight), 405) << preflight;
  EXPECT_EQ(preflight.find("Access-Control-Allow"), std::string::npos) << preflight;
  EXPECT_EQ(status_of(exchange("GET /admin", host + "X-Esper-Admin: 1\r\n")), 405);
  EXPECT_EQ(admin_calls_, 0);
  // The header from loopback, with or without this server's own Origin.
  const std::string ok = exchange("POST /admin", host + "X-Esper-Admin: 1\r\n");
  EXPECT_EQ(status_of(ok), 200) << ok;
  const std::string same_origin = exchange(
      "POST /admin", host + "X-Esper-Admin: 1\r\nOrigin: http://127.0.0.1:" + std::to_string(server_->port()) + "\r\n");
  EXPECT_EQ(status_of(same_origin), 200) << same_origin;
  EXPECT_EQ(admin_calls_, 2);
}

TEST_F(HttpServerTest, WithATokenAnAdminRouteNeedsTheBearerToken) {
  start(10s, "0123456789abcdef-token");
  const std::string host = "Host: 127.0.0.1:" + std::to_string(server_->port()) + "\r\n";
  const std::string no_token = exchange("POST /admin", host + "X-Esper-Admin: 1\r\n");
  EXPECT_EQ(status_of(no_token), 401) << no_token;
  EXPECT_NE(no_token.find("WWW-Authenticate: Bearer"), std::string::npos) << no_token;
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Authorization: Bearer 0123456789abcdef-tokeX\r\n")), 401);
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Authorization: Bearer 0123456789abcdef\r\n")), 401);
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Authorization: 0123456789abcdef-token\r\n")), 401);
  EXPECT_EQ(admin_calls_, 0);
  EXPECT_EQ(refusals_.total(HttpRefusal::kAdminUnauthorized), 4u);
  const std::string ok = exchange("POST /admin", host + "Authorization: Bearer 0123456789abcdef-token\r\n");
  EXPECT_EQ(status_of(ok), 200) << ok;
  EXPECT_EQ(status_of(exchange("POST /admin", host + "Authorization: Bearer 0123456789abcdef-token\r\n"
                                                     "Origin: http://evil.example\r\n")),
            403);
  EXPECT_EQ(admin_calls_, 1);
}

TEST_F(HttpServerTest, OversizedHeadsAndBodiesAreRefused) {
  start();
  auto res = client_->Get("/echo?x=" + std::string(kMaxRequestTargetBytes, 'x'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 414);
  EXPECT_TRUE(json::accept(res->body)) << res->body;
  res = client_->Get("/healthz", httplib::Headers{{"X-Padding", std::string(kMaxRequestHeaderBytes, 'p')}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(json::accept(res->body)) << res->body;
  // A head too big for the connection's memory at all: refused by libmicrohttpd itself.
  const std::string huge = raw_exchange(
      server_->port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(kConnectionMemoryBytes, 'p') +
                           "\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(status_of(huge) == 431 || status_of(huge) == 414) << huge.substr(0, 200);
  res = client_->Post("/post", std::string(kMaxRequestBodyBytes + 1, 'b'), "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  res = client_->Post("/post", std::string(1000, 'b'), "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["bytes"], 1000);
}

TEST_F(HttpServerTest, ASlowHandlerDelaysNeitherTheEventLoopNorTheOtherHandlerThread) {
  start();
  httplib::Client slow_client("127.0.0.1", server_->port());
  slow_client.set_read_timeout(10, 0);
  std::thread slow([&] { EXPECT_TRUE(slow_client.Get("/slow")); });
  ASSERT_TRUE(gate_.wait_for_waiters(1)) << "the slow handler never started";
  const auto start_time = std::chrono::steady_clock::now();
  auto health = client_->Get("/healthz");
  auto echo = client_->Get("/echo?a=1");
  const auto took = std::chrono::steady_clock::now() - start_time;
  gate_.open();
  slow.join();
  ASSERT_TRUE(health);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 200);
  EXPECT_LT(took, 1s) << "a blocked handler held up the others";
}

TEST_F(HttpServerTest, ARequestNotWholeByTheDeadlineClosesItsConnection) {
  start(300ms);
  RawConnection silent(server_->port());
  RawConnection partial(server_->port());
  ASSERT_TRUE(partial.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const auto opened = std::chrono::steady_clock::now();
  silent.read_until_closed(5s);
  partial.read_until_closed(5s);
  EXPECT_TRUE(silent.closed()) << "a connection that sent nothing was kept past the deadline";
  EXPECT_TRUE(partial.closed()) << "a half-sent request was kept past the deadline";
  EXPECT_GE(std::chrono::steady_clock::now() - opened, 250ms) << "closed before the deadline";
  EXPECT_TRUE(wait_until([&] { return server_->requests_timed_out() == 2; }, 2s))
      << "timed out: " << server_->requests_timed_out();
  // A keep-alive connection's next request gets its own deadline, not the first one's.
  RawConnection keep(server_->port());
  ASSERT_TRUE(keep.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_TRUE(wait_until([&] { return keep.read_until_closed(10ms).find("\"ok\"") != std::string::npos; }, 2s));
  EXPECT_FALSE(keep.closed());
}

TEST_F(HttpServerTest, StoppingWaitsForAHandlerInFlight) {
  start();
  httplib::Client slow_client("127.0.0.1", server_->port());
  slow_client.set_read_timeout(10, 0);
  std::thread slow([&] { slow_client.Get("/slow"); });
  ASSERT_TRUE(gate_.wait_for_waiters(1));
  std::thread stopper([&] { server_.reset(); });
  gate_.open();
  stopper.join();
  slow.join();
  EXPECT_EQ(server_, nullptr);
}

}  // namespace
}  // namespace esper::nissa
