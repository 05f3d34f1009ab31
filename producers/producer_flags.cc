#include "producers/producer_flags.h"

#include <optional>

#include "config/config_section.h"
#include "oona/bus_location_config.h"

namespace esper::producers {

void add_producer_flags(cli::CommandLine& command_line, ProducerFlags& flags) {
  add_bus_flags(command_line, flags);
  command_line.option("--rate", flags.rate, "Work units per second (0: as fast as possible)").non_negative();
  command_line.option("--duration", flags.duration_s, "Seconds to run (0: until SIGTERM/SIGINT)").non_negative();
  add_buffer_flags(command_line, flags);
}

void add_bus_flags(cli::CommandLine& command_line, ProducerFlags& flags) {
  command_line.option("--config", flags.config_path, "YAML file with runtime_dir and endpoints (optional)");
  command_line.option("--runtime-dir", flags.runtime_dir,
                      "Directory of Oona's ipc:// endpoints (overrides the config)");
  command_line.log_level_option(flags.log_level);
  command_line.option("--flush-interval-ms", flags.flush_interval_ms, "Own flush period without Weatherlight")
      .positive();
}

void add_buffer_flags(cli::CommandLine& command_line, ProducerFlags& flags) {
  command_line.option("--buffer-capacity", flags.buffer_capacity,
                      "Metric points plus events the telemetry buffer holds at most (a bound on memory)")
      .positive();
  command_line.option("--points-per-packet", flags.points_per_packet, "Metric points per telemetry packet at most")
      .positive();
  command_line.option("--drain-batch-points", flags.drain_batch_points,
                      "Drain as soon as this many items are buffered, without waiting for a flush (0: off)");
  command_line.option("--drain-batch-bytes", flags.drain_batch_bytes,
                      "Drain as soon as what is buffered would encode to about this many bytes (0: off)");
}

ServiceRuntimeOptions runtime_options_from_flags(const ProducerFlags& flags, const std::string& service) {
  auto root = flags.config_path.empty() ? config::parse_text("", "(defaults)") : config::load_file(flags.config_path);
  const auto location = oona::read_bus_location(
      root, flags.runtime_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(flags.runtime_dir));
  root.finish();

  ServiceRuntimeOptions options;
  options.service = service;
  options.bus.endpoints = location.endpoints;
  options.bus.curve = location.curve;
  options.bus.signing_key = location.signing_key;
  options.bus.emergency_scheduling = location.emergency_scheduling;
  options.flush_interval = std::chrono::milliseconds(flags.flush_interval_ms);
  options.buffer.capacity = flags.buffer_capacity;
  options.buffer.max_points_per_packet = flags.points_per_packet;
  options.buffer.drain_batch_points = flags.drain_batch_points;
  options.buffer.drain_batch_bytes = flags.drain_batch_bytes;
  apply_supervisor_environment(options);
  return options;
}

}  // namespace esper::producers
