#include "proto/envelope_codec.h"
#include "proto/envelope_slot.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <set>
#include <vector>
#include <string>

namespace esper::proto {
namespace {

using google::protobuf::util::MessageDifferencer;
using proto::Envelope;

Envelope base(proto::Severity severity = proto::SEVERITY_INFO) {
  return make_envelope("tamiyo", "host-a:1234", 42, severity);
}

// One envelope per body type, each with its fields set so a round trip exercises them.
std::vector<std::pair<std::string, Envelope>> one_of_each_body() {
  std::vector<std::pair<std::string, Envelope>> out;

  Envelope telemetry = base();
  auto* packet = telemetry.mutable_telemetry();
  packet->set_packet_id("p-1");
  packet->set_timestamp_unix_ns(1'700'000'000'000'000'000ULL);
  packet->set_source_subsystem("tolaria");
  packet->set_level(proto::SEVERITY_INFO);
  auto* point = packet->add_metrics();
  point->set_name("loss");
  point->set_value(0.25);
  point->set_unit("loss");
  point->set_kind(proto::METRIC_KIND_GAUGE);
  point->set_step(100);
  (*point->mutable_attributes())["run"] = "r1";
  auto* ev = packet->add_events();
  ev->set_event_id("e-1");
  ev->set_description("degraded_inputs");
  ev->set_level(proto::SEVERITY_WARNING);
  out.emplace_back("telemetry", telemetry);

  Envelope event = base(proto::SEVERITY_CRITICAL);
  event.mutable_event()->set_event_id("e-2");
  event.mutable_event()->set_description("degraded_inputs");
  event.mutable_event()->set_level(proto::SEVERITY_CRITICAL);
  (*event.mutable_event()->mutable_attributes())["reason"] = "degraded_inputs";
  out.emplace_back("event", event);

  Envelope report = base();
  auto* fr = report.mutable_field_report();
  fr->set_report_id("tamiyo-0123456789abcdef");
  fr->set_command_id("cmd-7");
  fr->set_training_run_id("run-1");
  fr->set_seed_id("seed-3");
  fr->set_blueprint_id("bp-conv");
  fr->set_outcome(proto::FIELD_REPORT_OUTCOME_SUCCESS);
  (*fr->mutable_metrics())["loss_delta"] = -0.02;
  fr->set_observation_window_epochs(3);
  fr->set_issued_at_unix_ns(123);
  fr->set_target_epochs(5);
  fr->set_retry_count(1);
  out.emplace_back("field_report", report);

  Envelope ack = base();
  ack.mutable_field_report_ack()->set_report_id("tamiyo-0123456789abcdef");
  ack.mutable_field_report_ack()->set_duplicate(true);
  ack.mutable_field_report_ack()->set_durable_at_unix_ns(456);
  ack.mutable_field_report_ack()->set_acked_by("nissa-1");
  out.emplace_back("ack", ack);

  Envelope control = base();
  auto* flushed = control.mutable_control()->mutable_flushed();
  flushed->set_seq(9);
  flushed->set_packets(2);
  flushed->set_points(300);
  flushed->set_dropped(1);
  flushed->set_depth(0);
  out.emplace_back("control", control);

  Envelope state = base();
  auto* sp = state.mutable_system_state();
  sp->set_global_step(1000);
  sp->set_training_run_id("run-1");
  auto* seed = sp->add_seed_states();
  seed->set_seed_id("seed-3");
  seed->set_stage(proto::SEED_STAGE_BLENDING);
  seed->set_alpha(0.4);
  seed->set_alpha_steps(12);
  out.emplace_back("system_state", state);

  Envelope signal = base(proto::SEVERITY_HIGH);
  signal.mutable_emergency_signal()->set_signal_id("s-1");
  signal.mutable_emergency_signal()->set_reason("degraded_inputs");
  signal.mutable_emergency_signal()->set_level(proto::SEVERITY_HIGH);
  out.emplace_back("emergency_signal", signal);
  return out;
}

TEST(EnvelopeCodecTest, RoundTripsEveryBodyType) {
  const auto cases = one_of_each_body();
  ASSERT_EQ(cases.size(), static_cast<std::size_t>(Envelope::BodyCase::kEmergencySignal -
                                                   Envelope::BodyCase::kTelemetry + 1))
      << "a body type was added to Envelope without a round-trip case";
  for (const auto& [name, envelope] : cases) {
    const WireMessage wire = encode(envelope);
    const Decoded decoded = decode(wire.topic, wire.envelope);
    ASSERT_TRUE(decoded.ok()) << name << ": " << decode_error_name(decoded.error()) << " "
                              << decoded.detail();
    EXPECT_TRUE(MessageDifferencer::Equals(decoded.envelope(), envelope)) << name;
    EXPECT_EQ(decoded.topic(), topic_for(envelope)) << name;
    EXPECT_EQ(kind_name(decoded.topic().kind), name);
  }
}

TEST(EnvelopeCodecTest, DecodesEveryBodyTypeInTurnIntoOneSlot) {
  EnvelopeSlot slot;
  // Twice round, so each body type follows another one in the same slot.
  for (int round = 0; round < 2; ++round) {
    for (const auto& [name, envelope] : one_of_each_body()) {
      const WireMessage wire = encode(envelope);
      const Decoded decoded = decode(wire.topic, wire.envelope, {}, &slot);
      ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.detail();
      EXPECT_EQ(&decoded.envelope(), &slot.envelope()) << name;
      EXPECT_TRUE(MessageDifferencer::Equals(decoded.envelope(), envelope)) << name;
      EXPECT_EQ(decoded.topic(), topic_for(envelope)) << name;
    }
  }
  const Decoded bad = decode("normal.event.info.x", "\x0f\x01", {}, &slot);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), DecodeError::kUnparseable);
}

TEST(EnvelopeCodecTest, TopicCarriesDerivedLane) {
  for (const auto& [name, envelope] : one_of_each_body()) {
    const std::string topic = encode(envelope).topic;
    if (name == "field_report" || name == "ack" || name == "control") {
      EXPECT_TRUE(topic.starts_with("reliable.")) << topic;
    } else if (envelope.severity() >= proto::SEVERITY_HIGH) {
      EXPECT_TRUE(topic.starts_with("emergency.")) << topic;
    } else {
      EXPECT_TRUE(topic.starts_with("normal.")) << topic;
    }
    EXPECT_TRUE(topic.ends_with(".tamiyo")) << topic;
  }
}

TEST(EnvelopeCodecTest, MakeEnvelopeStampsHeader) {
  const Envelope e = make_envelope("kasmina", "h:1", 7, proto::SEVERITY_WARNING);
  EXPECT_EQ(e.schema_version(), kSchemaVersion);
  EXPECT_EQ(e.source(), "kasmina");
  EXPECT_EQ(e.instance(), "h:1");
  EXPECT_EQ(e.sequence(), 7u);
  EXPECT_EQ(e.severity(), proto::SEVERITY_WARNING);
  EXPECT_GT(e.sent_unix_ns(), 1'600'000'000'000'000'000ULL);
}

// --- One test per bad-input class, each asserting its typed error. ---

Envelope valid_event() {
  Envelope e = base();
  e.mutable_event()->set_description("x");
  return e;
}

Decoded decode_envelope(const Envelope& e, const std::string& topic) {
  std::string payload;
  EXPECT_TRUE(e.SerializeToString(&payload));
  return decode(topic, payload);
}

TEST(EnvelopeCodecDecodeErrorTest, WrongFrameCount) {
  const WireMessage wire = encode(valid_event());
  for (std::size_t n : {0u, 1u, 3u}) {
    std::vector<std::string_view> frames = {wire.topic, wire.envelope, wire.envelope};
    frames.resize(n);
    const Decoded d = decode(std::span<const std::string_view>(frames));
    ASSERT_FALSE(d.ok()) << n << " frames";
    EXPECT_EQ(d.error(), DecodeError::kWrongFrameCount);
  }
  const std::array<std::string_view, 2> two = {wire.topic, wire.envelope};
  EXPECT_TRUE(decode(std::span<const std::string_view>(two)).ok());
}

TEST(EnvelopeCodecDecodeErrorTest, Oversize) {
  Envelope e = valid_event();
  e.mutable_event()->set_description(std::string(2000, 'x'));
  const WireMessage wire = encode(e);
  const Decoded d = decode(wire.topic, wire.envelope, DecodeLimits{.max_envelope_bytes = 1000});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), DecodeError::kOversize);
  EXPECT_TRUE(decode(wire.topic, wire.envelope, DecodeLimits{.max_envelope_bytes = 4096}).ok());
}

TEST(EnvelopeCodecDecodeErrorTest, BadTopic) {
  const WireMessage wire = encode(valid_event());
  for (const std::string& topic : std::vector<std::string>{"", "garbage", "normal.event.info", std::string(500, 'a')}) {
    const Decoded d = decode(topic, wire.envelope);
    ASSERT_FALSE(d.ok()) << topic;
    EXPECT_EQ(d.error(), DecodeError::kBadTopic) << topic;
  }
}

TEST(EnvelopeCodecDecodeErrorTest, Unparseable) {
  const std::string topic = encode(valid_event()).topic;
  // A field tag with wire type 7 is invalid protobuf; so is a truncated length-delimited field.
  for (const std::string& payload : std::vector<std::string>{std::string("\x0f\x01", 2), std::string("\x12\x50" "abc", 5)}) {
    const Decoded d = decode(topic, payload);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error(), DecodeError::kUnparseable);
  }
}

TEST(EnvelopeCodecDecodeErrorTest, UnknownSchemaVersion) {
  Envelope e = valid_event();
  const std::string topic = encode(e).topic;
  e.set_schema_version(kSchemaVersion + 1);
  const Decoded d = decode_envelope(e, topic);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), DecodeError::kUnknownSchemaVersion);
  e.set_schema_version(0);  // An envelope from something that never set it.
  EXPECT_EQ(decode_envelope(e, topic).error(), DecodeError::kUnknownSchemaVersion);
}

TEST(EnvelopeCodecDecodeErrorTest, MissingBody) {
  Envelope e = valid_event();
  const std::string topic = encode(e).topic;
  e.clear_body();
  const Decoded d = decode_envelope(e, topic);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), DecodeError::kMissingBody);
}

TEST(EnvelopeCodecDecodeErrorTest, InvalidSource) {
  for (const std::string& source : std::vector<std::string>{std::string(), std::string("bad.source"), std::string(65, 'a')}) {
    Envelope e = valid_event();
    e.set_source(source);
    const Decoded d = decode_envelope(e, "normal.event.info.x");
    ASSERT_FALSE(d.ok()) << "'" << source << "'";
    EXPECT_EQ(d.error(), DecodeError::kInvalidSource) << "'" << source << "'";
  }
}

TEST(EnvelopeCodecDecodeErrorTest, InvalidSeverity) {
  for (int severity : {0, 6, 99}) {
    Envelope e = valid_event();
    e.set_severity(static_cast<proto::Severity>(severity));
    const Decoded d = decode_envelope(e, "normal.event.info.tamiyo");
    ASSERT_FALSE(d.ok()) << severity;
    EXPECT_EQ(d.error(), DecodeError::kInvalidSeverity) << severity;
  }
}

TEST(EnvelopeCodecDecodeErrorTest, TopicMismatch) {
  const Envelope e = valid_event();  // normal.event.info.tamiyo
  for (const char* topic : {"emergency.event.info.tamiyo", "normal.telemetry.info.tamiyo",
                            "normal.event.warning.tamiyo", "normal.event.info.kasmina",
                            "reliable.event.info.tamiyo"}) {
    const Decoded d = decode_envelope(e, topic);
    ASSERT_FALSE(d.ok()) << topic;
    EXPECT_EQ(d.error(), DecodeError::kTopicMismatch) << topic;
  }
  EXPECT_TRUE(decode_envelope(e, "normal.event.info.tamiyo").ok());
}

TEST(EnvelopeCodecTest, EncodeRefusesWhatDecodeWouldReject) {
  Envelope no_body = base();
  EXPECT_THROW(encode(no_body), EncodeError);
  Envelope bad_source = valid_event();
  bad_source.set_source("");
  EXPECT_THROW(encode(bad_source), EncodeError);
  Envelope bad_severity = valid_event();
  bad_severity.set_severity(proto::SEVERITY_UNSPECIFIED);
  EXPECT_THROW(encode(bad_severity), EncodeError);
}

// Oona demotes an emergency envelope beyond its source's rate by setting `demoted`: it then travels
// reliable with its severity unchanged, and the emergency topic no longer matches it.
TEST(EnvelopeCodecTest, DemotedEmergencyTravelsReliable) {
  Envelope e = base(proto::SEVERITY_CRITICAL);
  e.mutable_event()->set_description("flood");
  EXPECT_EQ(topic_for(e).lane, Lane::kEmergency);
  e.set_demoted(true);
  EXPECT_EQ(format_topic(topic_for(e)), "reliable.event.critical.tamiyo");
  const WireMessage message = encode(e);
  EXPECT_EQ(message.topic, "reliable.event.critical.tamiyo");
  Decoded d = decode(message.topic, message.envelope);
  ASSERT_TRUE(d.ok()) << d.detail();
  EXPECT_TRUE(d.envelope().demoted());
  Decoded mismatch = decode("emergency.event.critical.tamiyo", message.envelope);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error(), DecodeError::kTopicMismatch);
}

TEST(EnvelopeCodecTest, ErrorNamesAreDistinctCounterLabels) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kDecodeErrorCount; ++i) {
    const auto name = decode_error_name(static_cast<DecodeError>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kDecodeErrorCount);
}

}  // namespace
}  // namespace esper::proto
