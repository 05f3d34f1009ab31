// esper-tail against a real oona: --json --count prints valid JSON lines and exits 0; a closed
// pipe (`esper-tail | head -n 1`) ends it cleanly.
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <csignal>

#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"

namespace esper::oona::testing {
namespace {

TEST(EsperTail, JsonCountPrintsValidJsonLinesAndExitsZero) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(),
                                     "--runtime-dir", oona.dir().path().string(), "--json",
                                     "--count", "5", "--source", "tailtest"});
  BusPublisher publisher(publisher_options(oona.endpoints(), "tailtest"));
  std::vector<std::string> lines;
  // esper-tail has no readiness signal: publish until it has printed five lines.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (lines.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_WARNING, "tail")));
    if (auto line = tail.read_line(20ms)) lines.push_back(*line);
  }
  while (lines.size() < 5) {
    auto line = tail.read_line(2s);
    if (!line) break;
    lines.push_back(*line);
  }
  ASSERT_EQ(lines.size(), 5u);
  for (const auto& line : lines) {
    proto::Envelope envelope;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &envelope).ok()) << line;
    EXPECT_EQ(envelope.source(), "tailtest") << line;
    EXPECT_EQ(envelope.event().description(), "tail") << line;
  }
  const auto status = tail.wait(10s);
  ASSERT_TRUE(status.has_value()) << "esper-tail did not exit after --count 5";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
  EXPECT_FALSE(tail.read_line(100ms).has_value()) << "more than 5 lines";
}

// Publishes `envelopes` in turn until esper-tail prints a line (it has no readiness signal).
std::optional<std::string> publish_until_line(BusPublisher& publisher, esper::testing::ChildProcess& tail,
                                              const std::vector<proto::Envelope>& envelopes) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& e : envelopes) publisher.publish(e);
    if (auto line = tail.read_line(50ms)) return line;
  }
  return std::nullopt;
}

TEST(EsperTail, KindAndMinSeverityFiltersLetOnlyMatchingEnvelopesThrough) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(), "--runtime-dir",
                                     oona.dir().path().string(), "--kind", "event", "--min-severity", "high",
                                     "--source", "filtertest", "--count", "3"});
  BusPublisher publisher(publisher_options(oona.endpoints(), "filtertest"));
  // Telemetry at CRITICAL (wrong kind) and an event at WARNING (too low) must not pass.
  const std::vector<proto::Envelope> mix = {telemetry(proto::SEVERITY_CRITICAL),
                                              event(proto::SEVERITY_WARNING, "low"),
                                              event(proto::SEVERITY_CRITICAL, "pass")};
  for (int i = 0; i < 3; ++i) {
    const auto line = publish_until_line(publisher, tail, mix);
    ASSERT_TRUE(line.has_value()) << "esper-tail printed nothing";
    EXPECT_NE(line->find("CRITICAL"), std::string::npos) << *line;
    EXPECT_NE(line->find("event"), std::string::npos) << *line;
    EXPECT_EQ(line->find("telemetry"), std::string::npos) << *line;
    EXPECT_EQ(line->find("WARNING"), std::string::npos) << *line;
    EXPECT_EQ(line->find('\033'), std::string::npos) << "colour codes on a pipe: " << *line;
  }
}

TEST(EsperTail, ColoursBySeverityOnATerminal) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  // script(1) runs esper-tail on a pseudo-terminal and copies what it prints.
  const std::string command = "'" + esper::testing::built_binary("oona/esper-tail").string() + "' --runtime-dir '" +
                              oona.dir().path().string() + "' --source colourtest --count 1";
  esper::testing::ChildProcess tail({"/usr/bin/script", "-qfec", command, "/dev/null"});
  BusPublisher publisher(publisher_options(oona.endpoints(), "colourtest"));
  const auto line = publish_until_line(publisher, tail, {event(proto::SEVERITY_CRITICAL, "red")});
  ASSERT_TRUE(line.has_value()) << "esper-tail printed nothing on the terminal";
  EXPECT_NE(line->find("\033[1;37;41mCRITICAL"), std::string::npos) << "CRITICAL is not white on red: " << *line;
}

TEST(EsperTail, ExitsZeroWhenItsPipeIsClosed) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  const std::string command = "set -o pipefail; '" +
                              esper::testing::built_binary("oona/esper-tail").string() +
                              "' --runtime-dir '" + oona.dir().path().string() +
                              "' --source pipetest | head -n 1";
  esper::testing::ChildProcess pipeline({"/bin/bash", "-c", command});
  BusPublisher publisher(publisher_options(oona.endpoints(), "pipetest"));
  std::optional<int> status;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!status && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
    status = pipeline.wait(20ms);
  }
  ASSERT_TRUE(status.has_value()) << "esper-tail | head -n 1 did not finish";
  // pipefail: non-zero if esper-tail died of SIGPIPE or failed.
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

TEST(EsperTail, ExitsZeroOnSigint) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(),
                                     "--runtime-dir", oona.dir().path().string(), "--lane",
                                     "emergency", "--min-severity", "critical"});
  BusPublisher publisher(publisher_options(oona.endpoints(), "sigint"));
  // Wait until it is running (it printed a line), so the signal meets its handler.
  std::optional<std::string> line;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!line && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_HIGH, "filtered out")));
    ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_CRITICAL, "shown")));
    line = tail.read_line(20ms);
  }
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("CRITICAL"), std::string::npos) << *line;
  EXPECT_NE(line->find("emergency event sigint#"), std::string::npos) << *line;
  EXPECT_EQ(line->find("filtered out"), std::string::npos) << "--min-severity critical let HIGH through";
  tail.signal(SIGINT);
  const auto status = tail.wait(10s);
  ASSERT_TRUE(status.has_value()) << "esper-tail ignored SIGINT";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// An esper-tail whose output nobody reads (a paused pager) must not hold back the bus: it stops
// reading, so it stops granting Oona credit, and only its own queue in Oona fills and sheds, counted
// under its name. When its output is read again it says how many envelopes it missed.
TEST(EsperTail, AStalledOutputDoesNotHoldBackTheBus) {
  OonaProcess oona("subscriber_queue: {max_messages: 1000}\negress_hwm: 400\n");
  ASSERT_TRUE(oona.ready());
  esper::testing::ChildProcess::Options options;
  options.capture_stderr = true;
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(), "--runtime-dir",
                                     oona.dir().path().string(), "--source", "stall", "--buffer", "100"},
                                    options);
  BusPublisher publisher(publisher_options(oona.endpoints(), "stall"));
  ASSERT_TRUE(publish_until_line(publisher, tail, {telemetry(proto::SEVERITY_INFO)}))
      << "esper-tail printed nothing";
  // From here on nobody reads esper-tail's output: its pipe fills after a few hundred lines.

  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));
  constexpr int kRounds = 60, kPerRound = 500;
  int received = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
    // Paced by this subscriber, which keeps up, so it only misses something if esper-tail holds it back.
    const int target = (round + 1) * kPerRound;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (received < target && std::chrono::steady_clock::now() < deadline) {
      auto m = subscriber.receive(100ms);
      if (m && m->envelope.source() == "stall") ++received;
    }
    ASSERT_EQ(received, target) << "the bus stalled in round " << round << " behind a stalled esper-tail";
  }
  EXPECT_EQ(subscriber.missed(), 0u);
  const std::string tail_name = "esper-tail@" + default_instance().substr(0, default_instance().rfind(':')) + ":" +
                                std::to_string(tail.pid());
  StatsWatcher stats(oona.endpoints());
  auto [seen, last] = stats.wait_for(
      [&](const OonaStats& s) {
        return stat(s, "oona.routed_total{lane=normal}") >= kRounds * kPerRound &&
               stat(s, "oona.subscriber_dropped_total{lane=normal,reason=queue_full_messages,subscriber=" +
                           tail_name + "}") > 0;
      },
      10s);
  ASSERT_TRUE(seen) << "no drops counted under " << tail_name << "\n" << describe(last);
  EXPECT_EQ(stat(last, "oona.subscriber_dropped_total{lane=normal,reason=queue_full_messages,subscriber=" +
                           subscriber.name() + "}"),
            0)
      << describe(last);

  // Reading its output again, esper-tail reports what it missed, and exits 0 on SIGINT.
  EXPECT_TRUE(tail.wait_for_line("esper-tail: missed ", 20s)) << "esper-tail did not say it missed envelopes";
  tail.signal(SIGINT);
  while (tail.read_line(2s)) {
  }
  const auto status = tail.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// With no Oona at the endpoint, esper-tail says so after a short grace period and keeps trying;
// when Oona starts it says it is connected and prints what travels.
TEST(EsperTail, SaysItIsWaitingForOonaThenConnectsWhenOonaStarts) {
  esper::testing::TempDir dir;
  esper::testing::ChildProcess::Options options;
  options.capture_stderr = true;
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(), "--runtime-dir",
                                     dir.path().string(), "--count", "1", "--source", "late"},
                                    options);
  const auto waiting = tail.wait_for_line("waiting for oona at", 10s);
  ASSERT_TRUE(waiting.has_value()) << "esper-tail said nothing about the missing oona";
  EXPECT_NE(waiting->find(endpoints_under(dir.path()).normal_egress), std::string::npos) << *waiting;

  esper::testing::ChildProcess oona({esper::testing::built_binary("oona/oona").string(), "--runtime-dir",
                                     dir.path().string()});
  ASSERT_TRUE(oona.wait_for_line("oona ready", 20s));
  ASSERT_TRUE(tail.wait_for_line("connected to oona at", 20s)) << "esper-tail did not notice oona arrive";
  BusPublisher publisher(publisher_options(endpoints_under(dir.path()), "late"));
  const auto line = publish_until_line(publisher, tail, {event(proto::SEVERITY_WARNING, "arrived")});
  ASSERT_TRUE(line.has_value()) << "esper-tail printed nothing once oona was there";
  EXPECT_NE(line->find("arrived"), std::string::npos) << *line;
  const auto status = tail.wait(10s);
  ASSERT_TRUE(status.has_value()) << "esper-tail did not exit after --count 1";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// For scripts: --timeout ends the wait for an absent Oona with exit 1 and a message naming where
// it looked, instead of hanging for ever.
TEST(EsperTail, TimeoutWithNoOonaExitsOneNamingTheEndpoint) {
  esper::testing::TempDir dir;
  const auto run = esper::testing::run_to_completion(
      {esper::testing::built_binary("oona/esper-tail").string(), "--runtime-dir", dir.path().string(), "--count",
       "1", "--timeout", "1s"},
      /*with_stderr=*/true, 20s);
  ASSERT_TRUE(run.status.has_value()) << "esper-tail --timeout 1s was still running 20 s later:\n" << run.out;
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("no oona at " + endpoints_under(dir.path()).normal_egress), std::string::npos) << run.out;
}

}  // namespace
}  // namespace esper::oona::testing
