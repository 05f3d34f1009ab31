// An Envelope's routing header read straight off the wire, for a broker that forwards the bytes it
// received and so needs only what routing and admission decide on: fields 1-8 (schema version,
// source, instance, sequence, send time, severity, signature, demoted) and which body case is set.
// The body's bytes are stepped over by their length, never parsed: that is what a full decode
// costs per envelope (every metric point, attribute map and string of a telemetry packet), and it
// buys a broker nothing, since every consumer decodes the whole envelope anyway and rejects (and
// counts) a malformed body itself.
//
// decode_header() makes every decision proto::decode() makes that the header can decide, with the
// same DecodeError, in the same order: wrong frame count, oversize, bad topic, unparseable (the
// envelope's own framing: see parse_envelope_header), unknown schema version, missing body, invalid
// source, invalid severity, topic mismatch. The one difference: an envelope whose header and
// framing are fine but whose body's contents are not passes decode_header() and fails decode().
#ifndef ESPER_PROTO_ENVELOPE_HEADER_H_
#define ESPER_PROTO_ENVELOPE_HEADER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "proto/envelope_codec.h"
#include "proto/topic.h"

namespace esper::proto {

// The header fields as the wire has them (views into the parsed buffer; a field not on the wire
// has proto3's default, and a field given twice its last value, as protobuf parses them).
struct EnvelopeHeader {
  std::uint32_t schema_version = 0;
  std::string_view source;
  std::string_view instance;
  std::uint64_t sequence = 0;
  std::uint64_t sent_unix_ns = 0;
  std::int32_t severity = 0;
  std::string_view signature;
  bool demoted = false;
  std::optional<BodyKind> body;  // The last body field on the wire (a oneof keeps the last).
};

// The header of a serialized Envelope, or nullopt where protobuf's own parser would refuse the
// envelope for its framing or header: a truncated or over-long varint or fixed field, a length past
// the end, field number 0, a stray end-group tag, an invalid wire type, invalid UTF-8 in `source`
// or `instance` (proto3 strings). Unknown fields are skipped as protobuf skips them.
std::optional<EnvelopeHeader> parse_envelope_header(std::string_view payload);
// The same into `out` (reset first), for the hot path: no header is built and then copied, which
// on a broker's one core costs more than the reading. False where the other returns nullopt (then
// `out` holds what was read before the fault).
bool read_envelope_header(std::string_view payload, EnvelopeHeader& out);

// proto3's UTF-8 rule for string fields (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// The checks on parsed header fields that decode() and encode() share, in their order: schema
// version, body, source, severity. The reason and a detail for logs, or nullopt if they pass.
std::optional<std::pair<DecodeError, std::string>> check_header(const EnvelopeHeader& header);

// What decode_header() found. Reused across calls, so that the topic's source keeps its capacity.
struct DecodedHeader {
  std::optional<DecodeError> error;
  std::string detail;      // What was wrong, for logs (empty when ok).
  EnvelopeHeader header;   // Views into the envelope frame; valid while it lives. Requires ok().
  Topic topic;             // The route (the topic the envelope's header derives). Requires ok().
  bool ok() const { return !error.has_value(); }
};

// decode()'s checks on a received message, with the body left unparsed (see the top of this file).
void decode_header(std::span<const std::string_view> frames, const DecodeLimits& limits, DecodedHeader& out);

}  // namespace esper::proto

#endif  // ESPER_PROTO_ENVELOPE_HEADER_H_
