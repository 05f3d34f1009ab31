// Session rollup views on their own: a generated day of sessions with known classes gives exact
// counts and ratios in the three views, and the 24 hourly cells merged equal the day computed
// directly; session identity falls back deterministically when one side is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "nissa/serve/analytics_queries.h"
#include "nissa/analytics/session_views.h"
#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

using nlohmann::json;
constexpr std::int64_t kHour = SessionViews::kHourMs;
constexpr std::int64_t kDay0 = 1'700'000'000'000 / kHour * kHour;

proto::TelemetryEvent event(const std::string& name, const std::string& stream, const std::string& request,
                              std::map<std::string, std::string> extra = {}) {
  proto::TelemetryEvent e;
  e.set_description(name);
  auto& a = *e.mutable_attributes();
  if (!stream.empty()) a["stream_id"] = stream;
  if (!request.empty()) a["request_id"] = request;
  a["gpu_id"] = "gpu-a";
  a["region"] = "eu";
  a["pipeline"] = "live-video";
  a["model_id"] = "sd-turbo";
  a["gateway"] = "gw1";
  for (auto& [k, v] : extra) a[k] = v;
  return e;
}

struct Expected {
  std::uint64_t known = 0, success = 0, excused = 0, unexcused = 0, swapped = 0, sessions = 0, missing_capacity = 0;
  std::uint64_t samples = 0;
  double fps_sum = 0, fps_sq = 0;
};

// One day: every hour has sessions of every class, plus FPS samples.
Expected generate(SessionViews& views) {
  Expected x;
  for (int h = 0; h < 24; ++h) {
    const std::int64_t t0 = kDay0 + h * kHour + 60'000;
    int n = 0;
    auto start = [&](const std::string& /*cls*/) {
      const std::string stream = "s" + std::to_string(h) + "-" + std::to_string(n);
      const std::string request = "r" + std::to_string(n++);
      views.add_event(event("gateway_receive_stream_request", stream, request), t0 + n);
      ++x.known;
      ++x.sessions;
      return std::make_pair(stream, request);
    };
    for (int i = 0; i < 3 + h % 3; ++i) {  // Success.
      auto [s, r] = start("success");
      views.add_event(event("gateway_receive_few_processed_segments", s, r), t0 + 1000);
      views.add_event(event("gateway_ingest_stream_closed", s, r), t0 + 1000 + 120'000);
      ++x.success;
    }
    {  // Success with an explicit swap, and success with two orchestrators.
      auto [s, r] = start("swap");
      views.add_event(event("gateway_receive_few_processed_segments", s, r), t0 + 1000);
      views.add_event(event("orchestrator_swap", s, r), t0 + 2000);
      auto [s2, r2] = start("swap2");
      views.add_event(event("gateway_receive_few_processed_segments", s2, r2, {{"orchestrator", "o1"}}), t0 + 1000);
      views.add_event(event("gateway_ingest_stream_closed", s2, r2, {{"orchestrator", "o2"}}), t0 + 3000);
      x.success += 2;
      x.swapped += 2;
    }
    {  // Excused: no orchestrators.
      auto [s, r] = start("no_orch");
      views.add_event(event("gateway_no_orchestrators_available", s, r), t0 + 500);
      ++x.excused;
      ++x.missing_capacity;
    }
    if (h % 2 == 0) {  // Excused: every error excusable (case-insensitive substring).
      auto [s, r] = start("excusable");
      views.add_event(event("error", s, r, {{"error", "WHIP disconnected: peer went away"}}), t0 + 500);
      views.add_event(event("error", s, r, {{"error", "user disconnected"}}), t0 + 600);
      ++x.excused;
    }
    {  // Unexcused: one excusable and one not.
      auto [s, r] = start("mixed");
      views.add_event(event("error", s, r, {{"error", "missing video"}}), t0 + 500);
      views.add_event(event("error", s, r, {{"error", "decoder crashed"}}), t0 + 600);
      ++x.unexcused;
    }
    {  // Unexcused: known and nothing else.
      start("silent");
      ++x.unexcused;
    }
    {  // Not known: an error without a stream request (a session, but outside the denominator).
      views.add_event(event("error", "orphan" + std::to_string(h), "rx", {{"error", "decoder crashed"}}), t0);
      ++x.sessions;
    }
    for (int i = 0; i < 10; ++i) {
      const double fps = 20 + (h + i) % 7;
      views.add_point(proto::make_point("output_fps", fps, "fps", proto::METRIC_KIND_GAUGE,
                                       {{"gpu_id", "gpu-a"}, {"region", "eu"}, {"pipeline", "live-video"},
                                        {"model_id", "sd-turbo"}, {"gateway", "gw1"}, {"stream_id", "s"}}),
                      t0 + i * 1000);
      ++x.samples;
      x.fps_sum += fps;
      x.fps_sq += fps * fps;
    }
  }
  return x;
}

json group_json(SessionView view, const SessionViewCells& cells) {
  EXPECT_EQ(cells.size(), 1u);
  if (cells.empty()) return json();
  return json::parse(session_view_group_json(view, cells.begin()->first, cells.begin()->second));
}

TEST(SessionViewsTest, DayOfKnownSessionsGivesExactCountsAndRatios) {
  SessionViews views;
  const Expected x = generate(views);
  ASSERT_EQ(x.known, x.success + x.excused + x.unexcused);

  const json gpu = group_json(SessionView::kGpuMetrics, views.cells(SessionView::kGpuMetrics, kDay0, kDay0 + 24 * kHour));
  EXPECT_EQ(gpu["gpu_id"], "gpu-a");
  EXPECT_EQ(gpu["known_sessions"], x.known);
  EXPECT_EQ(gpu["startup_success_sessions"], x.success);
  EXPECT_EQ(gpu["excused_sessions"], x.excused);
  EXPECT_EQ(gpu["unexcused_sessions"], x.unexcused);
  EXPECT_EQ(gpu["swapped_sessions"], x.swapped);
  EXPECT_EQ(gpu["status_samples"], x.samples);
  const double avg = x.fps_sum / static_cast<double>(x.samples);
  EXPECT_NEAR(gpu["avg_output_fps"].get<double>(), avg, 1e-9);
  const double stddev = std::sqrt(x.fps_sq / static_cast<double>(x.samples) - avg * avg);
  EXPECT_NEAR(gpu["jitter_coeff_fps"].get<double>(), stddev / avg, 1e-9);
  EXPECT_NEAR(gpu["p95_output_fps"].get<double>(), 26, 26 * 0.011);
  EXPECT_DOUBLE_EQ(gpu["failure_rate"].get<double>(), static_cast<double>(x.unexcused) / static_cast<double>(x.known));
  EXPECT_DOUBLE_EQ(gpu["swap_rate"].get<double>(), static_cast<double>(x.swapped) / static_cast<double>(x.known));

  const json net = group_json(SessionView::kNetworkDemand, views.cells(SessionView::kNetworkDemand, kDay0, kDay0 + 24 * kHour));
  EXPECT_EQ(net["gateway"], "gw1");
  EXPECT_EQ(net["total_sessions"], x.sessions);
  EXPECT_EQ(net["total_streams"], x.known);  // One stream per known session here.
  EXPECT_EQ(net["missing_capacity_count"], x.missing_capacity);
  const double success_ratio = static_cast<double>(x.known - x.unexcused) / static_cast<double>(x.known);
  EXPECT_DOUBLE_EQ(net["success_ratio"].get<double>(), success_ratio);
  EXPECT_GT(net["total_inference_minutes"].get<double>(), 24 * 3 * 2.0);

  const json sla = group_json(SessionView::kSlaCompliance, views.cells(SessionView::kSlaCompliance, kDay0, kDay0 + 24 * kHour));
  EXPECT_EQ(sla.contains("gpu_id"), false);
  EXPECT_DOUBLE_EQ(sla["success_ratio"].get<double>(), success_ratio);
  const double no_swap = 1.0 - static_cast<double>(x.swapped) / static_cast<double>(x.known);
  EXPECT_DOUBLE_EQ(sla["no_swap_ratio"].get<double>(), no_swap);
  EXPECT_DOUBLE_EQ(sla["sla_score"].get<double>(), 100 * success_ratio * no_swap);
}

TEST(SessionViewsTest, TwentyFourHourlyBucketsMergeToTheDay) {
  SessionViews views;
  generate(views);
  for (SessionView view : {SessionView::kGpuMetrics, SessionView::kNetworkDemand, SessionView::kSlaCompliance}) {
    SessionViewCells merged;
    for (int h = 0; h < 24; ++h) {
      const auto hour = views.cells(view, kDay0 + h * kHour, kDay0 + (h + 1) * kHour);
      ASSERT_EQ(hour.size(), 1u) << "hour " << h;
      for (const auto& [group, cell] : hour) merged[group].merge(cell);
    }
    const auto day = views.cells(view, kDay0, kDay0 + 24 * kHour);
    ASSERT_EQ(day.size(), merged.size());
    for (const auto& [group, cell] : day) {
      EXPECT_EQ(session_view_group_json(view, group, merged.at(group)), session_view_group_json(view, group, cell));
    }
  }
  // The HTTP form over the same day.
  const auto reply = session_view_reply(views, SessionView::kSlaCompliance,
                                        {{"from", std::to_string(kDay0)}, {"to", std::to_string(kDay0 + 24 * kHour)}}, kDay0);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json j = json::parse(reply.body);
  EXPECT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(session_view_reply(views, SessionView::kSlaCompliance, {{"window", "soon"}}, kDay0).status, 400);
  EXPECT_EQ(session_view_reply(views, SessionView::kSlaCompliance, {{"colour", "red"}}, kDay0).status, 400);
}

TEST(SessionViewsTest, MissingSideFallsBackToTheLatestSessionWithThePresentSide) {
  SessionViews views;
  views.add_event(event("gateway_receive_stream_request", "s1", "r1"), kDay0);
  views.add_event(event("gateway_receive_few_processed_segments", "s1", ""), kDay0 + 1);  // -> s1|r1.
  views.add_event(event("orchestrator_swap", "", "r1"), kDay0 + 2);                        // -> s1|r1.
  views.add_event(event("gateway_receive_stream_request", "", "r9"), kDay0 + 3);          // -> |r9.
  proto::TelemetryEvent anonymous;
  anonymous.set_description("gateway_receive_stream_request");
  views.add_event(anonymous, kDay0 + 4);
  EXPECT_EQ(views.sessions(), 2u);
  EXPECT_EQ(views.unattributed_total(), 1u);
  const json sla = group_json(SessionView::kSlaCompliance, views.cells(SessionView::kSlaCompliance, kDay0, kDay0 + kHour));
  EXPECT_EQ(sla["known_sessions"], 2);
  EXPECT_EQ(sla["startup_success_sessions"], 1);
  EXPECT_EQ(sla["swapped_sessions"], 1);
  EXPECT_EQ(sla["unexcused_sessions"], 1);
}

}  // namespace
}  // namespace esper::nissa
