// tamiyo: the reference policy service. Makes --rate decisions per second (tamiyo_service.h) and
// publishes their telemetry (feature coverage per type, compile metrics, degraded_inputs events
// escalating with coverage), and issues --reports field reports through the crash-safe outbox
// (report_outbox.h, WAL under --state-dir), settled by Nissa's acks from the bus and retried
// until then. Prints "tamiyo ready", then "field reports settled N" as acks arrive (at most once per
// publish cycle); stops after --duration/--steps or on SIGTERM/SIGINT (decision_loop.h).
#include <chrono>
#include <exception>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "producers/producer_program.h"
#include "producers/tamiyo/decision_loop.h"
#include "producers/tamiyo/report_outbox.h"
#include "producers/tamiyo/tamiyo_service.h"

namespace {

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
      "tamiyo: reference policy service; coverage, compile and field-report telemetry "
      "(docs/reference/training-system.md)");
  auto& command_line = program.command_line();
  tamiyo::TamiyoOptions options;
  tamiyo::DecisionLoopOptions loop;
  tamiyo::ReportOutboxOptions outbox_options;
  double coverage = -1;
  std::string schedule, compile = "on", state_dir;
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
  command_line.option("--steps", loop.max_decisions, "Stop after this many decisions (0: no limit)");
  command_line.option("--reports", loop.reports, "Field reports to issue (one every --report-every decisions)");
  command_line.option("--report-every", loop.report_every, "Decisions between field reports").positive();
  command_line.option("--report-epochs", loop.report_epochs, "target_epochs of the field reports");
  command_line.option("--state-dir", state_dir, "Directory of the field-report outbox WAL (needed with --reports)");
  command_line.option("--retry-cap", outbox_options.retry_cap,
                      "Retries of a field report before it is dropped from memory");
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
    if (loop.reports > 0 && state_dir.empty()) {
      spdlog::error("--reports needs --state-dir for the outbox WAL");
      return cli::kExitUsage;
    }
    options.compile = compile == "on";
    outbox_options.state_dir = state_dir;
    outbox_options.initial_backoff = std::chrono::milliseconds(initial_backoff_ms);
    outbox_options.max_backoff = std::chrono::milliseconds(max_backoff_ms);
    loop.cycle = std::chrono::milliseconds(cycle_ms);
    loop.rate = program.flags().rate;
    loop.duration_s = program.flags().duration_s;

    const auto runtime_options = program.runtime_options();
    auto producer = program.start(runtime_options);
    options.source = producer.runtime().service();
    tamiyo::TamiyoService service(options);
    // The outbox and the acks, only when reports are to be issued.
    std::unique_ptr<tamiyo::ReportOutbox> outbox;
    if (!state_dir.empty()) {
      std::string error;
      outbox = tamiyo::ReportOutbox::open(outbox_options, producer.runtime(), runtime_options.bus, &error);
      if (!outbox) {
        spdlog::error("tamiyo: {}", error);
        return cli::kExitFailed;
      }
    }
    producer.say_ready();
    spdlog::info("tamiyo: deciding at {}/s, {} field reports to issue", loop.rate, loop.reports);

    tamiyo::run_decisions(service, producer, outbox.get(), loop);
    spdlog::info("tamiyo: stopping after {} decisions", service.decisions());
    producer.stop();
    return cli::kExitOk;
  });
}
