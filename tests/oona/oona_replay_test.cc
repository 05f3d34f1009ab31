// Replay protection with a real oona: with signing on, a byte-identical copy of a signed envelope
// is delivered once and counted as oona.rejected_total{reason=replayed}; a producer restarted under
// the same instance name (counting from 1 again) is not taken for a replay; and a subscriber with
// the key refuses a replayed copy itself when its Oona does not check.
#include <gtest/gtest.h>

#include "oona/envelope_reader.h"
#include "tests/support/key_file.h"
#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

using esper::testing::kSigningKeyHex;

// A signed envelope's two frames, as a producer put them on the wire.
proto::WireMessage signed_frames(const EnvelopeSigner& signer, const std::string& source, std::uint64_t seq) {
  proto::Envelope e = proto::make_envelope(source, "replayer:1", seq, proto::SEVERITY_INFO);
  e.mutable_telemetry()->set_packet_id(source + "-" + std::to_string(seq));
  return encode_signed(e, &signer);
}

// A raw PUSH socket to Oona's normal ingress: sends the exact bytes it is given, as an attacker
// replaying a captured envelope would.
class RawIngress {
 public:
  explicit RawIngress(const BusEndpoints& endpoints) : socket_(context_, zmq::socket_type::push) {
    socket_.set(zmq::sockopt::linger, 2000);
    socket_.connect(endpoints.normal_ingress);
  }
  void send(const proto::WireMessage& m) {
    ASSERT_TRUE(socket_.send(zmq::buffer(m.topic), zmq::send_flags::sndmore));
    ASSERT_TRUE(socket_.send(zmq::buffer(m.envelope), zmq::send_flags::none));
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
};

// Reads `subscriber` until an envelope from `until_source` arrives (or `timeout`), counting
// envelopes by source.
std::map<std::string, int> read_until(BusSubscriber& subscriber, const std::string& until_source,
                                      std::chrono::milliseconds timeout) {
  std::map<std::string, int> seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && seen[until_source] == 0) {
    if (auto m = subscriber.receive(20ms)) ++seen[m->envelope.source()];
  }
  return seen;
}

// Sends `copies` byte-identical copies of one envelope signed for "victim" (the first the original,
// the others the replay), then one from "sentinel", straight to Oona's normal ingress; reads
// `subscriber` until the sentinel (20 s at most): the envelopes it received, by source.
std::map<std::string, int> send_copies_then_sentinel(const BusEndpoints& endpoints, const EnvelopeSigner& signer,
                                                     int copies, BusSubscriber& subscriber) {
  RawIngress raw(endpoints);
  const proto::WireMessage captured = signed_frames(signer, "victim", 7);
  for (int i = 0; i < copies; ++i) raw.send(captured);
  raw.send(signed_frames(signer, "sentinel", 1));  // After the copies on the same socket.
  return read_until(subscriber, "sentinel", 20s);
}

TEST(OonaReplay, ASignedEnvelopeSentTwiceIsDeliveredOnceAndCountedAsReplayed) {
  OonaProcess oona("signing:\n  key_hex: " + kSigningKeyHex + "\n");
  ASSERT_TRUE(oona.ready());
  const std::string key = parse_hex_key(kSigningKeyHex);
  const EnvelopeSigner signer(key);
  BusSubscriber subscriber(signed_subscriber_options(oona.endpoints(), key));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber, true, false, {}, key));

  const auto seen = send_copies_then_sentinel(oona.endpoints(), signer, 3, subscriber);
  ASSERT_EQ(seen.count("sentinel"), 1u) << "the sentinel after the copies never arrived";
  EXPECT_EQ(seen.at("victim"), 1) << "copies of one signed envelope delivered";

  StatsWatcher stats(oona.endpoints(), {}, key);
  auto [ok, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, "oona.rejected_total{reason=replayed}") == 2; }, 20s);
  EXPECT_TRUE(ok) << "oona did not count the two copies as replayed\n" << describe(last);
  EXPECT_EQ(subscriber.rejected(RejectReason::kReplayed), 0u) << "oona must not forward a replay";
}

TEST(OonaReplay, AProducerRestartedUnderTheSameInstanceIsNotAReplay) {
  OonaProcess oona("signing:\n  key_hex: " + kSigningKeyHex + "\n");
  ASSERT_TRUE(oona.ready());
  const std::string key = parse_hex_key(kSigningKeyHex);
  BusSubscriber subscriber(signed_subscriber_options(oona.endpoints(), key));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber, true, true, {}, key));

  BusPublisherOptions producer = publisher_options(oona.endpoints(), "restarter");
  producer.signing_key = key;
  producer.instance = "configured-name";  // Not host:pid: the restart reuses it.
  for (int run = 0; run < 2; ++run) {
    BusPublisher publisher(producer);  // Counts from 1 in each run.
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
      ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_CRITICAL, "emergency")));
    }
  }  // Closing lingers until the envelopes are handed over.
  BusPublisherOptions last = producer;
  last.source = "sentinel";
  BusPublisher sentinel(last);
  ASSERT_TRUE(sentinel.publish(telemetry(proto::SEVERITY_INFO)));

  std::map<std::string, int> seen;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && (seen["sentinel"] == 0 || seen["restarter"] < 12)) {
    if (auto m = subscriber.receive(20ms)) ++seen[m->envelope.source()];
  }
  EXPECT_EQ(seen["restarter"], 12) << "envelopes of both runs (6 each) delivered";
  EXPECT_EQ(subscriber.rejected(RejectReason::kReplayed), 0u);

  StatsWatcher stats(oona.endpoints(), {}, key);
  int packets = 0;
  auto [ok, after] = stats.wait_for([&](const OonaStats&) { return ++packets == 2; }, 20s);
  ASSERT_TRUE(ok) << "no oona telemetry";
  EXPECT_EQ(stat(after, "oona.rejected_total{reason=replayed}"), 0) << describe(after);
}

TEST(OonaReplay, ASubscriberWithTheKeyRefusesAReplayItsOonaLetThrough) {
  OonaProcess oona;  // Signing off at Oona: it forwards both copies.
  ASSERT_TRUE(oona.ready());
  const std::string key = parse_hex_key(kSigningKeyHex);
  const EnvelopeSigner signer(key);
  BusSubscriber subscriber(signed_subscriber_options(oona.endpoints(), key));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber, true, false, {}, key));

  const auto seen = send_copies_then_sentinel(oona.endpoints(), signer, 2, subscriber);
  ASSERT_EQ(seen.count("sentinel"), 1u) << "the sentinel never arrived";
  EXPECT_EQ(seen.at("victim"), 1);
  EXPECT_EQ(subscriber.rejected(RejectReason::kReplayed), 1u);
}

}  // namespace
}  // namespace esper::oona::testing
