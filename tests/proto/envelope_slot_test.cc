// EnvelopeSlot: decoding into one reused envelope gives exactly what a fresh decode gives, whatever
// came before it in the slot, and reuses the last packet's points rather than building new ones.
#include "proto/envelope_slot.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proto/envelope_codec.h"

namespace esper::proto {
namespace {

using google::protobuf::util::MessageDifferencer;

// A telemetry envelope of `points` points; `rich` ones carry every optional field.
WireMessage packet(int points, bool rich) {
  Envelope e = make_envelope("tolaria", "host:1", 7, SEVERITY_INFO);
  TelemetryPacket* p = e.mutable_telemetry();
  p->set_packet_id(rich ? "packet-with-a-long-id-beyond-small-string" : "p");
  for (int i = 0; i < points; ++i) {
    MetricPoint* m = p->add_metrics();
    m->set_name("tolaria.layer." + std::to_string(i) + ".grad_norm");
    m->set_value(i * 0.5);
    m->set_unit("ratio");
    if (rich) {
      m->set_step(100 + static_cast<std::uint64_t>(i));
      m->set_timestamp_unix_ns(1'700'000'000'000'000'000ULL);
      (*m->mutable_attributes())["seed_id"] = "s" + std::to_string(i);
    }
  }
  if (rich) p->add_events()->set_description("degraded_inputs");
  return encode(e);
}

// Decodes `wire` into `slot` and expects what a fresh decode gives, outcome and message alike.
void expect_as_fresh(EnvelopeSlot& slot, const WireMessage& wire, const std::string& what) {
  const Decoded fresh = decode(wire.topic, wire.envelope);
  const Decoded reused = decode(wire.topic, wire.envelope, {}, &slot);
  ASSERT_EQ(fresh.ok(), reused.ok()) << what << ": " << fresh.detail() << " / " << reused.detail();
  if (!fresh.ok()) {
    EXPECT_EQ(fresh.error(), reused.error()) << what;
    return;
  }
  // The decoded envelope is the one the slot holds now, not one it held before this parse.
  EXPECT_EQ(&reused.envelope(), &slot.envelope()) << what;
  EXPECT_TRUE(MessageDifferencer::Equals(fresh.envelope(), reused.envelope())) << what;
  EXPECT_EQ(fresh.topic(), reused.topic()) << what;
}

TEST(EnvelopeSlot, NothingOfALargerRicherPacketSurvivesIntoTheNextOne) {
  EnvelopeSlot slot;
  expect_as_fresh(slot, packet(50, true), "rich, 50 points");
  expect_as_fresh(slot, packet(3, false), "plain, 3 points after rich 50");
  const TelemetryPacket& p = slot.envelope().telemetry();
  ASSERT_EQ(p.metrics_size(), 3);
  EXPECT_FALSE(p.metrics(0).has_step());
  EXPECT_TRUE(p.metrics(0).attributes().empty());
  EXPECT_EQ(p.metrics(0).timestamp_unix_ns(), 0U);
  EXPECT_EQ(p.events_size(), 0);
  EXPECT_EQ(p.packet_id(), "p");
  expect_as_fresh(slot, packet(0, false), "no points");
  expect_as_fresh(slot, packet(50, true), "rich again");
}

TEST(EnvelopeSlot, ReusesTheLastPacketsPoints) {
  EnvelopeSlot slot;
  ASSERT_TRUE(decode(packet(10, false).topic, packet(10, false).envelope, {}, &slot).ok());
  const MetricPoint* first = &slot.envelope().telemetry().metrics(0);
  const WireMessage next = packet(8, false);
  ASSERT_TRUE(decode(next.topic, next.envelope, {}, &slot).ok());
  // The same MetricPoint object, parsed over: no point was built or destroyed.
  EXPECT_EQ(&slot.envelope().telemetry().metrics(0), first);
}

TEST(EnvelopeSlot, AnEnvelopeWithoutABodyUnderATelemetryTopicIsStillMissingItsBody) {
  EnvelopeSlot slot;
  const WireMessage good = packet(5, false);
  ASSERT_TRUE(decode(good.topic, good.envelope, {}, &slot).ok());
  Envelope bodiless = make_envelope("tolaria", "host:1", 8, SEVERITY_INFO);
  const Decoded d = decode(good.topic, bodiless.SerializeAsString(), {}, &slot);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), DecodeError::kMissingBody);
}

TEST(EnvelopeSlot, AnotherBodyAfterAPacketDecodesAsThatBody) {
  EnvelopeSlot slot;
  expect_as_fresh(slot, packet(5, true), "packet");
  Envelope event = make_envelope("tolaria", "host:1", 9, SEVERITY_CRITICAL);
  event.mutable_event()->set_description("degraded_inputs");
  expect_as_fresh(slot, encode(event), "event after a packet");
  EXPECT_FALSE(slot.envelope().has_telemetry());
  expect_as_fresh(slot, packet(5, false), "packet after an event");
}

TEST(EnvelopeSlot, StrayEndGroupAndTruncationAreRefusedAsAFreshDecodeRefusesThem) {
  EnvelopeSlot slot;
  const WireMessage good = packet(4, true);
  expect_as_fresh(slot, WireMessage{good.topic, good.envelope + "\x0c"}, "end-group tag after the body");
  expect_as_fresh(slot, WireMessage{good.topic, "\x0c" + good.envelope}, "end-group tag first");
  expect_as_fresh(slot, WireMessage{good.topic, good.envelope.substr(0, good.envelope.size() - 3)}, "cut");
  expect_as_fresh(slot, good, "good after bad");
}

// Every byte flipped and every length cut, alternating with good packets: the slot agrees with a
// fresh decode on each, so no state of the slot changes what a message decodes to.
TEST(EnvelopeSlot, AgreesWithAFreshDecodeOnMutatedPackets) {
  EnvelopeSlot slot;
  const WireMessage rich = packet(6, true);
  std::mt19937 rng(17);
  for (std::size_t i = 0; i < rich.envelope.size(); ++i) {
    WireMessage bad = rich;
    bad.envelope[i] = static_cast<char>(bad.envelope[i] ^ (1 + rng() % 255));
    expect_as_fresh(slot, bad, "byte " + std::to_string(i) + " flipped");
    expect_as_fresh(slot, WireMessage{rich.topic, rich.envelope.substr(0, i)}, "cut at " + std::to_string(i));
    if (i % 7 == 0) expect_as_fresh(slot, packet(static_cast<int>(i % 9), i % 2 == 0), "good");
  }
}

// The slot resets its arena after kResetAfterBytes of payload: decodes on either side of a reset,
// and one envelope larger than the bound by itself, come out as a fresh decode's.
TEST(EnvelopeSlot, DecodesAcrossArenaResetsAsAFreshDecodeDoes) {
  EnvelopeSlot slot;
  const WireMessage rich = packet(200, true);
  const WireMessage plain = packet(100, false);
  const std::size_t rounds = 2 * EnvelopeSlot::kResetAfterBytes / (rich.envelope.size() + plain.envelope.size()) + 2;
  for (std::size_t i = 0; i < rounds; ++i) {
    expect_as_fresh(slot, rich, "rich " + std::to_string(i));
    expect_as_fresh(slot, plain, "plain " + std::to_string(i));
  }
  Envelope huge = make_envelope("tolaria", "host:1", 7, SEVERITY_INFO);
  huge.mutable_telemetry()->set_packet_id(std::string(EnvelopeSlot::kResetAfterBytes + 1, 'x'));
  const WireMessage huge_wire = encode(huge);
  const Decoded d = decode(huge_wire.topic, huge_wire.envelope, {.max_envelope_bytes = 2 * EnvelopeSlot::kResetAfterBytes}, &slot);
  ASSERT_TRUE(d.ok()) << d.detail();
  EXPECT_EQ(d.envelope().telemetry().packet_id().size(), EnvelopeSlot::kResetAfterBytes + 1);
  expect_as_fresh(slot, plain, "plain after huge");
}

}  // namespace
}  // namespace esper::proto
