// A real `tolaria` publishing through a real `oona`: every step metric of docs/reference/training-system.md
// arrives under its exact name and unit, carrying its step; with enrichment off none of the gated
// set does; and the loss the trainer reports falls over the run.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "esper/control.pb.h"
#include "oona/bus_subscriber.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"

namespace esper::tolaria {
namespace {

using namespace std::chrono_literals;
using esper::testing::ChildProcess;

// The step metrics of docs/reference/training-system.md. `hardware`: depends on a CUDA device/NVML, so it is
// only checked when it appears (this trainer makes no host-to-device copies; NVML may be absent).
struct ExpectedMetric {
  const char* name;
  const char* unit;
  bool gated;
  bool hardware;
};
const std::vector<ExpectedMetric> kStepMetrics = {
    {"loss", "loss", false, false},
    {"accuracy", "ratio", false, false},
    {"gradient_norm", "grad", false, false},
    {"samples_per_s", "rate", false, false},
    {"hook_latency_ms", "ms", false, false},
    {"tamiyo_latency_ms", "ms", false, false},
    {"step_latency_ms", "ms", true, false},
    {"kasmina.apply_ms", "ms", true, false},
    {"kasmina.finalize_ms", "ms", true, false},
    {"loss_delta", "loss", true, false},
    {"loss_ewma", "loss", true, false},
    {"loss_volatility", "loss", true, false},
    {"grad_norm_ewma", "grad", true, false},
    {"grad_var", "grad^2", true, false},
    {"grad_conflict_rate", "ratio", true, false},
    {"input_wait_ms", "ms", true, false},
    {"h2d_copy_ms", "ms", true, true},
    {"gpu_mem_used_gb", "GB", true, true},
    {"gpu_mem_free_gb", "GB", true, true},
    {"gpu_util_percent", "%", true, true},
    {"cpu_util_percent", "%", true, false},
};

const ExpectedMetric* find_expected(const std::string& name) {
  for (const auto& e : kStepMetrics) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

// What arrived from tolaria: every point by name, and the loss by step.
struct Seen {
  std::map<std::string, std::vector<proto::MetricPoint>> points;
  std::map<std::uint64_t, double> loss_by_step;
};

void pump(oona::BusSubscriber& subscriber, Seen& seen) {
  auto m = subscriber.receive(20ms);
  if (!m || m->envelope.source() != "tolaria" || !m->envelope.has_telemetry()) return;
  for (const auto& p : m->envelope.telemetry().metrics()) {
    if (p.name().starts_with("producer.")) continue;  // The runtime's own buffer health.
    seen.points[p.name()].push_back(p);
    if (p.name() == "loss") seen.loss_by_step[p.step()] = p.value();
  }
}

class TolariaProcessTest : public producers::testing::OonaAndSubscriber {
 protected:
  // Null, with a failure, when it does not get ready.
  std::unique_ptr<ChildProcess> start(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--flush-interval-ms", "100"});
    return producers::testing::start_producer("producers/tolaria/tolaria", oona_, extra);
  }
};

TEST_F(TolariaProcessTest, EveryStepMetricArrivesWithItsUnitAndStep) {
  auto tolaria = start({"--rate", "50", "--enrichment", "on"});
  ASSERT_TRUE(tolaria);
  Seen seen;
  auto missing = [&] {
    std::string names;
    for (const auto& e : kStepMetrics) {
      if (!e.hardware && !seen.points.contains(e.name)) names += std::string(" ") + e.name;
    }
    return names;
  };
  ASSERT_TRUE(esper::testing::wait_until([&] { pump(subscriber_, seen); return missing().empty(); }, 30s))
      << "never arrived:" << missing();
  EXPECT_EQ(esper::testing::describe_status(tolaria->stop()), "exit 0");

  for (const auto& [name, points] : seen.points) {
    const auto* expected = find_expected(name);
    ASSERT_NE(expected, nullptr) << "tolaria emitted " << name << ", which 000 does not list";
    for (const auto& p : points) {
      EXPECT_EQ(p.unit(), expected->unit) << name;
      EXPECT_TRUE(p.has_step() && p.step() > 0) << name << " without a step";
      if (std::string(name).starts_with("gpu_")) {
        EXPECT_TRUE(p.attributes().contains("device")) << name;
      } else {
        EXPECT_TRUE(p.attributes().empty()) << name << " has attributes";
      }
    }
  }
  EXPECT_FALSE(seen.points.contains("h2d_copy_ms")) << "no CUDA copies are made: h2d_copy_ms must not be faked";
  const auto cpu = seen.points.at("cpu_util_percent").back().value();
  EXPECT_GE(cpu, 0.0);
  EXPECT_LE(cpu, 100.0);
}

TEST_F(TolariaProcessTest, EnrichmentOffSuppressesEveryGatedMetric) {
  auto tolaria = start({"--rate", "100", "--enrichment", "off"});
  ASSERT_TRUE(tolaria);
  Seen seen;
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        pump(subscriber_, seen);
        return seen.loss_by_step.size() >= 100 && seen.points.contains("hook_latency_ms") &&
               seen.points.contains("tamiyo_latency_ms");
      },
      30s))
      << "only " << seen.loss_by_step.size() << " steps of loss arrived";
  EXPECT_EQ(esper::testing::describe_status(tolaria->stop()), "exit 0");
  std::set<std::string> names;
  for (const auto& [name, points] : seen.points) names.insert(name);
  for (const auto& e : kStepMetrics) {
    if (e.gated) {
      EXPECT_FALSE(names.contains(e.name)) << e.name << " arrived with enrichment off";
    } else {
      EXPECT_TRUE(names.contains(e.name)) << e.name << " missing with enrichment off";
    }
  }
}

TEST_F(TolariaProcessTest, LossFallsOverTheRun) {
  constexpr std::uint64_t kSteps = 600;
  auto tolaria = start({"--rate", "300", "--steps", std::to_string(kSteps)});
  ASSERT_TRUE(tolaria);
  Seen seen;
  ASSERT_TRUE(esper::testing::wait_until([&] { pump(subscriber_, seen); return seen.loss_by_step.size() >= kSteps; },
                                         40s))
      << "only " << seen.loss_by_step.size() << " of " << kSteps << " steps of loss arrived";
  const auto status = tolaria->wait(20s);
  ASSERT_TRUE(status.has_value()) << "tolaria did not exit after --steps";
  EXPECT_EQ(esper::testing::describe_status(*status), "exit 0");

  constexpr int k = 50;
  double first = 0, last = 0;
  for (std::uint64_t s = 1; s <= k; ++s) first += seen.loss_by_step.at(s);
  for (std::uint64_t s = kSteps - k + 1; s <= kSteps; ++s) last += seen.loss_by_step.at(s);
  first /= k;
  last /= k;
  EXPECT_LT(last, first * 0.8) << "first-" << k << " mean loss " << first << ", last-" << k << " mean " << last;
}

// Under Weatherlight (ESPER_CONTROL_ENDPOINT set) tolaria says HELLO and answers each FLUSH with
// FLUSHED counting the step points it drained.
TEST_F(TolariaProcessTest, UnderWeatherlightAnswersFlushWithItsStepPoints) {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  const std::string control = oona_.dir().ipc("control.sock");
  router.bind(control);
  auto receive = [&](std::string* identity) -> std::optional<proto::Control> {
    zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return std::nullopt;
    zmq::message_t id, body;
    if (!router.recv(id) || !router.recv(body)) return std::nullopt;
    *identity = id.to_string();
    proto::Control message;
    if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) return std::nullopt;
    return message;
  };

  ChildProcess::Options options;
  options.env = {{"ESPER_CONTROL_ENDPOINT", control}, {"ESPER_SERVICE_NAME", "tolaria"}};
  auto tolaria = producers::testing::start_producer("producers/tolaria/tolaria", oona_, {"--rate", "100"}, options);
  ASSERT_TRUE(tolaria);
  std::string identity;
  auto hello = receive(&identity);
  ASSERT_TRUE(hello && hello->has_hello()) << "no HELLO from tolaria";
  EXPECT_EQ(hello->hello().service(), "tolaria");

  Seen seen;
  std::uint64_t flushed_points = 0, seq = 0;
  bool answered = true;
  // FLUSH until one drains step points (the steps run at 100/s meanwhile); each must be answered.
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        proto::Control flush;
        flush.mutable_flush()->set_seq(++seq);
        const std::string bytes = flush.SerializeAsString();
        router.send(zmq::buffer(identity), zmq::send_flags::sndmore);
        router.send(zmq::buffer(bytes));
        std::string from;
        auto reply = receive(&from);
        answered = reply && reply->has_flushed() && reply->flushed().seq() == seq;
        if (answered) flushed_points += reply->flushed().points();
        return !answered || flushed_points > 0;
      },
      20s, 50ms));
  ASSERT_TRUE(answered) << "FLUSH " << seq << " not answered with FLUSHED(" << seq << ")";
  EXPECT_GT(flushed_points, 0u) << "FLUSHED drained no step points";
  ASSERT_TRUE(esper::testing::wait_until([&] { pump(subscriber_, seen); return !seen.loss_by_step.empty(); }, 10s))
      << "the flushed step metrics never reached the bus";
  EXPECT_EQ(esper::testing::describe_status(tolaria->stop()), "exit 0");
}

}  // namespace
}  // namespace esper::tolaria
