// Which Host headers Nissa answers (nissa/serve/host_allowlist.h): loopback names and the bound address
// whatever the port, any IP address when bound to a wildcard, configured names with their port if
// given, never another name (what a DNS-rebinding page sends).
#include "nissa/serve/host_allowlist.h"

#include <gtest/gtest.h>

namespace esper::nissa {
namespace {

TEST(HostAllowlistTest, LoopbackBindingAnswersLoopbackNamesOnly) {
  const HostAllowlist hosts("127.0.0.1", {});
  for (const char* ok : {"127.0.0.1:9464", "127.0.0.1", "localhost:9464", "Localhost", "localhost.", "[::1]:9464",
                         "[::1]", "127.0.0.2:1", "[::ffff:127.0.0.1]:9464"}) {
    EXPECT_TRUE(hosts.allows(ok)) << ok;
  }
  for (const char* refused : {"evil.example", "evil.example:9464", "10.0.0.5:9464", "localhost.evil.example",
                              "", ":9464", "127.0.0.1:", "127.0.0.1:94640", "[::1", "[::1]x", "a b", "nissa/x"}) {
    EXPECT_FALSE(hosts.allows(refused)) << refused;
  }
}

TEST(HostAllowlistTest, TheBoundAddressAndOnAWildcardAnyAddressButNoName) {
  EXPECT_TRUE(HostAllowlist("10.0.0.5", {}).allows("10.0.0.5:9464"));
  EXPECT_FALSE(HostAllowlist("10.0.0.5", {}).allows("10.0.0.6:9464"));
  EXPECT_TRUE(HostAllowlist("::", {}).allows("[fe80::1]:9464"));
  EXPECT_TRUE(HostAllowlist("[::]", {}).allows("[2001:db8::7]"));
  EXPECT_TRUE(HostAllowlist("0.0.0.0", {}).allows("192.0.2.7:9464"));
  EXPECT_FALSE(HostAllowlist("0.0.0.0", {}).allows("evil.example:9464"));
  EXPECT_TRUE(HostAllowlist("fd00::5", {}).allows("[FD00:0::5]:9464"));
}

TEST(HostAllowlistTest, ConfiguredNamesMatchAnyPortOrTheOneGivenAndStarTurnsTheCheckOff) {
  const HostAllowlist hosts("127.0.0.1", {"Nissa.Example", "metrics.example:8443", "[fd00::9]"});
  EXPECT_TRUE(hosts.allows("nissa.example"));
  EXPECT_TRUE(hosts.allows("NISSA.example:443"));
  EXPECT_TRUE(hosts.allows("metrics.example:8443"));
  EXPECT_FALSE(hosts.allows("metrics.example"));
  EXPECT_FALSE(hosts.allows("metrics.example:9464"));
  EXPECT_TRUE(hosts.allows("[fd00::9]:9464"));
  EXPECT_FALSE(hosts.allows("sub.nissa.example"));
  EXPECT_TRUE(HostAllowlist("127.0.0.1", {"*"}).allows("anything.example"));
}

TEST(HostAllowlistTest, SplitsHostAndPort) {
  std::string host, port;
  ASSERT_TRUE(split_host_port("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "80");
  ASSERT_TRUE(split_host_port("Example.COM.", &host, &port));
  EXPECT_EQ(host, "example.com");
  EXPECT_EQ(port, "");
  ASSERT_TRUE(split_host_port("fe80::1", &host, &port));  // Bare IPv6, as a config may write it.
  EXPECT_EQ(host, "fe80::1");
  EXPECT_FALSE(split_host_port("host:port", &host, &port));
}

}  // namespace
}  // namespace esper::nissa
