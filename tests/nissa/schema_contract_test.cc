// Schema contracts on their own: a packet missing a required key or a step is a counted violation
// with a WARNING event; packets of other sources or categories are not checked.
#include <gtest/gtest.h>

#include "nissa/analytics/schema_contract.h"
#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

SchemaContract evaluator() {
  SchemaContract c;
  c.name = "ppo_evaluator";
  c.source = "rl-trainer";
  c.category = "EVALUATOR";
  c.required = {"mean_return", "episodes"};
  return c;
}

proto::MetricPoint eval_point(const std::string& name, std::optional<std::uint64_t> step = std::nullopt) {
  auto p = proto::make_point(name, 1, "count", proto::METRIC_KIND_GAUGE, {{"category", "EVALUATOR"}});
  if (step) p.set_step(*step);
  return p;
}

TEST(SchemaContractTest, CompletePacketPasses) {
  SchemaContractChecker checker({evaluator()});
  proto::TelemetryPacket packet;
  *packet.add_metrics() = eval_point("mean_return", 100);
  *packet.add_metrics() = eval_point("episodes");
  std::vector<SchemaViolation> v;
  EXPECT_EQ(checker.check("rl-trainer", packet, v), 0u);
  EXPECT_TRUE(v.empty());
}

TEST(SchemaContractTest, MissingKeyAndStepAreCountedAndReported) {
  SchemaContractChecker checker({evaluator()});
  proto::TelemetryPacket packet;
  *packet.add_metrics() = eval_point("mean_return");
  std::vector<SchemaViolation> v;
  EXPECT_EQ(checker.check("rl-trainer", packet, v), 2u);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].reason, "missing_key");
  EXPECT_EQ(v[0].key, "episodes");
  EXPECT_EQ(v[1].reason, "missing_step");
  EXPECT_EQ(checker.total(), 2u);
  EXPECT_EQ(checker.violations_total().at({"ppo_evaluator", "rl-trainer", "missing_key", "episodes"}), 1u);
  const auto e = violation_event(v[0], 123);
  EXPECT_EQ(e.description(), "schema_violation");
  EXPECT_EQ(e.level(), proto::SEVERITY_WARNING);
  EXPECT_EQ(e.attributes().at("key"), "episodes");
  EXPECT_EQ(e.attributes().at("contract"), "ppo_evaluator");
}

TEST(SchemaContractTest, StepFieldByNameOrAttributeCounts) {
  SchemaContractChecker checker({evaluator()});
  proto::TelemetryPacket packet;
  *packet.add_metrics() = eval_point("mean_return");
  *packet.add_metrics() = eval_point("episodes");
  *packet.add_metrics() = eval_point("policy_version");
  std::vector<SchemaViolation> v;
  EXPECT_EQ(checker.check("rl-trainer", packet, v), 0u);
  proto::TelemetryPacket by_attribute;
  *by_attribute.add_metrics() = eval_point("mean_return");
  auto p = eval_point("episodes");
  (*p.mutable_attributes())["global_step"] = "7";
  *by_attribute.add_metrics() = p;
  EXPECT_EQ(checker.check("rl-trainer", by_attribute, v), 0u);
}

TEST(SchemaContractTest, OtherSourcesAndCategoriesAreNotChecked) {
  SchemaContractChecker checker({evaluator()});
  proto::TelemetryPacket packet;
  *packet.add_metrics() = proto::make_point("critic_loss", 1, "loss", proto::METRIC_KIND_GAUGE, {{"category", "TRAINER"}});
  std::vector<SchemaViolation> v;
  EXPECT_EQ(checker.check("rl-trainer", packet, v), 0u);
  *packet.add_metrics() = eval_point("mean_return");
  EXPECT_EQ(checker.check("tolaria", packet, v), 0u);
  EXPECT_EQ(checker.total(), 0u);
}

}  // namespace
}  // namespace esper::nissa
