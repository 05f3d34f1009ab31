// The real `oona` process's life: a clean exit on SIGTERM, clients that reconnect across a restart,
// its subscriber count, and a bad config refused at start.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>

#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

TEST(OonaProcessLifecycle, ExitsZeroOnSigtermAndLogsASummary) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona.process().signal(SIGTERM);
  const auto status = oona.process().wait(10s);
  ASSERT_TRUE(status.has_value()) << "oona did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// The bus client reconnects on its own: the same publisher and subscriber keep working across an
// Oona restart on the same endpoints.
TEST(OonaProcessLifecycle, ClientsReconnectAfterOonaRestarts) {
  esper::testing::TempDir dir;
  const auto config = dir / "oona.yaml";
  std::ofstream(config) << "runtime_dir: " << dir.path().string() << "\nflush_interval: 100ms\n";
  const std::vector<std::string> argv{esper::testing::built_binary("oona/oona").string(), "--config",
                                      config.string()};
  const BusEndpoints endpoints = endpoints_under(dir.path());
  BusPublisher publisher(publisher_options(endpoints, "restart"));
  BusSubscriber subscriber(subscriber_options(endpoints));
  for (int run = 0; run < 2; ++run) {
    esper::testing::ChildProcess oona(argv);
    ASSERT_TRUE(oona.wait_for_line("oona ready", 20s).has_value());
    bool seen = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_CRITICAL, "run")));
      while (auto m = subscriber.receive(20ms)) seen = seen || m->envelope.source() == "restart";
    }
    EXPECT_TRUE(seen) << "nothing arrived through oona run " << run;
    EXPECT_EQ(oona.stop(), 0);
  }
}

TEST(OonaProcessLifecycle, CountsConnectedSubscribersPerLane) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());  // Itself a normal-lane subscriber.
  auto subscriber = std::make_unique<BusSubscriber>(subscriber_options(oona.endpoints()));
  auto [connected, with] = stats.wait_for(
      [](const OonaStats& s) {
        return stat(s, "oona.subscribers{lane=normal}") == 2 && stat(s, "oona.subscribers{lane=emergency}") == 1;
      },
      10s);
  EXPECT_TRUE(connected) << describe(with);
  subscriber.reset();
  auto [gone, without] = stats.wait_for(
      [](const OonaStats& s) {
        return stat(s, "oona.subscribers{lane=normal}") == 1 && stat(s, "oona.subscribers{lane=emergency}") == 0;
      },
      10s);
  EXPECT_TRUE(gone) << describe(without);
}

TEST(OonaProcessLifecycle, RefusesABadConfigNamingTheKey) {
  esper::testing::TempDir dir;
  std::ofstream(dir / "bad.yaml") << "subscriber_queue:\n  max_messages: 0\n";
  esper::testing::ChildProcess oona({esper::testing::built_binary("oona/oona").string(), "--config",
                                     (dir / "bad.yaml").string()});
  const auto status = oona.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << esper::testing::describe_status(*status);
}

}  // namespace
}  // namespace esper::oona::testing
