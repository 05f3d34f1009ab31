// Every metric and event of the training-system reference (docs/reference/training-system.md: the
// trainer's step metrics, the seed executor's per-seed metrics, the policy service's telemetry and
// the field-report lifecycle) can be carried on the bus with its exact name, unit, kind and
// attributes. The names are read from the catalogue itself, so a renamed or added metric there is
// covered without editing this test.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "proto/envelope_codec.h"

namespace esper::proto {
namespace {

struct Reference {
  std::string section;  // The "## " heading the bullet sits under.
  std::string name;
  std::string unit;     // "event" for events.
  std::string kind;     // gauge, counter, histogram; for events the severity.
  std::string detail;   // Text after the parenthesis, e.g. "— attributes: a, b".
};

// The catalogue's bullets: "- name (unit, kind) — note" and "- name (event, SEVERITY) — attributes: a, b".
std::vector<Reference> read_reference(const std::string& path) {
  std::ifstream in(path);
  std::vector<Reference> out;
  std::string line, section;
  const std::regex bullet(R"(^- ([A-Za-z0-9_.<>]+) \(([^,()]+), ([^()]+)\)(.*)$)");
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      section = line.substr(3);
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, bullet)) out.push_back({section, m[1], m[2], m[3], m[4]});
  }
  return out;
}

// "— attributes: report_id, command_id, target_epochs" -> {report_id, command_id, target_epochs}.
std::vector<std::string> attributes_of(const std::string& detail) {
  std::vector<std::string> out;
  const auto at = detail.find("attributes:");
  if (at == std::string::npos) return out;
  std::stringstream list(detail.substr(at + 11));
  std::string item;
  while (std::getline(list, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

proto::Severity severity_of(const std::string& kind) {
  if (kind == "WARNING") return proto::SEVERITY_WARNING;
  if (kind == "INFO") return proto::SEVERITY_INFO;
  return proto::SEVERITY_HIGH;  // degraded_inputs: escalating; HIGH is one of its levels.
}

proto::MetricKind metric_kind_of(const std::string& kind) {
  if (kind == "counter") return proto::METRIC_KIND_COUNTER;
  if (kind == "histogram") return proto::METRIC_KIND_HISTOGRAM;
  return proto::METRIC_KIND_GAUGE;
}

TEST(ReferenceMetricsTest, EveryMetricAndEventOfTheTrainingSystemRoundTrips) {
  const std::string path = std::string(ESPER_SOURCE_DIR) + "/docs/reference/training-system.md";
  const auto refs = read_reference(path);
  // 21 step metrics, 10 per-seed metrics, 5 Tamiyo metrics + 1 event, 4 counters + 3 events.
  ASSERT_EQ(refs.size(), 44u) << "could not read the reference metrics from " << path;

  proto::Envelope state = make_envelope("tolaria", "t:1", 1, proto::SEVERITY_INFO);
  proto::Envelope telemetry = make_envelope("tamiyo", "t:1", 2, proto::SEVERITY_INFO);
  auto* sp = state.mutable_system_state();
  sp->set_global_step(500);
  auto* packet = telemetry.mutable_telemetry();
  std::size_t metrics = 0, events = 0;
  for (const auto& ref : refs) {
    if (ref.unit == "event") {
      auto* e = packet->add_events();
      e->set_event_id("ev-" + ref.name);
      e->set_description(ref.name);
      e->set_level(severity_of(ref.kind));
      for (const auto& attr : attributes_of(ref.detail)) (*e->mutable_attributes())[attr] = "v-" + attr;
      ++events;
      continue;
    }
    // tamiyo.gnn.feature_coverage.<type> stands for one metric per node/edge family.
    std::string name = std::regex_replace(ref.name, std::regex("<type>"), "edges.seed_monitors");
    proto::MetricPoint* p = ref.section.find("Step Metrics") != std::string::npos
                                  ? sp->add_training_metrics()
                                  : packet->add_metrics();
    p->set_name(name);
    p->set_unit(ref.unit);
    p->set_value(0.5);
    p->set_kind(metric_kind_of(ref.kind));
    if (name.starts_with("kasmina.seed.")) (*p->mutable_attributes())["seed_id"] = "seed-1";
    if (ref.section.find("Step Metrics") != std::string::npos) p->set_step(500);
    ++metrics;
  }
  EXPECT_EQ(events, 4u) << "degraded_inputs and the three field-report events";
  EXPECT_EQ(sp->training_metrics_size(), 21);
  EXPECT_EQ(metrics, 40u);

  for (const proto::Envelope* e : {&state, &telemetry}) {
    const WireMessage wire = encode(*e);
    const Decoded decoded = decode(wire.topic, wire.envelope);
    ASSERT_TRUE(decoded.ok()) << decoded.detail();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(decoded.envelope(), *e));
  }

  // Spot checks that the document's exact spellings and units came through.
  const WireMessage telemetry_wire = encode(telemetry);
  const proto::Envelope back = decode(telemetry_wire.topic, telemetry_wire.envelope).envelope();
  auto find = [&](const std::string& name) -> const proto::MetricPoint* {
    for (const auto& p : back.telemetry().metrics()) if (p.name() == name) return &p;
    return nullptr;
  };
  ASSERT_NE(find("kasmina.seed.alpha"), nullptr);
  EXPECT_EQ(find("kasmina.seed.alpha")->unit(), "ratio");
  EXPECT_EQ(find("kasmina.seed.alpha")->attributes().at("seed_id"), "seed-1");
  ASSERT_NE(find("tamiyo.field_reports.dropped_total"), nullptr);
  EXPECT_EQ(find("tamiyo.field_reports.dropped_total")->unit(), "count");
  EXPECT_EQ(find("tamiyo.field_reports.dropped_total")->kind(), proto::METRIC_KIND_COUNTER);
  EXPECT_EQ(find("tamiyo.field_reports.pending_total")->kind(), proto::METRIC_KIND_GAUGE);
  ASSERT_NE(find("tamiyo.gnn.feature_coverage.edges.seed_monitors"), nullptr);
  bool saw_retry = false;
  for (const auto& e : back.telemetry().events()) {
    if (e.description() == "field_report_retry") {
      saw_retry = true;
      EXPECT_EQ(e.level(), proto::SEVERITY_WARNING);
      EXPECT_EQ(e.attributes().count("report_id"), 1u);
      EXPECT_EQ(e.attributes().count("retry_count"), 1u);
    }
  }
  EXPECT_TRUE(saw_retry);
  bool saw_grad_var = false;
  const WireMessage state_wire = encode(state);
  const Decoded state_back = decode(state_wire.topic, state_wire.envelope);
  for (const auto& p : state_back.envelope().system_state().training_metrics()) {
    if (p.name() == "grad_var") {
      saw_grad_var = true;
      EXPECT_EQ(p.unit(), "grad^2");
      EXPECT_EQ(p.step(), 500u);
    }
  }
  EXPECT_TRUE(saw_grad_var);
}

}  // namespace
}  // namespace esper::proto
