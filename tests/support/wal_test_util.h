// Small helpers shared by the WAL tests: read everything back, corrupt files in place.
#ifndef ESPER_TESTS_FIELD_REPORTS_WAL_TEST_UTIL_H_
#define ESPER_TESTS_FIELD_REPORTS_WAL_TEST_UTIL_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wal/wal_reader.h"

namespace esper::testing {

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

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_FIELD_REPORTS_WAL_TEST_UTIL_H_
