#include "producers/tamiyo/feature_coverage.h"

#include <algorithm>

namespace esper::tamiyo {

namespace {

FeatureFamily make_family(std::string type, std::size_t items, std::size_t features, double share,
                          std::mt19937_64& rng) {
  FeatureFamily f{std::move(type), items, features, {}, {}};
  std::normal_distribution<double> value(0.0, 1.0);
  std::bernoulli_distribution observed(std::clamp(share, 0.0, 1.0));
  f.values.resize(items * features);
  f.present.resize(items * features);
  for (std::size_t i = 0; i < items * features; ++i) {
    f.values[i] = value(rng);
    f.present[i] = observed(rng);
  }
  return f;
}

}  // namespace

PolicyGraph observe_graph(std::size_t layers, std::size_t seeds, double observed_share, std::mt19937_64& rng) {
  PolicyGraph g;
  g.layers = std::max<std::size_t>(layers, 2);
  g.seeds = std::max<std::size_t>(seeds, 1);
  g.node_seed = make_family("node.seed", g.seeds, 6, observed_share, rng);
  g.node_layer = make_family("node.layer", g.layers, 8, observed_share, rng);
  g.edges_layer_connects = make_family("edges.layer_connects", g.layers - 1, 3, observed_share, rng);
  g.edges_seed_monitors = make_family("edges.seed_monitors", g.seeds, 4, observed_share, rng);
  for (std::size_t j = 0; j < g.seeds; ++j) g.monitored_layer.push_back(j % g.layers);
  return g;
}

CoverageReport measure_coverage(const PolicyGraph& graph, std::size_t max_keys) {
  CoverageReport r;
  double sum = 0;
  for (const FeatureFamily* f : {&graph.node_seed, &graph.node_layer, &graph.edges_layer_connects,
                                 &graph.edges_seed_monitors}) {
    std::size_t present = 0;
    for (bool p : f->present) present += p ? 1 : 0;
    const double ratio = f->present.empty() ? 0.0 : static_cast<double>(present) / static_cast<double>(f->present.size());
    r.by_type[f->type] = ratio;
    sum += ratio;
    if (ratio < r.worst || r.worst_type.empty()) {
      r.worst = ratio;
      r.worst_type = f->type;
    }
    for (std::size_t k = 0; k < f->features && r.by_key.size() < max_keys; ++k) {
      std::size_t seen = 0;
      for (std::size_t i = 0; i < f->items; ++i) seen += f->present[i * f->features + k] ? 1 : 0;
      r.by_key[f->type + ".f" + std::to_string(k)] =
          f->items == 0 ? 0.0 : static_cast<double>(seen) / static_cast<double>(f->items);
    }
  }
  r.average = sum / 4.0;
  return r;
}

}  // namespace esper::tamiyo
