// CurveZMQ on tcp:// endpoints: a client whose public key is in Oona's allowed list receives; one
// with an unknown key receives nothing, and Oona counts the refusal.
#include <gtest/gtest.h>

#include <array>

#include "tests/oona/oona_harness.h"

namespace esper::oona::testing {
namespace {

struct KeyPair {
  std::string public_key, secret_key;
};

KeyPair make_keypair() {
  std::array<char, 41> pub{}, sec{};
  EXPECT_EQ(zmq_curve_keypair(pub.data(), sec.data()), 0);
  return {std::string(pub.data(), 40), std::string(sec.data(), 40)};
}

TEST(OonaCurve, AllowedKeyReceivesAndUnknownKeyReceivesNothing) {
  const KeyPair server = make_keypair(), allowed = make_keypair(), unknown = make_keypair();
  OonaProcess oona(
      "endpoints:\n"
      "  normal_ingress: tcp://127.0.0.1:*\n"
      "  emergency_ingress: tcp://127.0.0.1:*\n"
      "  normal_egress: tcp://127.0.0.1:*\n"
      "  emergency_egress: tcp://127.0.0.1:*\n"
      "curve:\n"
      "  server_secret_key: '" + server.secret_key + "'\n"
      "  allowed_client_keys: ['" + allowed.public_key + "']\n");
  ASSERT_TRUE(oona.ready());
  const BusEndpoints endpoints = oona.announced_endpoints();
  ASSERT_EQ(endpoints.normal_egress.rfind("tcp://127.0.0.1:", 0), 0u) << endpoints.normal_egress;
  ASSERT_NE(endpoints.normal_egress.back(), '*');

  const CurveClientKeys allowed_keys{server.public_key, allowed.public_key, allowed.secret_key};
  const CurveClientKeys unknown_keys{server.public_key, unknown.public_key, unknown.secret_key};
  auto sub = [&](const CurveClientKeys& keys) {
    BusSubscriberOptions options = subscriber_options(endpoints);
    options.curve = keys;
    return options;
  };
  BusSubscriber intruder(sub(unknown_keys));
  BusSubscriber member(sub(allowed_keys));
  ASSERT_TRUE(connect(endpoints, member, true, true, allowed_keys));

  BusPublisher publisher(publisher_options(endpoints, "curvetest", allowed_keys));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(publisher.publish(event(i % 2 ? leyline::SEVERITY_CRITICAL : leyline::SEVERITY_INFO, "secret")));
  }
  int member_seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (member_seen < 10 && std::chrono::steady_clock::now() < deadline) {
    auto m = member.receive(100ms);
    if (m && m->envelope.source() == "curvetest") ++member_seen;
  }
  EXPECT_EQ(member_seen, 10);

  StatsWatcher stats(endpoints, allowed_keys);
  auto [ok, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, "oona.curve_refused_total") >= 2; }, 10s);
  EXPECT_TRUE(ok) << "Oona did not count the unknown key's refused handshakes\n" << describe(last);
  // By now the intruder's handshakes on both egress sockets were refused; it has nothing.
  EXPECT_FALSE(intruder.receive(200ms).has_value());
  EXPECT_EQ(intruder.received(wire::Lane::kNormal) + intruder.received(wire::Lane::kEmergency), 0u);
}

}  // namespace
}  // namespace esper::oona::testing
