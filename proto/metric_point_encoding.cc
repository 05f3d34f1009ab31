#include "proto/metric_point_encoding.h"

#include <algorithm>
#include <bit>
#include <vector>

#include <google/protobuf/stubs/common.h>

#include "proto/wire_format.h"

namespace esper::proto {

namespace {

// MetricPoint's field numbers (telemetry.proto), and those of a map entry.
constexpr std::uint32_t kName = 1, kValue = 2, kUnit = 3, kAttributes = 4, kKind = 5, kStep = 6, kTimestamp = 7;
constexpr std::uint32_t kEntryKey = 1, kEntryValue = 2;

// The attributes in the order protobuf writes a map deterministically: sorted by key, the later
// of equal keys kept. Points mostly carry none or a few, often in order already (a std::map's):
// those are used as they are, without a copy.
class SortedAttributes {
 public:
  explicit SortedAttributes(std::span<const AttributeView> attributes) : view_(attributes) {
    if (in_order(attributes)) return;
    copy_.assign(attributes.begin(), attributes.end());
    // Stable, so among equal keys the last given stays last; then keep that one.
    std::stable_sort(copy_.begin(), copy_.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < copy_.size(); ++i) {
      if (i + 1 < copy_.size() && copy_[i + 1].first == copy_[i].first) continue;
      copy_[kept++] = copy_[i];
    }
    copy_.resize(kept);
    view_ = copy_;
  }
  std::span<const AttributeView> view() const { return view_; }

 private:
  static bool in_order(std::span<const AttributeView> attributes) {
    for (std::size_t i = 1; i < attributes.size(); ++i) {
      if (!(attributes[i - 1].first < attributes[i].first)) return false;
    }
    return true;
  }

  std::span<const AttributeView> view_;
  std::vector<AttributeView> copy_;
};

// proto3 leaves a string out when empty, a number when zero (a double when all its bits are: -0.0
// is sent).
std::size_t string_field_size(std::string_view s) { return s.empty() ? 0 : wire::length_delimited_size(s.size()); }

// Field numbers below 16: a tag is one byte.
constexpr char tag(std::uint32_t field, wire::WireType type) {
  return static_cast<char>((field << 3) | static_cast<std::uint32_t>(type));
}

char* put_string_field(char* p, std::uint32_t field, std::string_view s) {
  *p++ = tag(field, wire::WireType::kLengthDelimited);
  p = wire::put_varint(p, s.size());
  return wire::put_bytes(p, s);
}

// A map entry always carries both key and value, even empty ones, as protobuf writes it.
std::size_t entry_body_size(const AttributeView& a) {
  return wire::length_delimited_size(a.first.size()) + wire::length_delimited_size(a.second.size());
}

// An enum is an int32 on the wire: a negative one is sign-extended to ten bytes.
std::uint64_t enum_varint(MetricKind kind) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(kind)));
}

}  // namespace

std::size_t append_metrics_entry(std::string& out, const MetricPointView& point) {
  const SortedAttributes attributes(point.attributes);
  const std::uint64_t value_bits = std::bit_cast<std::uint64_t>(point.value);

  std::size_t body = string_field_size(point.name) + (value_bits != 0 ? 9 : 0) + string_field_size(point.unit);
  for (const auto& a : attributes.view()) body += wire::length_delimited_size(entry_body_size(a));
  if (point.kind != METRIC_KIND_UNSPECIFIED) body += 1 + wire::varint_size(enum_varint(point.kind));
  if (point.step) body += 1 + wire::varint_size(*point.step);
  if (point.timestamp_unix_ns != 0) body += 9;

  // Sized once, then written through a pointer: appending field by field cost twice as much.
  const std::size_t before = out.size();
  const std::size_t size = wire::length_delimited_size(body);
  out.resize(before + size);
  char* p = out.data() + before;
  *p++ = tag(kPacketMetricsField, wire::WireType::kLengthDelimited);
  p = wire::put_varint(p, body);
  if (!point.name.empty()) p = put_string_field(p, kName, point.name);
  if (value_bits != 0) {
    *p++ = tag(kValue, wire::WireType::kFixed64);
    p = wire::put_fixed64(p, value_bits);
  }
  if (!point.unit.empty()) p = put_string_field(p, kUnit, point.unit);
  for (const auto& a : attributes.view()) {
    *p++ = tag(kAttributes, wire::WireType::kLengthDelimited);
    p = wire::put_varint(p, entry_body_size(a));
    p = put_string_field(p, kEntryKey, a.first);
    p = put_string_field(p, kEntryValue, a.second);
  }
  if (point.kind != METRIC_KIND_UNSPECIFIED) {
    *p++ = tag(kKind, wire::WireType::kVarint);
    p = wire::put_varint(p, enum_varint(point.kind));
  }
  if (point.step) {
    *p++ = tag(kStep, wire::WireType::kVarint);
    p = wire::put_varint(p, *point.step);
  }
  if (point.timestamp_unix_ns != 0) {
    *p++ = tag(kTimestamp, wire::WireType::kFixed64);
    p = wire::put_fixed64(p, point.timestamp_unix_ns);
  }
  return size;
}

MetricPointView view_of(const MetricPoint& point, std::vector<AttributeView>& storage) {
  storage.clear();
  for (const auto& [key, value] : point.attributes()) storage.emplace_back(key, value);
  return MetricPointView{.name = point.name(),
                         .value = point.value(),
                         .unit = point.unit(),
                         .kind = point.kind(),
                         .step = point.has_step() ? std::optional(point.step()) : std::nullopt,
                         .timestamp_unix_ns = point.timestamp_unix_ns(),
                         .attributes = storage};
}

bool strings_are_utf8(const MetricPointView& point) {
  auto valid = [](std::string_view s) {
    return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
  };
  if (!valid(point.name) || !valid(point.unit)) return false;
  return std::all_of(point.attributes.begin(), point.attributes.end(),
                     [&](const AttributeView& a) { return valid(a.first) && valid(a.second); });
}

}  // namespace esper::proto
