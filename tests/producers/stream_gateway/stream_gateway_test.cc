// stream-gateway against docs/reference/streaming-sessions.md: the excusable taxonomy, the seeded outcome mix,
// and the real program through a real oona, where each session's trace events, classified by the
// document's rules, must give back the mix the seed planned.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "producers/stream_gateway/gateway_simulator.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/oona_process.h"

namespace esper::producers::gateway {
namespace {

using namespace std::chrono_literals;

// From docs/reference/streaming-sessions.md: the trace subtypes, the error taxonomy, the status-sample metric and its dimensions.
const std::set<std::string> kTraceEvents = {
    "gateway_receive_stream_request", "gateway_receive_few_processed_segments",
    "gateway_no_orchestrators_available", "gateway_ingest_stream_closed", "orchestrator_swap"};
const std::vector<std::string> kTaxonomy = {"no orchestrators available", "mediamtx ingest disconnected",
                                            "whip disconnected", "missing video",
                                            "ice connection state failed", "user disconnected"};
const char* const kFpsMetric = "output_fps";
const char* const kFpsUnit = "FPS";
const std::vector<std::string> kDimensions = {"stream_id", "request_id", "gpu_id", "region", "pipeline", "model_id"};

// What the trace says about one session (keyed by stream_id + '|' + request_id, as docs/reference/streaming-sessions.md keys it).
struct SessionTrace {
  std::vector<std::string> events;  // Names in arrival order ("error" for errors).
  std::vector<std::string> errors;  // Error messages.
  int fps_samples = 0;
};

bool has(const SessionTrace& t, const std::string& name) {
  return std::find(t.events.begin(), t.events.end(), name) != t.events.end();
}

bool excusable(const std::string& message) {
  return std::any_of(kTaxonomy.begin(), kTaxonomy.end(),
                     [&](const std::string& e) { return message.find(e) != std::string::npos; });
}

// docs/reference/streaming-sessions.md's status classification rules, with the explicit swap signal on top of startup success.
SessionOutcome classify(const SessionTrace& t) {
  if (has(t, "orchestrator_swap")) return SessionOutcome::kSwapped;
  if (has(t, "gateway_receive_few_processed_segments")) return SessionOutcome::kSuccess;
  const bool all_excusable =
      !t.errors.empty() && std::all_of(t.errors.begin(), t.errors.end(), excusable);
  if (has(t, "gateway_no_orchestrators_available") || all_excusable) return SessionOutcome::kExcused;
  return SessionOutcome::kUnexcused;
}

std::string session_key(const google::protobuf::Map<std::string, std::string>& a) {
  return (a.count("stream_id") ? a.at("stream_id") : "") + "|" + (a.count("request_id") ? a.at("request_id") : "");
}

void expect_dimensions(const google::protobuf::Map<std::string, std::string>& attributes, const std::string& what) {
  for (const auto& d : kDimensions) {
    EXPECT_TRUE(attributes.count(d) && !attributes.at(d).empty()) << what << " lacks attribute " << d;
  }
}

// Checks the lifecycle shape every session must have and returns the outcomes by classification.
std::map<SessionOutcome, std::uint64_t> check_sessions(const std::map<std::string, SessionTrace>& sessions) {
  std::map<SessionOutcome, std::uint64_t> outcomes;
  for (const auto& [key, t] : sessions) {
    if (t.events.empty()) {
      ADD_FAILURE() << key << " has samples but no events";
      continue;
    }
    EXPECT_EQ(t.events.front(), "gateway_receive_stream_request") << key << " does not start with its request";
    EXPECT_EQ(t.events.back(), "gateway_ingest_stream_closed") << key << " does not end with its close";
    EXPECT_EQ(std::count(t.events.begin(), t.events.end(), "gateway_receive_stream_request"), 1) << key;
    EXPECT_EQ(std::count(t.events.begin(), t.events.end(), "gateway_ingest_stream_closed"), 1) << key;
    const SessionOutcome outcome = classify(t);
    if (outcome == SessionOutcome::kSuccess || outcome == SessionOutcome::kSwapped) {
      EXPECT_GT(t.fps_samples, 0) << key << " streamed no output FPS samples";
      EXPECT_TRUE(t.errors.empty()) << key;
    } else {
      EXPECT_EQ(t.fps_samples, 0) << key << " failed at startup but streamed";
      EXPECT_FALSE(t.errors.empty()) << key << " failed without an error";
    }
    ++outcomes[outcome];
  }
  return outcomes;
}

std::map<SessionOutcome, std::uint64_t> planned(std::uint64_t seed, const SessionMix& mix, int n) {
  OutcomePlanner planner(seed, mix);
  std::map<SessionOutcome, std::uint64_t> counts;
  for (int i = 0; i < n; ++i) ++counts[planner.next()];
  return counts;
}

TEST(SessionLifecycleTest, ExcusableTaxonomyMatchesSubstringsCaseInsensitively) {
  for (const auto& e : kTaxonomy) EXPECT_TRUE(is_excusable(e)) << e;
  EXPECT_TRUE(is_excusable("Error: WHIP disconnected by peer"));
  EXPECT_TRUE(is_excusable("stream 12: ICE connection state failed after 3 attempts"));
  EXPECT_FALSE(is_excusable("pipeline load failed: CUDA out of memory"));
  EXPECT_FALSE(is_excusable(""));
}

TEST(SessionLifecycleTest, MixIsValidatedAndHonoured) {
  EXPECT_FALSE((SessionMix{0, 0, 0, 0}.valid()));
  EXPECT_FALSE((SessionMix{1, -1, 0, 0}.valid()));
  EXPECT_TRUE((SessionMix{0, 0, 0, 1}.valid()));
  const auto only_swapped = planned(3, SessionMix{0, 0, 0, 1}, 50);
  EXPECT_EQ(only_swapped, (std::map<SessionOutcome, std::uint64_t>{{SessionOutcome::kSwapped, 50}}));
  EXPECT_EQ(planned(9, SessionMix{}, 500), planned(9, SessionMix{}, 500));
  const auto mixed = planned(9, SessionMix{}, 1000);
  EXPECT_GT(mixed.at(SessionOutcome::kSuccess), 600u);
  EXPECT_GT(mixed.at(SessionOutcome::kUnexcused), 50u);
}

TEST(GatewaySimulatorTest, EverySessionTracesTheOutcomeItWasPlannedWith) {
  GatewayOptions options;
  options.seed = 11;
  options.max_sessions = 300;
  options.sessions_per_tick = 3;
  GatewaySimulator simulator(options);
  std::map<std::string, SessionTrace> sessions;
  std::vector<proto::MetricPoint> points;
  std::vector<proto::TelemetryEvent> events;
  for (int i = 0; i < 10000 && !simulator.done(); ++i) simulator.tick(points, events);
  ASSERT_TRUE(simulator.done());
  for (const auto& e : events) {
    auto& t = sessions[session_key(e.attributes())];
    t.events.push_back(e.description());
    if (e.description() == "error") t.errors.push_back(e.attributes().at("message"));
  }
  for (const auto& p : points) ++sessions[session_key(p.attributes())].fps_samples;
  EXPECT_EQ(sessions.size(), 300u);
  const auto outcomes = check_sessions(sessions);
  EXPECT_EQ(outcomes, simulator.outcomes());
  EXPECT_EQ(outcomes, planned(11, options.mix, 300));
}

class StreamGatewayProgramTest : public testing::OonaAndSubscriber {};

TEST_F(StreamGatewayProgramTest, SeededRunDeliversConsistentLifecyclesWithTheirDimensions) {
  constexpr int kSessions = 60;
  auto producer = testing::start_producer(
      "producers/stream_gateway/stream-gateway", oona_,
      {"--rate", "200", "--flush-interval-ms", "100", "--seed", "42", "--sessions", std::to_string(kSessions),
       "--sessions-per-tick", "2", "--mix-success", "0.4", "--mix-excused", "0.2", "--mix-unexcused", "0.2",
       "--mix-swapped", "0.2"});
  ASSERT_TRUE(producer);

  std::map<std::string, SessionTrace> sessions;
  int closes = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (closes < kSessions && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber_.receive(100ms);
    if (!m || m->envelope.source() != "stream-gateway" || !m->envelope.has_telemetry()) continue;
    for (const auto& e : m->envelope.telemetry().events()) {
      const bool known = kTraceEvents.count(e.description()) || e.description() == "error";
      EXPECT_TRUE(known) << "event " << e.description() << " is not in docs/reference/streaming-sessions.md";
      expect_dimensions(e.attributes(), "event " + e.description());
      auto& t = sessions[session_key(e.attributes())];
      t.events.push_back(e.description());
      if (e.description() == "error") {
        EXPECT_TRUE(e.attributes().count("message")) << "error without its message";
        t.errors.push_back(e.attributes().count("message") ? e.attributes().at("message") : "");
      }
      closes += e.description() == "gateway_ingest_stream_closed";
    }
    for (const auto& p : m->envelope.telemetry().metrics()) {
      if (p.name().rfind("producer.", 0) == 0) continue;  // The runtime's own buffer metrics.
      EXPECT_EQ(p.name(), kFpsMetric);
      EXPECT_EQ(p.unit(), kFpsUnit);
      EXPECT_GT(p.value(), 0);
      expect_dimensions(p.attributes(), "sample");
      ++sessions[session_key(p.attributes())].fps_samples;
    }
  }
  ASSERT_EQ(closes, kSessions) << "not every session's close arrived";
  EXPECT_EQ(sessions.size(), static_cast<std::size_t>(kSessions));
  const auto outcomes = check_sessions(sessions);
  EXPECT_EQ(outcomes, planned(42, SessionMix{0.4, 0.2, 0.2, 0.2}, kSessions))
      << "the classified outcomes differ from the seed's plan";

  // With --sessions it exits by itself once every session closed.
  const auto status = producer->wait(15s);
  ASSERT_TRUE(status) << "stream-gateway did not exit after its sessions";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// Refused before it looks for the bus, which the fixture's oona does not change.
TEST_F(StreamGatewayProgramTest, RefusesAnAllZeroMix) {
  esper::testing::ChildProcess producer(
      {esper::testing::built_binary("producers/stream_gateway/stream-gateway").string(), "--runtime-dir", "/tmp",
       "--mix-success", "0", "--mix-excused", "0", "--mix-unexcused", "0", "--mix-swapped", "0"});
  const auto status = producer.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << esper::testing::describe_status(*status);
}

}  // namespace
}  // namespace esper::producers::gateway
