// weatherlight: the supervisor an operator starts; it starts everything else. See
// weatherlight/supervisor.h and deploy/config/weatherlight.yaml.
#include <cstdio>
#include <optional>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "daemon/private_directory.h"
#include "logging/log_setup.h"
#include "oona/bus_publisher.h"
#include "signals/shutdown_signals.h"
#include "weatherlight/child_exits.h"
#include "weatherlight/supervisor.h"
#include "weatherlight/supervisor_config.h"
#include "weatherlight/supervisor_reporter.h"

int main(int argc, char** argv) {
  CLI::App app{"weatherlight: the Esper supervisor"};
  std::string config_path, runtime_dir, log_level = "info";
  bool check_only = false;
  app.add_option("--config", config_path, "YAML configuration file")->required();
  app.add_option("--runtime-dir", runtime_dir, "Runtime directory (overrides the config)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_flag("--check-config", check_only, "Validate the configuration and exit (0: valid, 2: not)");
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!esper::logging::setup_logging("weatherlight", log_level)) return 2;
  const auto override_dir = runtime_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(runtime_dir);

  try {
    // Signals are blocked before any thread (ZeroMQ's included) exists.
    esper::signals::ShutdownSignals signals;
    esper::weatherlight::ChildExits child_exits;
    auto config = esper::weatherlight::load_supervisor_config_file(config_path, override_dir);
    if (check_only) {
      std::printf("%s: valid, %zu services\n", config_path.c_str(), config.services.size());
      return 0;
    }
    esper::daemon::ensure_private_directory(config.runtime_dir);

    std::unique_ptr<esper::oona::BusPublisher> bus;
    if (config.publish_to_bus) {
      esper::oona::BusPublisherOptions options;
      options.endpoints = config.bus;
      options.curve = config.bus_curve;
      options.signing_key = config.bus_signing_key;
      options.emergency_scheduling = config.bus_emergency_scheduling;
      options.source = "weatherlight";
      // The supervision loop must not wait on the bus; what cannot be queued is counted.
      options.send_timeout = std::chrono::milliseconds(20);
      options.linger = std::chrono::milliseconds(500);
      bus = std::make_unique<esper::oona::BusPublisher>(options);
    }
    esper::weatherlight::SupervisorReporter reporter(std::move(bus));
    esper::weatherlight::Supervisor supervisor(std::move(config), override_dir, signals, child_exits, reporter);
    return supervisor.run();
  } catch (const esper::config::ConfigError& e) {
    spdlog::critical("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
