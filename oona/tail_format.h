// What esper-tail shows: which envelopes pass its filters, and the line it prints for each, either
// a human-readable line (coloured by severity on a terminal) or one JSON object per line using
// protobuf's JSON mapping of the Envelope.
#ifndef ESPER_OONA_TAIL_FORMAT_H_
#define ESPER_OONA_TAIL_FORMAT_H_

#include <optional>
#include <set>
#include <string>

#include "oona/bus_subscriber.h"

namespace esper::oona {

struct TailFilter {
  std::optional<proto::Lane> lane;
  std::set<proto::BodyKind> kinds;  // Empty: all.
  proto::Severity min_severity = proto::SEVERITY_DEBUG;
  std::set<std::string> sources;  // Empty: all.

  bool matches(const BusMessage& message) const;
  // The subscriber set-up that lets through at least what matches (lane -> socket and prefix).
  void narrow(BusSubscriberOptions& options) const;
};

// "2026-11-22T22:50:01.123Z CRITICAL emergency event tamiyo#42 host:1 <summary>", with ANSI colour
// by severity when `colour`.
std::string format_human(const BusMessage& message, bool colour);
// One JSON object (no newline): protobuf's JSON mapping of the envelope, plus nothing else.
std::string format_json(const BusMessage& message);

}  // namespace esper::oona

#endif  // ESPER_OONA_TAIL_FORMAT_H_
