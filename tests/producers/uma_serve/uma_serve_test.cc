// uma-serve against docs/reference/inference-server.md: the scheduler's arithmetic on a seeded run, and the
// real program through a real oona, where every metric the document names must arrive with its
// unit and kind.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "producers/uma_serve/uma_scheduler.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/oona_process.h"

namespace esper::producers::uma {
namespace {

using namespace std::chrono_literals;

struct Expected {
  const char* name;
  const char* unit;
  proto::MetricKind kind;
};

// Every metric of docs/reference/inference-server.md (current M3 metrics, then the planned scorecard), with the unit the
// document's description gives it and its type (Counter, Gauge, Histogram).
constexpr proto::MetricKind kCounter = proto::METRIC_KIND_COUNTER;
constexpr proto::MetricKind kGauge = proto::METRIC_KIND_GAUGE;
constexpr proto::MetricKind kHistogram = proto::METRIC_KIND_HISTOGRAM;
const std::vector<Expected> kReference = {
    {"tokens_generated_total", "tokens", kCounter},
    {"batch_calls_total", "calls", kCounter},
    {"last_batch_size", "tokens", kGauge},
    {"decode_ms_last", "ms", kGauge},
    {"decode_ms_ewma", "ms", kGauge},
    {"decode_calls", "calls", kCounter},
    {"decode_ns_total", "ns", kCounter},
    {"decode_tokens_total", "tokens", kCounter},
    {"decode_phase_tokens_total", "tokens", kCounter},
    {"prefill_tokens_total", "tokens", kCounter},
    {"decode_ns_total_gen", "ns", kCounter},
    {"prefill_ns_total", "ns", kCounter},
    {"gen_ms_per_token_mean", "ms/token", kGauge},
    {"prefill_ms_per_token_mean", "ms/token", kGauge},
    {"decode_ms_min", "ms", kGauge},
    {"decode_ms_max", "ms", kGauge},
    {"decode_ms_mean", "ms", kGauge},
    {"decode_tokens_per_call_mean", "tokens/call", kGauge},
    {"active_sessions", "sessions", kGauge},
    {"slo_violations_ttft_total", "count", kCounter},
    {"slo_violations_tbt_total", "count", kCounter},
    {"skipped_prefill_due_to_latency_total", "count", kCounter},
    {"budget_target", "tokens", kGauge},
    {"budget_used", "tokens", kGauge},
    {"queued_interactive", "sessions", kGauge},
    {"queued_background", "sessions", kGauge},
    {"ttft_ms", "ms", kHistogram},
    {"inter_token_ms", "ms", kHistogram},
    {"decode_ms", "ms", kHistogram},
    {"batch_size", "tokens", kHistogram},
    {"kv_cache_hit_ratio", "ratio", kGauge},
    {"kv_cache_evictions_total", "count", kCounter},
    {"kv_cache_resident_bytes", "bytes", kGauge},
    {"sum_bmt_mb_per_token", "MB/token", kGauge},
    {"copy_free_ratio", "ratio", kGauge},
    {"gpu_idle_pct", "%", kGauge},
};

// The last value of each snapshot metric after `ticks` ticks, and every histogram observation.
struct SchedulerRun {
  std::map<std::string, double> last;
  std::map<std::string, std::vector<double>> observations;
};

SchedulerRun run(UmaScheduler& scheduler, int ticks) {
  SchedulerRun r;
  std::vector<proto::MetricPoint> points;
  for (int i = 0; i < ticks; ++i) {
    points.clear();
    scheduler.tick(points);
    for (const auto& p : points) {
      if (p.kind() == proto::METRIC_KIND_HISTOGRAM) {
        r.observations[p.name()].push_back(p.value());
      } else {
        r.last[p.name()] = p.value();
      }
    }
  }
  return r;
}

TEST(UmaSchedulerTest, DerivedMeansFollowFromTheTotals) {
  UmaScheduler scheduler(UmaServeOptions{});
  const SchedulerRun r = run(scheduler, 2000);
  const auto& c = scheduler.counters();
  ASSERT_GT(c.decode_calls, 100u);
  ASSERT_GT(c.prefill_tokens_total, 0u);
  EXPECT_DOUBLE_EQ(r.last.at("decode_tokens_per_call_mean"),
                   static_cast<double>(c.decode_tokens_total) / static_cast<double>(c.decode_calls));
  EXPECT_DOUBLE_EQ(r.last.at("decode_ms_mean"), static_cast<double>(c.decode_ns_total) / 1e6 / c.decode_calls);
  EXPECT_DOUBLE_EQ(r.last.at("gen_ms_per_token_mean"),
                   static_cast<double>(c.decode_ns_total) / 1e6 / c.decode_tokens_total);
  EXPECT_DOUBLE_EQ(r.last.at("prefill_ms_per_token_mean"),
                   static_cast<double>(c.prefill_ns_total) / 1e6 / c.prefill_tokens_total);
  // Aliases carry the same totals.
  EXPECT_EQ(r.last.at("decode_phase_tokens_total"), r.last.at("decode_tokens_total"));
  EXPECT_EQ(r.last.at("decode_ns_total_gen"), r.last.at("decode_ns_total"));
  // min <= mean-of-calls <= max, and every decode histogram sample within [min, max].
  EXPECT_LE(r.last.at("decode_ms_min"), r.last.at("decode_ms_max"));
  ASSERT_EQ(r.observations.at("decode_ms").size(), c.batch_calls_total);
  for (double d : r.observations.at("decode_ms")) {
    EXPECT_GE(d, r.last.at("decode_ms_min"));
    EXPECT_LE(d, r.last.at("decode_ms_max"));
  }
  // One TTFT per session that produced a token, one inter-token sample per later token.
  EXPECT_EQ(r.observations.at("ttft_ms").size(), c.first_tokens);
  EXPECT_EQ(r.observations.at("inter_token_ms").size(), c.inter_token_samples);
  EXPECT_EQ(c.first_tokens + c.inter_token_samples, c.tokens_generated_total);
  const double ratio = r.last.at("kv_cache_hit_ratio");
  EXPECT_GT(ratio, 0.1);
  EXPECT_LT(ratio, 0.5);  // prefix_share 0.3.
  EXPECT_GE(r.last.at("gpu_idle_pct"), 0.0);
  EXPECT_LE(r.last.at("gpu_idle_pct"), 100.0);
}

TEST(UmaSchedulerTest, SloViolationsCountObservationsOverTheirThreshold) {
  UmaServeOptions options;
  options.slo_ttft_ms = 300;
  options.slo_tbt_ms = 20;
  UmaScheduler scheduler(options);
  const SchedulerRun r = run(scheduler, 2000);
  const auto over = [](const std::vector<double>& v, double limit) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [&](double x) { return x > limit; }));
  };
  EXPECT_EQ(r.last.at("slo_violations_ttft_total"), over(r.observations.at("ttft_ms"), 300));
  EXPECT_EQ(r.last.at("slo_violations_tbt_total"), over(r.observations.at("inter_token_ms"), 20));
  EXPECT_GT(r.last.at("slo_violations_tbt_total"), 0);
}

TEST(UmaSchedulerTest, LongPromptsRaiseTtftAndTheSameSeedRepeatsTheRun) {
  UmaServeOptions short_prompts;
  short_prompts.prompt_tokens_mean = 32;
  UmaServeOptions long_prompts;
  long_prompts.prompt_tokens_mean = 2048;
  UmaScheduler a(short_prompts), b(long_prompts), a_again(short_prompts);
  const SchedulerRun ra = run(a, 1500), rb = run(b, 1500), ra_again = run(a_again, 1500);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  EXPECT_GT(mean(rb.observations.at("ttft_ms")), 2 * mean(ra.observations.at("ttft_ms")));
  EXPECT_EQ(ra.last, ra_again.last);
}

TEST(UmaSchedulerTest, LatencyGuardSkipsPrefillWhenDecodeIsSlowerThanTheTbtSlo) {
  UmaServeOptions options;
  options.slo_tbt_ms = 5;  // Below the cost model's base: the guard is always on once decoding.
  UmaScheduler scheduler(options);
  const SchedulerRun r = run(scheduler, 500);
  EXPECT_GT(r.last.at("skipped_prefill_due_to_latency_total"), 0);
}

class UmaServeProgramTest : public testing::OonaAndSubscriber {};

TEST_F(UmaServeProgramTest, EveryReferenceMetricArrivesWithItsUnitAndKind) {
  auto producer = testing::start_producer("producers/uma_serve/uma-serve", oona_,
                                          {"--rate", "100", "--flush-interval-ms", "100", "--slo-ttft-ms", "200"});
  ASSERT_TRUE(producer);

  std::map<std::string, proto::MetricPoint> seen;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < kReference.size() && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber_.receive(100ms);
    if (!m || m->envelope.source() != "uma-serve" || !m->envelope.has_telemetry()) continue;
    EXPECT_EQ(m->topic.source, "uma-serve");
    for (const auto& p : m->envelope.telemetry().metrics()) seen.emplace(p.name(), p);
  }
  for (const auto& e : kReference) {
    auto it = seen.find(e.name);
    if (it == seen.end()) {
      ADD_FAILURE() << "metric " << e.name << " never arrived";
      continue;
    }
    EXPECT_EQ(it->second.unit(), e.unit) << e.name;
    EXPECT_EQ(it->second.kind(), e.kind) << e.name;
    EXPECT_TRUE(it->second.attributes().empty()) << e.name << " has attributes the document does not name";
  }
  std::set<std::string> reference_names;
  for (const auto& e : kReference) reference_names.insert(e.name);
  for (const auto& [name, point] : seen) {
    EXPECT_TRUE(reference_names.count(name) || name.rfind("producer.", 0) == 0)
        << "metric " << name << " is not in docs/reference/inference-server.md";
  }

  const int status = producer->stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << esper::testing::describe_status(status);
}

TEST_F(UmaServeProgramTest, StopsByItselfAfterDuration) {
  auto producer =
      testing::start_producer("producers/uma_serve/uma-serve", oona_, {"--rate", "20", "--duration", "0.5"});
  ASSERT_TRUE(producer);
  const auto status = producer->wait(15s);
  ASSERT_TRUE(status) << "uma-serve did not stop after --duration";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

}  // namespace
}  // namespace esper::producers::uma
