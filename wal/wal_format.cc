#include "wal/wal_format.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include "wal/wal_record_codec.h"

namespace esper::wal {

std::string encode_segment_header() {
  std::string header(kSegmentHeaderSize, '\0');
  std::memcpy(header.data(), kSegmentMagic.data(), kSegmentMagic.size());
  store_u32(header.data() + 8, kFormatVersion);
  return header;
}

void append_encoded_record(std::string& out, std::uint8_t type, std::string_view payload) {
  char header[kRecordHeaderSize] = {};
  store_u32(header, static_cast<std::uint32_t>(payload.size()));
  header[4] = static_cast<char>(type);
  store_u32(header + 8, payload_check(payload));
  store_u32(header + 12, header_check(header));
  out.append(header, sizeof header);
  out.append(payload);
}

std::string describe(const RecordPosition& position) {
  return "segment " + std::to_string(position.segment) + " offset " + std::to_string(position.offset);
}

std::string segment_file_name(std::uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.wal", static_cast<unsigned long long>(segment));
  return name;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = name.data() + 20;
  auto [ptr, ec] = std::from_chars(name.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0) return std::nullopt;
  return value;
}

}  // namespace esper::wal
