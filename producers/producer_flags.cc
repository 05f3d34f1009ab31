#include "producers/producer_flags.h"

#include <optional>

#include "config/config_section.h"
#include "oona/bus_location_config.h"

namespace esper::producers {

void add_producer_flags(CLI::App& app, ProducerFlags& flags) {
  app.add_option("--config", flags.config_path, "YAML file with runtime_dir and endpoints (optional)");
  app.add_option("--runtime-dir", flags.runtime_dir, "Directory of Oona's ipc:// endpoints (overrides the config)");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error");
  app.add_option("--rate", flags.rate, "Work units per second (0: as fast as possible)")->check(CLI::NonNegativeNumber);
  app.add_option("--duration", flags.duration_s, "Seconds to run (0: until SIGTERM/SIGINT)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--flush-interval-ms", flags.flush_interval_ms, "Own flush period without Weatherlight")
      ->check(CLI::PositiveNumber);
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
  apply_supervisor_environment(options);
  return options;
}

std::chrono::nanoseconds pacing_interval(double rate) {
  if (rate <= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate));
}

}  // namespace esper::producers
