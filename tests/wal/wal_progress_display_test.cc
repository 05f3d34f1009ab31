// How a long WAL read's progress reads: the one-line description, a log line only every few seconds
// (and always the last), every update to the status sink, and a redrawn line on a terminal.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "wal/wal_progress_display.h"

namespace esper::wal {
namespace {

using namespace std::chrono_literals;

WalReadProgress at(std::chrono::milliseconds elapsed, std::uint64_t done_mib, bool done = false) {
  WalReadProgress p;
  p.bytes_done = done_mib << 20;
  p.bytes_total = 100ull << 20;
  p.records = done_mib * 1000;
  p.elapsed = elapsed;
  p.done = done;
  return p;
}

TEST(FieldReportsWalProgressDisplay, DescribesFractionRecordsRateAndTimeLeft) {
  EXPECT_EQ(describe_progress(at(1s, 50)), "50% (50.0 MiB of 100.0 MiB, 50000 records, 50.0 MiB/s, 1.0 s left)");
  EXPECT_EQ(describe_progress(at(4s, 100, true)), "100% (100.0 MiB, 100000 records in 4.0 s, 25.0 MiB/s)");
  EXPECT_EQ(describe_progress(at(0s, 0)), "0% (0 B of 100.0 MiB, 0 records, time left unknown)");
  WalReadProgress empty;
  empty.done = true;
  EXPECT_EQ(describe_progress(empty), "100% (0 B, 0 records in 0.0 s)");
}

TEST(FieldReportsWalProgressDisplay, LogsEveryFewSecondsAndTheEndAndSendsEveryUpdateAsStatus) {
  std::vector<std::string> logged, statuses;
  WalProgressDisplay display("replaying WAL", nullptr, [&](const std::string& l) { logged.push_back(l); }, 5s);
  display.set_status_sink([&](const std::string& s) { statuses.push_back(s); });
  EXPECT_EQ(display.read_options().progress_interval, 1000ms);
  for (auto p : {at(1s, 5), at(2s, 10), at(6s, 30), at(7s, 35), at(12s, 60), at(13s, 100, true)}) display.show(p);
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_TRUE(logged[0].starts_with("replaying WAL: 30% (")) << logged[0];
  EXPECT_TRUE(logged[1].starts_with("replaying WAL: 60% (")) << logged[1];
  EXPECT_TRUE(logged[2].starts_with("replaying WAL: 100% (")) << logged[2];
  EXPECT_EQ(statuses.size(), 6u);
}

TEST(FieldReportsWalProgressDisplay, RedrawsOneLineOnATerminalAndEndsItWhenDone) {
  std::ostringstream terminal;
  WalProgressDisplay display("verifying", &terminal, nullptr);
  EXPECT_EQ(display.read_options().progress_interval, 250ms);
  display.show(at(1s, 40));
  display.show(at(2s, 100, true));
  const std::string shown = terminal.str();
  EXPECT_TRUE(shown.starts_with("\rverifying: 40% (")) << shown;
  EXPECT_NE(shown.find("\rverifying: 100% ("), std::string::npos) << shown;
  EXPECT_EQ(std::count(shown.begin(), shown.end(), '\n'), 1) << shown;
  EXPECT_TRUE(shown.ends_with("\n")) << shown;
}

}  // namespace
}  // namespace esper::wal
