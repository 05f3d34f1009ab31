// The WAL writer and reader: round trips in every durability mode, segment roll-over, group commit
// sharing fsyncs, torn-tail repair at every offset, bit flips detected with their offset, and
// injected ENOSPC / fsync failures that lose nothing acknowledged.
#include <gtest/gtest.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "wal/wal_writer.h"
#include "tests/support/fault_file_ops.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::wal {
namespace {

using testing::file_bytes;
using testing::first_segment;
using testing::read_back;
using testing::write_bytes;
using testing::write_test_wal;
using namespace std::chrono_literals;

std::unique_ptr<WalWriter> open_writer(const std::filesystem::path& dir, Durability durability,
                                       std::uint64_t segment_size = kDefaultSegmentSize,
                                       FileOps* ops = nullptr, RepairReport* repair = nullptr) {
  WalWriterOptions options;
  options.dir = dir;
  options.durability = durability;
  options.segment_size = segment_size;
  options.file_ops = ops;
  return testing::open_test_writer(options, repair);
}

std::string payload_for(int i) { return "record-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 37), 'x'); }

class FieldReportsWalModeTest : public ::testing::TestWithParam<Durability> {};

TEST_P(FieldReportsWalModeTest, AppendedRecordsReadBackInOrderAfterReopen) {
  esper::testing::TempDir tmp;
  {
    auto writer = open_writer(tmp.path(), GetParam());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(writer->append_durable(static_cast<std::uint8_t>(1 + i % 4), payload_for(i)).ok());
    }
  }
  {
    auto writer = open_writer(tmp.path(), GetParam());  // Reopen: no repair needed, appends continue.
    ASSERT_TRUE(writer->append_durable(9, "after-reopen").ok());
  }
  const auto back = read_back(tmp.path());
  ASSERT_EQ(back.records.size(), 101u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(back.records[static_cast<std::size_t>(i)].first, 1 + i % 4);
    EXPECT_EQ(back.records[static_cast<std::size_t>(i)].second, payload_for(i));
  }
  EXPECT_EQ(back.records.back().second, "after-reopen");
  EXPECT_TRUE(back.summary.problems.empty());
}

INSTANTIATE_TEST_SUITE_P(AllModes, FieldReportsWalModeTest,
                         ::testing::Values(Durability::kFsync, Durability::kGroup, Durability::kNone),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST(FieldReportsWalWriter, RollsOverToNewSegmentsAtTheConfiguredSize) {
  esper::testing::TempDir tmp;
  auto writer = open_writer(tmp.path(), Durability::kGroup, /*segment_size=*/1024);
  std::vector<Lsn> lsns;
  for (int i = 0; i < 200; ++i) {
    Lsn lsn;
    ASSERT_TRUE(writer->append(1, std::string(100, static_cast<char>('a' + i % 26)), &lsn).ok());
    lsns.push_back(lsn);
  }
  ASSERT_TRUE(writer->flush().ok());
  const auto segments = list_segments(tmp.path());
  ASSERT_GT(segments.size(), 20u);
  for (const auto& s : segments) EXPECT_LE(s.size, 1024u) << s.path;
  const auto back = read_back(tmp.path());
  ASSERT_EQ(back.records.size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) EXPECT_EQ(back.positions[i], lsns[i].position) << i;
}

TEST(FieldReportsWalWriter, GroupCommitSharesFsyncsBetweenConcurrentAppenders) {
  esper::testing::TempDir tmp;
  auto writer = open_writer(tmp.path(), Durability::kGroup);
  constexpr int kThreads = 16, kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!writer->append_durable(1, "t" + std::to_string(t) + "-" + std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto stats = writer->stats();
  EXPECT_EQ(stats.records, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.syncs, stats.records) << "group commit did not share any fsync";
  EXPECT_EQ(read_back(tmp.path()).records.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

// An fdatasync that blocks until released, to catch a writer that reports durability early.
class GatedSyncOps : public FileOps {
 public:
  int fdatasync(int fd) override {
    std::unique_lock lock(mu);
    ++entered;
    cv.wait(lock, [&] { return released; });
    return FileOps::fdatasync(fd);
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  int entered_count() {
    std::lock_guard lock(mu);
    return entered;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int entered = 0;
};

TEST(FieldReportsWalWriter, GroupCommitReportsDurableOnlyAfterTheFsyncReturns) {
  esper::testing::TempDir tmp;
  GatedSyncOps ops;
  auto writer = open_writer(tmp.path(), Durability::kGroup, kDefaultSegmentSize, &ops);
  std::atomic<int> durable{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      if (writer->append_durable(1, "gated").ok()) ++durable;
    });
  }
  ASSERT_TRUE(esper::testing::wait_until([&] { return ops.entered_count() > 0; }, 10s)) << "flusher never synced";
  EXPECT_EQ(durable.load(), 0) << "a record was reported durable while its fsync was still running";
  ops.release();
  for (auto& th : waiters) th.join();
  EXPECT_EQ(durable.load(), 4);
}

TEST(FieldReportsWalWriter, FsyncModeSyncsEveryAppend) {
  esper::testing::TempDir tmp;
  auto writer = open_writer(tmp.path(), Durability::kFsync);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(writer->append(1, "x").ok());
  EXPECT_EQ(writer->stats().syncs, 20u);
}

TEST(FieldReportsWalWriter, SecondWriterOnTheSameDirectoryIsRefused) {
  esper::testing::TempDir tmp;
  auto first = open_writer(tmp.path(), Durability::kGroup);
  WalWriterOptions options;
  options.dir = tmp.path();
  Status status;
  EXPECT_EQ(WalWriter::open(options, &status), nullptr);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("another process"), std::string::npos) << status.message();
}

TEST(FieldReportsWalWriter, TornTailAtEveryOffsetOfTheLastRecordIsRepairedKeepingEarlierRecords) {
  esper::testing::TempDir tmp;
  const auto dir = tmp.path() / "wal";
  write_test_wal(dir, 5, payload_for, Durability::kFsync);
  const auto segment = first_segment(dir);
  const std::size_t last_start = segment.positions.back().offset;
  for (std::size_t cut = last_start; cut < segment.bytes.size(); ++cut) {
    write_bytes(segment.path, segment.bytes.substr(0, cut));
    RepairReport repair;
    {
      auto writer = open_writer(dir, Durability::kFsync, kDefaultSegmentSize, nullptr, &repair);
      ASSERT_NE(writer, nullptr);
      if (cut > last_start) {
        ASSERT_EQ(repair.problems.size(), 1u) << "cut " << cut;
        EXPECT_EQ(repair.problems[0].offset, last_start);
        EXPECT_EQ(repair.truncated_bytes, cut - last_start);
      }
      ASSERT_TRUE(writer->append(3, "after-repair").ok());
    }
    const auto back = read_back(dir);
    ASSERT_EQ(back.records.size(), 5u) << "cut at " << cut;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(back.records[static_cast<std::size_t>(i)].second, payload_for(i));
    EXPECT_EQ(back.records[4].second, "after-repair");
    EXPECT_TRUE(back.summary.problems.empty()) << describe(back.summary.problems[0]);
  }
}

TEST(FieldReportsWalReader, EveryFlippedBitIsReportedAsCorruptionAtItsRecordOffset) {
  esper::testing::TempDir tmp;
  const auto dir = tmp.path() / "wal";
  write_test_wal(dir, 4, payload_for);
  const auto segment = first_segment(dir);
  for (std::size_t byte = 0; byte < segment.bytes.size(); ++byte) {
    std::string damaged = segment.bytes;
    damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << (byte % 8)));
    write_bytes(segment.path, damaged);
    const auto back = read_back(dir);
    ASSERT_EQ(back.summary.problems.size(), 1u) << "flip at byte " << byte << " not detected";
    const WalProblem& problem = back.summary.problems[0];
    std::uint64_t expected = 0;  // The segment header.
    for (const auto& p : segment.positions) {
      if (p.offset <= byte) expected = p.offset;
    }
    EXPECT_EQ(problem.offset, expected) << "byte " << byte;
    EXPECT_EQ(problem.kind, ProblemKind::kCorrupt) << "byte " << byte << ": " << describe(problem);
    EXPECT_FALSE(problem.is_tail());
  }
}

TEST(FieldReportsWalReader, CorruptOlderSegmentIsReportedAndLaterSegmentsStillRead) {
  esper::testing::TempDir tmp;
  const auto dir = tmp.path() / "wal";
  {
    auto writer = open_writer(dir, Durability::kNone, 256);
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(writer->append(1, std::string(100, 'a')).ok());
  }
  auto segments = list_segments(dir);
  ASSERT_GE(segments.size(), 3u);
  std::string bytes = file_bytes(segments[0].path);
  bytes[kSegmentHeaderSize + kRecordHeaderSize + 5] ^= 0x10;  // Payload of the first record.
  write_bytes(segments[0].path, bytes);
  const auto back = read_back(dir);
  ASSERT_EQ(back.summary.problems.size(), 1u);
  EXPECT_EQ(back.summary.problems[0].segment, segments[0].number);
  EXPECT_EQ(back.summary.problems[0].offset, kSegmentHeaderSize);
  EXPECT_EQ(back.summary.problems[0].length, kRecordHeaderSize + 100);
  EXPECT_EQ(back.records.size(), 12u - 1u) << "only the damaged record may be lost";
  // Start-up still works and appends go on.
  auto writer = open_writer(dir, Durability::kFsync, 256);
  ASSERT_NE(writer, nullptr);
  EXPECT_TRUE(writer->append(1, "more").ok());
}

TEST(FieldReportsWalWriter, LastSegmentWithBadHeaderIsKeptAndANewSegmentStartedAfterIt) {
  esper::testing::TempDir tmp;
  const auto dir = tmp.path() / "wal";
  { auto writer = open_writer(dir, Durability::kFsync); ASSERT_TRUE(writer->append(1, "a").ok()); }
  const auto segment = list_segments(dir).at(0).path;
  write_bytes(segment, "garbage");
  RepairReport repair;
  auto writer = open_writer(dir, Durability::kFsync, kDefaultSegmentSize, nullptr, &repair);
  ASSERT_NE(writer, nullptr);
  ASSERT_EQ(repair.problems.size(), 1u);
  EXPECT_EQ(repair.problems[0].offset, 0u);
  EXPECT_EQ(file_bytes(segment), "garbage") << "a damaged segment must be left as it is";
  EXPECT_EQ(writer->current_segment(), 2u);
  ASSERT_TRUE(writer->append(1, "b").ok());
  const auto back = read_back(dir);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].second, "b");
  ASSERT_EQ(back.summary.problems.size(), 1u);
  EXPECT_EQ(back.summary.problems[0].segment, 1u);
  EXPECT_EQ(back.summary.problems[0].length, 7u);
  EXPECT_EQ(back.summary.problems[0].kind, ProblemKind::kCorrupt);
}

TEST(FieldReportsWalWriter, DeleteSegmentRefusesTheCurrentOneAndDeletesOlderOnes) {
  esper::testing::TempDir tmp;
  auto writer = open_writer(tmp.path(), Durability::kFsync, 256);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(writer->append(1, std::string(100, 'a')).ok());
  const auto current = writer->current_segment();
  EXPECT_FALSE(writer->delete_segment(current).ok());
  ASSERT_TRUE(writer->delete_segment(1).ok());
  EXPECT_EQ(list_segments(tmp.path()).front().number, 2u);
}

class FieldReportsWalFaultTest : public ::testing::TestWithParam<Durability> {};

// The race behind an acknowledged report that was never written: the group flusher wrote the
// batch, failed and settled it before the caller asked for durability. flush() only looks at
// what is unsettled when it is called; flush_since() at the batch from its first record.
TEST(FieldReportsWalWriter, FlushSinceReportsAFailureTheFlusherSettledBeforeTheCall) {
  esper::testing::TempDir tmp;
  testing::FaultFileOps ops;
  auto writer = open_writer(tmp.path(), Durability::kGroup, kDefaultSegmentSize, &ops);
  ASSERT_TRUE(writer->append_durable(1, payload_for(0)).ok());

  ops.write_error = ENOSPC;
  Lsn first;
  ASSERT_TRUE(writer->append(1, "doomed", &first).ok());
  ASSERT_FALSE(writer->wait_durable(first).ok()) << "the flusher wrote it in spite of the full disk";
  // Settled and failed: what a caller that comes late to the batch must still hear about.
  EXPECT_TRUE(writer->flush().ok()) << "flush() sees nothing unsettled";
  const Status late = writer->flush_since(first.seq);
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(late.code(), ENOSPC);

  ops.write_error = 0;
  Lsn next;
  ASSERT_TRUE(writer->append(1, payload_for(1), &next).ok());
  EXPECT_TRUE(writer->flush_since(next.seq).ok()) << "an earlier failure must not fail a later batch";
}

TEST_P(FieldReportsWalFaultTest, EnospcRejectsTheAppendKeepsEverythingAckedAndRecovers) {
  esper::testing::TempDir tmp;
  testing::FaultFileOps ops;
  auto writer = open_writer(tmp.path(), GetParam(), 4096, &ops);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->append_durable(1, payload_for(i)).ok());

  ops.write_error = ENOSPC;
  ops.partial_first = true;  // Half a batch reaches the file before the disk fills.
  for (int i = 0; i < 3; ++i) {
    const Status s = writer->append_durable(1, "doomed");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), ENOSPC);
    EXPECT_NE(s.message().find("No space left"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("segment"), std::string::npos) << s.message();
  }
  // Acknowledged records are intact even before recovery (the torn bytes are only in the tail).
  EXPECT_EQ(read_back(tmp.path()).records.size(), 10u);

  ops.write_error = 0;
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(writer->append_durable(1, payload_for(i)).ok()) << i;
  const auto back = read_back(tmp.path());
  ASSERT_EQ(back.records.size(), 15u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(back.records[static_cast<std::size_t>(i)].second, payload_for(i));
  EXPECT_TRUE(back.summary.problems.empty());
  EXPECT_GE(writer->stats().failed_records, 3u);
}

TEST_P(FieldReportsWalFaultTest, FsyncFailureRejectsTheRecordAndRecovers) {
  if (GetParam() == Durability::kNone) GTEST_SKIP() << "kNone never syncs";
  esper::testing::TempDir tmp;
  testing::FaultFileOps ops;
  auto writer = open_writer(tmp.path(), GetParam(), 4096, &ops);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->append_durable(1, payload_for(i)).ok());
  ops.sync_error = EIO;
  const Status s = writer->append_durable(1, "not-durable");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), EIO);
  EXPECT_NE(s.message().find("fdatasync"), std::string::npos) << s.message();
  ops.sync_error = 0;
  for (int i = 5; i < 8; ++i) ASSERT_TRUE(writer->append_durable(1, payload_for(i)).ok());
  const auto back = read_back(tmp.path());
  ASSERT_EQ(back.records.size(), 8u) << "the failed record must be gone, the acked ones all there";
  for (int i = 0; i < 8; ++i) EXPECT_EQ(back.records[static_cast<std::size_t>(i)].second, payload_for(i));
}

TEST_P(FieldReportsWalFaultTest, FailureWhileRollingToANewSegmentRecovers) {
  esper::testing::TempDir tmp;
  testing::FaultFileOps ops;
  auto writer = open_writer(tmp.path(), GetParam(), 256, &ops);
  ASSERT_TRUE(writer->append_durable(1, std::string(200, 'a')).ok());
  ops.write_error = ENOSPC;  // The next record needs a new segment; its header cannot be written.
  EXPECT_FALSE(writer->append_durable(1, std::string(200, 'b')).ok());
  ops.write_error = 0;
  ops.partial_first = true;
  ASSERT_TRUE(writer->append_durable(1, std::string(200, 'c')).ok());
  const auto back = read_back(tmp.path());
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[1].second, std::string(200, 'c'));
  EXPECT_TRUE(back.summary.problems.empty());
}

TEST_P(FieldReportsWalFaultTest, RepeatedFaultsUnderConcurrentAppendersLoseNoAckedRecordAndKeepNoFailedOne) {
  esper::testing::TempDir tmp;
  testing::FaultFileOps ops;
  auto writer = open_writer(tmp.path(), GetParam(), 8192, &ops);
  std::mutex mu;
  std::set<std::string> acked, failed;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string payload = "t" + std::to_string(t) + "-" + std::to_string(i);
        const bool ok = writer->append_durable(1, payload).ok();
        std::lock_guard lock(mu);
        (ok ? acked : failed).insert(payload);
      }
    });
  }
  auto count = [&](const std::set<std::string>& s) { std::lock_guard lock(mu); return s.size(); };
  for (int round = 0; round < 10; ++round) {
    const auto failed_before = count(failed);
    ops.partial_first = true;
    if (round % 2 == 0) ops.write_error = ENOSPC; else if (GetParam() != Durability::kNone) ops.sync_error = EIO; else ops.write_error = EIO;
    ASSERT_TRUE(esper::testing::wait_until([&] { return count(failed) > failed_before; }, 10s)) << "round " << round;
    ops.write_error = 0;
    ops.sync_error = 0;
    const auto acked_before = count(acked);
    ASSERT_TRUE(esper::testing::wait_until([&] { return count(acked) > acked_before + 20; }, 10s)) << "no recovery in round " << round;
  }
  stop = true;
  for (auto& th : threads) th.join();
  const auto back = read_back(tmp.path());
  EXPECT_TRUE(back.summary.problems.empty());
  std::set<std::string> on_disk;
  for (const auto& [type, payload] : back.records) EXPECT_TRUE(on_disk.insert(payload).second) << payload;
  for (const auto& p : acked) EXPECT_TRUE(on_disk.count(p)) << "acked record lost: " << p;
  for (const auto& p : failed) EXPECT_FALSE(on_disk.count(p)) << "failed record kept: " << p;
  EXPECT_EQ(on_disk.size(), acked.size());
}

INSTANTIATE_TEST_SUITE_P(AllModes, FieldReportsWalFaultTest,
                         ::testing::Values(Durability::kFsync, Durability::kGroup, Durability::kNone),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

}  // namespace
}  // namespace esper::wal
