// Bound beyond loopback, the dashboard does not open the admin endpoint: a client on another
// address loads the page (with its strict headers), but POST /api/v1/admin/reload without the
// configured token gets 401 (and without a token file configured, the local-operator header from a
// non-loopback client gets 403); with the token it reloads.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "tests/nissa/raw_http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDashboardToken = "ZGFzaGJvYXJkLXRlc3QtdG9rZW4tMDEyMzQ1Njc4";

// An IPv4 address of this machine that is not loopback, if it has one.
std::optional<std::string> non_loopback_address() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* i = all; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  ::freeifaddrs(all);
  return found;
}

// One request to address:port (connection closed after it); the whole response, or "" on failure.
std::string exchange_with(const std::string& address, int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    char buffer[8192];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

class DashboardAccessProcessTest : public ::testing::Test {
 protected:
  // Nissa bound to 0.0.0.0; `http_yaml` goes into its http: section.
  void start(const std::string& http_yaml) {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    const auto address = non_loopback_address();
    if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to reach Nissa from";
    address_ = *address;
    const auto config = dir_ / "nissa.yaml";
    std::ofstream(config) << "runtime_dir: " << oona_.dir().path().string() << "\nstate_dir: " << (dir_ / "state").string()
                          << "\nhttp: {address: 0.0.0.0, port: 0" << http_yaml << "}\n";
    nissa_ = std::make_unique<esper::testing::ChildProcess>(
        std::vector<std::string>{esper::testing::built_binary("nissa/nissa").string(), "--config", config.string()});
    const auto line = nissa_->wait_for_line("nissa ready", 30s);
    ASSERT_TRUE(line) << "nissa did not start";
    port_ = std::stoi(line->substr(line->rfind(':') + 1));
  }

  std::string request(const std::string& head, const std::string& headers = "") {
    return exchange_with(address_, port_,
                         head + " HTTP/1.1\r\nHost: " + address_ + ":" + std::to_string(port_) + "\r\n" + headers +
                             "Connection: close\r\nContent-Length: 0\r\n\r\n");
  }

  oona::testing::OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::unique_ptr<esper::testing::ChildProcess> nissa_;
  std::string address_;
  int port_ = 0;
};

TEST_F(DashboardAccessProcessTest, BeyondLoopbackThePageLoadsButReloadNeedsTheToken) {
  const auto token_file = dir_ / "admin.token";
  std::ofstream(token_file) << kDashboardToken << "\n";
  ASSERT_EQ(::chmod(token_file.c_str(), 0600), 0);
  start(", admin_token_file: " + token_file.string());
  if (IsSkipped()) return;

  const std::string page = request("GET /");
  EXPECT_EQ(status_of(page), 200) << page.substr(0, 600);
  EXPECT_NE(page.find("Content-Security-Policy: default-src 'self'"), std::string::npos) << page.substr(0, 600);
  EXPECT_NE(page.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(page.find("<title>"), std::string::npos);

  const std::string without = request("POST /api/v1/admin/reload", "X-Esper-Admin: 1\r\n");
  EXPECT_EQ(status_of(without), 401) << without;
  const std::string wrong = request("POST /api/v1/admin/reload", "Authorization: Bearer not-the-token\r\n");
  EXPECT_EQ(status_of(wrong), 401) << wrong;
  const std::string with = request("POST /api/v1/admin/reload", std::string("Authorization: Bearer ") + kDashboardToken + "\r\n");
  EXPECT_EQ(status_of(with), 200) << with;
}

TEST_F(DashboardAccessProcessTest, BeyondLoopbackWithoutATokenTheOperatorHeaderIsRefusedToOtherAddresses) {
  start("");
  if (IsSkipped()) return;
  EXPECT_EQ(status_of(request("GET /")), 200);
  const std::string reload = request("POST /api/v1/admin/reload", "X-Esper-Admin: 1\r\n");
  EXPECT_EQ(status_of(reload), 403) << reload;
}

}  // namespace
}  // namespace esper::nissa::testing
