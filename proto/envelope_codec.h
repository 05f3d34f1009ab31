// The envelope codec: turns an Envelope into the two-frame bus message (topic, serialized envelope)
// and back. Every process that receives from the bus decodes through here, so every bad-input class
// has one name (DecodeError) that counters, logs and tests share.
#ifndef ESPER_PROTO_ENVELOPE_CODEC_H_
#define ESPER_PROTO_ENVELOPE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "esper/envelope.pb.h"
#include "proto/topic.h"

namespace esper::proto {

// The only envelope schema this build understands. Bump it only for a change old decoders must
// refuse; additive field changes keep the version.
inline constexpr std::uint32_t kSchemaVersion = 1;

// Default bound on one serialized envelope; configurable per process (DecodeLimits).
inline constexpr std::size_t kDefaultMaxEnvelopeBytes = 1 << 20;

// Longest topic a decoder accepts: four names plus a 64-character source, with room to spare.
inline constexpr std::size_t kMaxTopicBytes = 128;

// Why a received message was rejected. Values are dense from 0 so they can index counter arrays.
enum class DecodeError : std::uint8_t {
  kWrongFrameCount,       // Not exactly two frames.
  kOversize,              // Envelope frame larger than the configured limit.
  kBadTopic,              // Topic frame is not `<lane>.<kind>.<severity>.<source>` with known names.
  kUnparseable,           // Envelope frame is not a valid serialized Envelope.
  kUnknownSchemaVersion,  // schema_version is not kSchemaVersion.
  kMissingBody,           // No body set.
  kInvalidSource,         // Source empty or not [A-Za-z0-9_-]{1,64}.
  kInvalidSeverity,       // Severity unspecified or out of range.
  kTopicMismatch,         // Topic disagrees with the envelope's lane, kind, severity or source.
};
inline constexpr std::size_t kDecodeErrorCount = 9;

// Snake-case name used as the `reason` label of reject counters, e.g. "wrong_frame_count".
std::string_view decode_error_name(DecodeError error);

struct DecodeLimits {
  std::size_t max_envelope_bytes = kDefaultMaxEnvelopeBytes;
};

class EnvelopeSlot;  // proto/envelope_slot.h

// The outcome of decode(): an envelope, or the reason it was rejected with a human-readable detail.
// The envelope lives on the heap, or in the caller's slot when decode() was given one (then it is
// valid until the slot's next decode).
class Decoded {
 public:
  static Decoded failure(DecodeError error, std::string detail);

  bool ok() const { return !error_.has_value(); }
  DecodeError error() const { return *error_; }  // Requires !ok().
  const std::string& detail() const { return detail_; }
  proto::Envelope& envelope() { return *envelope_; }  // Requires ok().
  const proto::Envelope& envelope() const { return *envelope_; }
  const Topic& topic() const { return topic_; }  // Requires ok().

 private:
  friend Decoded decode(std::string_view, std::string_view, const DecodeLimits&, EnvelopeSlot*);
  std::optional<DecodeError> error_;
  std::string detail_;
  std::unique_ptr<proto::Envelope> owned_;  // Null when the envelope is in a slot.
  proto::Envelope* envelope_ = nullptr;
  Topic topic_;
};

// Thrown by encode() when asked to send an envelope no decoder would accept. A bug in the caller,
// not bad input from the outside, so it is an exception rather than a counted rejection.
class EncodeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct WireMessage {
  std::string topic;     // Frame 1.
  std::string envelope;  // Frame 2: the serialized Envelope.
};

// The kind of body the envelope carries, or nullopt when it has none.
std::optional<BodyKind> body_kind(const proto::Envelope& envelope);

// The topic an envelope travels under: lane_for(kind, severity), or reliable when Oona has marked
// the envelope `demoted`. Throws EncodeError if it has no body.
Topic topic_for(const proto::Envelope& envelope);

// An envelope with schema version, source, instance, sequence, severity and send time filled in;
// the caller sets the body.
proto::Envelope make_envelope(std::string_view source, std::string_view instance,
                                std::uint64_t sequence, proto::Severity severity);

// Validates (as decode would) and serializes. Throws EncodeError on an invalid envelope.
WireMessage encode(const proto::Envelope& envelope);

// The envelope field a telemetry packet travels in.
inline constexpr std::uint32_t kEnvelopeTelemetryField = 10;

// encode() for a telemetry packet already serialized: `header` is the envelope with everything
// but its body, `packet` a serialized TelemetryPacket, appended as the body without being parsed
// (a producer encodes its points as it records them). Validates the header as encode() does.
WireMessage encode_telemetry(const proto::Envelope& header, std::string_view packet);
// The frame alone, for a header already validated (and signed over the unsigned frame).
std::string telemetry_envelope_frame(const proto::Envelope& header, std::string_view packet);

// Validates and parses one received bus message. Never throws on bad input. With a slot, the
// envelope is parsed into it (proto/envelope_slot.h): a hot ingest loop then allocates nothing per
// metric point.
Decoded decode(std::span<const std::string_view> frames, const DecodeLimits& limits = {},
               EnvelopeSlot* slot = nullptr);
Decoded decode(std::string_view topic, std::string_view envelope, const DecodeLimits& limits = {},
               EnvelopeSlot* slot = nullptr);

// Current wall-clock time in ns since the Unix epoch, the unit of every *_unix_ns field.
std::uint64_t now_unix_ns();

}  // namespace esper::proto

#endif  // ESPER_PROTO_ENVELOPE_CODEC_H_
