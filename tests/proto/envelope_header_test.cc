// Oona's header-only decoder (proto/envelope_header.h) against the full codec: the same fields, the
// same rejections for the same reasons, on valid envelopes, on every reject class, on garbage, on
// every truncation and single-byte corruption of valid ones; and the one documented difference, a
// malformed body behind a good header.
#include "proto/envelope_header.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace esper::proto {
namespace {

Envelope telemetry_envelope(const std::string& source = "tamiyo") {
  Envelope e = make_envelope(source, "host-a:1234", 42, SEVERITY_INFO);
  auto* packet = e.mutable_telemetry();
  packet->set_packet_id("p-1");
  auto* point = packet->add_metrics();
  point->set_name("loss");
  point->set_value(0.25);
  (*point->mutable_attributes())["run"] = "r1";
  return e;
}

std::string serialized(const Envelope& e) { return e.SerializeAsString(); }

void expect_same_fields(const EnvelopeHeader& h, const Envelope& e) {
  EXPECT_EQ(h.schema_version, e.schema_version());
  EXPECT_EQ(h.source, e.source());
  EXPECT_EQ(h.instance, e.instance());
  EXPECT_EQ(h.sequence, e.sequence());
  EXPECT_EQ(h.sent_unix_ns, e.sent_unix_ns());
  EXPECT_EQ(h.severity, static_cast<std::int32_t>(e.severity()));
  EXPECT_EQ(h.signature, e.signature());
  EXPECT_EQ(h.demoted, e.demoted());
  EXPECT_EQ(h.body, body_kind(e));
}

// What both decoders say about one message: the header decoder must accept what the codec accepts
// (same route) and refuse for the codec's reason. The codec refusing a body the header decoder never
// looks into (unparseable) is the one allowed difference: then the header decoder accepts, or refuses
// for a reason it finds later in decode()'s order (say a severity of 0 in front of that body).
void expect_agreement(const std::vector<std::string_view>& frames, const std::string& what) {
  const DecodeLimits limits{.max_envelope_bytes = 4096};
  const Decoded full = decode(frames, limits);
  DecodedHeader header;
  decode_header(frames, limits, header);
  if (full.ok()) {
    ASSERT_TRUE(header.ok()) << what << ": header decoder refused (" << header.detail << ") what decode accepts";
    EXPECT_EQ(header.topic, full.topic()) << what;
    expect_same_fields(header.header, full.envelope());
  } else if (full.error() == DecodeError::kUnparseable && (header.ok() || *header.error > DecodeError::kUnparseable)) {
    EXPECT_TRUE(parse_envelope_header(frames[1]).has_value()) << what << ": " << header.detail;
  } else {
    ASSERT_FALSE(header.ok()) << what << ": header decoder accepted what decode refuses: " << full.detail();
    EXPECT_EQ(*header.error, full.error()) << what << ": header says " << header.detail << ", decode says "
                                           << full.detail();
    EXPECT_EQ(header.detail, full.detail()) << what;
  }
}

void expect_agreement(std::string_view topic, std::string_view payload, const std::string& what) {
  expect_agreement(std::vector<std::string_view>{topic, payload}, what);
}

TEST(EnvelopeHeader, ReadsEveryHeaderFieldAndTheBodyKindOfEachBody) {
  std::vector<Envelope> envelopes;
  for (int kind = 0; kind < 7; ++kind) {
    Envelope e = make_envelope("kasmina", "host:1", 7 + kind, kind == 6 ? SEVERITY_CRITICAL : SEVERITY_WARNING);
    switch (static_cast<BodyKind>(kind)) {
      case BodyKind::kTelemetry: e.mutable_telemetry()->set_packet_id("x"); break;
      case BodyKind::kEvent: e.mutable_event()->set_description("d"); break;
      case BodyKind::kFieldReport: e.mutable_field_report(); break;
      case BodyKind::kAck: e.mutable_field_report_ack(); break;
      case BodyKind::kControl: e.mutable_control(); break;
      case BodyKind::kSystemState: e.mutable_system_state(); break;
      case BodyKind::kEmergencySignal: e.mutable_emergency_signal(); break;
    }
    e.set_signature(std::string(32, '\x07'));
    e.set_demoted(kind == 6);
    const std::string wire_bytes = serialized(e);  // The header's views point into it.
    const auto h = parse_envelope_header(wire_bytes);
    ASSERT_TRUE(h.has_value()) << kind;
    expect_same_fields(*h, e);
    const WireMessage wire = encode(e);
    expect_agreement(wire.topic, wire.envelope, "body kind " + std::to_string(kind));
  }
}

TEST(EnvelopeHeader, RefusesWhatTheCodecRefusesForTheSameReason) {
  const WireMessage good = encode(telemetry_envelope());
  expect_agreement({good.topic}, "one frame");
  expect_agreement({good.topic, good.envelope, good.envelope}, "three frames");
  expect_agreement(good.topic, std::string(5000, 'x'), "oversize");
  expect_agreement("normal.telemetry.info", good.envelope, "bad topic");
  expect_agreement(std::string(200, 'a'), good.envelope, "overlong topic");
  expect_agreement(good.topic, "\xff\xff\xff", "garbage");
  Envelope e = telemetry_envelope();
  e.set_schema_version(9);
  expect_agreement(good.topic, serialized(e), "schema version");
  e = telemetry_envelope();
  e.clear_telemetry();
  expect_agreement(good.topic, serialized(e), "no body");
  e = telemetry_envelope("bad.source");
  expect_agreement("normal.telemetry.info.tamiyo", serialized(e), "invalid source");
  e = telemetry_envelope("");
  expect_agreement("normal.telemetry.info.tamiyo", serialized(e), "empty source");
  e = telemetry_envelope();
  e.set_severity(static_cast<Severity>(42));
  expect_agreement(good.topic, serialized(e), "severity out of range");
  expect_agreement("normal.telemetry.warning.tamiyo", good.envelope, "topic mismatch (severity)");
  expect_agreement("normal.telemetry.info.other", good.envelope, "topic mismatch (source)");
  expect_agreement("emergency.telemetry.info.tamiyo", good.envelope, "topic mismatch (lane)");
  expect_agreement("normal.telemetry.warn.tamiyo", serialized([] {
                     Envelope w = telemetry_envelope();
                     w.set_severity(SEVERITY_WARNING);
                     return w;
                   }()),
                   "the codec's severity alias in a topic");
  e = telemetry_envelope();
  e.set_demoted(true);
  expect_agreement("reliable.telemetry.info.tamiyo", serialized(e), "demoted travels reliable");
  expect_agreement("normal.telemetry.info.tamiyo", serialized(e), "demoted under its old topic");
}

TEST(EnvelopeHeader, RefusesTruncatedAndOverlongVarintsAndBadFraming) {
  EXPECT_FALSE(parse_envelope_header(std::string("\x08", 1)));                 // Tag without its value.
  EXPECT_FALSE(parse_envelope_header(std::string("\x08\x80", 2)));             // Varint cut short.
  EXPECT_FALSE(parse_envelope_header(std::string("\x08") + std::string(10, '\x80') + "\x01"));  // 11 bytes.
  EXPECT_FALSE(parse_envelope_header(std::string("\x12\x05" "ab", 4)));        // Length past the end.
  EXPECT_FALSE(parse_envelope_header(std::string("\x52\x80", 2)));             // Body length cut short.
  EXPECT_FALSE(parse_envelope_header(std::string("\x29\x01\x02", 3)));         // fixed64 cut short.
  EXPECT_FALSE(parse_envelope_header(std::string("\x00\x01", 2)));             // Field number 0.
  EXPECT_FALSE(parse_envelope_header(std::string("\x0c", 1)));                 // End-group with no start.
  EXPECT_FALSE(parse_envelope_header(std::string("\x0e\x00", 2)));             // Wire type 6.
  EXPECT_FALSE(parse_envelope_header(std::string("\x1a\x02\xc3\x28", 4)));     // Instance not UTF-8.
  EXPECT_FALSE(parse_envelope_header(std::string("\x12\x03\xed\xa0\x80", 5))); // Source: a surrogate.
  EXPECT_TRUE(parse_envelope_header(""));  // Empty is a valid (empty) envelope; the checks refuse it.
  for (const std::string& payload :
       {std::string("\x08", 1), std::string("\x00\x01", 2), std::string("\x1a\x02\xc3\x28", 4)}) {
    std::string envelope(payload);
    Envelope ignored;
    EXPECT_FALSE(ignored.ParseFromString(envelope)) << "protobuf itself refuses these too";
  }
}

TEST(EnvelopeHeader, SkipsUnknownFieldsAndKeepsTheLastOfRepeatedOnesAsProtobufDoes) {
  const Envelope e = telemetry_envelope();
  std::string wire = serialized(e);
  wire += std::string("\xa8\x06\x05", 3);                       // Field 101, varint.
  wire += std::string("\xb5\x06\x01\x02\x03\x04", 6);           // Field 102, fixed32.
  wire += std::string("\xbb\x06\xc0\x06\x01\xbc\x06", 7);       // Field 103, a group holding field 104.
  wire += std::string("\x0a\x01\x00", 3);                       // Field 1 as bytes: unknown to protobuf.
  wire += std::string("\x5a\x00", 2);                           // An empty event after the telemetry.
  wire += std::string("\x12\x03" "abc", 5);                     // Source again.
  Envelope parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  const auto h = parse_envelope_header(wire);
  ASSERT_TRUE(h.has_value());
  expect_same_fields(*h, parsed);
  EXPECT_EQ(h->body, BodyKind::kEvent);
  EXPECT_EQ(h->source, "abc");
}

// The one difference from the codec, and the choice behind it: a header that is fine in front of a
// body whose own bytes are not a valid message is routed. Oona forwards the frames it received;
// every consumer decodes the envelope whole and refuses (and counts) it as unparseable, so nothing
// downstream trusts it, while Oona saves parsing every body of every envelope.
TEST(EnvelopeHeader, AMalformedBodyBehindAGoodHeaderIsLeftToTheConsumers) {
  Envelope e = make_envelope("tamiyo", "host-a:1234", 42, SEVERITY_INFO);
  e.mutable_telemetry();
  std::string wire = serialized(e);
  wire += std::string("\x52\x03\xff\xff\xff", 5);  // Telemetry (field 10) whose contents are garbage.
  const std::string topic = "normal.telemetry.info.tamiyo";
  const std::vector<std::string_view> frames{topic, wire};
  DecodedHeader header;
  decode_header(frames, {}, header);
  EXPECT_TRUE(header.ok()) << header.detail;
  const Decoded full = decode(frames);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), DecodeError::kUnparseable);
}

TEST(EnvelopeHeader, AgreesWithTheCodecOnEveryTruncationAndByteCorruption) {
  const WireMessage good = encode(telemetry_envelope());
  for (std::size_t n = 0; n < good.envelope.size(); ++n) {
    expect_agreement(good.topic, std::string_view(good.envelope).substr(0, n), "truncated to " + std::to_string(n));
  }
  std::mt19937 rng(17);
  for (std::size_t i = 0; i < good.envelope.size(); ++i) {
    for (int k = 0; k < 8; ++k) {
      std::string corrupt = good.envelope;
      corrupt[i] = static_cast<char>(rng());
      expect_agreement(good.topic, corrupt, "byte " + std::to_string(i) + " corrupted");
    }
  }
}

TEST(EnvelopeHeader, AgreesWithTheCodecOnGarbage) {
  std::mt19937 rng(4);
  const std::string topic = "normal.telemetry.info.tamiyo";
  for (int i = 0; i < 20000; ++i) {
    std::string garbage(rng() % 64, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    expect_agreement(topic, garbage, "garbage #" + std::to_string(i));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(EnvelopeHeader, Utf8FollowsProto3) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));              // Overlong.
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));          // Overlong.
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));          // Surrogate.
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));      // Past U+10FFFF.
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));              // Cut short.
  EXPECT_FALSE(is_valid_utf8("\x80"));                  // A lone continuation byte.
}

}  // namespace
}  // namespace esper::proto
