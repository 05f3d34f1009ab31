// A hung Oona or Nissa under a real weatherlight: both answer the control socket's FLUSH from their
// own loops (daemon/supervisor_link.h), so a stopped process is reported unhealthy within
// missed_flushes_unhealthy flush intervals (log, STATUS, WARNING event), restarted when so
// configured, and announced healthy again when it resumes.
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "oona/bus_endpoints.h"
#include "oona/bus_subscriber.h"
#include "tests/support/notify_socket.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"
#include "tests/support/weatherlight_process.h"

namespace esper::weatherlight {
namespace {

using esper::testing::built_binary;
using esper::testing::NotifySocket;
using esper::testing::TempDir;
using esper::testing::wait_until;
using testing::WeatherlightProcess;

constexpr auto kFlushInterval = std::chrono::milliseconds(200);
constexpr int kMissedUnhealthy = 3;

// oona and nissa under one weatherlight, as in the demo deployment; `restart` says whether a
// service found unhealthy is restarted.
std::string pipeline_config(const std::filesystem::path& dir, bool restart) {
  const std::string restart_line = restart ? "    restart_when_unhealthy: true\n" : "";
  return "runtime_dir: " + (dir / "run").string() +
         "\nflush_interval: 200ms\nmissed_flushes_unhealthy: " + std::to_string(kMissedUnhealthy) +
         "\nstop_timeout: 1s\nbackoff: {initial: 100ms, max: 1s}\nservices:\n"
         "  oona:\n    argv: [" + built_binary("oona/oona").string() + ", --runtime-dir, '${runtime_dir}']\n"
         "    restart: always\n    ready: line\n    ready_line: oona ready\n" + restart_line +
         "  nissa:\n    argv: [" + built_binary("nissa/nissa").string() +
         ", --runtime-dir, '${runtime_dir}', --state-dir, " + (dir / "nissa").string() + ", --http-port, '0']\n"
         "    restart: always\n    depends_on: [oona]\n    ready: line\n    ready_line: nissa ready\n" + restart_line;
}

// Weatherlight's output, kept: a line looked for may have gone by while waiting for another.
class Log {
 public:
  explicit Log(WeatherlightProcess& wl) : wl_(wl) {}
  // Whether a line containing `needle` has come, at or after line `from`, within `timeout`.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout, std::size_t from = 0) {
    return find(needle, timeout, from).has_value();
  }
  // The pid of the n-th (from 0) "[service] started pid N" line; 0 if it did not come.
  pid_t started(const std::string& service, std::size_t nth = 0) {
    std::size_t from = 0;
    for (std::size_t i = 0;; ++i) {
      const auto at = find("[" + service + "] started pid ", std::chrono::seconds(20), from);
      if (!at) return 0;
      if (i == nth) {
        std::smatch m;
        return std::regex_search(lines_[*at], m, std::regex("started pid ([0-9]+)")) ? std::stoi(m[1]) : 0;
      }
      from = *at + 1;
    }
  }
  std::size_t size() const { return lines_.size(); }

 private:
  std::optional<std::size_t> find(const std::string& needle, std::chrono::milliseconds timeout, std::size_t from) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (std::size_t i = from;; ++i) {
      while (i >= lines_.size()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto line = wl_.process().read_line(left);
        if (!line) return std::nullopt;
        lines_.push_back(std::move(*line));
      }
      if (lines_[i].find(needle) != std::string::npos) return i;
    }
  }

  WeatherlightProcess& wl_;
  std::vector<std::string> lines_;
};

TEST(HungServiceTest, StoppedNissaIsReportedUnhealthyOnTheBusAndRestarted) {
  TempDir dir;
  WeatherlightProcess wl(dir.path(), pipeline_config(dir.path(), /*restart=*/true), {}, /*capture_stderr=*/true);
  Log log(wl);
  const pid_t oona_pid = log.started("oona");
  const pid_t first = log.started("nissa");
  ASSERT_GT(first, 0) << "weatherlight did not start nissa";
  ASSERT_TRUE(log.wait_for("weatherlight ready", std::chrono::seconds(20)));
  ASSERT_TRUE(log.wait_for("[nissa] said HELLO (pid " + std::to_string(first), std::chrono::seconds(10)))
      << "nissa never said HELLO on weatherlight's control socket";

  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona::endpoints_under(dir.path() / "run")));
  ASSERT_TRUE(oona::testing::connect(oona::endpoints_under(dir.path() / "run"), subscriber));

  ASSERT_EQ(::kill(first, SIGSTOP), 0);
  const auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(log.wait_for("[nissa] unhealthy", std::chrono::seconds(10), log.size()))
      << "a stopped nissa was never reported unhealthy";
  const auto noticed_after = std::chrono::steady_clock::now() - stopped_at;
  // Unhealthy after kMissedUnhealthy unanswered FLUSHes: within that many intervals, plus one for
  // the phase of the tick and one of slack for a loaded machine.
  EXPECT_LT(noticed_after, kFlushInterval * (kMissedUnhealthy + 2))
      << "noticed after " << std::chrono::duration_cast<std::chrono::milliseconds>(noticed_after).count() << " ms";

  // The WARNING reaches the bus (Oona is fine), and the stopped nissa is replaced.
  bool warned = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = subscriber.receive(std::chrono::milliseconds(100));
        warned = warned || (m && m->envelope.source() == "weatherlight" && m->envelope.has_event() &&
                            m->envelope.event().description() == "service_unhealthy" &&
                            m->envelope.event().level() == proto::SEVERITY_WARNING &&
                            m->envelope.event().attributes().at("service") == "nissa");
        return warned;
      },
      std::chrono::seconds(10)))
      << "no service_unhealthy WARNING for nissa on the bus";
  const pid_t second = log.started("nissa", 1);
  ASSERT_GT(second, 0) << "the unhealthy nissa was not restarted";
  EXPECT_NE(second, first);
  EXPECT_TRUE(wait_until([&] { return !testing::pid_alive(first); }, std::chrono::seconds(5)))
      << "the stopped nissa (pid " << first << ") is still there";
  EXPECT_TRUE(log.wait_for("[nissa] said HELLO (pid " + std::to_string(second), std::chrono::seconds(10)))
      << "the new nissa did not say HELLO";
  EXPECT_TRUE(testing::pid_alive(oona_pid)) << "oona was restarted too";
}

TEST(HungServiceTest, StoppedOonaIsReportedUnhealthyInStatusAndHealthyAgainAfterSigcont) {
  TempDir dir;
  NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.ok());
  WeatherlightProcess wl(dir.path(), pipeline_config(dir.path(), /*restart=*/false),
                         {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}}, /*capture_stderr=*/true);
  Log log(wl);
  const pid_t oona = log.started("oona");
  ASSERT_GT(oona, 0) << "weatherlight did not start oona";
  ASSERT_TRUE(log.wait_for("weatherlight ready", std::chrono::seconds(20)));
  ASSERT_TRUE(log.wait_for("[oona] said HELLO (pid " + std::to_string(oona), std::chrono::seconds(10)))
      << "oona never said HELLO on weatherlight's control socket";

  ASSERT_EQ(::kill(oona, SIGSTOP), 0);
  ASSERT_TRUE(log.wait_for("[oona] unhealthy", std::chrono::seconds(10), log.size()))
      << "a stopped oona was never reported unhealthy";
  std::vector<std::string> seen;
  ASSERT_TRUE(wait_until(
      [&] {
        notify.collect(seen, std::chrono::milliseconds(100));
        for (const auto& line : seen) {
          if (line.rfind("STATUS=", 0) == 0 && line.find("unhealthy: oona") != std::string::npos) return true;
        }
        return false;
      },
      std::chrono::seconds(10)))
      << "STATUS never said oona is unhealthy";

  ASSERT_EQ(::kill(oona, SIGCONT), 0);
  EXPECT_TRUE(log.wait_for("[oona] healthy again", std::chrono::seconds(10), log.size()))
      << "oona answered again but was not announced healthy";
  EXPECT_TRUE(testing::pid_alive(oona)) << "oona was restarted although restart_when_unhealthy is off";
}

}  // namespace
}  // namespace esper::weatherlight
