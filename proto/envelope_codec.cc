#include "proto/envelope_codec.h"

#include "proto/envelope_header.h"
#include "proto/envelope_slot.h"
#include "proto/wire_format.h"

#include <array>
#include <chrono>
#include <climits>

namespace esper::proto {
namespace {

constexpr std::array<std::string_view, kDecodeErrorCount> kDecodeErrorNames{
    "wrong_frame_count", "oversize",     "bad_topic",        "unparseable",    "unknown_schema_version",
    "missing_body",      "invalid_source", "invalid_severity", "topic_mismatch",
};

// The checks shared by encode and decode, on a parsed envelope: its header's (envelope_header.h),
// which Oona makes without parsing the body. Returns the reason it is invalid.
std::optional<std::pair<DecodeError, std::string>> validate(const proto::Envelope& envelope) {
  EnvelopeHeader header;
  header.schema_version = envelope.schema_version();
  header.source = envelope.source();
  header.severity = envelope.severity();
  header.body = body_kind(envelope);
  return check_header(header);
}

}  // namespace

std::string_view decode_error_name(DecodeError error) {
  const auto index = static_cast<std::size_t>(error);
  return index < kDecodeErrorNames.size() ? kDecodeErrorNames[index] : "unknown";
}

Decoded Decoded::failure(DecodeError error, std::string detail) {
  Decoded d;
  d.error_ = error;
  d.detail_ = std::move(detail);
  return d;
}

std::optional<BodyKind> body_kind(const proto::Envelope& envelope) {
  using E = proto::Envelope;
  switch (envelope.body_case()) {
    case E::kTelemetry: return BodyKind::kTelemetry;
    case E::kEvent: return BodyKind::kEvent;
    case E::kFieldReport: return BodyKind::kFieldReport;
    case E::kFieldReportAck: return BodyKind::kAck;
    case E::kControl: return BodyKind::kControl;
    case E::kSystemState: return BodyKind::kSystemState;
    case E::kEmergencySignal: return BodyKind::kEmergencySignal;
    case E::BODY_NOT_SET: break;
  }
  return std::nullopt;
}

Topic topic_for(const proto::Envelope& envelope) {
  const auto kind = body_kind(envelope);
  if (!kind) throw EncodeError("envelope has no body");
  // A demoted envelope (over its source's emergency rate) keeps its severity but travels reliable.
  const Lane lane = envelope.demoted() ? Lane::kReliable : lane_for(*kind, envelope.severity());
  return Topic{lane, *kind, envelope.severity(), envelope.source()};
}

proto::Envelope make_envelope(std::string_view source, std::string_view instance,
                                std::uint64_t sequence, proto::Severity severity) {
  proto::Envelope envelope;
  envelope.set_schema_version(kSchemaVersion);
  envelope.set_source(std::string(source));
  envelope.set_instance(std::string(instance));
  envelope.set_sequence(sequence);
  envelope.set_severity(severity);
  envelope.set_sent_unix_ns(now_unix_ns());
  return envelope;
}

WireMessage encode(const proto::Envelope& envelope) {
  if (auto invalid = validate(envelope)) {
    throw EncodeError("cannot encode envelope: " + std::string(decode_error_name(invalid->first)) +
                      ": " + invalid->second);
  }
  WireMessage message;
  message.topic = format_topic(topic_for(envelope));
  if (!envelope.SerializeToString(&message.envelope)) {
    throw EncodeError("cannot serialize envelope");
  }
  return message;
}

WireMessage encode_telemetry(const proto::Envelope& header, std::string_view packet) {
  // Checked with an empty packet as the body: what validate() looks at is the header's.
  proto::Envelope with_body = header;
  with_body.mutable_telemetry();
  if (auto invalid = validate(with_body)) {
    throw EncodeError("cannot encode envelope: " + std::string(decode_error_name(invalid->first)) +
                      ": " + invalid->second);
  }
  WireMessage message;
  message.topic = format_topic(topic_for(with_body));
  message.envelope = telemetry_envelope_frame(header, packet);
  return message;
}

std::string telemetry_envelope_frame(const proto::Envelope& header, std::string_view packet) {
  // Fields in number order, as protobuf writes them: the header's (1 to 8), then the body's (10).
  std::string frame;
  frame.reserve(header.ByteSizeLong() + wire::length_delimited_size(packet.size()) + 1);
  header.AppendToString(&frame);
  wire::append_length_delimited(frame, kEnvelopeTelemetryField, packet);
  return frame;
}

Decoded decode(std::span<const std::string_view> frames, const DecodeLimits& limits, EnvelopeSlot* slot) {
  if (frames.size() != 2) {
    return Decoded::failure(DecodeError::kWrongFrameCount,
                            std::to_string(frames.size()) + " frames, expected 2");
  }
  return decode(frames[0], frames[1], limits, slot);
}

Decoded decode(std::string_view topic_text, std::string_view payload, const DecodeLimits& limits,
               EnvelopeSlot* slot) {
  if (payload.size() > limits.max_envelope_bytes) {
    return Decoded::failure(DecodeError::kOversize,
                            std::to_string(payload.size()) + " bytes, limit " +
                                std::to_string(limits.max_envelope_bytes));
  }
  std::optional<Topic> topic;
  if (topic_text.size() <= kMaxTopicBytes) topic = parse_topic(topic_text);
  if (!topic) {
    return Decoded::failure(DecodeError::kBadTopic,
                            "topic '" + std::string(topic_text.substr(0, kMaxTopicBytes)) + "'");
  }
  Decoded d;
  bool parsed = false;
  if (slot != nullptr) {
    parsed = slot->parse(payload);
    d.envelope_ = &slot->envelope();  // Only now: the parse may have put a new envelope in the slot.
  } else {
    d.owned_ = std::make_unique<proto::Envelope>();
    d.envelope_ = d.owned_.get();
    // Protobuf parses sizes as int; the oversize check above keeps payload far below INT_MAX.
    parsed = payload.size() <= static_cast<std::size_t>(INT_MAX) &&
             d.envelope_->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
  }
  if (!parsed) {
    return Decoded::failure(DecodeError::kUnparseable,
                            std::to_string(payload.size()) + "-byte frame is not an Envelope");
  }
  const proto::Envelope& envelope = *d.envelope_;
  if (auto invalid = validate(envelope)) {
    return Decoded::failure(invalid->first, std::move(invalid->second));
  }
  Topic expected = topic_for(envelope);
  if (expected != *topic) {
    return Decoded::failure(DecodeError::kTopicMismatch, "topic '" + std::string(topic_text) +
                                                             "' but envelope says '" +
                                                             format_topic(expected) + "'");
  }
  d.topic_ = std::move(expected);
  return d;
}

std::uint64_t now_unix_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace esper::proto
