// The few pieces of the protobuf wire format that code encoding bytes by hand needs: tags, varints,
// fixed64s and length-delimited fields. Used where building a message object per item would cost
// more than the item (a producer's metric points) or where bytes already encoded are wrapped
// without being parsed again (a telemetry packet into its envelope).
#ifndef ESPER_PROTO_WIRE_FORMAT_H_
#define ESPER_PROTO_WIRE_FORMAT_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace esper::proto::wire {

enum class WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

// Pointer writers for a buffer already sized: each returns the position after what it wrote.
inline char* put_varint(char* p, std::uint64_t value) {
  while (value >= 0x80) {
    *p++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<char>(value);
  return p;
}

inline char* put_fixed64(char* p, std::uint64_t value) {
  std::memcpy(p, &value, sizeof value);  // Little-endian on every platform we build for.
  return p + sizeof value;
}

inline char* put_bytes(char* p, std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

inline void append_varint(std::string& out, std::uint64_t value) {
  char buf[10];
  out.append(buf, static_cast<std::size_t>(put_varint(buf, value) - buf));
}

inline std::size_t varint_size(std::uint64_t value) {
  // 1 byte per 7 bits, at least one.
  return static_cast<std::size_t>((std::bit_width(value | 1) + 6) / 7);
}

inline void append_tag(std::string& out, std::uint32_t field, WireType type) {
  append_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint32_t>(type));
}

inline void append_fixed64(std::string& out, std::uint32_t field, std::uint64_t value) {
  append_tag(out, field, WireType::kFixed64);
  char buf[8];
  out.append(buf, static_cast<std::size_t>(put_fixed64(buf, value) - buf));
}

inline void append_length_delimited(std::string& out, std::uint32_t field, std::string_view bytes) {
  append_tag(out, field, WireType::kLengthDelimited);
  append_varint(out, bytes.size());
  out.append(bytes);
}

// The size of a length-delimited field whose tag fits in one byte (field numbers below 16).
inline std::size_t length_delimited_size(std::size_t bytes) { return 1 + varint_size(bytes) + bytes; }

}  // namespace esper::proto::wire

#endif  // ESPER_PROTO_WIRE_FORMAT_H_
