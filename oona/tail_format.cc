#include "oona/tail_format.h"

#include <charconv>
#include <ctime>
#include <map>

#include <google/protobuf/util/json_util.h>

namespace esper::oona {
namespace {

const char* colour_of(proto::Severity severity) {
  switch (severity) {
    case proto::SEVERITY_DEBUG: return "\033[2m";       // Dim.
    case proto::SEVERITY_WARNING: return "\033[33m";    // Yellow.
    case proto::SEVERITY_HIGH: return "\033[1;31m";     // Bold red.
    case proto::SEVERITY_CRITICAL: return "\033[1;37;41m";  // White on red.
    default: return "";
  }
}

std::string timestamp(std::uint64_t unix_ns) {
  const auto seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000ULL);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03uZ",
                static_cast<unsigned>((unix_ns / 1'000'000ULL) % 1000));
  return std::string(buffer, n) + millis;
}

std::string summary(const proto::Envelope& e) {
  using E = proto::Envelope;
  switch (e.body_case()) {
    case E::kTelemetry: {
      std::string s = std::to_string(e.telemetry().metrics_size()) + " metrics, " +
                      std::to_string(e.telemetry().events_size()) + " events";
      for (int i = 0; i < e.telemetry().metrics_size() && i < 3; ++i) {
        const auto& m = e.telemetry().metrics(i);
        s += (i == 0 ? ": " : ", ") + m.name();
        if (!m.attributes().empty()) {
          std::map<std::string, std::string> sorted(m.attributes().begin(), m.attributes().end());
          std::string attrs;
          for (const auto& [k, v] : sorted) attrs += (attrs.empty() ? "" : ",") + k + "=" + v;
          s += "{" + attrs + "}";
        }
        char value[32];  // Shortest text that reads back as the same double.
        s += "=" + std::string(value, std::to_chars(value, value + sizeof(value), m.value()).ptr);
        if (!m.unit().empty()) s += " " + m.unit();
      }
      return s;
    }
    case E::kEvent: return e.event().description();
    case E::kFieldReport: return "field report";
    case E::kFieldReportAck: return "field report ack";
    case E::kControl: return "control";
    case E::kSystemState: return "system state";
    case E::kEmergencySignal: return "emergency signal";
    case E::BODY_NOT_SET: break;
  }
  return "";
}

}  // namespace

bool TailFilter::matches(const BusMessage& message) const {
  if (lane && message.topic.lane != *lane) return false;
  if (!kinds.empty() && kinds.count(message.topic.kind) == 0) return false;
  if (message.topic.severity < min_severity) return false;
  if (!sources.empty() && sources.count(message.topic.source) == 0) return false;
  return true;
}

void TailFilter::narrow(BusSubscriberOptions& options) const {
  if (!lane) return;
  options.emergency = *lane == proto::Lane::kEmergency;
  options.normal = !options.emergency;
  options.prefixes = {std::string(proto::lane_name(*lane)) + "."};
}

std::string format_human(const BusMessage& message, bool colour) {
  const auto& e = message.envelope;
  std::string line = timestamp(e.sent_unix_ns()) + " ";
  std::string severity(proto::severity_name(message.topic.severity));
  for (auto& c : severity) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  severity.resize(8, ' ');
  line += colour ? colour_of(message.topic.severity) + severity + "\033[0m" : severity;
  line += " " + std::string(proto::lane_name(message.topic.lane)) + " " +
          std::string(proto::kind_name(message.topic.kind)) + " " + e.source() + "#" +
          std::to_string(e.sequence()) + " " + e.instance();
  if (e.demoted()) line += " (demoted)";
  const std::string text = summary(e);
  if (!text.empty()) line += " " + text;
  return line;
}

std::string format_json(const BusMessage& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // A counter at 0 is still shown.
  (void)google::protobuf::util::MessageToJsonString(message.envelope, &json, options);
  return json;
}

}  // namespace esper::oona
