// Nissa's HTTP server as a real process, with real sockets: idle and trickling clients cost only
// themselves (health, readiness and metrics stay fast; the tricklers are closed at the request
// deadline), and bytes that are not UTF-8 get a JSON 400 from every endpoint that takes parameters.
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "tests/nissa/raw_http_client.h"
#include "tests/support/nissa_process.h"

namespace esper::nissa::testing {
namespace {

using oona::testing::OonaProcess;
using Clock = std::chrono::steady_clock;

class NissaHttpProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    nissa_ = std::make_unique<NissaProcess>(oona_.dir().path(), dir_ / "state");
    ASSERT_TRUE(nissa_->ready()) << "nissa did not print its ready line";
    port_ = std::stoi(nissa_->url().substr(nissa_->url().rfind(':') + 1));
  }

  OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::unique_ptr<NissaProcess> nissa_;
  int port_ = 0;
};

// GET `path` on a new connection, as a health checker or a scraper does; the time it took, or
// nullopt if there was no 2xx/503 answer.
std::optional<std::chrono::milliseconds> timed_get(int port, const std::string& path) {
  const auto start = Clock::now();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(2, 0);
  auto res = client.Get(path);
  if (!res || (res->status != 200 && res->status != 503)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

TEST_F(NissaHttpProcessTest, IdleAndTricklingClientsDelayNeitherHealthNorReadinessNorMetrics) {
  constexpr int kIdle = 64;
  constexpr int kTricklers = 8;
  constexpr auto kRequestTimeout = 10s;  // Nissa's default http.request_timeout.
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: trickler\r\n\r\n";
  ASSERT_GT(request.size(), 20u) << "the trickled request must outlast the deadline at a byte a second";

  std::vector<RawConnection> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.emplace_back(port_);
    ASSERT_GE(idle.back().fd(), 0) << "idle connection " << i << " was refused";
  }
  std::vector<RawConnection> tricklers;
  for (int i = 0; i < kTricklers; ++i) {
    tricklers.emplace_back(port_);
    ASSERT_GE(tricklers.back().fd(), 0) << "trickler " << i << " was refused";
  }
  const auto opened = Clock::now();
  std::vector<std::size_t> sent(kTricklers, 0);
  std::vector<std::optional<Clock::duration>> closed_after(kTricklers);

  // Once a second each open trickler sends one more byte; in between, the three endpoints are
  // timed. Waiting is on the tricklers' sockets (their closing), bounded by the next byte's time.
  std::ostringstream timings;
  std::vector<std::chrono::milliseconds> slow;
  int rounds = 0;
  int rounds_with_everyone_open = 0;
  const auto give_up = opened + kRequestTimeout + 5s;
  for (int second = 0; Clock::now() < give_up; ++second) {
    bool all_open = true;
    for (int i = 0; i < kTricklers; ++i) {
      if (!closed_after[i] && tricklers[i].peer_closed()) closed_after[i] = Clock::now() - opened;
      if (closed_after[i]) {
        all_open = false;
      } else if (sent[i] < request.size()) {
        tricklers[i].send(request.substr(sent[i]++, 1));
      }
    }
    if (std::all_of(closed_after.begin(), closed_after.end(), [](const auto& c) { return c.has_value(); })) break;
    if (second < 8) {  // Measure while the 64 idle connections (closed after 5 s idle) and the tricklers are open.
      const bool idle_open = std::none_of(idle.begin(), idle.end(), [](RawConnection& c) { return c.peer_closed(); });
      for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
        const auto took = timed_get(port_, path);
        ASSERT_TRUE(took.has_value()) << path << " did not answer within 2 s at second " << second;
        timings << path << "@" << second << "s=" << took->count() << "ms ";
        if (*took >= 100ms) slow.push_back(*took);
      }
      ++rounds;
      if (all_open && idle_open) ++rounds_with_everyone_open;
    }
    // Until the next byte is due, wait for any trickler to be closed.
    const auto next = opened + std::chrono::seconds(second + 1);
    std::vector<pollfd> fds;
    for (int i = 0; i < kTricklers; ++i) {
      if (!closed_after[i]) fds.push_back({tricklers[i].fd(), POLLIN, 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
    if (wait.count() > 0) ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  }

  EXPECT_GE(rounds_with_everyone_open, 3)
      << "too few measurements while all " << kIdle << " idle connections and " << kTricklers
      << " tricklers were open: " << timings.str();
  EXPECT_TRUE(slow.empty()) << slow.size() << " of " << rounds * 3
                            << " answers took 100 ms or more with idle and trickling clients open: " << timings.str();
  for (int i = 0; i < kTricklers; ++i) {
    ASSERT_TRUE(closed_after[i].has_value())
        << "trickler " << i << " was still open " << std::chrono::duration_cast<std::chrono::seconds>(give_up - opened).count()
        << " s after connecting (request deadline " << kRequestTimeout.count() << " s)";
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*closed_after[i]);
    EXPECT_GE(after, kRequestTimeout - 500ms) << "trickler " << i << " was closed before the deadline";
    EXPECT_LE(after, kRequestTimeout + 3s) << "trickler " << i << " was closed long after the deadline";
    EXPECT_LT(sent[i], request.size()) << "trickler " << i << " completed its request";
  }
  for (int i = 0; i < kIdle; ++i) {
    EXPECT_TRUE(idle[i].peer_closed()) << "idle connection " << i << " was still open after " << kRequestTimeout.count() << " s";
  }
  // And the server is none the worse.
  EXPECT_TRUE(timed_get(port_, "/healthz").has_value());
}

TEST_F(NissaHttpProcessTest, BytesThatAreNotUtf8GetAJson400FromEveryEndpointWithParameters) {
  const char* endpoints[] = {"/api/v1/series",          "/api/v1/rollups",           "/api/v1/events",
                             "/api/v1/field_reports",   "/api/v1/alerts",            "/api/v1/views/gpu/metrics",
                             "/api/v1/views/network/demand", "/api/v1/views/sla/compliance"};
  // Query string -> the parameter the 400 names.
  const std::pair<std::string, std::string> queries[] = {
      {"limit=%FF", "limit"}, {"%FF=1", "%FF"},       {"metric=%FF", "metric"}, {"source=a%00b", "source"},
      {"window=%C0%AF", "window"}, {"x%FE%FF=%FF", "x%FE%FF"}, {"limit=\xFF", "limit"}};
  for (const char* endpoint : endpoints) {
    for (const auto& [query, parameter] : queries) {
      const std::string target = std::string(endpoint) + "?" + query;
      const std::string response =
          raw_exchange(port_, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      EXPECT_EQ(status_of(response), 400) << target << "\n" << response;
      EXPECT_EQ(response.find("EXCEPTION_WHAT"), std::string::npos) << target << "\n" << response;
      const json body = json::parse(body_of(response), nullptr, false);
      ASSERT_TRUE(body.is_object()) << target << ": " << body_of(response);
      EXPECT_TRUE(body["error"].is_string()) << target << ": " << body.dump();
      EXPECT_EQ(body["parameter"], parameter) << target << ": " << body.dump();
    }
  }
  // The same queries with valid bytes are answered as before.
  int status = 0;
  nissa_->get_json("/api/v1/rollups?metric=%C3%A9", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nissa_->get_json("/api/v1/series?limit=x", &status)["parameter"], "limit");
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace esper::nissa::testing
