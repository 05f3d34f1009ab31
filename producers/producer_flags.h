// The command line every producer program shares: where the bus is (--config with `runtime_dir` and
// `endpoints:` as every Esper config, or --runtime-dir), logging, the load-generator knobs
// (--rate, --duration), and the telemetry buffer's (--buffer-capacity, --points-per-packet,
// --drain-batch-points, --drain-batch-bytes; TelemetryBufferOptions says what each does). Each
// program adds its own flags to the same command line.
#ifndef ESPER_PRODUCERS_PRODUCER_FLAGS_H_
#define ESPER_PRODUCERS_PRODUCER_FLAGS_H_

#include <cstdint>
#include <string>

#include "cli/command_line.h"
#include "producers/service_runtime.h"

namespace esper::producers {

struct ProducerFlags {
  std::string config_path;       // Optional YAML: runtime_dir, endpoints.
  std::string runtime_dir;       // Overrides the config's runtime_dir.
  std::string log_level = "info";
  double rate = 10.0;            // Work units (steps, requests, ...) per second; 0: as fast as possible.
  double duration_s = 0.0;       // Stop after this many seconds; 0: until SIGTERM/SIGINT.
  int flush_interval_ms = 1000;  // Own-timer flush period when no Weatherlight is present.
  // The telemetry buffer's knobs, defaulting to TelemetryBufferOptions'.
  std::uint64_t buffer_capacity = TelemetryBufferOptions{}.capacity;
  std::uint64_t points_per_packet = TelemetryBufferOptions{}.max_points_per_packet;
  std::uint64_t drain_batch_points = TelemetryBufferOptions{}.drain_batch_points;
  std::uint64_t drain_batch_bytes = TelemetryBufferOptions{}.drain_batch_bytes;
};

// Declares the shared flags: add_bus_flags, --rate, --duration and add_buffer_flags.
void add_producer_flags(cli::CommandLine& command_line, ProducerFlags& flags);
// Where the bus is and how to run beside it: --config, --runtime-dir, --log-level, --flush-interval-ms.
void add_bus_flags(cli::CommandLine& command_line, ProducerFlags& flags);
// The telemetry buffer's knobs: --buffer-capacity, --points-per-packet, --drain-batch-points,
// --drain-batch-bytes.
void add_buffer_flags(cli::CommandLine& command_line, ProducerFlags& flags);

// The same on a CLI11 App its caller parses itself (a test helper that includes CLI11 anyway).
inline void add_producer_flags(CLI::App& app, ProducerFlags& flags) {
  cli::CommandLine command_line(app);
  add_producer_flags(command_line, flags);
}

// Runtime options for `service` from the flags and the environment Weatherlight sets (see
// apply_supervisor_environment). Throws config::ConfigError for a bad config file.
ServiceRuntimeOptions runtime_options_from_flags(const ProducerFlags& flags, const std::string& service);

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_PRODUCER_FLAGS_H_
