// The crash test with real processes: a child appends in `group` mode and prints each id once it is
// durable; we kill -9 it at random moments (0-40 ms after its first durable record, or after
// start), 200 times, over the same WAL directory (each new child repairs what the last one left).
// Then: every printed id is in the WAL, every record parses, and after repair the WAL verifies clean.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <unordered_set>

#include "wal/wal_writer.h"
#include "tests/wal/crash_record.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper::wal {
namespace {

using namespace std::chrono_literals;

// What the killed writers printed as durable, over all rounds.
struct PrintedIds {
  std::unordered_set<std::string> ids;
  int kills_after_output = 0;  // Rounds whose writer printed more than its first line before the kill.
};

// Adds a line the writer printed; anything but an id (a log line on the wrong stream, a torn line)
// fails here, naming it, rather than later as a "missing" record.
void add_printed(PrintedIds& printed, const std::string& line) {
  static const std::regex kId("[0-9]+-[0-9]+-[0-9]+");
  EXPECT_TRUE(std::regex_match(line, kId)) << "the writer printed a line that is not an id: '" << line << "'";
  printed.ids.insert(line);
}

// Starts the writer 200 times over the same `dir` and kills -9 each at a random moment.
void kill_writers_repeatedly(const std::filesystem::path& dir, PrintedIds& printed) {
  const auto helper = esper::testing::built_binary("tests/wal/wal_crash_writer");
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> run_ms(0, 40);
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 200; ++round) {
    esper::testing::ChildProcess child({helper.string(), dir.string()});
    std::size_t before = printed.ids.size();
    // Four rounds in five kill while records are being written (after the first durable line);
    // the fifth kills at any moment from start, which includes the repair of the previous tail.
    if (round % 5 != 0) {
      auto first = child.read_line(20s);
      ASSERT_TRUE(first) << "round " << round << ": the writer printed nothing";
      add_printed(printed, *first);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms(rng));
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (auto line = child.read_line(std::max(left, 1ms))) add_printed(printed, *line);
    }
    child.kill9();
    while (auto line = child.read_line(2s)) add_printed(printed, *line);  // What it printed before dying.
    if (printed.ids.size() > before + 1) ++printed.kills_after_output;
    ASSERT_LT(std::chrono::steady_clock::now() - start, 120s) << "crash test is far too slow";
  }
}

// The ids of the records in `dir`; any record that is not the writer's, any id twice and any problem
// fail the test.
std::unordered_set<std::string> ids_in_wal(const std::filesystem::path& dir) {
  std::unordered_set<std::string> found;
  std::size_t garbage = 0;
  WalReadSummary summary;
  EXPECT_TRUE(read_wal(dir, [&](const WalRecord& r) {
                auto id = testing::parse_crash_payload(r.payload);
                if (!id || r.type != 1) {
                  ++garbage;
                  return;
                }
                EXPECT_TRUE(found.insert(*id).second) << "record " << *id << " appears twice";
              }, &summary).ok());
  EXPECT_EQ(garbage, 0u);
  for (const auto& p : summary.problems) ADD_FAILURE() << describe(p);
  return found;
}

TEST(FieldReportsWalCrash, KillNineTwoHundredTimesLosesNoDurableRecordAndLeavesNoGarbage) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  PrintedIds printed;
  kill_writers_repeatedly(dir, printed);
  if (HasFatalFailure()) return;
  EXPECT_GT(printed.kills_after_output, 100) << "most kills should land while records are being written";
  ASSERT_GT(printed.ids.size(), 400u);

  // Reopen (repairs the torn tail the last kill left), then read everything back.
  {
    WalWriterOptions options;
    options.dir = dir;
    Status status;
    auto writer = WalWriter::open(options, &status);
    ASSERT_NE(writer, nullptr) << status.message();
  }
  const auto found = ids_in_wal(dir);
  std::size_t missing = 0;
  for (const auto& id : printed.ids) {
    if (found.count(id)) continue;
    if (++missing <= 5) ADD_FAILURE() << "id " << id << " was printed as durable and is not in the WAL";
  }
  EXPECT_EQ(missing, 0u) << missing << " of " << printed.ids.size() << " ids printed as durable are missing";
  EXPECT_GT(list_segments(dir).size(), 1u) << "segments should have rolled over during the test";
}

}  // namespace
}  // namespace esper::wal
