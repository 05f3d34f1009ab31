// Small helpers shared by the WAL tests: open a writer, read everything back, corrupt files in place.
#ifndef ESPER_TESTS_SUPPORT_WAL_TEST_UTIL_H_
#define ESPER_TESTS_SUPPORT_WAL_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace esper::testing {

// Opens a writer; failing to open fails the test (and returns nullptr).
inline std::unique_ptr<wal::WalWriter> open_test_writer(const wal::WalWriterOptions& options,
                                                        wal::RepairReport* repair = nullptr) {
  wal::Status status;
  auto writer = wal::WalWriter::open(options, &status, repair);
  EXPECT_TRUE(writer) << status.message();
  return writer;
}

struct ReadBack {
  std::vector<std::pair<std::uint8_t, std::string>> records;
  std::vector<wal::RecordPosition> positions;
  wal::WalReadSummary summary;
};

inline ReadBack read_back(const std::filesystem::path& dir) {
  ReadBack out;
  wal::read_wal(
      dir,
      [&](const wal::WalRecord& r) {
        out.records.emplace_back(r.type, std::string(r.payload));
        out.positions.push_back(r.position);
      },
      &out.summary);
  return out;
}

// Writes `count` records of type 1, `payload(i)` each, to the WAL in `dir`, and closes it.
inline void write_test_wal(const std::filesystem::path& dir, int count, const std::function<std::string(int)>& payload,
                           wal::Durability durability = wal::Durability::kNone,
                           std::uint64_t segment_size = wal::kDefaultSegmentSize) {
  wal::WalWriterOptions options;
  options.dir = dir;
  options.durability = durability;
  options.segment_size = segment_size;
  auto writer = open_test_writer(options);
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < count; ++i) ASSERT_TRUE(writer->append(1, payload(i)).ok()) << "record " << i;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The first segment of a WAL a test wrote, to damage in place: its file, its bytes, and where every
// record of the WAL starts.
struct FirstSegment {
  std::filesystem::path path;
  std::string bytes;
  std::vector<wal::RecordPosition> positions;
};

inline FirstSegment first_segment(const std::filesystem::path& dir) {
  FirstSegment segment;
  segment.path = wal::list_segments(dir).at(0).path;
  segment.bytes = file_bytes(segment.path);
  segment.positions = read_back(dir).positions;
  return segment;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_WAL_TEST_UTIL_H_
