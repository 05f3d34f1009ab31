#include "proto/topic.h"

#include <algorithm>
#include <array>
#include <utility>

namespace esper::proto {
namespace {

constexpr std::array<std::pair<Lane, std::string_view>, 3> kLaneNames{{
    {Lane::kNormal, "normal"},
    {Lane::kEmergency, "emergency"},
    {Lane::kReliable, "reliable"},
}};

constexpr std::array<std::pair<BodyKind, std::string_view>, 7> kKindNames{{
    {BodyKind::kTelemetry, "telemetry"},
    {BodyKind::kEvent, "event"},
    {BodyKind::kFieldReport, "field_report"},
    {BodyKind::kAck, "ack"},
    {BodyKind::kControl, "control"},
    {BodyKind::kSystemState, "system_state"},
    {BodyKind::kEmergencySignal, "emergency_signal"},
}};

constexpr std::array<std::pair<proto::Severity, std::string_view>, 5> kSeverityNames{{
    {proto::SEVERITY_DEBUG, "debug"},
    {proto::SEVERITY_INFO, "info"},
    {proto::SEVERITY_WARNING, "warning"},
    {proto::SEVERITY_HIGH, "high"},
    {proto::SEVERITY_CRITICAL, "critical"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view lane_name(Lane lane) { return name_of(kLaneNames, lane); }
std::string_view kind_name(BodyKind kind) { return name_of(kKindNames, kind); }
std::string_view severity_name(proto::Severity severity) {
  return name_of(kSeverityNames, severity);
}

std::optional<Lane> parse_lane(std::string_view name) { return value_of(kLaneNames, name); }
std::optional<BodyKind> parse_kind(std::string_view name) { return value_of(kKindNames, name); }
std::optional<proto::Severity> parse_severity(std::string_view name) {
  if (name == "warn") return proto::SEVERITY_WARNING;
  if (name == "crit") return proto::SEVERITY_CRITICAL;
  return value_of(kSeverityNames, name);
}

Lane lane_for(BodyKind kind, proto::Severity severity) {
  switch (kind) {
    case BodyKind::kFieldReport:
    case BodyKind::kAck:
    case BodyKind::kControl:
      return Lane::kReliable;
    default:
      return severity >= proto::SEVERITY_HIGH ? Lane::kEmergency : Lane::kNormal;
  }
}

bool is_valid_source(std::string_view source) {
  if (source.empty() || source.size() > 64) return false;
  return std::all_of(source.begin(), source.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

std::string format_topic(const Topic& topic) {
  std::string out;
  out.reserve(32 + topic.source.size());
  out.append(lane_name(topic.lane)).append(".");
  out.append(kind_name(topic.kind)).append(".");
  out.append(severity_name(topic.severity)).append(".");
  out.append(topic.source);
  return out;
}

std::optional<Topic> parse_topic(std::string_view text) {
  std::array<std::string_view, 4> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t dot = text.find('.', start);
    const bool last = i + 1 == parts.size();
    if (last != (dot == std::string_view::npos)) return std::nullopt;  // Too few or too many parts.
    parts[i] = text.substr(start, last ? std::string_view::npos : dot - start);
    start = dot + 1;
  }
  const auto lane = parse_lane(parts[0]);
  const auto kind = parse_kind(parts[1]);
  const auto severity = value_of(kSeverityNames, parts[2]);  // Only canonical names on the wire.
  if (!lane || !kind || !severity || !is_valid_source(parts[3])) return std::nullopt;
  return Topic{*lane, *kind, *severity, std::string(parts[3])};
}

}  // namespace esper::proto
