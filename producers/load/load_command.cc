#include "producers/load/load_command.h"

#include <chrono>
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "producers/load/load_fleet.h"
#include "producers/load/load_generator.h"
#include "producers/load/load_report.h"
#include "producers/producer_program.h"

namespace esper::producers::load {

void add_load_flags(cli::CommandLine& command_line, ProducerFlags& flags, LoadFlags& load) {
  add_bus_flags(command_line, flags);
  command_line.option("--points-per-second", load.points_per_second,
                      "Metric points per second, all producers together (0: as fast as possible)")
      .non_negative();
  command_line.option("--series", load.series, "Distinct metric names per producer").positive();
  command_line.option("--points-per-envelope", load.points_per_envelope,
                      "Metric points per telemetry packet; a drain starts as soon as this many are buffered")
      .positive();
  command_line.option("--producers", load.producers, "Producer processes, each with its own bus connection")
      .in_range(1, 256);
  command_line.option("--duration", load.duration_s, "Seconds to record (0: until SIGTERM/SIGINT)").non_negative();
  command_line.option("--buffer-capacity", flags.buffer_capacity,
                      "Metric points each producer's buffer holds at most (a bound on memory)")
      .positive();
  command_line.flag("--json", load.json, "Print the report as one JSON line");
}

int run_load(const ProducerFlags& flags, const LoadFlags& load) {
  ServiceRuntimeOptions base = runtime_options_from_flags(flags, "esper-load");
  base.buffer.capacity = flags.buffer_capacity;
  base.buffer.max_points_per_packet = load.points_per_envelope;
  // Each drain is one envelope's worth, so envelopes hold exactly --points-per-envelope points.
  base.buffer.drain_batch_points = load.points_per_envelope;
  base.buffer.drain_batch_bytes = 0;

  const LoadGeneratorOptions generator{.points_per_second = load.points_per_second / load.producers,
                                       .series = load.series,
                                       .duration_s = load.duration_s};
  auto body = [&](int index, const std::function<void()>& ready) {
    ServiceRuntimeOptions options = base;
    if (load.producers > 1) {
      // Each its own source on the bus; only the first speaks to Weatherlight (which knows one
      // service by this name), the others drain on batches and their own timer.
      options.bus.source = options.buffer.source = base.service + "-" + std::to_string(index);
      if (index > 0) options.control_endpoint.clear();
    }
    Producer producer("esper-load", flags, options);
    ready();
    const auto start = std::chrono::steady_clock::now();
    LoadCounts counts;
    counts.recorded = generate_load(generator, producer.runtime().buffer(), producer.signals());
    producer.stop();
    counts.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const ServiceRuntimeStats stats = producer.runtime().stats();
    counts.sent = stats.points_published;
    counts.dropped = stats.dropped_total;
    counts.unsent = producer.runtime().buffer().depth();
    return counts;
  };

  LoadReport report{.producers = load.producers,
                    .series = load.series,
                    .points_per_envelope = load.points_per_envelope,
                    .target_points_per_second = load.points_per_second,
                    .counts = {}};
  report.counts = run_fleet(load.producers, body, [] {
    std::printf("esper-load ready\n");
    std::fflush(stdout);
  });
  const std::string text = format_text(report);
  if (load.json) {
    std::printf("%s\n", format_json(report).c_str());
    spdlog::info("{}", text.substr(0, text.size() - 1));
  } else {
    std::printf("%s", text.c_str());
  }
  std::fflush(stdout);
  return cli::kExitOk;
}

}  // namespace esper::producers::load
