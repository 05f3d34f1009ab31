// Chaos: while tamiyo issues 10,000 field reports through its outbox, Nissa, Oona and tamiyo are
// killed with SIGKILL at random moments (at least 20 kills), and weatherlight restarts them. At the
// end every report in tamiyo's outbox WAL is stored in Nissa exactly once, none is pending or
// dropped, and the outbox's own account (esper-wal stat) agrees with Nissa's.
#include <signal.h>

#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/deployment_harness.h"
#include "tests/support/nissa_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"
#include "tests/support/weatherlight_process.h"

namespace esper::e2e {
namespace {

using namespace std::chrono_literals;
using esper::testing::built_binary;
using esper::testing::wait_until;
using nlohmann::json;

constexpr int kReports = 10'000;
constexpr int kKills = 24;

struct OutboxAccount {
  std::uint64_t pending = 0, settled = 0, dropped = 0;
  std::set<std::string> report_ids;
  std::uint64_t report_records = 0;
};

// tamiyo's outbox WAL as esper-wal sees it.
OutboxAccount read_outbox(const std::filesystem::path& wal) {
  OutboxAccount account;
  const std::string esper_wal = built_binary("field_reports/esper-wal").string();
  for (const auto& line : run_lines({esper_wal, "stat", wal.string()}, 30s)) {
    if (line.rfind("reports:", 0) == 0) {
      std::sscanf(line.c_str(), "reports: pending %lu, settled %lu, dropped %lu", &account.pending, &account.settled,
                  &account.dropped);
    }
  }
  for (const auto& line : run_lines({esper_wal, "dump", "--json", wal.string()}, 60s)) {
    const auto record = json::parse(line, nullptr, false);
    if (record.is_object() && record.value("type", "") == "report") {
      ++account.report_records;
      account.report_ids.insert(record["report"]["report_id"].get<std::string>());
    }
  }
  return account;
}

TEST(ChaosTest, EveryFieldReportIsStoredExactlyOnceThroughKills) {
  esper::testing::TempDir dir;
  const auto run = dir.path() / "run";
  const auto nissa_state = dir.path() / "nissa";
  const auto tamiyo_state = dir.path() / "tamiyo";
  std::filesystem::create_directories(nissa_state);
  const int port = esper::nissa::testing::free_port();
  const std::string yaml =
      "runtime_dir: " + run.string() + "\n"
      "flush_interval: 250ms\n"
      "backoff: {initial: 100ms, max: 500ms, crash_loop_limit: 1000, crash_loop_window: 10s}\n"
      "services:\n"
      "  oona:\n"
      "    argv: [" + built_binary("oona/oona").string() + "]\n"
      "    restart: always\n    ready: line\n    ready_line: oona ready\n"
      "  nissa:\n"
      "    argv: [" + built_binary("nissa/nissa").string() + ", --state-dir, " + nissa_state.string() +
      ", --http-port, '" + std::to_string(port) + "']\n"
      "    restart: always\n    depends_on: [oona]\n    ready: line\n    ready_line: nissa ready\n"
      "  tamiyo:\n"
      "    argv: [" + built_binary("producers/tamiyo/tamiyo").string() +
      ", --rate, '1000', --steps, '" + std::to_string(kReports) + "', --reports, '" + std::to_string(kReports) +
      "', --report-every, '1', --state-dir, " + tamiyo_state.string() +
      ", --retry-cap, '100000', --initial-backoff-ms, '500', --max-backoff-ms, '3000', --cycle-ms, '50']\n"
      "    restart: on-failure\n    depends_on: [nissa]\n    ready: hello\n";
  weatherlight::testing::WeatherlightProcess wl(dir.path(), yaml);
  ASSERT_TRUE(wl.wait_ready()) << "the deployment did not start";
  const pid_t supervisor = wl.process().pid();

  // ESPER_CHAOS_SEED replays a schedule of victims and delays (the timing of the processes varies).
  const char* seed_env = std::getenv("ESPER_CHAOS_SEED");
  const auto seed = seed_env ? static_cast<std::uint32_t>(std::stoul(seed_env))
                             : static_cast<std::uint32_t>(std::random_device{}());
  std::mt19937 random(seed);
  std::cout << "chaos seed " << seed << " (ESPER_CHAOS_SEED to replay)\n";
  const std::vector<std::string> victims = {"oona", "nissa", "tamiyo"};
  std::map<std::string, int> kills;
  for (int k = 0; k < kKills; ++k) {
    // Random moments: the schedule of the chaos, not a synchronisation.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 900)(random)));
    const std::string& victim = victims[std::uniform_int_distribution<std::size_t>(0, victims.size() - 1)(random)];
    std::optional<pid_t> pid;
    // tamiyo exits 0 once it has issued and settled all its reports; then only the others are left.
    const bool tamiyo_done = victim == "tamiyo" && kills[victim] > 0 && !child_named(supervisor, victim);
    if (tamiyo_done) continue;
    ASSERT_TRUE(wait_until([&] { return (pid = child_named(supervisor, victim)).has_value(); }, 20s))
        << victim << " was not restarted by weatherlight";
    ASSERT_EQ(::kill(*pid, SIGKILL), 0);
    ++kills[victim];
  }
  int total_kills = 0;
  for (const auto& [victim, n] : kills) {
    std::cout << "killed " << victim << " " << n << " times\n";
    total_kills += n;
  }
  ASSERT_GE(total_kills, 20);

  // The last tamiyo run issues its reports and exits once every one is settled.
  OutboxAccount outbox;
  ASSERT_TRUE(wait_until(
      [&] {
        if (child_named(supervisor, "tamiyo")) return false;
        outbox = read_outbox(tamiyo_state / "field_reports");
        return outbox.pending == 0 && outbox.report_ids.size() >= static_cast<std::size_t>(kReports);
      },
      240s, 500ms))
      << "tamiyo's outbox did not settle: pending " << outbox.pending << ", settled " << outbox.settled
      << ", dropped " << outbox.dropped << ", reports " << outbox.report_ids.size();

  EXPECT_EQ(outbox.dropped, 0u);
  EXPECT_EQ(outbox.report_records, outbox.report_ids.size()) << "a report id was written twice to the outbox";
  EXPECT_EQ(outbox.settled, outbox.report_ids.size()) << "esper-wal's settled count disagrees with its reports";

  // Nissa holds exactly those reports, each once.
  httplib::Client nissa("127.0.0.1", port);
  nissa.set_read_timeout(60, 0);
  std::multiset<std::string> stored;
  std::size_t total = 0;
  std::string last_problem = "no answer yet";
  ASSERT_TRUE(wait_until(
      [&] {
        stored.clear();
        constexpr std::size_t kPage = 1000;
        for (std::size_t offset = 0;; offset += kPage) {
          auto res = nissa.Get("/api/v1/field_reports?offset=" + std::to_string(offset) + "&limit=" + std::to_string(kPage));
          if (!res || res->status != 200) {
            last_problem = res ? "HTTP " + std::to_string(res->status) + ": " + res->body
                               : "transport error " + httplib::to_string(res.error());
            return false;
          }
          const auto body = json::parse(res->body);
          total = body["total"].get<std::size_t>();
          for (const auto& r : body["field_reports"]) stored.insert(r["report"]["report_id"].get<std::string>());
          if (body["field_reports"].size() < kPage) break;
        }
        return true;
      },
      120s, 500ms))
      << "nissa's API did not list its field reports: " << last_problem;
  EXPECT_EQ(total, outbox.report_ids.size());
  EXPECT_EQ(stored.size(), outbox.report_ids.size());
  for (const auto& id : outbox.report_ids) {
    const auto n = stored.count(id);
    ASSERT_EQ(n, 1u) << "report " << id << " stored " << n << " times";
  }
}

}  // namespace
}  // namespace esper::e2e
