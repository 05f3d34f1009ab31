// Who may call an admin endpoint (nissa/serve/admin_access.h), the cases a real socket in the other tests
// cannot easily make: a client that is not on loopback, with and without a token.
#include "nissa/serve/admin_access.h"

#include <gtest/gtest.h>

namespace esper::nissa {
namespace {

const HostAllowlist kHosts("0.0.0.0", {"nissa.example"});

TEST(AdminAccessTest, WithoutATokenOnlyLoopbackClientsWithTheHeaderGetThrough) {
  const AdminAccess access(std::nullopt, kHosts);
  EXPECT_FALSE(access.check({.admin_header = "1", .loopback_client = true}));
  EXPECT_FALSE(access.check({.admin_header = "1", .origin = "https://nissa.example", .loopback_client = true}));
  const auto remote = access.check({.admin_header = "1", .loopback_client = false});
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->status, 403);
  EXPECT_NE(remote->error.find("loopback"), std::string::npos) << remote->error;
  const auto no_header = access.check({.loopback_client = true});
  ASSERT_TRUE(no_header);
  EXPECT_EQ(no_header->status, 403);
  EXPECT_NE(no_header->error.find("X-Esper-Admin: 1"), std::string::npos) << no_header->error;
  const auto bearer_without_token =
      access.check({.authorization = "Bearer 0123456789abcdef", .loopback_client = false});
  ASSERT_TRUE(bearer_without_token) << "a token nobody configured let a remote client in";
}

TEST(AdminAccessTest, WithATokenOnlyTheTokenGetsThroughFromAnywhere) {
  const AdminAccess access(std::string("0123456789abcdef"), kHosts);
  EXPECT_FALSE(access.check({.authorization = "Bearer 0123456789abcdef", .loopback_client = false}));
  const auto header_only = access.check({.admin_header = "1", .loopback_client = true});
  ASSERT_TRUE(header_only);
  EXPECT_EQ(header_only->status, 401);
  EXPECT_EQ(header_only->reason, HttpRefusal::kAdminUnauthorized);
  for (const char* wrong : {"Bearer 0123456789abcdeF", "Bearer 0123456789abcdef0", "Bearer ", "bearer 0123456789abcdef",
                            "Basic MDEyMzQ1Njc4OWFiY2RlZg=="}) {
    EXPECT_TRUE(access.check({.authorization = wrong, .loopback_client = true})) << wrong;
  }
}

TEST(AdminAccessTest, AForeignOriginIsRefusedWhateverTheRequestCarries) {
  const AdminAccess access(std::string("0123456789abcdef"), kHosts);
  for (const char* origin : {"http://evil.example", "null", "http://nissa.example.evil.example", "file://",
                             "http://nissa.example/path", "nissa.example"}) {
    const auto refusal = access.check({.authorization = "Bearer 0123456789abcdef", .origin = origin});
    ASSERT_TRUE(refusal) << origin;
    EXPECT_EQ(refusal->status, 403) << origin;
    EXPECT_EQ(refusal->reason, HttpRefusal::kCrossOrigin) << origin;
  }
  EXPECT_FALSE(access.check({.authorization = "Bearer 0123456789abcdef", .origin = "https://NISSA.example:8443"}));
}

}  // namespace
}  // namespace esper::nissa
