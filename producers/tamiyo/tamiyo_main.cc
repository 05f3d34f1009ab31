// tamiyo: the reference policy service. Makes --rate decisions per second (tamiyo_service.h) and
// publishes their telemetry (feature coverage per type, compile metrics, degraded_inputs events
// escalating with coverage), and issues --reports field reports through the crash-safe outbox
// (field_reports/outbox.h, WAL under --state-dir), settled by Nissa's acks from the bus and retried
// until then. Prints "tamiyo ready", then "field reports settled N" as acks arrive (at most once per
// publish cycle); stops after --duration/--steps or on SIGTERM/SIGINT.
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "daemon/private_directory.h"
#include "field_reports/outbox.h"
#include "oona/bus_subscriber.h"
#include "producers/paced_loop.h"
#include "producers/producer_program.h"
#include "producers/tamiyo/bus_report_publisher.h"
#include "producers/tamiyo/tamiyo_service.h"

namespace {

using Clock = std::chrono::steady_clock;

// "1.0,0.6,0.3" -> {1.0, 0.6, 0.3}; every value in [0, 1].
bool parse_schedule(const std::string& text, std::vector<double>* out) {
  std::stringstream in(text);
  std::string item;
  out->clear();
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() || v < 0 || v > 1) return false;
      out->push_back(v);
    } catch (const std::exception&) {
      return false;
    }
  }
  return !out->empty();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "tamiyo",
      "tamiyo: reference policy service; coverage, compile and field-report telemetry (docs/reference/training-system.md)");
  auto& command_line = program.command_line();
  tamiyo::TamiyoOptions options;
  double coverage = -1;
  std::string schedule, compile = "on", state_dir;
  std::uint64_t max_decisions = 0, reports = 0, report_every = 5;
  std::uint32_t report_epochs = 3, retry_cap = 5;
  int initial_backoff_ms = 1000, max_backoff_ms = 60000, cycle_ms = 100;
  command_line.option("--coverage", coverage, "Observed share of graph features (constant)").in_range(0.0, 1.0);
  command_line.option("--coverage-schedule", schedule, "Observed share per phase, e.g. 1.0,0.6,0.3 (last holds)");
  command_line.option("--phase-decisions", options.decisions_per_phase, "Decisions per schedule phase").positive();
  command_line.option("--warn-below", options.thresholds.warning_below, "Coverage below this: WARNING")
      .in_range(0.0, 1.0);
  command_line.option("--high-below", options.thresholds.high_below, "Coverage below this: HIGH").in_range(0.0, 1.0);
  command_line.option("--critical-below", options.thresholds.critical_below, "Coverage below this: CRITICAL")
      .in_range(0.0, 1.0);
  command_line.option("--degraded-repeat", options.degraded_repeat,
                      "Decisions between repeats of a standing degraded_inputs")
      .positive();
  command_line.option("--compile", compile, "Run the policy forward on the compiled plan").one_of({"on", "off"});
  command_line.option("--compile-capacity", options.compile_capacity, "Nodes the compiled plan holds");
  command_line.option("--seeds", options.seeds, "Seed nodes in the policy graph").positive();
  command_line.option("--layers", options.layers, "Layer nodes in the policy graph").in_range(2, 100000);
  command_line.option("--steps", max_decisions, "Stop after this many decisions (0: no limit)");
  command_line.option("--reports", reports, "Field reports to issue (one every --report-every decisions)");
  command_line.option("--report-every", report_every, "Decisions between field reports").positive();
  command_line.option("--report-epochs", report_epochs, "target_epochs of the field reports");
  command_line.option("--state-dir", state_dir, "Directory of the field-report outbox WAL (needed with --reports)");
  command_line.option("--retry-cap", retry_cap, "Retries of a field report before it is dropped from memory");
  command_line.option("--initial-backoff-ms", initial_backoff_ms, "First wait for an ack before a retry").positive();
  command_line.option("--max-backoff-ms", max_backoff_ms, "Longest wait for an ack").positive();
  command_line.option("--cycle-ms", cycle_ms, "Outbox publish-cycle period").positive();

  return program.run(argc, argv, [&] {
    if (!schedule.empty() && !parse_schedule(schedule, &options.coverage_schedule)) {
      spdlog::error("--coverage-schedule: expected comma-separated ratios in [0, 1], got '{}'", schedule);
      return cli::kExitUsage;
    }
    if (schedule.empty() && coverage >= 0) options.coverage_schedule = {coverage};
    if (!(options.thresholds.critical_below <= options.thresholds.high_below &&
          options.thresholds.high_below <= options.thresholds.warning_below)) {
      spdlog::error("coverage thresholds must satisfy --critical-below <= --high-below <= --warn-below");
      return cli::kExitUsage;
    }
    if (reports > 0 && state_dir.empty()) {
      spdlog::error("--reports needs --state-dir for the outbox WAL");
      return cli::kExitUsage;
    }
    options.compile = compile == "on";

    auto runtime_options = program.runtime_options();
    auto producer = program.start(runtime_options);
    auto& runtime = producer.runtime();
    auto& signals = producer.signals();
    options.source = runtime.service();
    tamiyo::TamiyoService service(options);

    // The outbox and the acks, only when reports are to be issued.
    tamiyo::BusReportPublisher report_publisher(runtime);
    std::unique_ptr<field_reports::Outbox> outbox;
    std::unique_ptr<oona::BusSubscriber> acks;
    if (!state_dir.empty()) {
      // Unsent field reports are in there: refuse a directory another user could have prepared.
      daemon::ensure_private_directory(state_dir);
      field_reports::OutboxOptions outbox_options;
      outbox_options.wal_dir = std::filesystem::path(state_dir) / "field_reports";
      outbox_options.source = runtime.service();
      outbox_options.retry_cap = retry_cap;
      outbox_options.initial_backoff = std::chrono::milliseconds(initial_backoff_ms);
      outbox_options.max_backoff = std::chrono::milliseconds(std::max(initial_backoff_ms, max_backoff_ms));
      outbox_options.metric_prefix = "tamiyo.field_reports";
      wal::Status status;
      outbox = field_reports::Outbox::open(
          outbox_options, report_publisher,
          [&runtime](const proto::TelemetryEvent& event) { runtime.buffer().record(event); }, &status);
      if (!outbox) {
        spdlog::error("tamiyo: cannot open the field-report outbox in {}: {}", outbox_options.wal_dir.string(),
                      status.message());
        return cli::kExitFailed;
      }
      oona::BusSubscriberOptions ack_options;
      ack_options.endpoints = runtime_options.bus.endpoints;
      ack_options.curve = runtime_options.bus.curve;
      ack_options.signing_key = runtime_options.bus.signing_key;  // Acks are verified like any envelope.
      ack_options.emergency_scheduling = runtime_options.bus.emergency_scheduling;
      ack_options.emergency = false;
      ack_options.prefixes = {"reliable.ack."};
      ack_options.name = "tamiyo";
      acks = std::make_unique<oona::BusSubscriber>(ack_options);
    }

    producer.say_ready();
    spdlog::info("tamiyo: deciding at {}/s, {} field reports to issue", program.flags().rate, reports);

    const auto interval = producers::pacing_interval(program.flags().rate);
    const auto cycle = std::chrono::milliseconds(cycle_ms);
    const auto start = Clock::now();
    auto next_decision = start;
    auto next_cycle = start + cycle;
    std::uint64_t issued = 0, settled_printed = 0;
    while (true) {
      const auto now = Clock::now();
      if (program.flags().duration_s > 0 && now - start >= std::chrono::duration<double>(program.flags().duration_s)) break;
      const auto wake = outbox ? std::min(next_decision, next_cycle) : next_decision;
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now);
      if (auto signo = signals.wait(static_cast<int>(std::max<std::int64_t>(0, wait.count())));
          signo && signals::is_stop_signal(*signo)) {
        break;
      }

      if (acks) {
        while (auto m = acks->receive(std::chrono::milliseconds(0))) {
          if (m->envelope.has_field_report_ack()) outbox->on_ack(m->envelope.field_report_ack());
        }
      }
      if (outbox && Clock::now() >= next_cycle) {
        outbox->publish_cycle();
        for (auto& p : outbox->metric_points()) runtime.buffer().record(std::move(p));
        next_cycle = Clock::now() + cycle;
        const auto settled = outbox->counters().settled_cumulative;
        // Progress on stdout (scripts and tests wait for it), at most once per publish cycle.
        if (settled != settled_printed) {
          settled_printed = settled;
          std::printf("field reports settled %llu\n", static_cast<unsigned long long>(settled));
          std::fflush(stdout);
        }
      }

      if (max_decisions > 0 && service.decisions() >= max_decisions) {
        if (!outbox || outbox->pending_ids().empty()) break;  // Done, with every report settled or dropped.
        next_decision = Clock::time_point::max();
        continue;
      }
      if (Clock::now() < next_decision) continue;
      next_decision += interval;
      if (next_decision < Clock::now() - interval) next_decision = Clock::now();  // Fell behind: no burst.

      auto decision = service.decide();
      for (auto& p : decision.points) runtime.buffer().record(std::move(p));
      if (decision.degraded) runtime.buffer().record(std::move(*decision.degraded));
      if (outbox && issued < reports && decision.index % report_every == 0) {
        std::string id;
        if (auto s = outbox->append(service.field_report(decision, report_epochs), &id); !s.ok()) {
          spdlog::error("tamiyo: field report for {} not written: {}", decision.command.command_id(), s.message());
        } else {
          ++issued;
          // Per report only at debug: as a load generator tamiyo issues thousands per second.
          spdlog::debug("tamiyo: field report {} issued for {}", id, decision.command.command_id());
        }
      }
    }
    spdlog::info("tamiyo: stopping after {} decisions", service.decisions());
    producer.stop();
    return 0;
  });
}
