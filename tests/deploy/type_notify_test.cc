// The units run oona and nissa as Type=notify with a watchdog: each must say READY=1 once it
// serves, ping WATCHDOG=1 from its loop, and say STOPPING=1 when asked to stop.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/notify_socket.h"
#include "tests/support/temp_dir.h"

namespace esper::deploy {
namespace {

using namespace std::chrono_literals;
using esper::testing::index_of;

// Checks the protocol; returns every notification line seen.
std::vector<std::string> expect_notify_protocol(const std::vector<std::string>& argv,
                                                const std::filesystem::path& notify_path,
                                                const std::string& ready_line) {
  esper::testing::NotifySocket notify(notify_path);
  EXPECT_TRUE(notify.ok());
  if (!notify.ok()) return {};
  esper::testing::ChildProcess::Options options;
  options.env = {{"NOTIFY_SOCKET", notify_path.string()}, {"WATCHDOG_USEC", "2000000"}};
  esper::testing::ChildProcess process(argv, options);
  if (!process.wait_for_line(ready_line, 20s)) {
    ADD_FAILURE() << argv[0] << " did not start";
    return {};
  }
  std::vector<std::string> seen;
  notify.collect(seen, 1500ms);
  process.signal(SIGTERM);
  const auto status = process.wait(20s);
  EXPECT_TRUE(status.has_value());
  if (!status) return {};
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
  notify.collect(seen, 300ms);

  std::string all;
  for (const auto& s : seen) all += s + " | ";
  const auto ready = index_of(seen, "READY=1");
  EXPECT_GE(ready, 0) << argv[0] << ": " << all;
  if (ready < 0) return seen;
  const auto watchdog = index_of(seen, "WATCHDOG=1", static_cast<std::size_t>(ready));
  EXPECT_GT(watchdog, ready) << argv[0] << ": " << all;
  const auto stopping = index_of(seen, "STOPPING=1");
  EXPECT_GT(stopping, watchdog) << argv[0] << ": " << all;
  return seen;
}

TEST(TypeNotifyTest, OonaSaysReadyPingsTheWatchdogAndSaysStopping) {
  esper::testing::TempDir dir;
  const auto config = dir.path() / "oona.yaml";
  std::ofstream(config) << "runtime_dir: " << dir.path().string() << "\nflush_interval: 200ms\n";
  expect_notify_protocol({esper::testing::built_binary("oona/oona").string(), "--config", config.string()},
                         dir.path() / "notify.sock", "oona ready");
}

TEST(TypeNotifyTest, NissaSaysReadyPingsTheWatchdogAndSaysStopping) {
  esper::testing::TempDir dir;
  const auto config = dir.path() / "nissa.yaml";
  std::ofstream(config) << "runtime_dir: " << dir.path().string() << "\nstate_dir: " << (dir.path() / "state").string()
                        << "\nhttp: {address: 127.0.0.1, port: 0}\ntelemetry_interval: 200ms\n";
  const auto seen = expect_notify_protocol(
      {esper::testing::built_binary("nissa/nissa").string(), "--config", config.string()}, dir.path() / "notify.sock",
      "nissa ready");
  // The WAL replay's progress, while systemd still waits for READY=1.
  const auto replay = index_of(seen, "STATUS=replaying WAL: 100% (");
  EXPECT_GE(replay, 0);
  EXPECT_LT(replay, index_of(seen, "READY=1"));
}

}  // namespace
}  // namespace esper::deploy
