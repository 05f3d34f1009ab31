// Little-endian integers and the two record checksums of wal_format.h, shared by writer and reader.
#ifndef ESPER_WAL_WAL_RECORD_CODEC_H_
#define ESPER_WAL_WAL_RECORD_CODEC_H_

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace esper::wal {

inline void store_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline std::uint32_t load_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
inline std::uint32_t payload_check(std::string_view payload) {
  return static_cast<std::uint32_t>(XXH3_64bits(payload.data(), payload.size()));
}
// Over the first 12 header bytes (length, type, reserved, payload check).
inline std::uint32_t header_check(const char* header) {
  return static_cast<std::uint32_t>(XXH3_64bits(header, 12));
}

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_RECORD_CODEC_H_
