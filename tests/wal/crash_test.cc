// The crash test with real processes: a child appends in `group` mode and prints each id once it is
// durable; we kill -9 it at random moments (0-40 ms after its first durable record, or after start), 200 times, over the same WAL directory (each new child
// repairs what the last one left). Then: every printed id is in the WAL, every record parses, and
// after repair the WAL verifies clean.
#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

#include "wal/wal_writer.h"
#include "tests/wal/crash_record.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper::wal {
namespace {

using namespace std::chrono_literals;

TEST(FieldReportsWalCrash, KillNineTwoHundredTimesLosesNoDurableRecordAndLeavesNoGarbage) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  const auto helper = esper::testing::built_binary("tests/wal/wal_crash_writer");
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> run_ms(0, 40);
  std::unordered_set<std::string> printed;
  const auto start = std::chrono::steady_clock::now();
  int kills_after_output = 0;

  for (int round = 0; round < 200; ++round) {
    esper::testing::ChildProcess child({helper.string(), dir.string()});
    std::size_t before = printed.size();
    // Four rounds in five kill while records are being written (after the first durable line);
    // the fifth kills at any moment from start, which includes the repair of the previous tail.
    if (round % 5 != 0) {
      auto first = child.read_line(20s);
      ASSERT_TRUE(first) << "round " << round << ": the writer printed nothing";
      printed.insert(*first);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms(rng));
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (auto line = child.read_line(std::max(left, 1ms))) printed.insert(*line);
    }
    child.kill9();
    while (auto line = child.read_line(2s)) printed.insert(*line);  // What it printed before dying.
    if (printed.size() > before + 1) ++kills_after_output;
    ASSERT_LT(std::chrono::steady_clock::now() - start, 120s) << "crash test is far too slow";
  }
  EXPECT_GT(kills_after_output, 100) << "most kills should land while records are being written";
  ASSERT_GT(printed.size(), 400u);

  // Reopen (repairs the torn tail the last kill left), then read everything back.
  RepairReport repair;
  {
    WalWriterOptions options;
    options.dir = dir;
    Status status;
    auto writer = WalWriter::open(options, &status, &repair);
    ASSERT_NE(writer, nullptr) << status.message();
  }
  std::unordered_set<std::string> found;
  std::size_t garbage = 0;
  WalReadSummary summary;
  ASSERT_TRUE(read_wal(dir, [&](const WalRecord& r) {
                auto id = testing::parse_crash_payload(r.payload);
                if (!id || r.type != 1) {
                  ++garbage;
                  return;
                }
                EXPECT_TRUE(found.insert(*id).second) << "record " << *id << " appears twice";
              }, &summary).ok());
  EXPECT_EQ(garbage, 0u);
  for (const auto& p : summary.problems) ADD_FAILURE() << describe(p);
  std::size_t missing = 0;
  for (const auto& id : printed) {
    if (!found.count(id)) ++missing;
  }
  EXPECT_EQ(missing, 0u) << missing << " of " << printed.size() << " ids printed as durable are missing";
  EXPECT_GT(list_segments(dir).size(), 1u) << "segments should have rolled over during the test";
}

}  // namespace
}  // namespace esper::wal
