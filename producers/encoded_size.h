// What a buffered event will add to an encoded TelemetryPacket, estimated from its strings and a
// fixed allowance for the numeric fields and tags, without encoding it. The telemetry buffer sums
// it (with its metric points' encoded sizes) to start a drain once a batch reaches a size in bytes;
// an estimate is enough for that, and it costs a few nanoseconds where ByteSizeLong() walks the
// message.
#ifndef ESPER_PRODUCERS_ENCODED_SIZE_H_
#define ESPER_PRODUCERS_ENCODED_SIZE_H_

#include <cstddef>

#include "esper/telemetry.pb.h"

namespace esper::producers {

// A string field or map entry: its bytes plus a tag and a length byte or two.
inline std::size_t estimated_field_size(std::size_t bytes) { return bytes + 3; }

inline std::size_t estimated_encoded_size(const proto::TelemetryEvent& event) {
  // level (2), timestamp (9), the event's own tag and length (3).
  constexpr std::size_t kFixed = 14;
  std::size_t size = kFixed + estimated_field_size(event.event_id().size()) +
                     estimated_field_size(event.description().size());
  for (const auto& [key, value] : event.attributes()) {
    size += estimated_field_size(estimated_field_size(key.size()) + estimated_field_size(value.size()));
  }
  return size;
}

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_ENCODED_SIZE_H_
