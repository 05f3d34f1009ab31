#include "producers/stream_gateway/gateway_simulator.h"

#include <array>
#include <chrono>
#include <cstdio>

#include "proto/envelope_codec.h"
#include "proto/metric_point.h"

namespace esper::producers::gateway {
namespace {

constexpr std::array<const char*, 3> kRegions{"us-east-1", "eu-west-1", "ap-southeast-1"};
struct PipelineModel {
  const char* pipeline;
  const char* model_id;
};
constexpr std::array<PipelineModel, 3> kPipelines{{
    {"streamdiffusion", "streamdiffusion-sdturbo"},
    {"streamdiffusion", "streamdiffusion-sdxl"},
    {"comfystream", "comfyui-depth"},
}};

std::string hex(std::uint64_t value, int digits) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%0*llx", digits, static_cast<unsigned long long>(value));
  return std::string(buffer).substr(0, static_cast<std::size_t>(digits));
}

}  // namespace

GatewaySimulator::GatewaySimulator(GatewayOptions options)
    : options_(std::move(options)), planner_(options_.seed, options_.mix), rng_(options_.seed ^ 0x9e3779b97f4a7c15ull) {}

bool GatewaySimulator::done() const {
  return options_.max_sessions > 0 && started_ >= options_.max_sessions && live_.empty();
}

std::string GatewaySimulator::orchestrator_address() {
  return "https://orch-" + hex(rng_() % 16, 2) + ".example.net:8935";
}

void GatewaySimulator::start_session() {
  const SessionOutcome outcome = planner_.next();
  ++outcomes_[outcome];
  Session s;
  s.identity["stream_id"] = "stream-" + hex(options_.seed, 4) + "-" + std::to_string(started_ + 1);
  s.identity["request_id"] = hex(rng_(), 8);
  s.identity["gpu_id"] = "GPU-" + hex(rng_() % 32, 4);
  s.identity["region"] = kRegions[rng_() % kRegions.size()];
  const auto& pm = kPipelines[rng_() % kPipelines.size()];
  s.identity["pipeline"] = pm.pipeline;
  s.identity["model_id"] = pm.model_id;
  s.identity["orchestrator"] = orchestrator_address();
  s.steps = plan_session(outcome, options_.fps_samples, options_.fps_mean, rng_);
  live_.push_back(std::move(s));
  ++started_;
}

void GatewaySimulator::tick(std::vector<proto::MetricPoint>& points,
                            std::vector<proto::TelemetryEvent>& events) {
  for (int i = 0; i < options_.sessions_per_tick; ++i) {
    if (options_.max_sessions > 0 && started_ >= options_.max_sessions) break;
    start_session();
  }
  const std::uint64_t now = proto::now_unix_ns();
  for (auto& s : live_) {
    const SessionStep& step = s.steps[s.next++];
    if (step.kind == SessionStep::kFpsSample) {
      proto::MetricPoint p = proto::make_point("output_fps", step.fps, "FPS", proto::METRIC_KIND_GAUGE);
      for (const auto& [k, v] : s.identity) (*p.mutable_attributes())[k] = v;
      p.set_timestamp_unix_ns(now);
      points.push_back(std::move(p));
      continue;
    }
    proto::TelemetryEvent e;
    e.set_event_id(s.identity["stream_id"] + "/" + std::to_string(++event_seq_));
    e.set_timestamp_unix_ns(now);
    std::string previous_orchestrator;
    if (step.swaps) {
      previous_orchestrator = s.identity["orchestrator"];
      while (s.identity["orchestrator"] == previous_orchestrator) s.identity["orchestrator"] = orchestrator_address();
    }
    for (const auto& [k, v] : s.identity) (*e.mutable_attributes())[k] = v;
    if (step.kind == SessionStep::kError) {
      e.set_description("error");
      e.set_level(proto::SEVERITY_WARNING);
      (*e.mutable_attributes())["message"] = step.name;
    } else {
      e.set_description(step.name);
      e.set_level(step.name == "gateway_no_orchestrators_available" ? proto::SEVERITY_WARNING
                                                                     : proto::SEVERITY_INFO);
      if (step.swaps) (*e.mutable_attributes())["previous_orchestrator"] = previous_orchestrator;
    }
    events.push_back(std::move(e));
  }
  const auto before = live_.size();
  std::erase_if(live_, [](const Session& s) { return s.next >= s.steps.size(); });
  closed_ += before - live_.size();
}

}  // namespace esper::producers::gateway
