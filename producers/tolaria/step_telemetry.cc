#include "producers/tolaria/step_telemetry.h"

#include <cmath>
#include <string>

#include "proto/metric_point.h"

namespace esper::tolaria {

namespace {

constexpr auto kGauge = proto::METRIC_KIND_GAUGE;
constexpr auto kTiming = proto::METRIC_KIND_HISTOGRAM;  // One observation per step.

proto::MetricPoint point(const StepResult& r, const char* name, double value, const char* unit,
                           proto::MetricKind kind = kGauge,
                           std::initializer_list<std::pair<std::string, std::string>> attributes = {}) {
  auto p = proto::make_point(name, value, unit, kind, attributes);
  p.set_step(r.step);
  return p;
}

}  // namespace

StepTelemetry::StepTelemetry(StepTelemetryOptions options, NvmlProbe* nvml)
    : options_(options),
      nvml_(nvml),
      loss_ewma_(options.ewma_alpha),
      loss_window_(options.volatility_window),
      grad_ewma_(options.ewma_alpha),
      grad_window_(options.volatility_window) {}

std::vector<proto::MetricPoint> StepTelemetry::step_points(const StepResult& r) {
  std::vector<proto::MetricPoint> points;
  points.push_back(point(r, "loss", r.loss, "loss"));
  points.push_back(point(r, "accuracy", r.accuracy, "ratio"));
  points.push_back(point(r, "gradient_norm", r.gradient_norm, "grad"));
  points.push_back(point(r, "samples_per_s", r.samples_per_s, "rate"));
  if (!options_.enrichment) return points;

  points.push_back(point(r, "kasmina.apply_ms", r.apply_ms, "ms", kTiming));
  points.push_back(point(r, "kasmina.finalize_ms", r.finalize_ms, "ms", kTiming));
  points.push_back(point(r, "input_wait_ms", r.input_wait_ms, "ms", kTiming));
  if (auto d = loss_delta_.add(r.loss)) points.push_back(point(r, "loss_delta", *d, "loss"));
  points.push_back(point(r, "loss_ewma", loss_ewma_.add(r.loss), "loss"));
  loss_window_.add(r.loss);
  if (loss_window_.size() >= 2) points.push_back(point(r, "loss_volatility", loss_window_.stddev(), "loss"));
  points.push_back(point(r, "grad_norm_ewma", grad_ewma_.add(r.gradient_norm), "grad"));
  grad_window_.add(r.gradient_norm);
  if (grad_window_.size() >= 2) points.push_back(point(r, "grad_var", grad_window_.variance(), "grad^2"));
  if (r.grad_conflict_rate) points.push_back(point(r, "grad_conflict_rate", *r.grad_conflict_rate, "ratio"));

  const auto now = std::chrono::steady_clock::now();
  if (now >= next_cpu_sample_) {
    if (auto cpu = cpu_.sample()) cpu_percent_ = cpu;
    next_cpu_sample_ = now + options_.cpu_sample_interval;
  }
  if (cpu_percent_) points.push_back(point(r, "cpu_util_percent", *cpu_percent_, "%"));
  // h2d_copy_ms needs CUDA transfers, which this trainer does not make: never emitted here.
  if (nvml_ != nullptr) {
    for (const auto& gpu : nvml_->sample()) {
      const std::pair<std::string, std::string> device{"device", std::to_string(gpu.index)};
      points.push_back(point(r, "gpu_util_percent", gpu.util_percent, "%", kGauge, {device}));
      points.push_back(point(r, "gpu_mem_used_gb", gpu.mem_used_gb, "GB", kGauge, {device}));
      points.push_back(point(r, "gpu_mem_free_gb", gpu.mem_free_gb, "GB", kGauge, {device}));
    }
  }
  return points;
}

std::vector<proto::MetricPoint> StepTelemetry::latency_points(const StepResult& r, double hook_ms,
                                                                double step_ms) const {
  std::vector<proto::MetricPoint> points;
  points.push_back(point(r, "hook_latency_ms", hook_ms, "ms", kTiming));
  points.push_back(point(r, "tamiyo_latency_ms", r.policy_ms, "ms", kTiming));
  if (options_.enrichment) points.push_back(point(r, "step_latency_ms", step_ms, "ms", kTiming));
  return points;
}

}  // namespace esper::tolaria
