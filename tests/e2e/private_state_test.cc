// Private by default: under umask 022 a real nissa and a real tamiyo (its field-report outbox), and
// esper-wal's writing commands (requeue, acknowledge, compact) on their WALs, leave every file of
// their state directories 0600 and every directory 0700: WAL segments and LOCK, Nissa's checkpoint,
// a requeue request, quarantined bytes and the acknowledgment list included.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "wal/wal_format.h"
#include "wal/wal_reader.h"
#include "tests/support/child_process.h"
#include "tests/support/file_modes.h"
#include "tests/support/nissa_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using esper::testing::built_binary;
using esper::testing::run_to_completion;

using esper::testing::describe_modes;
using esper::testing::not_private;
using esper::testing::ScopedUmask;

std::vector<fs::path> files_in(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

// Runs a command to its end; its output, with a failure if it did not exit 0.
std::string run_ok(const std::vector<std::string>& argv) {
  const auto run = run_to_completion(argv, /*with_stderr=*/true, 60s);
  EXPECT_EQ(run.exit_code, 0) << argv[0] << " " << argv[1] << ":\n" << run.out;
  return run.out;
}

TEST(PrivateStateTest, NissaTamiyoAndEsperWalKeepEveryStateFileTheirUsersAloneUnderUmask022) {
  const ScopedUmask umask(022);  // Inherited by every process below: the usual umask, 0644 files.
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready()) << "oona did not start";
  esper::testing::TempDir dir;
  const fs::path nissa_state = dir / "nissa-state";
  const fs::path tamiyo_state = dir / "tamiyo" / "state";  // Its parent is missing too.
  const fs::path outbox = tamiyo_state / "field_reports";
  const fs::path nissa_wal = nissa_state / "wal";
  const std::string esper_wal = built_binary("field_reports/esper-wal").string();
  auto tamiyo = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {built_binary("producers/tamiyo/tamiyo").string(), "--runtime-dir",
                                     oona.dir().path().string(), "--flush-interval-ms", "100", "--rate", "50",
                                     "--reports", "1", "--report-every", "1", "--steps", "5", "--state-dir",
                                     tamiyo_state.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_ok(argv);
  };

  // No Nissa yet: tamiyo's one report goes unacknowledged and is dropped; esper-wal asks for it back.
  tamiyo({"--retry-cap", "0", "--initial-backoff-ms", "100"});
  const std::string requeued = run_ok({esper_wal, "requeue", outbox.string(), "--all-dropped"});
  ASSERT_NE(requeued.find("requeueing 1 dropped reports"), std::string::npos) << requeued;
  ASSERT_EQ(files_in(outbox / "requeue", ".req").size(), 1u) << requeued;
  EXPECT_EQ(describe_modes(not_private(tamiyo_state)), "") << "not 0600/0700 after tamiyo ran and esper-wal requeue wrote a request";

  // With Nissa: the requeued report and a new one are stored; Nissa checkpoints as it stops.
  {
    nissa::testing::NissaProcess nissa(oona.dir().path(), nissa_state);
    ASSERT_TRUE(nissa.ready()) << "nissa did not start";
    tamiyo({"--initial-backoff-ms", "500"});
    ASSERT_TRUE(esper::testing::wait_until([&] { return nissa.get_json("/api/v1/field_reports")["total"] == 2; }, 20s))
        << nissa.get_json("/api/v1/field_reports").dump();
    ASSERT_EQ(esper::testing::describe_status(nissa.process().stop()), "exit 0");
  }
  EXPECT_TRUE(files_in(outbox / "requeue", ".req").empty()) << "tamiyo did not take the requeue request";
  ASSERT_TRUE(fs::exists(nissa_state / "aggregates.ckpt")) << "nissa wrote no checkpoint at shutdown";

  // A damaged record in Nissa's WAL: the next start quarantines its bytes; esper-wal acknowledges them.
  const auto segments = wal::list_segments(nissa_wal);
  ASSERT_FALSE(segments.empty());
  {
    std::fstream segment(segments.front().path, std::ios::in | std::ios::out | std::ios::binary);
    segment.seekp(static_cast<std::streamoff>(wal::kSegmentHeaderSize + wal::kRecordHeaderSize + 2));
    segment.put('\xA5');
  }
  {
    nissa::testing::NissaProcess nissa(oona.dir().path(), nissa_state);
    ASSERT_TRUE(nissa.ready()) << "nissa did not start on its damaged WAL";
    ASSERT_EQ(esper::testing::describe_status(nissa.process().stop()), "exit 0");
  }
  ASSERT_EQ(files_in(nissa_wal / "quarantine", ".bad").size(), 1u) << "nissa quarantined nothing";
  run_ok({esper_wal, "acknowledge", nissa_wal.string(), "--all"});
  ASSERT_TRUE(fs::exists(nissa_wal / "acknowledged_corruption"));
  run_ok({esper_wal, "compact", outbox.string()});

  EXPECT_TRUE(fs::exists(nissa_wal / "LOCK"));
  EXPECT_TRUE(fs::exists(outbox / "LOCK"));
  EXPECT_FALSE(wal::list_segments(outbox).empty());
  EXPECT_EQ(describe_modes(not_private(nissa_state)), "") << "in Nissa's state directory, not 0600 (files) / 0700 (directories)";
  EXPECT_EQ(describe_modes(not_private(tamiyo_state)), "") << "in tamiyo's state directory, not 0600 (files) / 0700 (directories)";
}

}  // namespace
}  // namespace esper::e2e
