// A real `kasmina` publishing through a real `oona`: every per-seed metric of
// docs/reference/training-system.md arrives for every seed, with its unit and exactly {"seed_id"}, and the
// seeds are seen moving through the lifecycle with alpha blended up to 1.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "oona/bus_subscriber.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"

namespace esper::kasmina {
namespace {

using namespace std::chrono_literals;

// The per-seed metrics of docs/reference/training-system.md (attributes={"seed_id": <id>}).
const std::map<std::string, std::string> kSeedMetricUnits = {
    {"kasmina.seed.stage", "state"},
    {"kasmina.seed.alpha", "ratio"},
    {"kasmina.seed.alpha_steps", "count"},  // BLENDING only.
    {"kasmina.seed.kernel_attached", "flag"},
    {"kasmina.seed.last_kernel_latency_ms", "ms"},
    {"kasmina.seed.isolation_violations", "count"},
    {"kasmina.seed.fallback_used", "flag"},
    {"kasmina.seed.isolation.dot", "dot"},          // When isolation stats are available.
    {"kasmina.seed.isolation.host_norm", "grad"},
    {"kasmina.seed.isolation.seed_norm", "grad"},
};

class KasminaProcessTest : public producers::testing::OonaAndSubscriber {};

TEST_F(KasminaProcessTest, EveryPerSeedMetricArrivesForEverySeed) {
  const std::set<std::string> seed_ids = {"seed-0", "seed-1", "seed-2"};
  auto kasmina = producers::testing::start_producer(
      "producers/kasmina/kasmina", oona_,
      {"--flush-interval-ms", "100", "--seeds", "3", "--stage-steps", "3", "--blend-steps", "5", "--rate", "100"});
  ASSERT_TRUE(kasmina);

  std::map<std::string, std::set<std::string>> seeds_by_name;  // Metric -> seed ids seen.
  std::map<std::string, std::set<int>> stages_by_seed;
  std::map<std::string, double> max_alpha;
  std::vector<std::string> problems;
  auto complete = [&] {
    for (const auto& [name, unit] : kSeedMetricUnits) {
      if (seeds_by_name[name] != seed_ids) return false;
    }
    for (const auto& id : seed_ids) {
      if (!stages_by_seed[id].contains(7) || max_alpha[id] < 1.0) return false;  // Reached FOSSILIZED.
    }
    return true;
  };
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        auto m = subscriber_.receive(20ms);
        if (m && m->envelope.source() == "kasmina" && m->envelope.has_telemetry()) {
          for (const auto& p : m->envelope.telemetry().metrics()) {
            if (p.name().starts_with("producer.")) continue;  // The runtime's own buffer health.
            auto unit = kSeedMetricUnits.find(p.name());
            if (unit == kSeedMetricUnits.end()) {
              problems.push_back("unexpected metric " + p.name());
              continue;
            }
            if (p.unit() != unit->second) problems.push_back(p.name() + " in " + p.unit());
            if (p.attributes().size() != 1 || !p.attributes().contains("seed_id")) {
              problems.push_back(p.name() + " without exactly {seed_id}");
              continue;
            }
            if (!p.has_step()) problems.push_back(p.name() + " without step");
            const auto& id = p.attributes().at("seed_id");
            seeds_by_name[p.name()].insert(id);
            if (p.name() == "kasmina.seed.stage") stages_by_seed[id].insert(static_cast<int>(p.value()));
            if (p.name() == "kasmina.seed.alpha") max_alpha[id] = std::max(max_alpha[id], p.value());
          }
        }
        return complete();
      },
      60s))
      << "not every metric/seed/stage arrived; e.g. alpha_steps from " << seeds_by_name["kasmina.seed.alpha_steps"].size()
      << " seeds, isolation.dot from " << seeds_by_name["kasmina.seed.isolation.dot"].size() << " seeds";
  EXPECT_EQ(esper::testing::describe_status(kasmina->stop()), "exit 0");
  EXPECT_TRUE(problems.empty()) << problems.front();
  for (const auto& id : seed_ids) {
    for (int stage = 1; stage <= 7; ++stage) {
      EXPECT_TRUE(stages_by_seed[id].contains(stage)) << id << " never in stage " << stage;
    }
  }
}

}  // namespace
}  // namespace esper::kasmina
