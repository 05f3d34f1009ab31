#include "proto/envelope_header.h"

#include <climits>
#include <cstring>
#include <vector>

namespace esper::proto {
namespace {

// The header fields are Envelope's own field numbers, as generated from esper/envelope.proto.
using E = Envelope;
constexpr int kFirstBody = E::kTelemetryFieldNumber;
constexpr int kLastBody = E::kEmergencySignalFieldNumber;
static_assert(E::kEventFieldNumber == 11 && E::kFieldReportFieldNumber == 12 && E::kFieldReportAckFieldNumber == 13 &&
                  E::kControlFieldNumber == 14 && E::kSystemStateFieldNumber == 15 && kFirstBody == 10 &&
                  kLastBody == 16,
              "body field numbers follow BodyKind's order");

// The body kind of body field `number` (kFirstBody..kLastBody), in BodyKind's order.
BodyKind body_of_field(int number) { return static_cast<BodyKind>(number - kFirstBody); }

// A cursor over the wire format, reading it as protobuf 3.21's parser does (parse_context.h): the
// same limits on varints, tags and lengths, so that both accept and refuse the same bytes.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const std::uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool at_end() const { return p_ == end_; }

  // Up to 10 bytes; bits past 64 are dropped.
  bool varint(std::uint64_t& out) {
    std::uint64_t value = 0;
    for (int i = 0; i < 10 && p_ != end_; ++i) {
      const std::uint8_t byte = *p_++;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        out = value;
        return true;
      }
    }
    return false;
  }
  // Up to 5 bytes, wrapping at 32 bits; 0 (never a valid tag) when malformed.
  std::uint32_t tag() {
    std::uint32_t value = 0;
    for (int i = 0; i < 5 && p_ != end_; ++i) {
      const std::uint8_t byte = *p_++;
      value += static_cast<std::uint32_t>(byte & 0x7f) << (7 * i);
      if (byte < 0x80) return value;
    }
    return 0;
  }
  // A length-delimited field's bytes: a length of up to 5 bytes below 2^31, within what is left.
  bool bytes(std::string_view& out) {
    std::uint64_t size = 0;
    const std::uint8_t* start = p_;
    if (!varint(size) || p_ - start > 5 || size > static_cast<std::uint64_t>(INT_MAX) ||
        size > static_cast<std::uint64_t>(end_ - p_)) {
      return false;
    }
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(size));
    p_ += size;
    return true;
  }
  bool fixed(std::size_t width, std::uint64_t& out) {
    if (static_cast<std::size_t>(end_ - p_) < width) return false;
    out = 0;
    for (std::size_t i = 0; i < width; ++i) out |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
    p_ += width;
    return true;
  }
  // Steps over the value of an unknown field whose tag was just read; groups (with their nested
  // groups, to protobuf's depth limit) to their matching end.
  bool skip(std::uint32_t tag) {
    std::vector<std::uint32_t> open_groups;
    while (true) {
      const std::uint32_t field = tag >> 3;
      std::uint64_t ignored = 0;
      std::string_view ignored_bytes;
      switch (tag & 7) {
        case 0: if (!varint(ignored)) return false; break;
        case 1: if (!fixed(8, ignored)) return false; break;
        case 2: if (!bytes(ignored_bytes)) return false; break;
        case 3:
          if (open_groups.size() >= kMaxDepth) return false;
          open_groups.push_back(field);
          break;
        case 4:
          if (open_groups.empty() || open_groups.back() != field) return false;  // Not its group's end.
          open_groups.pop_back();
          break;
        case 5: if (!fixed(4, ignored)) return false; break;
        default: return false;
      }
      if (open_groups.empty()) return true;
      tag = this->tag();
      if (tag == 0) return false;
    }
  }

 private:
  static constexpr std::size_t kMaxDepth = 100;  // Protobuf's default recursion limit.
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// Whether `text` is exactly `<lane>.<kind>.<severity>.<source>` in canonical names, compared in
// place: the accepting path formats no string.
bool topic_spells(std::string_view text, Lane lane, BodyKind kind, Severity severity, std::string_view source) {
  for (const std::string_view part : {lane_name(lane), kind_name(kind), severity_name(severity)}) {
    if (text.size() <= part.size() || text.substr(0, part.size()) != part || text[part.size()] != '.') return false;
    text.remove_prefix(part.size() + 1);
  }
  return text == source;
}

void fail(DecodedHeader& out, DecodeError error, std::string detail) {
  out.error = error;
  out.detail = std::move(detail);
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  // Eight ASCII bytes at a time: sources and instance names nearly always are.
  while (n - i >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, s + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += 8;
  }
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;  // The range of the second byte (RFC 3629's table).
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;   // No overlong forms.
      if (c == 0xED) hi = 0x9F;   // No surrogates.
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;   // Nothing past U+10FFFF.
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::optional<EnvelopeHeader> parse_envelope_header(std::string_view payload) {
  EnvelopeHeader h;
  if (!read_envelope_header(payload, h)) return std::nullopt;
  return h;
}

bool read_envelope_header(std::string_view payload, EnvelopeHeader& h) {
  // Field by field: `h = {}` compiles to a `rep stos`, whose start-up cost is a fifth of this
  // function's on a broker's hot path.
  h.schema_version = 0;
  h.source = {};
  h.instance = {};
  h.sequence = 0;
  h.sent_unix_ns = 0;
  h.severity = 0;
  h.signature = {};
  h.demoted = false;
  h.body.reset();
  if (payload.size() > static_cast<std::size_t>(INT_MAX)) return false;  // Protobuf's sizes are int.
  WireReader in(payload);
  constexpr std::uint32_t kVarint = 0;
  constexpr std::uint32_t kFixed64 = 1;
  constexpr std::uint32_t kLength = 2;
  while (!in.at_end()) {
    const std::uint32_t tag = in.tag();
    const auto field = static_cast<int>(tag >> 3);
    const std::uint32_t wire_type = tag & 7;
    if (field == 0 || wire_type == 4) return false;  // Field number 0, a broken tag, a stray end-group.
    bool ok = true;
    std::uint64_t value = 0;
    // A known field number under another wire type is an unknown field to protobuf: skipped.
    if (field == E::kSchemaVersionFieldNumber && wire_type == kVarint) {
      ok = in.varint(value);
      h.schema_version = static_cast<std::uint32_t>(value);
    } else if (field == E::kSourceFieldNumber && wire_type == kLength) {
      ok = in.bytes(h.source) && is_valid_utf8(h.source);  // Protobuf checks every occurrence.
    } else if (field == E::kInstanceFieldNumber && wire_type == kLength) {
      ok = in.bytes(h.instance) && is_valid_utf8(h.instance);
    } else if (field == E::kSequenceFieldNumber && wire_type == kVarint) {
      ok = in.varint(h.sequence);
    } else if (field == E::kSentUnixNsFieldNumber && wire_type == kFixed64) {
      ok = in.fixed(8, h.sent_unix_ns);
    } else if (field == E::kSeverityFieldNumber && wire_type == kVarint) {
      ok = in.varint(value);
      h.severity = static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
    } else if (field == E::kSignatureFieldNumber && wire_type == kLength) {
      ok = in.bytes(h.signature);
    } else if (field == E::kDemotedFieldNumber && wire_type == kVarint) {
      ok = in.varint(value);
      h.demoted = value != 0;
    } else if (field >= kFirstBody && field <= kLastBody && wire_type == kLength) {
      std::string_view body;  // Stepped over: its contents are the consumers' to parse.
      ok = in.bytes(body);
      h.body = body_of_field(field);
    } else {
      ok = in.skip(tag);
    }
    if (!ok) return false;
  }
  return true;
}

std::optional<std::pair<DecodeError, std::string>> check_header(const EnvelopeHeader& header) {
  if (header.schema_version != kSchemaVersion) {
    return {{DecodeError::kUnknownSchemaVersion, "schema_version " + std::to_string(header.schema_version) +
                                                     ", expected " + std::to_string(kSchemaVersion)}};
  }
  if (!header.body) return {{DecodeError::kMissingBody, "envelope has no body"}};
  if (!is_valid_source(header.source)) {
    return {{DecodeError::kInvalidSource, header.source.empty()
                                              ? "empty source"
                                              : "invalid source '" + std::string(header.source.substr(0, 80)) + "'"}};
  }
  if (header.severity < SEVERITY_DEBUG || header.severity > SEVERITY_CRITICAL) {
    return {{DecodeError::kInvalidSeverity, "severity " + std::to_string(header.severity)}};
  }
  return std::nullopt;
}

void decode_header(std::span<const std::string_view> frames, const DecodeLimits& limits, DecodedHeader& out) {
  out.error.reset();
  out.detail.clear();
  if (frames.size() != 2) {
    return fail(out, DecodeError::kWrongFrameCount, std::to_string(frames.size()) + " frames, expected 2");
  }
  const std::string_view topic_text = frames[0];
  const std::string_view payload = frames[1];
  if (payload.size() > limits.max_envelope_bytes) {
    return fail(out, DecodeError::kOversize,
                std::to_string(payload.size()) + " bytes, limit " + std::to_string(limits.max_envelope_bytes));
  }
  const bool parsed = read_envelope_header(payload, out.header);
  const EnvelopeHeader* header = parsed ? &out.header : nullptr;
  std::optional<std::pair<DecodeError, std::string>> invalid;
  if (header) invalid = check_header(*header);
  if (header && !invalid) {
    const auto severity = static_cast<Severity>(header->severity);
    const Lane lane = header->demoted ? Lane::kReliable : lane_for(*header->body, severity);
    // The common case: the topic is the one the header derives, spelled canonically.
    if (topic_text.size() <= kMaxTopicBytes && topic_spells(topic_text, lane, *header->body, severity, header->source)) {
      out.topic.lane = lane;
      out.topic.kind = *header->body;
      out.topic.severity = severity;
      out.topic.source.assign(header->source);
      return;
    }
  }
  // Something is off (or the topic is spelled unusually): decide as decode() does, in its order.
  std::optional<Topic> topic;
  if (topic_text.size() <= kMaxTopicBytes) topic = parse_topic(topic_text);
  if (!topic) {
    return fail(out, DecodeError::kBadTopic, "topic '" + std::string(topic_text.substr(0, kMaxTopicBytes)) + "'");
  }
  if (!header) {
    return fail(out, DecodeError::kUnparseable, std::to_string(payload.size()) + "-byte frame is not an Envelope");
  }
  if (invalid) return fail(out, invalid->first, std::move(invalid->second));
  const auto severity = static_cast<Severity>(header->severity);
  Topic expected{header->demoted ? Lane::kReliable : lane_for(*header->body, severity), *header->body, severity,
                 std::string(header->source)};
  if (expected != *topic) {
    return fail(out, DecodeError::kTopicMismatch,
                "topic '" + std::string(topic_text) + "' but envelope says '" + format_topic(expected) + "'");
  }
  out.topic = std::move(expected);
}

}  // namespace esper::proto
