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

// A closed one-segment WAL of `records` records, and its segment as written, to damage in place.
struct WalToRepair {
  esper::testing::TempDir tmp;
  std::filesystem::path dir = tmp / "wal";
  testing::FirstSegment segment;

  explicit WalToRepair(int records) {
    testing::write_test_wal(dir, records, repair_payload);
    segment = testing::first_segment(dir);
  }
  // Puts `bytes` in the segment's place, then repairs.
  Repaired repair_with(const std::string& bytes, FileOps& ops = posix_file_ops()) const {
    testing::write_bytes(segment.path, bytes);
    return run_repair(dir, ops);
  }
  std::string bytes_now() const { return testing::file_bytes(segment.path); }
};

TEST(WalRepair, ATornTailIsTruncatedAndEveryRecordBeforeItKept) {
  const WalToRepair wal(5);
  const std::uint64_t last_start = wal.segment.positions.back().offset;
  const Repaired r = wal.repair_with(wal.segment.bytes.substr(0, last_start + 7));  // The last record cut short.
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_EQ(r.report.problems[0].kind, ProblemKind::kTornTail);
  EXPECT_EQ(r.report.problems[0].offset, last_start);
  EXPECT_EQ(r.report.truncated_bytes, 7u);
  EXPECT_EQ(wal.bytes_now(), wal.segment.bytes.substr(0, last_start));
  EXPECT_TRUE(r.append_at.exists);
  EXPECT_EQ(r.append_at.segment, 1u);
  EXPECT_EQ(r.append_at.offset, last_start);

  const auto back = testing::read_back(wal.dir);
  ASSERT_EQ(back.records.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(back.records[i].second, repair_payload(static_cast<int>(i)));
  EXPECT_TRUE(back.summary.problems.empty());
}

TEST(WalRepair, ACorruptRangeInTheMiddleIsLeftInPlaceForReplayToReport) {
  const WalToRepair wal(5);
  const auto& positions = wal.segment.positions;
  std::string damaged = wal.segment.bytes;
  damaged[positions[2].offset + kRecordHeaderSize + 1] ^= 0x08;  // Record 2's payload.
  const Repaired r = wal.repair_with(damaged);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.report.problems.empty()) << describe(r.report.problems[0]);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
  EXPECT_EQ(wal.bytes_now(), damaged) << "repair must not touch corrupt bytes";
  EXPECT_TRUE(r.append_at.exists);
  EXPECT_EQ(r.append_at.offset, damaged.size()) << "appends go after the damage";

  const auto back = testing::read_back(wal.dir);
  EXPECT_EQ(back.records.size(), 4u);
  ASSERT_EQ(back.summary.problems.size(), 1u);
  EXPECT_EQ(back.summary.problems[0].kind, ProblemKind::kCorrupt);
  EXPECT_EQ(back.summary.problems[0].offset, positions[2].offset);
  EXPECT_EQ(back.summary.problems[0].length, positions[3].offset - positions[2].offset);
}

TEST(WalRepair, ALastSegmentWithADamagedHeaderIsKeptAndAppendsGoToTheNextSegment) {
  const WalToRepair wal(2);
  std::string damaged = wal.segment.bytes;
  damaged[3] ^= 0x01;  // Inside the magic.
  const Repaired r = wal.repair_with(damaged);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.report.problems.size(), 1u);
  EXPECT_EQ(r.report.problems[0].kind, ProblemKind::kCorrupt);
  EXPECT_EQ(r.report.problems[0].offset, 0u);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
  EXPECT_EQ(wal.bytes_now(), damaged);
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
    EXPECT_FALSE(r.append_at.exists);
    EXPECT_EQ(r.append_at.segment, 1u);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "missing")) << "repair creates nothing";
}

TEST(WalRepair, ASegmentACrashLeftUnderItsTemporaryNameIsDeleted) {
  const WalToRepair wal(1);
  const auto unfinished = wal.dir / (segment_file_name(2) + ".tmp");
  testing::write_bytes(unfinished, encode_segment_header());
  const Repaired r = wal.repair_with(wal.segment.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_FALSE(std::filesystem::exists(unfinished));
  EXPECT_EQ(r.append_at.segment, 1u);
  EXPECT_TRUE(r.report.problems.empty());
}

TEST(WalRepair, AnIoErrorWhileTruncatingFailsRepair) {
  const WalToRepair wal(3);
  testing::FaultFileOps ops;
  ops.sync_error = EIO;
  const Repaired r = wal.repair_with(wal.segment.bytes + "torn", ops);
  EXPECT_EQ(r.status.code(), EIO);
  EXPECT_NE(r.status.message().find("truncate torn tail of " + wal.segment.path.string()), std::string::npos)
      << r.status.message();
}

}  // namespace
}  // namespace esper::wal
