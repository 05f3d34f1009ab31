// Server-Sent Events through the real HTTP server, in-process: a stream's bytes reach the client as
// they are queued, an open stream holds no handler thread (more streams than threads, and other
// requests are still answered), streams beyond the hub's limit get 503, and the server stops
// promptly with streams open (each suspended connection is resumed and ended).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "nissa/serve/http_server.h"
#include "nissa/web/sse_hub.h"
#include "tests/nissa/raw_http_client.h"
#include "tests/support/wait_until.h"

namespace esper::nissa {
namespace {

using namespace std::chrono_literals;
using esper::testing::wait_until;
using testing::RawConnection;

class SseHttpStreamTest : public ::testing::Test {
 protected:
  void start(std::size_t max_streams) {
    hub_ = std::make_unique<web::SseHub>(max_streams, 4096);
    std::vector<HttpRoute> routes;
    routes.push_back({"GET", "/stream", [this](const HttpRequest&) {
                        auto stream = hub_->open(web::sse_message("hello", "{}"));
                        if (!stream) return HttpReply{503, "{\"error\":\"too many streams\"}"};
                        HttpReply reply{200, "", "text/event-stream"};
                        reply.stream = std::move(stream);
                        return reply;
                      }});
    routes.push_back({"GET", "/other", [](const HttpRequest&) { return HttpReply{200, "{\"other\":true}"}; }});
    server_ = std::make_unique<HttpServer>(std::move(routes), HttpServerOptions{});
  }

  // Opens a stream and reads until `needle` arrives (bounded); returns the connection.
  std::unique_ptr<RawConnection> open_stream(std::string* received) {
    auto c = std::make_unique<RawConnection>(server_->port());
    EXPECT_TRUE(c->send("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    *received = read_until(*c, "event: hello", 5s);
    return c;
  }

  static std::string read_until(RawConnection& c, const std::string& needle, std::chrono::milliseconds timeout) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline && !c.closed()) {
      got += c.read_until_closed(50ms);
    }
    return got;
  }

  std::unique_ptr<web::SseHub> hub_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(SseHttpStreamTest, QueuedBytesReachTheClientAsTheyCome) {
  start(4);
  std::string head;
  auto c = open_stream(&head);
  ASSERT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("text/event-stream"), std::string::npos) << head;
  ASSERT_NE(head.find("event: hello"), std::string::npos) << head;
  // Nothing queued now: the connection is parked. A broadcast must wake it.
  for (int i = 0; i < 3; ++i) {
    const std::string msg = web::sse_message("events", "{\"n\":" + std::to_string(i) + "}");
    hub_->broadcast(msg);
    const std::string got = read_until(*c, "{\"n\":" + std::to_string(i) + "}", 5s);
    EXPECT_NE(got.find("{\"n\":" + std::to_string(i) + "}"), std::string::npos) << "message " << i << " did not arrive: " << got;
  }
}

TEST_F(SseHttpStreamTest, OpenStreamsHoldNoHandlerThreadAndExtrasGet503) {
  start(kHandlerThreads + 2);
  std::vector<std::unique_ptr<RawConnection>> streams;
  for (std::size_t i = 0; i < kHandlerThreads + 2; ++i) {
    std::string head;
    streams.push_back(open_stream(&head));
    ASSERT_NE(head.find("event: hello"), std::string::npos) << "stream " << i << ": " << head;
  }
  // Every handler thread would be taken if a stream held one: a pool route must still answer.
  const std::string other = testing::raw_exchange(server_->port(), "GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::status_of(other), 200) << other;
  const std::string refused = testing::raw_exchange(server_->port(), "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::status_of(refused), 503) << refused;
  EXPECT_EQ(hub_->refused(), 1u);
}

TEST_F(SseHttpStreamTest, AClosedClientFreesItsPlace) {
  start(1);
  {
    std::string head;
    auto c = open_stream(&head);
    ASSERT_NE(head.find("event: hello"), std::string::npos) << head;
  }  // The client goes away; the server notices on its next write.
  EXPECT_TRUE(wait_until([&] {
    hub_->broadcast(web::sse_comment("keep-alive"));
    return hub_->open_streams() == 0;
  }, 10s)) << "the stream of a closed connection was never forgotten";
  std::string head;
  auto again = open_stream(&head);
  EXPECT_NE(head.find("event: hello"), std::string::npos) << head;
}

TEST_F(SseHttpStreamTest, TheServerStopsPromptlyWithStreamsOpen) {
  start(4);
  std::string head;
  auto a = open_stream(&head);
  auto b = open_stream(&head);
  ASSERT_NE(head.find("event: hello"), std::string::npos) << head;
  const auto began = std::chrono::steady_clock::now();
  server_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
  EXPECT_TRUE(wait_until([&] { return a->peer_closed() && b->peer_closed(); }, 5s));
}

}  // namespace
}  // namespace esper::nissa
