// The Unix-socket metrics endpoint in-process: both request framings, errors for bad requests
// within the read timeout, clients that never send or never read delaying no other, the socket
// file's mode, and clean removal.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "nissa/serve/unix_metrics_endpoint.h"
#include "tests/nissa/unix_socket_client.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

using nlohmann::json;
using testing::unix_request;
using namespace std::chrono_literals;

class UnixMetricsEndpointTest : public ::testing::Test {
 protected:
  UnixMetricsEndpointTest()
      : endpoint_(UnixMetricsEndpointOptions{dir_ / "nissa.sock", 0660, 50ms},
                  [] { return std::string("{\"points_total\":42}"); }) {}

  esper::testing::TempDir dir_;
  UnixMetricsEndpoint endpoint_;
};

TEST_F(UnixMetricsEndpointTest, NewlineModeAnswersOneJsonLine) {
  for (const std::string request : {"metrics\n", "/metrics\n", "  metrics \r\n"}) {
    const auto r = unix_request(endpoint_.path(), request);
    ASSERT_TRUE(r.connected);
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(r.body, "{\"points_total\":42}\n") << "request " << json(request).dump();
  }
}

TEST_F(UnixMetricsEndpointTest, JsonModeAnswersAFramedEvent) {
  for (const std::string request : {"{\"type\":\"metrics\"}", "{\"event\": \"metrics\"}\n"}) {
    const auto r = unix_request(endpoint_.path(), request);
    ASSERT_TRUE(r.closed) << request;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["event"], "metrics");
    EXPECT_EQ(j["metrics"]["points_total"], 42);
    EXPECT_LT(r.elapsed, 50ms) << "a complete JSON request must not wait for the read timeout";
  }
  EXPECT_EQ(endpoint_.served(), 2u);
}

TEST_F(UnixMetricsEndpointTest, BadRequestsGetAJsonErrorQuickly) {
  struct Case {
    std::string request;
    bool shutdown;
    bool json_framed;
  };
  for (const Case& c : {Case{"stats\n", false, false}, Case{"{\"type\":\"stats\"}", false, true},
                        Case{"{\"type\":", false, true}, Case{"metr", false, false}, Case{"", false, false},
                        Case{"[1,2]\n", false, false}, Case{"{oops}\n", false, true}, Case{"", true, false}}) {
    const auto r = unix_request(endpoint_.path(), c.request, c.shutdown);
    ASSERT_TRUE(r.closed) << json(c.request).dump();
    EXPECT_LT(r.elapsed, 100ms) << json(c.request).dump();
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j.contains("event"), c.json_framed) << r.body;
  }
  EXPECT_EQ(endpoint_.errors(), 8u);
  EXPECT_EQ(endpoint_.served(), 0u);
}

TEST_F(UnixMetricsEndpointTest, OversizeRequestIsRefused) {
  const auto r = unix_request(endpoint_.path(), std::string(UnixMetricsEndpoint::kMaxRequestBytes + 10, 'x'));
  EXPECT_NE(r.body.find("longer than"), std::string::npos) << r.body;
}

// A connected Unix socket that the test drives by hand; closed on destruction.
struct RawUnixClient {
  explicit RawUnixClient(const std::filesystem::path& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawUnixClient() { ::close(fd); }
  RawUnixClient(const RawUnixClient&) = delete;
  RawUnixClient& operator=(const RawUnixClient&) = delete;
  int fd = -1;
  bool connected = false;
};

TEST_F(UnixMetricsEndpointTest, ClientsThatNeverSendDelayNoOther) {
  std::vector<std::unique_ptr<RawUnixClient>> silent;
  for (int i = 0; i < 16; ++i) {
    silent.push_back(std::make_unique<RawUnixClient>(endpoint_.path()));
    ASSERT_TRUE(silent.back()->connected);
  }
  // Served one at a time, the 16 silent clients would hold this one for 16 read timeouts (800 ms).
  const auto r = unix_request(endpoint_.path(), "metrics\n");
  ASSERT_TRUE(r.closed);
  EXPECT_EQ(r.body, "{\"points_total\":42}\n");
  EXPECT_LT(r.elapsed, 50ms) << "a request waited behind clients that sent nothing";
}

TEST(UnixMetricsEndpointSlowReaderTest, AClientThatNeverReadsDelaysNoOther) {
  esper::testing::TempDir dir;
  const std::string big = "{\"padding\":\"" + std::string(8 << 20, 'x') + "\"}";  // Far beyond a socket buffer.
  UnixMetricsEndpoint endpoint(UnixMetricsEndpointOptions{dir / "nissa.sock", 0660, 50ms}, [&] { return big; });
  RawUnixClient stuck(endpoint.path());
  ASSERT_TRUE(stuck.connected);
  ASSERT_EQ(::send(stuck.fd, "metrics\n", 8, MSG_NOSIGNAL), 8);  // And never reads the reply.
  // The stuck reply is being written when the next client comes.
  const auto r = unix_request(endpoint.path(), "metrics\n", false, 5000ms);
  ASSERT_TRUE(r.closed);
  EXPECT_EQ(r.body.size(), big.size() + 1);
  EXPECT_LT(r.elapsed, UnixMetricsEndpoint::kWriteTimeout)
      << "a request waited behind a client that does not read its reply";
}

TEST_F(UnixMetricsEndpointTest, SocketFileHasTheModeAndIsRemoved) {
  struct stat st {};
  ASSERT_EQ(::stat(endpoint_.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  {
    UnixMetricsEndpoint second(UnixMetricsEndpointOptions{dir_ / "other.sock", 0600, 50ms}, [] { return "{}"; });
    ASSERT_EQ(::stat((dir_ / "other.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.sock"));
}

}  // namespace
}  // namespace esper::nissa
