// The command line every producer program shares: where the bus is (--config with `runtime_dir` and
// `endpoints:` as every Esper config, or --runtime-dir), logging, and the load-generator knobs
// (--rate, --duration). Each program adds its own flags to the same command line.
#ifndef ESPER_PRODUCERS_PRODUCER_FLAGS_H_
#define ESPER_PRODUCERS_PRODUCER_FLAGS_H_

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
};

// Declares the shared flags.
void add_producer_flags(cli::CommandLine& command_line, ProducerFlags& flags);

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
