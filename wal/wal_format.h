// The on-disk format of the field-reports write-ahead log (WAL). Generic: records are a type byte
// plus an opaque payload; the outbox (outbox_records.h) and Nissa (nissa/store/journal_records.h) give the
// types meaning.
//
// A WAL is a directory:
//   DIR/00000000000000000001.wal   segment files, numbered from 1, zero-padded to 20 digits
//   DIR/LOCK                       flock()ed by the one live writer
//   DIR/requeue/*.req              requeue requests dropped by `esper-wal requeue` (outbox only)
//   DIR/quarantine/S-O-L.bad       copies of damaged byte ranges (segment S, offset O, length L),
//                                  made by the WAL's owner when it replays (wal_quarantine.h)
//   DIR/acknowledged_corruption    damaged ranges an operator acknowledged with `esper-wal
//                                  acknowledge` (corruption_acknowledgments.h)
//
// Segment file (all integers little-endian):
//   segment header, 16 bytes:  "ESPERWAL" (8) | format version u32 (=1) | reserved u32 (=0)
//   then records, back to back, until end of file:
//     +0   u32 length           payload bytes (0 .. kMaxPayload)
//     +4   u8  type             1..255 (0 is never valid, so zero-filled space is never a record)
//     +5   u8[3] reserved       zero
//     +8   u32 payload_check    low 32 bits of XXH3_64bits(payload)
//     +12  u32 header_check     low 32 bits of XXH3_64bits(bytes +0 .. +11)
//     +16  payload
//
// Why two checksums: the header check lets a reader tell "a complete header with a damaged length"
// (corruption, reported) from "a header whose payload runs past end of file" (a torn tail: a write
// that did not finish, or a live writer still appending). Without it a bit flip in the length field
// of a record in the middle of the log would look like a torn tail. xxhash (XXH3) is used because it
// is a maintained library, fast enough that replay is bound by read(), and detects every single-bit
// flip in the 32 bits we keep.
//
// A new segment is written to a temporary name, fsynced, renamed into place and the directory
// fsynced, so a segment header is never torn. A segment never exceeds the configured segment size
// unless a single record is larger than it (then that record has the segment to itself).
//
// Problems a reader can find, each a byte range (segment, offset, length):
//   torn tail: damage that no good record follows and that looks like an unfinished write: fewer
//              than 16 bytes left, a valid header whose payload runs past end of file, or zero
//              bytes from inside the record to end of file (space allocated by a crash before the
//              data reached it). Normal at the end of the LAST segment; repaired on open by
//              truncation, since no record in it was ever acknowledged.
//   corrupt:   bytes that were written completely but fail a check: a bad segment header, a header
//              failing its check or rules, a payload failing its check; or a torn tail in a segment
//              that is not the last.
//
// Resynchronisation: corruption costs only the damaged record. Past a corrupt range the reader
// searches byte by byte for the next position where a good record starts (a header passing its
// check and rules AND a payload passing its check: 64 bits of checks, so a false match is
// vanishingly rare) and delivers every record from there on, in any segment, the last included,
// and after a damaged segment header. Corrupt bytes are never truncated or rewritten (segments are
// append-only): the owner copies each range to quarantine/, logs and counts it once, and `esper-wal
// verify` fails on it until it is acknowledged. One blind spot: a damaged record at the very end of
// the last segment whose payload happens to end in zero bytes looks like an unfinished write and is
// truncated as a torn tail.
#ifndef ESPER_WAL_WAL_FORMAT_H_
#define ESPER_WAL_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace esper::wal {

inline constexpr std::string_view kSegmentMagic = "ESPERWAL";
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 16;
inline constexpr std::size_t kRecordHeaderSize = 16;
inline constexpr std::uint32_t kMaxPayload = 64u << 20;  // 64 MiB: far above any field report.
inline constexpr std::uint64_t kDefaultSegmentSize = 64ull << 20;

// Where a record starts: segment number and byte offset inside that segment file.
struct RecordPosition {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  friend bool operator==(const RecordPosition&, const RecordPosition&) = default;
  friend auto operator<=>(const RecordPosition&, const RecordPosition&) = default;
};
// "segment 3 offset 4096": how messages and logs name a place in the WAL.
std::string describe(const RecordPosition& position);

// The 16-byte segment header.
std::string encode_segment_header();
// Appends header + payload of one record to `out`.
void append_encoded_record(std::string& out, std::uint8_t type, std::string_view payload);
inline std::size_t encoded_record_size(std::size_t payload_size) {
  return kRecordHeaderSize + payload_size;
}

// "00000000000000000042.wal" for segment 42, and back (nullopt for names that are not segments).
std::string segment_file_name(std::uint64_t segment);
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_FORMAT_H_
