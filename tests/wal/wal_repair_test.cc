// Repair on its own, without a writer: a torn tail is truncated and every record before it kept; a
// corrupt range in the middle stays in place for replay to report; a damaged last header sends
// appends to a new segment; an empty or missing directory needs nothing; an I/O error fails it.
#include <gtest/gtest.h>

#include <cerrno>

#include "wal/wal_repair.h"
#include "tests/support/fault_file_ops.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wal_test_util.h"

namespace esper::wal {
namespace {

using testing::file_bytes;
using testing::first_segment;
using testing::read_back;
using testing::write_bytes;
using testing::write_test_wal;

std::string repair_payload(int i) { return "repair-" + std::to_string(i); }

struct Repaired {
  Status status;
  RepairReport report;
  AppendPoint append_at;
};

Repaired run_repair(const std::filesystem::path& dir, FileOps& ops = posix_file_ops()) {
  Repaired r;
  r.status = repair_wal(dir, ops, &r.report, &r.append_at);
  return r;
}

TEST(WalRepair, ATornTailIsTruncatedAndEveryRecordBeforeItKept) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  write_test_wal(dir, 5, repair_payload);
  const auto segment = first_segment(dir);
  const std::uint64_t last_start = segment.positions.back().offset;
  write_bytes(segment.path, segment.bytes.substr(0, last_start + 7));  // The last record cut short.

  const Repaired r = run_repair(dir);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_EQ(r.report.problems[0].kind, ProblemKind::kTornTail);
  EXPECT_EQ(r.report.problems[0].offset, last_start);
  EXPECT_EQ(r.report.truncated_bytes, 7u);
  EXPECT_EQ(file_bytes(segment.path), segment.bytes.substr(0, last_start));
  EXPECT_TRUE(r.append_at.exists);
  EXPECT_EQ(r.append_at.segment, 1u);
  EXPECT_EQ(r.append_at.offset, last_start);

  const auto back = read_back(dir);
  ASSERT_EQ(back.records.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(back.records[i].second, repair_payload(static_cast<int>(i)));
  EXPECT_TRUE(back.summary.problems.empty());
}

TEST(WalRepair, ACorruptRangeInTheMiddleIsLeftInPlaceForReplayToReport) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  write_test_wal(dir, 5, repair_payload);
  const auto segment = first_segment(dir);
  std::string damaged = segment.bytes;
  damaged[segment.positions[2].offset + kRecordHeaderSize + 1] ^= 0x08;  // Record 2's payload.
  write_bytes(segment.path, damaged);

  const Repaired r = run_repair(dir);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.report.problems.empty()) << describe(r.report.problems[0]);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
  EXPECT_EQ(file_bytes(segment.path), damaged) << "repair must not touch corrupt bytes";
  EXPECT_TRUE(r.append_at.exists);
  EXPECT_EQ(r.append_at.offset, damaged.size()) << "appends go after the damage";

  const auto back = read_back(dir);
  EXPECT_EQ(back.records.size(), 4u);
  ASSERT_EQ(back.summary.problems.size(), 1u);
  EXPECT_EQ(back.summary.problems[0].kind, ProblemKind::kCorrupt);
  EXPECT_EQ(back.summary.problems[0].offset, segment.positions[2].offset);
  EXPECT_EQ(back.summary.problems[0].length, segment.positions[3].offset - segment.positions[2].offset);
}

TEST(WalRepair, ALastSegmentWithADamagedHeaderIsKeptAndAppendsGoToTheNextSegment) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  write_test_wal(dir, 2, repair_payload);
  const auto segment = first_segment(dir);
  std::string damaged = segment.bytes;
  damaged[3] ^= 0x01;  // Inside the magic.
  write_bytes(segment.path, damaged);

  const Repaired r = run_repair(dir);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_EQ(r.report.problems[0].kind, ProblemKind::kCorrupt);
  EXPECT_EQ(r.report.problems[0].offset, 0u);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
  EXPECT_EQ(file_bytes(segment.path), damaged);
  EXPECT_FALSE(r.append_at.exists);
  EXPECT_EQ(r.append_at.segment, 2u);
}

TEST(WalRepair, AnEmptyOrMissingDirectoryNeedsNothingAndAppendsStartAtSegmentOne) {
  esper::testing::TempDir tmp;
  for (const auto& dir : {tmp.path(), tmp / "missing"}) {
    SCOPED_TRACE(dir.string());
    const Repaired r = run_repair(dir);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_TRUE(r.report.problems.empty());
    EXPECT_EQ(r.report.truncated_bytes, 0u);
    EXPECT_FALSE(r.append_at.exists);
    EXPECT_EQ(r.append_at.segment, 1u);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "missing")) << "repair creates nothing";
}

TEST(WalRepair, ASegmentACrashLeftUnderItsTemporaryNameIsDeleted) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  write_test_wal(dir, 1, repair_payload);
  const auto unfinished = dir / (segment_file_name(2) + ".tmp");
  write_bytes(unfinished, encode_segment_header());

  const Repaired r = run_repair(dir);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_FALSE(std::filesystem::exists(unfinished));
  EXPECT_EQ(r.append_at.segment, 1u);
  EXPECT_TRUE(r.report.problems.empty());
}

TEST(WalRepair, AnIoErrorWhileTruncatingFailsRepair) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  write_test_wal(dir, 3, repair_payload);
  const auto segment = first_segment(dir);
  write_bytes(segment.path, segment.bytes + "torn");
  testing::FaultFileOps ops;
  ops.sync_error = EIO;

  const Repaired r = run_repair(dir, ops);
  EXPECT_EQ(r.status.code(), EIO);
  EXPECT_NE(r.status.message().find("truncate torn tail of " + segment.path.string()), std::string::npos)
      << r.status.message();
}

}  // namespace
}  // namespace esper::wal
