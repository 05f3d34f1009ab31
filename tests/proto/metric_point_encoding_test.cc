// The hand encoder must give exactly protobuf's deterministic bytes (a signature depends on it),
// and what it gives must parse back to the same point.
#include "proto/metric_point_encoding.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/deterministic_serialization.h"
#include "proto/envelope_codec.h"

namespace esper::proto {
namespace {

// What protobuf writes for `point` as one `metrics` entry of a packet.
std::string protobuf_entry(const MetricPoint& point) {
  TelemetryPacket packet;
  *packet.add_metrics() = point;
  return serialize_deterministic(packet);
}

std::string our_entry(const MetricPoint& point) {
  std::vector<AttributeView> storage;
  std::string out;
  const std::size_t n = append_metrics_entry(out, view_of(point, storage));
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(MetricPointEncoding, MatchesProtobufForTypicalPoints) {
  MetricPoint p;
  p.set_name("tolaria.loss");
  p.set_value(0.25);
  p.set_unit("loss");
  p.set_kind(METRIC_KIND_GAUGE);
  p.set_step(1200);
  p.set_timestamp_unix_ns(1'764'000'000'000'000'000ULL);
  (*p.mutable_attributes())["seed_id"] = "s3";
  (*p.mutable_attributes())["region"] = "eu-west";
  EXPECT_EQ(our_entry(p), protobuf_entry(p));
}

TEST(MetricPointEncoding, LeavesOutWhatProtobufLeavesOutAndKeepsWhatItKeeps) {
  MetricPoint empty;
  EXPECT_EQ(our_entry(empty), protobuf_entry(empty));  // An empty point: tag and length 0.
  MetricPoint edge;
  edge.set_value(-0.0);         // Not all bits zero: sent.
  edge.set_step(0);             // Explicit presence: sent.
  edge.set_kind(static_cast<MetricKind>(-3));  // An unknown negative enum: ten-byte varint.
  (*edge.mutable_attributes())[""] = "";       // Empty key and value: the entry carries both.
  EXPECT_EQ(our_entry(edge), protobuf_entry(edge));
  MetricPoint nan;
  nan.set_value(std::numeric_limits<double>::quiet_NaN());
  nan.set_name(std::string(300, 'n'));  // A two-byte length.
  EXPECT_EQ(our_entry(nan), protobuf_entry(nan));
}

TEST(MetricPointEncoding, MatchesProtobufOnRandomPoints) {
  std::mt19937_64 rng(20261201);
  auto text = [&](std::size_t max) {
    std::string s(rng() % (max + 1), ' ');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    MetricPoint p;
    if (rng() % 4) p.set_name(text(200));
    if (rng() % 4) p.set_value(std::bit_cast<double>(rng()));
    if (rng() % 4) p.set_unit(text(8));
    if (rng() % 3) p.set_kind(static_cast<MetricKind>(rng() % 5));
    if (rng() % 2) p.set_step(rng() >> (rng() % 64));
    if (rng() % 4) p.set_timestamp_unix_ns(rng());
    const auto n_attributes = rng() % 20;  // Past the encoder's 16 kept on the stack, at times.
    for (std::uint64_t a = 0; a < n_attributes; ++a) (*p.mutable_attributes())[text(6)] = text(150);
    ASSERT_EQ(our_entry(p), protobuf_entry(p)) << p.ShortDebugString();
  }
}

TEST(MetricPointEncoding, LaterOfTwoEqualKeysWinsAsInAMap) {
  const std::vector<AttributeView> attributes = {{"b", "1"}, {"a", "x"}, {"b", "2"}};
  std::string out;
  append_metrics_entry(out, MetricPointView{.name = "m", .value = 1, .unit = "count", .attributes = attributes});
  TelemetryPacket parsed;
  ASSERT_TRUE(parsed.ParseFromString(out));
  ASSERT_EQ(parsed.metrics_size(), 1);
  EXPECT_EQ(parsed.metrics(0).attributes().size(), 2u);
  EXPECT_EQ(parsed.metrics(0).attributes().at("b"), "2");
  MetricPoint expected = parsed.metrics(0);
  EXPECT_EQ(out, protobuf_entry(expected));
}

TEST(MetricPointEncoding, EntriesAppendedOneAfterAnotherParseAsThePacketsPoints) {
  std::string out;
  for (int i = 0; i < 3; ++i) {
    append_metrics_entry(out, MetricPointView{.name = "load.series." + std::to_string(i),
                                              .value = static_cast<double>(i),
                                              .unit = "count",
                                              .step = static_cast<std::uint64_t>(10 * i)});
  }
  TelemetryPacket parsed;
  ASSERT_TRUE(parsed.ParseFromString(out));
  ASSERT_EQ(parsed.metrics_size(), 3);
  EXPECT_EQ(parsed.metrics(2).name(), "load.series.2");
  EXPECT_EQ(parsed.metrics(2).value(), 2.0);
  EXPECT_EQ(parsed.metrics(2).step(), 20u);
  EXPECT_EQ(parsed.metrics(0).value(), 0.0);
}

TEST(MetricPointEncoding, TellsInvalidUtf8) {
  const std::vector<AttributeView> bad_value = {{"k", "\xff"}};
  EXPECT_TRUE(strings_are_utf8(MetricPointView{.name = "ok.é", .unit = "ms"}));
  EXPECT_FALSE(strings_are_utf8(MetricPointView{.name = "bad\xc3", .unit = "ms"}));
  EXPECT_FALSE(strings_are_utf8(MetricPointView{.name = "ok", .unit = "\x80"}));
  EXPECT_FALSE(strings_are_utf8(MetricPointView{.name = "ok", .attributes = bad_value}));
}

TEST(MetricPointEncoding, TelemetryFrameParsesAsTheEnvelopeProtobufWouldWrite) {
  Envelope header = make_envelope("tolaria", "host:1", 7, SEVERITY_INFO);
  TelemetryPacket packet;
  packet.set_packet_id("tolaria-1");
  packet.set_source_subsystem("tolaria");
  packet.set_level(SEVERITY_INFO);
  std::string packet_bytes = packet.SerializeAsString();
  append_metrics_entry(packet_bytes, MetricPointView{.name = "tolaria.loss", .value = 0.5, .unit = "loss"});

  const WireMessage message = encode_telemetry(header, packet_bytes);
  Envelope expected = header;
  ASSERT_TRUE(expected.mutable_telemetry()->ParseFromString(packet_bytes));
  EXPECT_EQ(message.envelope, expected.SerializeAsString());
  EXPECT_EQ(message.topic, encode(expected).topic);
  const std::string_view frames[] = {message.topic, message.envelope};
  EXPECT_TRUE(decode(frames).ok());

  Envelope nameless = header;
  nameless.set_source("");
  EXPECT_THROW(encode_telemetry(nameless, packet_bytes), EncodeError);
}

}  // namespace
}  // namespace esper::proto
