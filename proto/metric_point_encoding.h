// A metric point's wire bytes without a MetricPoint object. A producer recording millions of points
// a second spent most of its time allocating, moving and freeing MetricPoints (two heap strings
// each) between record() and the packet; encoding the point once, at record(), into the packet's
// own bytes costs a fraction of that.
//
// The bytes are exactly what protobuf's deterministic serialization of the same MetricPoint gives
// (fields in number order, attributes sorted by key, default values left out), so a receiver that
// re-serializes the envelope to check its signature computes the same bytes the sender signed.
#ifndef ESPER_PROTO_METRIC_POINT_ENCODING_H_
#define ESPER_PROTO_METRIC_POINT_ENCODING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "esper/telemetry.pb.h"

namespace esper::proto {

using AttributeView = std::pair<std::string_view, std::string_view>;

// A metric point as its producer holds it: views of its strings, valid for the call they are
// passed to. Attributes may come in any order; of two with the same key the later one counts, as
// assigning them into the map one after the other would.
struct MetricPointView {
  std::string_view name = {};
  double value = 0;
  std::string_view unit = {};
  MetricKind kind = METRIC_KIND_GAUGE;
  std::optional<std::uint64_t> step = std::nullopt;
  std::uint64_t timestamp_unix_ns = 0;
  std::span<const AttributeView> attributes = {};
};

// The field of TelemetryPacket that holds its metric points.
inline constexpr std::uint32_t kPacketMetricsField = 5;

// Appends `point` as one `metrics` entry of a TelemetryPacket (tag, length, MetricPoint bytes), so
// entries appended one after the other are a valid run of the packet's repeated field. Returns the
// number of bytes appended.
std::size_t append_metrics_entry(std::string& out, const MetricPointView& point);

// The view of a MetricPoint; its attributes are viewed through `attribute_storage`.
MetricPointView view_of(const MetricPoint& point, std::vector<AttributeView>& attribute_storage);

// True when every string of the point is valid UTF-8, as a receiver's parser demands of proto3
// strings: one invalid point would make the whole packet it travels in unparseable.
bool strings_are_utf8(const MetricPointView& point);

}  // namespace esper::proto

#endif  // ESPER_PROTO_METRIC_POINT_ENCODING_H_
