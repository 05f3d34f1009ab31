// oona: the bus broker. Reads its YAML config, binds the four lane endpoints, prints one
// "oona ready ..." line on stdout once bound (tests and scripts wait for it) and routes until
// SIGINT/SIGTERM, then logs a one-line summary and exits 0.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "config/config_section.h"
#include "daemon/private_directory.h"
#include "daemon/systemd_notifier.h"
#include "logging/log_setup.h"
#include "oona/broker.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  CLI::App app{"oona: the Esper bus broker (normal and emergency lanes)"};
  std::string config_path;
  std::string runtime_dir;
  std::string log_level = "info";
  // Not CLI::ExistingFile: config::load_file says what is wrong with the path, as every program does.
  app.add_option("--config", config_path, "YAML config file (see deploy/config/oona.yaml)");
  app.add_option("--runtime-dir", runtime_dir,
                 "Directory of the default ipc:// endpoints (overrides runtime_dir in the config)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!esper::logging::setup_logging("oona", log_level)) return 2;
  try {
    esper::signals::ShutdownSignals signals;
    const auto root = config_path.empty() ? esper::config::parse_text("{}", "<defaults>")
                                          : esper::config::load_file(config_path);
    std::optional<std::filesystem::path> dir_override;
    if (!runtime_dir.empty()) dir_override = runtime_dir;
    auto config = esper::oona::load_broker_config(root, dir_override);
    // The directories of its ipc:// sockets are Oona's alone: refuse one someone else could swap a
    // socket in (a squatted /tmp/esper-<uid>).
    for (const auto* endpoint : {&config.endpoints.normal_ingress, &config.endpoints.emergency_ingress,
                                 &config.endpoints.normal_egress, &config.endpoints.emergency_egress}) {
      if (endpoint->rfind("ipc://", 0) == 0) {
        esper::daemon::ensure_private_directory(std::filesystem::path(endpoint->substr(6)).parent_path());
      }
    }
    esper::oona::Broker broker(std::move(config));
    const auto& e = broker.config().endpoints;
    spdlog::info("oona listening: normal_ingress={} emergency_ingress={} normal_egress={} "
                 "emergency_egress={}",
                 e.normal_ingress, e.emergency_ingress, e.normal_egress, e.emergency_egress);
    std::printf("oona ready normal_ingress=%s emergency_ingress=%s normal_egress=%s "
                "emergency_egress=%s\n",
                e.normal_ingress.c_str(), e.emergency_ingress.c_str(), e.normal_egress.c_str(),
                e.emergency_egress.c_str());
    std::fflush(stdout);
    esper::daemon::SystemdNotifier notifier;
    notifier.ready();
    // Under Weatherlight, the normal lane's loop answers its FLUSHes: a hung Oona is seen.
    esper::daemon::SupervisorLinkOptions link_options;
    link_options.service = "oona";
    esper::daemon::apply_supervisor_environment(link_options);
    esper::daemon::SupervisorLink supervisor(std::move(link_options));
    broker.run(
        signals.fd(),
        [&] {
          const auto signo = signals.take();
          return signo && esper::signals::is_stop_signal(*signo);
        },
        [&] { notifier.watchdog(); }, &supervisor);
    notifier.stopping();
    return 0;
  } catch (const esper::config::ConfigError& error) {
    spdlog::error("{}", error.what());
    return 2;
  } catch (const std::exception& error) {
    spdlog::error("oona: {}", error.what());
    return 1;
  }
}
