// A field-report issuer for Nissa's integration tests: writes reports through the real outbox
// (field_reports/outbox.h), publishes them to Oona with the real bus client, and settles them with
// Nissa's acks. Prints "appended N", "settled N" progress lines and "all settled" when every report
// has been acknowledged, then exits 0.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/run_program.h"
#include "field_reports/outbox.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "producers/tamiyo/bus_report_publisher.h"

namespace {

using namespace esper;

struct SenderFlags {
  std::string runtime_dir;
  std::string wal_dir;
  std::uint64_t count = 1000;
  std::uint64_t rate = 5000;
};

int send_reports(const SenderFlags& flags) {
  const auto endpoints = oona::endpoints_under(flags.runtime_dir);
  oona::BusPublisherOptions pub;
  pub.endpoints = endpoints;
  pub.source = "tamiyo";
  oona::BusPublisher bus(pub);
  oona::BusSubscriberOptions sub;
  sub.endpoints = endpoints;
  sub.emergency = false;
  sub.prefixes = {"reliable.ack."};
  oona::BusSubscriber acks(sub);
  tamiyo::BusReportPublisher publisher([&bus](proto::Envelope envelope) { return bus.publish(std::move(envelope)); });

  field_reports::OutboxOptions options;
  options.wal_dir = flags.wal_dir;
  options.retry_cap = 100'000;  // Never drop during the test: every report must end up acked.
  options.initial_backoff = std::chrono::milliseconds(300);
  options.max_backoff = std::chrono::milliseconds(1000);
  wal::Status status;
  auto outbox = field_reports::Outbox::open(options, publisher, [](const proto::TelemetryEvent&) {}, &status);
  if (!outbox) {
    std::fprintf(stderr, "report_sender: %s\n", status.message().c_str());
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  std::uint64_t appended = 0;
  auto next_cycle = start;
  while (true) {
    // Append at the configured rate.
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto due =
        std::min<std::uint64_t>(flags.count, static_cast<std::uint64_t>(elapsed * static_cast<double>(flags.rate)) + 1);
    for (; appended < due; ++appended) {
      proto::FieldReport report;
      report.set_command_id("cmd-" + std::to_string(appended));
      report.set_training_run_id("run-1");
      report.set_outcome(proto::FIELD_REPORT_OUTCOME_SUCCESS);
      report.set_target_epochs(3);
      if (auto s = outbox->append(report); !s.ok()) {
        std::fprintf(stderr, "report_sender: append: %s\n", s.message().c_str());
        return 1;
      }
      if ((appended + 1) % 1000 == 0) std::printf("appended %llu\n", static_cast<unsigned long long>(appended + 1));
    }
    while (auto m = acks.receive(std::chrono::milliseconds(appended < flags.count ? 0 : 5))) {
      if (m->envelope.has_field_report_ack()) outbox->on_ack(m->envelope.field_report_ack());
    }
    if (std::chrono::steady_clock::now() >= next_cycle) {
      outbox->publish_cycle();
      next_cycle = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    }
    const auto c = outbox->counters();
    if (appended == flags.count && c.settled_cumulative >= flags.count && c.pending_total == 0 &&
        outbox->pending_ids().empty()) {
      std::printf("settled %llu\nall settled\n", static_cast<unsigned long long>(c.settled_cumulative));
      std::fflush(stdout);
      return 0;
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommandLine command_line("report_sender: issues field reports through the outbox");
  SenderFlags flags;
  command_line.option("--runtime-dir", flags.runtime_dir).required();
  command_line.option("--wal-dir", flags.wal_dir).required();
  command_line.option("--count", flags.count);
  command_line.option("--rate", flags.rate, "Reports appended per second");
  return cli::run_tool(argc, argv, command_line, "report_sender", [&] { return send_reports(flags); });
}
