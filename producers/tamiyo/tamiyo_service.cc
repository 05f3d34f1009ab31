#include "producers/tamiyo/tamiyo_service.h"

#include <algorithm>
#include <chrono>

#include "proto/envelope_codec.h"
#include "proto/metric_point.h"

namespace esper::tamiyo {

namespace {

// Mean of the present features of item `i` of `family` (0 when none is present).
double item_mean(const FeatureFamily& family, std::size_t i) {
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t k = 0; k < family.features; ++k) {
    if (family.present[i * family.features + k]) {
      sum += family.values[i * family.features + k];
      ++n;
    }
  }
  return n == 0 ? 0.0 : sum / static_cast<double>(n);
}

}  // namespace

TamiyoService::TamiyoService(TamiyoOptions options)
    : options_(std::move(options)),
      rng_(options_.rng_seed),
      degraded_(options_.thresholds, options_.degraded_repeat, options_.source) {
  if (options_.coverage_schedule.empty()) options_.coverage_schedule = {1.0};
  options_.decisions_per_phase = std::max<std::uint64_t>(options_.decisions_per_phase, 1);
  if (!options_.compile) return;
  // Compile at start-up on a fully observed warm-up graph, as torch.compile warms on a first batch.
  std::mt19937_64 warm_rng(options_.rng_seed ^ 0x5eedULL);
  const auto warm_graph = observe_graph(options_.layers, options_.seeds, 1.0, warm_rng);
  const auto start = std::chrono::steady_clock::now();
  plan_ = compile_plan(warm_graph);
  if (plan_) {
    (void)forward(warm_graph);
    warm_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  } else {
    ++compile_fallbacks_;  // Init fallback: run eager.
  }
}

std::optional<TamiyoService::Plan> TamiyoService::compile_plan(const PolicyGraph& graph) const {
  if (graph.nodes() > options_.compile_capacity) return std::nullopt;
  Plan plan;
  plan.capacity = options_.compile_capacity;
  plan.seed_layer = graph.monitored_layer;
  plan.seed_edge.resize(graph.seeds);
  for (std::size_t j = 0; j < graph.seeds; ++j) plan.seed_edge[j] = j;  // Edge j monitors seed j.
  return plan;
}

std::vector<double> TamiyoService::forward(const PolicyGraph& graph) const {
  std::vector<double> scores(graph.seeds, 0.0);
  for (std::size_t j = 0; j < graph.seeds; ++j) {
    std::size_t layer = 0, edge = 0;
    if (plan_) {
      layer = plan_->seed_layer[j];
      edge = plan_->seed_edge[j];
    } else {
      // Eager: resolve the seed's monitor edge by scanning the edge list.
      for (std::size_t e = 0; e < graph.monitored_layer.size(); ++e) {
        if (e == j) {
          edge = e;
          layer = graph.monitored_layer[e];
          break;
        }
      }
    }
    // One round of message passing: the seed's own features, its monitor edge, and the layer it
    // watches with that layer's outgoing connection.
    double message = item_mean(graph.edges_seed_monitors, edge) + item_mean(graph.node_layer, layer);
    if (layer + 1 < graph.layers) message += 0.5 * item_mean(graph.edges_layer_connects, layer);
    scores[j] = item_mean(graph.node_seed, j) + 0.5 * message;
  }
  return scores;
}

double TamiyoService::scheduled_coverage() const {
  const std::size_t phase = std::min<std::size_t>(decisions_ / options_.decisions_per_phase,
                                                  options_.coverage_schedule.size() - 1);
  return options_.coverage_schedule[phase];
}

Decision TamiyoService::decide() {
  Decision d;
  const double share = scheduled_coverage();
  d.index = ++decisions_;
  const PolicyGraph graph = observe_graph(options_.layers, options_.seeds, share, rng_);
  if (plan_ && graph.nodes() > plan_->capacity) {  // Runtime fallback: the plan cannot hold it.
    plan_.reset();
    warm_ms_.reset();
    ++compile_fallbacks_;
  }
  d.coverage = measure_coverage(graph);
  const auto scores = forward(graph);
  const auto target = static_cast<std::size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());

  auto& c = d.command;
  c.set_command_id(options_.source + "-cmd-" + std::to_string(d.index));
  c.set_training_run_id(options_.training_run_id);
  c.set_seed_id("seed-" + std::to_string(target));
  c.set_issued_at_unix_ns(proto::now_unix_ns());
  c.set_feature_coverage(d.coverage.average);
  for (const auto& [k, v] : d.coverage.by_key) (*c.mutable_coverage_map())[k] = v;
  for (const auto& [k, v] : d.coverage.by_type) (*c.mutable_coverage_types())[k] = v;

  auto add = [&](std::string name, double value, const char* unit,
                 proto::MetricKind kind = proto::METRIC_KIND_GAUGE) {
    auto p = proto::make_point(name, value, unit, kind);
    p.set_step(d.index);
    d.points.push_back(std::move(p));
  };
  add("tamiyo.gnn.feature_coverage", d.coverage.average, "ratio");
  for (const auto& [type, ratio] : d.coverage.by_type) add("tamiyo.gnn.feature_coverage." + type, ratio, "ratio");
  add("tamiyo.gnn.compile_enabled", plan_ ? 1.0 : 0.0, "bool");
  if (compile_fallbacks_ > 0) {
    add("tamiyo.gnn.compile_fallback_total", static_cast<double>(compile_fallbacks_), "count",
        proto::METRIC_KIND_COUNTER);
  }
  if (plan_ && warm_ms_) add("tamiyo.gnn.compile_warm_ms", *warm_ms_, "ms");
  d.degraded = degraded_.observe(d.coverage);
  return d;
}

proto::FieldReport TamiyoService::field_report(const Decision& decision, std::uint32_t epochs) const {
  proto::FieldReport r;
  r.set_command_id(decision.command.command_id());
  r.set_training_run_id(decision.command.training_run_id());
  r.set_seed_id(decision.command.seed_id());
  // A command decided on degraded inputs is not trusted to have helped.
  r.set_outcome(severity_for_coverage(decision.coverage.average, options_.thresholds) != proto::SEVERITY_INFO
                    ? proto::FIELD_REPORT_OUTCOME_NEUTRAL : proto::FIELD_REPORT_OUTCOME_SUCCESS);
  (*r.mutable_metrics())["feature_coverage"] = decision.coverage.average;
  r.set_observation_window_epochs(epochs);
  r.set_target_epochs(epochs);
  r.set_issued_at_unix_ns(proto::now_unix_ns());
  return r;
}

}  // namespace esper::tamiyo
