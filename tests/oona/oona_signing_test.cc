// With signing on, Oona rejects and counts unsigned and forged envelopes, and subscribers that
// hold the key receive (and verify) the signed ones only.
#include <gtest/gtest.h>

#include "oona/envelope_signer.h"
#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

const std::string kKeyHex = "8f3c1a2b4d5e6f708192a3b4c5d6e7f80112233445566778899aabbccddeeff0";

TEST(OonaSigning, ForgedAndUnsignedEnvelopesAreRejectedAndCountedAtOona) {
  OonaProcess oona("signing:\n  key_hex: " + kKeyHex + "\n");
  ASSERT_TRUE(oona.ready());
  const std::string key = parse_hex_key(kKeyHex);

  auto signed_options = [&](const std::string& source, const std::string& signing_key) {
    auto options = publisher_options(oona.endpoints(), source);
    options.signing_key = signing_key;
    return options;
  };
  BusSubscriber subscriber(signed_subscriber_options(oona.endpoints(), key));
  {
    // connect() probes unsigned; with signing on, probe with the key instead.
    BusPublisher probe(signed_options("probe", key));
    bool normal = false, emergency = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!(normal && emergency) && std::chrono::steady_clock::now() < deadline) {
      probe.publish(telemetry(proto::SEVERITY_DEBUG));
      probe.publish(event(proto::SEVERITY_HIGH, "probe"));
      while (auto m = subscriber.receive(10ms)) {
        if (m->envelope.source() == "probe") (m->socket == proto::Lane::kEmergency ? emergency : normal) = true;
      }
    }
    ASSERT_TRUE(normal && emergency) << "signed probes never arrived";
  }

  std::string forged_key = key;
  forged_key[5] ^= 0x40;
  BusPublisher forger(signed_options("forger", forged_key));
  BusPublisher unsigned_producer(signed_options("nokey", ""));
  BusPublisher honest(signed_options("honest", key));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(forger.publish(event(i % 2 ? proto::SEVERITY_CRITICAL : proto::SEVERITY_INFO, "forged")));
    ASSERT_TRUE(unsigned_producer.publish(telemetry(proto::SEVERITY_INFO)));
  }
  ASSERT_TRUE(honest.publish(event(proto::SEVERITY_CRITICAL, "real")));
  ASSERT_TRUE(honest.publish(telemetry(proto::SEVERITY_INFO)));

  StatsWatcher stats(oona.endpoints());
  int honest_seen = 0;
  auto [ok, last] = stats.wait_for(
      [&](const OonaStats& s) {
        return honest_seen == 2 && stat(s, "oona.rejected_total{reason=bad_signature}") == 100 &&
               stat(s, "oona.rejected_total{reason=unsigned}") == 100;
      },
      20s,
      [&] {
        while (auto m = subscriber.receive(1ms)) {
          EXPECT_NE(m->envelope.source(), "forger");
          EXPECT_NE(m->envelope.source(), "nokey");
          if (m->envelope.source() == "honest") ++honest_seen;
        }
      });
  EXPECT_TRUE(ok) << "honest seen " << honest_seen << "\n" << describe(last);
  EXPECT_EQ(subscriber.rejected(EnvelopeSigner::Verdict::kBadSignature), 0u)
      << "Oona must not forward what it rejected";
}

}  // namespace
}  // namespace esper::oona::testing
