// The policy's input graph and how much of it was observed. Tamiyo's graph has node families
// (node.seed, node.layer) and edge families (edges.layer_connects, edges.seed_monitors), each item
// with a fixed number of features; a feature the upstream signals did not provide is missing.
// Coverage per family is present / total features; the average over families is the legacy
// tamiyo.gnn.feature_coverage (docs/reference/training-system.md).
#ifndef ESPER_PRODUCERS_TAMIYO_FEATURE_COVERAGE_H_
#define ESPER_PRODUCERS_TAMIYO_FEATURE_COVERAGE_H_

#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace esper::tamiyo {

struct FeatureFamily {
  std::string type;          // e.g. "node.seed", "edges.seed_monitors".
  std::size_t items = 0;     // Nodes or edges of this family.
  std::size_t features = 0;  // Features per item.
  std::vector<double> values;   // items x features; meaningful where present.
  std::vector<bool> present;
};

struct PolicyGraph {
  std::size_t layers = 0;
  std::size_t seeds = 0;
  // The four families, in this order.
  FeatureFamily node_seed, node_layer, edges_layer_connects, edges_seed_monitors;
  // edges.layer_connects: layer i -> i+1. edges.seed_monitors: seed j -> layer monitored_layer[j].
  std::vector<std::size_t> monitored_layer;
  std::size_t nodes() const { return layers + seeds; }
};

// Builds one observation of the graph in which each feature is present with probability
// `observed_share` (the upstream signals' availability).
PolicyGraph observe_graph(std::size_t layers, std::size_t seeds, double observed_share, std::mt19937_64& rng);

struct CoverageReport {
  double average = 0;                        // Mean of the per-type ratios.
  std::map<std::string, double> by_type;     // "node.seed" -> ratio.
  std::map<std::string, double> by_key;      // "node.seed.f3" -> ratio over the family's items; bounded.
  std::string worst_type;
  double worst = 1;
};

CoverageReport measure_coverage(const PolicyGraph& graph, std::size_t max_keys = 32);

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_FEATURE_COVERAGE_H_
