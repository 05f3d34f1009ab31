// CurveZMQ on tcp:// endpoints: a client whose public key is in Oona's allowed list receives; one
// with an unknown key receives nothing, and Oona counts the refusal, every attempt, plain clients
// included; a client key bound to some sources cannot send as another.
#include <gtest/gtest.h>

#include <signal.h>

#include "tests/support/curve_keys.h"
#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

using esper::testing::KeyPair;
using esper::testing::make_keypair;

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
    ASSERT_TRUE(publisher.publish(event(i % 2 ? proto::SEVERITY_CRITICAL : proto::SEVERITY_INFO, "secret")));
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
  EXPECT_EQ(intruder.received(proto::Lane::kNormal) + intruder.received(proto::Lane::kEmergency), 0u);
}

std::string curve_oona_config(const KeyPair& server, const std::string& extra) {
  return "endpoints:\n"
         "  normal_ingress: tcp://127.0.0.1:*\n"
         "  emergency_ingress: tcp://127.0.0.1:*\n"
         "  normal_egress: tcp://127.0.0.1:*\n"
         "  emergency_egress: tcp://127.0.0.1:*\n"
         "curve:\n"
         "  server_secret_key: '" + server.secret_key + "'\n" + extra;
}

// A socket that tries once to connect (no reconnection), as a plain client or with `keys`.
zmq::socket_t one_attempt(zmq::context_t& context, zmq::socket_type type, const std::string& endpoint,
                          const CurveClientKeys& keys = {}) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::reconnect_ivl, -1);
  apply_curve_client(socket, endpoint, keys);
  socket.connect(endpoint);
  return socket;
}

TEST(OonaCurve, EveryRefusedHandshakeIsCountedPlainClientsIncludedAndLogged) {
  const KeyPair server = make_keypair(), allowed = make_keypair(), unknown = make_keypair();
  OonaProcess oona(curve_oona_config(server, "  allowed_client_keys: ['" + allowed.public_key + "']\n"), true);
  ASSERT_TRUE(oona.ready());
  const BusEndpoints endpoints = oona.announced_endpoints();
  const CurveClientKeys allowed_keys{server.public_key, allowed.public_key, allowed.secret_key};
  const CurveClientKeys unknown_keys{server.public_key, unknown.public_key, unknown.secret_key};

  // Seven attempts, one each: plain clients at both ingress sockets and an egress socket, and
  // unknown keys twice at the same socket (two connections, two refusals).
  zmq::context_t context(1);
  std::vector<zmq::socket_t> clients;
  clients.push_back(one_attempt(context, zmq::socket_type::push, endpoints.normal_ingress));
  clients.push_back(one_attempt(context, zmq::socket_type::push, endpoints.normal_ingress));
  clients.push_back(one_attempt(context, zmq::socket_type::push, endpoints.emergency_ingress));
  clients.push_back(one_attempt(context, zmq::socket_type::dealer, endpoints.normal_egress));
  clients.push_back(one_attempt(context, zmq::socket_type::dealer, endpoints.emergency_egress));
  clients.push_back(one_attempt(context, zmq::socket_type::push, endpoints.normal_ingress, unknown_keys));
  clients.push_back(one_attempt(context, zmq::socket_type::push, endpoints.normal_ingress, unknown_keys));
  constexpr double kAttempts = 7;

  StatsWatcher stats(endpoints, allowed_keys);
  auto [ok, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, "oona.curve_refused_total") >= kAttempts; }, 20s);
  EXPECT_TRUE(ok) << "refused handshakes not counted per attempt\n" << describe(last);
  int packets = 0;  // Two packets later, still exactly one per attempt (and the member's not counted).
  auto [more, after] = stats.wait_for([&](const OonaStats&) { return ++packets == 2; }, 10s);
  EXPECT_EQ(stat(after, "oona.curve_refused_total"), kAttempts) << describe(after);

  oona.process().signal(SIGTERM);
  const auto summary = oona.process().wait_for_line("oona stopping", 20s);
  ASSERT_TRUE(summary.has_value()) << "no shutdown summary";
  EXPECT_NE(summary->find("curve_refused=7"), std::string::npos) << *summary;
}

TEST(OonaCurve, AClientKeyBoundToSourcesCannotSendAsAnother) {
  const KeyPair server = make_keypair(), bound = make_keypair(), free_key = make_keypair();
  OonaProcess oona(curve_oona_config(server, "  allowed_client_keys: ['" + free_key.public_key + "']\n"
                                             "  clients:\n"
                                             "    - public_key: '" + bound.public_key + "'\n"
                                             "      sources: [tolaria, kasmina]\n"));
  ASSERT_TRUE(oona.ready());
  const BusEndpoints endpoints = oona.announced_endpoints();
  const CurveClientKeys bound_keys{server.public_key, bound.public_key, bound.secret_key};
  const CurveClientKeys free_keys{server.public_key, free_key.public_key, free_key.secret_key};
  BusSubscriberOptions options = subscriber_options(endpoints);
  options.curve = free_keys;
  BusSubscriber subscriber(options);
  ASSERT_TRUE(connect(endpoints, subscriber, true, true, free_keys));

  BusPublisher as_tolaria(publisher_options(endpoints, "tolaria", bound_keys));
  BusPublisher as_tamiyo(publisher_options(endpoints, "tamiyo", bound_keys));  // Not bound to it.
  BusPublisher free_tamiyo(publisher_options(endpoints, "tamiyo", free_keys));
  for (BusPublisher* p : {&as_tolaria, &as_tamiyo, &free_tamiyo}) {
    ASSERT_TRUE(p->publish(telemetry(proto::SEVERITY_INFO)));
    ASSERT_TRUE(p->publish(event(proto::SEVERITY_CRITICAL, "emergency")));
  }

  StatsWatcher stats(endpoints, free_keys);
  std::map<std::string, int> seen;
  auto [ok, last] = stats.wait_for(
      [&](const OonaStats& s) {
        return stat(s, "oona.rejected_total{reason=source_not_allowed}") == 2 && seen["tolaria"] == 2 &&
               seen["tamiyo"] == 2;
      },
      20s,
      [&] {
        while (auto m = subscriber.receive(1ms)) ++seen[m->envelope.source()];
      });
  EXPECT_TRUE(ok) << "tolaria " << seen["tolaria"] << ", tamiyo " << seen["tamiyo"]
                  << " (2 each expected: the bound key's tamiyo envelopes refused)\n" << describe(last);
}

}  // namespace
}  // namespace esper::oona::testing
