// Bus topics: `<lane>.<kind>.<severity>.<source>`, most general first, so that a ZeroMQ prefix
// subscription such as "emergency." or "normal.telemetry." selects exactly what it names.
//
// The lane is never chosen by the sender: it is derived from the body kind and the severity
// (lane_for), and decoders reject a topic that disagrees with its envelope.
#ifndef ESPER_PROTO_TOPIC_H_
#define ESPER_PROTO_TOPIC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "esper/severity.pb.h"

namespace esper::proto {

enum class Lane : std::uint8_t {
  kNormal,     // Bounded; under overload Oona drops the lowest severity first.
  kEmergency,  // HIGH and CRITICAL; own sockets end to end, never dropped.
  kReliable,   // Field reports, acks and control: normal priority, never dropped.
};

// What an envelope carries; one per Envelope.body case.
enum class BodyKind : std::uint8_t {
  kTelemetry,
  kEvent,
  kFieldReport,
  kAck,
  kControl,
  kSystemState,
  kEmergencySignal,
};

// Lowercase names as they appear in topics and counters: "normal", "field_report", "critical".
std::string_view lane_name(Lane lane);
std::string_view kind_name(BodyKind kind);
std::string_view severity_name(proto::Severity severity);

std::optional<Lane> parse_lane(std::string_view name);
std::optional<BodyKind> parse_kind(std::string_view name);
std::optional<proto::Severity> parse_severity(std::string_view name);  // Also accepts "warn", "crit".

// Field reports, acks and control are reliable; otherwise HIGH and CRITICAL are emergency.
Lane lane_for(BodyKind kind, proto::Severity severity);

// A source names a service: 1..64 characters of [A-Za-z0-9_-]. No dots, since dots separate topic
// parts.
bool is_valid_source(std::string_view source);

struct Topic {
  Lane lane = Lane::kNormal;
  BodyKind kind = BodyKind::kTelemetry;
  proto::Severity severity = proto::SEVERITY_INFO;
  std::string source;

  bool operator==(const Topic&) const = default;
};

std::string format_topic(const Topic& topic);
// Returns nullopt unless the text has exactly four known parts and a valid source.
std::optional<Topic> parse_topic(std::string_view text);

}  // namespace esper::proto

#endif  // ESPER_PROTO_TOPIC_H_
