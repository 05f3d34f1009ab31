// weatherlight: the supervisor an operator starts; it starts everything else. See
// weatherlight/supervisor.h and deploy/config/weatherlight.yaml.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/run_program.h"
#include "daemon/private_directory.h"
#include "oona/bus_publisher.h"
#include "signals/shutdown_signals.h"
#include "weatherlight/child_exits.h"
#include "weatherlight/supervisor.h"
#include "weatherlight/supervisor_config.h"
#include "weatherlight/supervisor_reporter.h"

namespace {

using namespace esper;

struct WeatherlightFlags {
  std::string config_path;
  std::string runtime_dir;
  std::string log_level = "info";
  bool check_only = false;
};

// Its own events on the bus, when the config asks for that. The supervision loop must not wait on
// the bus: what cannot be queued is counted.
std::unique_ptr<oona::BusPublisher> bus_for(const weatherlight::SupervisorConfig& config) {
  if (!config.publish_to_bus) return nullptr;
  oona::BusPublisherOptions options;
  options.endpoints = config.bus;
  options.curve = config.bus_curve;
  options.signing_key = config.bus_signing_key;
  options.emergency_scheduling = config.bus_emergency_scheduling;
  options.source = "weatherlight";
  options.send_timeout = std::chrono::milliseconds(20);
  options.linger = std::chrono::milliseconds(500);
  return std::make_unique<oona::BusPublisher>(options);
}

int supervise(const WeatherlightFlags& flags) {
  const auto override_dir =
      flags.runtime_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(flags.runtime_dir);
  // Signals are blocked before any thread (ZeroMQ's included) exists.
  signals::ShutdownSignals signals;
  weatherlight::ChildExits child_exits;
  auto config = weatherlight::load_supervisor_config_file(flags.config_path, override_dir);
  if (flags.check_only) {
    std::printf("%s: valid, %zu services\n", flags.config_path.c_str(), config.services.size());
    return cli::kExitOk;
  }
  daemon::ensure_private_directory(config.runtime_dir);
  weatherlight::SupervisorReporter reporter(bus_for(config));
  weatherlight::Supervisor supervisor(std::move(config), override_dir, signals, child_exits, reporter);
  return supervisor.run();
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommandLine command_line("weatherlight: the Esper supervisor");
  WeatherlightFlags flags;
  command_line.option("--config", flags.config_path, "YAML configuration file").required();
  command_line.option("--runtime-dir", flags.runtime_dir, "Runtime directory (overrides the config)");
  command_line.log_level_option(flags.log_level);
  command_line.flag("--check-config", flags.check_only, "Validate the configuration and exit (0: valid, 2: not)");
  return cli::run_service(argc, argv, command_line, "weatherlight", flags.log_level,
                          [&] { return supervise(flags); });
}
