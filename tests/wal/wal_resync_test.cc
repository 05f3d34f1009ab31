// Corruption costs only the damaged record: a byte flipped anywhere in a segment (the last one or an
// older one, the segment header included) loses at most the record holding it; every other record
// replays exactly once, the writer truncates nothing but a torn tail and appends after the damage,
// and the damaged range stays the same across reopen and append (so it is quarantined once).
// Also: read_wal's progress callback.
#include <gtest/gtest.h>

#include "wal/wal_writer.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/temp_dir.h"

namespace esper::wal {
namespace {

using testing::file_bytes;
using testing::read_back;
using testing::write_bytes;

std::string resync_payload(int i) {
  return "rec-" + std::to_string(i) + std::string(static_cast<std::size_t>(5 + (i * 7) % 23), static_cast<char>('a' + i));
}

std::unique_ptr<WalWriter> open_writer(const std::filesystem::path& dir, std::uint64_t segment_size,
                                       RepairReport* repair = nullptr) {
  WalWriterOptions options;
  options.dir = dir;
  options.durability = Durability::kNone;  // Appends here need no fsync; opening repairs the same way.
  options.segment_size = segment_size;
  return testing::open_test_writer(options, repair);
}

// A WAL written once; each case puts these bytes back before damaging them.
struct Pristine {
  std::vector<std::pair<std::filesystem::path, std::string>> segments;
  std::vector<RecordPosition> positions;  // Of record i (resync_payload(i)).
  std::vector<std::string> payloads;

  void restore(const std::filesystem::path& dir) const {
    for (const auto& s : list_segments(dir)) std::filesystem::remove(s.path);
    for (const auto& [path, bytes] : segments) write_bytes(path, bytes);
  }
};

Pristine write_pristine(const std::filesystem::path& dir, int records, std::uint64_t segment_size) {
  Pristine p;
  {
    auto writer = open_writer(dir, segment_size);
    for (int i = 0; i < records; ++i) {
      Lsn lsn;
      EXPECT_TRUE(writer->append(static_cast<std::uint8_t>(1 + i % 3), resync_payload(i), &lsn).ok());
      p.positions.push_back(lsn.position);
      p.payloads.push_back(resync_payload(i));
    }
  }
  for (const auto& s : list_segments(dir)) p.segments.emplace_back(s.path, file_bytes(s.path));
  return p;
}

// The record holding byte `byte` of segment `segment_number` (-1: the segment header), and its extent.
struct HitRecord {
  int index = -1;
  std::uint64_t start = 0, end = kSegmentHeaderSize;
};

HitRecord record_holding(const Pristine& p, std::uint64_t segment_number, std::uint64_t byte) {
  HitRecord hit;
  for (std::size_t i = 0; i < p.positions.size(); ++i) {
    const auto& pos = p.positions[i];
    const std::uint64_t end = pos.offset + encoded_record_size(p.payloads[i].size());
    if (pos.segment == segment_number && pos.offset <= byte && byte < end) {
      hit = HitRecord{static_cast<int>(i), pos.offset, end};
    }
  }
  return hit;
}

// Flips one bit of every byte of `segment_index`'s file in turn; after each, reopens the writer,
// appends, and checks what replays.
void flip_every_byte_of(std::size_t segment_index, const Pristine& p, const std::filesystem::path& dir,
                        std::uint64_t segment_size) {
  const auto& [path, clean] = p.segments.at(segment_index);
  const std::uint64_t segment_number = *parse_segment_file_name(path.filename().string());
  const bool is_last = segment_index + 1 == p.segments.size();
  for (std::size_t byte = 0; byte < clean.size(); ++byte) {
    SCOPED_TRACE("flipped byte " + std::to_string(byte) + " of segment " + std::to_string(segment_number));
    p.restore(dir);
    std::string damaged = clean;
    damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << (byte % 8)));
    write_bytes(path, damaged);

    const auto [hit, hit_start, hit_end] = record_holding(p, segment_number, byte);

    RepairReport repair;
    {
      auto writer = open_writer(dir, segment_size, &repair);
      ASSERT_NE(writer, nullptr);
      EXPECT_EQ(repair.truncated_bytes, 0u) << "corruption was truncated as if it were a torn tail";
      ASSERT_TRUE(writer->append(9, "after-damage").ok());
    }
    EXPECT_EQ(file_bytes(path).substr(0, damaged.size()), damaged) << "the damaged segment was rewritten";

    const auto back = read_back(dir);
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < p.payloads.size(); ++i) {
      if (static_cast<int>(i) != hit) expected.push_back(p.payloads[i]);
    }
    expected.push_back("after-damage");
    std::vector<std::string> got;
    for (const auto& [type, payload] : back.records) got.push_back(payload);
    ASSERT_EQ(got, expected);

    ASSERT_EQ(back.summary.problems.size(), 1u);
    const WalProblem& problem = back.summary.problems[0];
    EXPECT_EQ(problem.segment, segment_number);
    EXPECT_EQ(problem.offset, hit_start) << describe(problem);
    EXPECT_EQ(problem.length, hit_end - hit_start) << describe(problem);
    EXPECT_EQ(problem.kind, ProblemKind::kCorrupt) << describe(problem);
    EXPECT_FALSE(problem.is_tail());
    if (hit < 0 && is_last) {
      // A damaged header: the writer started a new segment instead of appending behind it.
      EXPECT_EQ(back.positions.back().segment, segment_number + 1);
    } else if (is_last) {
      EXPECT_EQ(back.positions.back(), (RecordPosition{segment_number, clean.size()}));
    }
  }
}

TEST(FieldReportsWalResync, AnyFlippedByteOfTheLastSegmentLosesAtMostItsRecord) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  const Pristine p = write_pristine(dir, 12, kDefaultSegmentSize);
  ASSERT_EQ(p.segments.size(), 1u);
  flip_every_byte_of(0, p, dir, kDefaultSegmentSize);
}

TEST(FieldReportsWalResync, AnyFlippedByteOfAnOlderSegmentLosesAtMostItsRecord) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  constexpr std::uint64_t kSegmentSize = 600;  // About 15 records per segment.
  const Pristine p = write_pristine(dir, 24, kSegmentSize);
  ASSERT_EQ(p.segments.size(), 2u);
  std::size_t in_first = 0;
  for (const auto& pos : p.positions) in_first += pos.segment == 1;
  ASSERT_GE(in_first, 8u);
  flip_every_byte_of(0, p, dir, kSegmentSize);
}

TEST(FieldReportsWalResync, TwoDamagedRecordsInOneSegmentAreTwoRangesAndTheRestReplays) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  const Pristine p = write_pristine(dir, 10, kDefaultSegmentSize);
  std::string bytes = p.segments[0].second;
  bytes[p.positions[2].offset + 1] ^= 0x01;                      // Record 2's length.
  bytes[p.positions[6].offset + kRecordHeaderSize + 2] ^= 0x40;  // Record 6's payload.
  write_bytes(p.segments[0].first, bytes);
  const auto back = read_back(dir);
  ASSERT_EQ(back.records.size(), 8u);
  ASSERT_EQ(back.summary.problems.size(), 2u);
  EXPECT_EQ(back.summary.problems[0].offset, p.positions[2].offset);
  EXPECT_EQ(back.summary.problems[0].offset + back.summary.problems[0].length, p.positions[3].offset);
  EXPECT_EQ(back.summary.problems[1].offset, p.positions[6].offset);
  EXPECT_EQ(back.summary.problems[1].offset + back.summary.problems[1].length, p.positions[7].offset);
}

TEST(FieldReportsWalResync, ACorruptRecordFollowedByATornTailKeepsTheCorruptBytesAndTruncatesOnlyTheTail) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  const Pristine p = write_pristine(dir, 6, kDefaultSegmentSize);
  std::string bytes = p.segments[0].second;
  bytes[p.positions[4].offset + kRecordHeaderSize + 1] ^= 0x08;  // Record 4's payload...
  bytes.resize(bytes.size() - 3);                                // ...then record 5 cut short.
  write_bytes(p.segments[0].first, bytes);
  RepairReport repair;
  {
    auto writer = open_writer(dir, kDefaultSegmentSize, &repair);
    ASSERT_NE(writer, nullptr);
    ASSERT_EQ(repair.problems.size(), 1u);
    EXPECT_EQ(repair.problems[0].kind, ProblemKind::kTornTail);
    EXPECT_EQ(repair.problems[0].offset, p.positions[5].offset);
    EXPECT_EQ(repair.truncated_bytes, bytes.size() - p.positions[5].offset);
    ASSERT_TRUE(writer->append(9, "after").ok());
  }
  const auto back = read_back(dir);
  ASSERT_EQ(back.records.size(), 5u);  // Records 0-3 and "after".
  EXPECT_EQ(back.records.back().second, "after");
  ASSERT_EQ(back.summary.problems.size(), 1u);
  EXPECT_EQ(back.summary.problems[0].offset, p.positions[4].offset);
  EXPECT_EQ(back.summary.problems[0].length, p.positions[5].offset - p.positions[4].offset);
}

TEST(FieldReportsWalResync, ZeroFilledSpaceAfterTheLastRecordIsATornTail) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  const Pristine p = write_pristine(dir, 4, kDefaultSegmentSize);
  write_bytes(p.segments[0].first, p.segments[0].second + std::string(100, '\0'));
  RepairReport repair;
  { auto writer = open_writer(dir, kDefaultSegmentSize, &repair); }
  EXPECT_EQ(repair.truncated_bytes, 100u);
  const auto back = read_back(dir);
  EXPECT_EQ(back.records.size(), 4u);
  EXPECT_TRUE(back.summary.problems.empty());
}

TEST(FieldReportsWalReadProgress, ReportsMonotonicProgressEndingAtOneHundredPercent) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  constexpr int kRecords = 20'000;
  {
    auto writer = open_writer(dir, 64 * 1024);
    for (int i = 0; i < kRecords; ++i) ASSERT_TRUE(writer->append(1, resync_payload(i)).ok());
  }
  std::uint64_t total = 0;
  for (const auto& s : list_segments(dir)) total += s.size;
  ASSERT_GT(list_segments(dir).size(), 5u);

  std::vector<WalReadProgress> seen;
  WalReadOptions options;
  options.on_progress = [&](const WalReadProgress& p) { seen.push_back(p); };
  options.progress_interval = std::chrono::milliseconds(0);
  WalReadSummary summary;
  ASSERT_TRUE(read_wal(dir, nullptr, &summary, options).ok());
  ASSERT_GE(seen.size(), 3u);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done) << i;
    EXPECT_GE(seen[i].records, seen[i - 1].records) << i;
    EXPECT_GE(seen[i].elapsed, seen[i - 1].elapsed) << i;
    EXPECT_LE(seen[i].bytes_done, seen[i].bytes_total);
    EXPECT_EQ(seen[i].done, i + 1 == seen.size());
  }
  EXPECT_EQ(seen.back().bytes_done, total);
  EXPECT_EQ(seen.back().bytes_total, total);
  EXPECT_EQ(seen.back().records, static_cast<std::uint64_t>(kRecords));
  EXPECT_EQ(seen.back().segments_done, seen.back().segments_total);

  // With the default interval a quick read reports only its end.
  seen.clear();
  options.progress_interval = std::chrono::hours(1);
  ASSERT_TRUE(read_wal(dir, nullptr, &summary, options).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].done);
}

}  // namespace
}  // namespace esper::wal
