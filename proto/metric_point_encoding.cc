#include "proto/metric_point_encoding.h"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#include <google/protobuf/stubs/common.h>

#include "proto/wire_format.h"

namespace esper::proto {

namespace {

// MetricPoint's field numbers (telemetry.proto), and those of a map entry.
constexpr std::uint32_t kName = 1, kValue = 2, kUnit = 3, kAttributes = 4, kKind = 5, kStep = 6, kTimestamp = 7;
constexpr std::uint32_t kEntryKey = 1, kEntryValue = 2;

// Attributes sorted by key, the later of equal keys kept. Most points carry a handful, which
// fit on the stack.
class SortedAttributes {
 public:
  explicit SortedAttributes(std::span<const AttributeView> attributes) {
    if (attributes.size() <= inline_.size()) {
      std::copy(attributes.begin(), attributes.end(), inline_.begin());
      view_ = std::span(inline_.data(), attributes.size());
    } else {
      heap_.assign(attributes.begin(), attributes.end());
      view_ = heap_;
    }
    // Stable, so among equal keys the last given stays last; then keep that one.
    std::stable_sort(view_.begin(), view_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < view_.size(); ++i) {
      if (i + 1 < view_.size() && view_[i + 1].first == view_[i].first) continue;
      view_[kept++] = view_[i];
    }
    view_ = view_.first(kept);
  }
  std::span<AttributeView> view() const { return view_; }

 private:
  std::array<AttributeView, 16> inline_{};
  std::vector<AttributeView> heap_;
  std::span<AttributeView> view_;
};

// proto3 leaves a string out when empty, a number when zero (a double when all its bits are: -0.0
// is sent).
std::size_t string_field_size(std::string_view s) { return s.empty() ? 0 : wire::length_delimited_size(s.size()); }

void append_string_field(std::string& out, std::uint32_t field, std::string_view s) {
  if (!s.empty()) wire::append_length_delimited(out, field, s);
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

  const std::size_t before = out.size();
  out.reserve(before + wire::length_delimited_size(body));
  wire::append_tag(out, kPacketMetricsField, wire::WireType::kLengthDelimited);
  wire::append_varint(out, body);
  append_string_field(out, kName, point.name);
  if (value_bits != 0) wire::append_fixed64(out, kValue, value_bits);
  append_string_field(out, kUnit, point.unit);
  for (const auto& a : attributes.view()) {
    wire::append_tag(out, kAttributes, wire::WireType::kLengthDelimited);
    wire::append_varint(out, entry_body_size(a));
    wire::append_length_delimited(out, kEntryKey, a.first);
    wire::append_length_delimited(out, kEntryValue, a.second);
  }
  if (point.kind != METRIC_KIND_UNSPECIFIED) {
    wire::append_tag(out, kKind, wire::WireType::kVarint);
    wire::append_varint(out, enum_varint(point.kind));
  }
  if (point.step) {
    wire::append_tag(out, kStep, wire::WireType::kVarint);
    wire::append_varint(out, *point.step);
  }
  if (point.timestamp_unix_ns != 0) wire::append_fixed64(out, kTimestamp, point.timestamp_unix_ns);
  return out.size() - before;
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
