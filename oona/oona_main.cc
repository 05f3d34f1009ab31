// oona: the bus broker. Reads its YAML config, binds the four lane endpoints, prints one
// "oona ready ..." line on stdout once bound (tests and scripts wait for it) and routes until
// SIGINT/SIGTERM, then logs a one-line summary and exits 0.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/run_program.h"
#include "config/config_section.h"
#include "daemon/private_directory.h"
#include "daemon/supervisor_link.h"
#include "daemon/systemd_notifier.h"
#include "oona/broker.h"
#include "signals/shutdown_signals.h"

namespace {

using namespace esper;

struct OonaFlags {
  std::string config_path;
  std::string runtime_dir;
  std::string log_level = "info";
};

int route(const OonaFlags& flags) {
  signals::ShutdownSignals signals;
  const auto root = flags.config_path.empty() ? config::parse_text("{}", "<defaults>")
                                              : config::load_file(flags.config_path);
  std::optional<std::filesystem::path> dir_override;
  if (!flags.runtime_dir.empty()) dir_override = flags.runtime_dir;
  auto config = oona::load_broker_config(root, dir_override);
  // The directories of its ipc:// sockets are Oona's alone: refuse one someone else could swap a
  // socket in (a squatted /tmp/esper-<uid>).
  for (const auto* endpoint : {&config.endpoints.normal_ingress, &config.endpoints.emergency_ingress,
                               &config.endpoints.normal_egress, &config.endpoints.emergency_egress}) {
    if (endpoint->rfind("ipc://", 0) == 0) {
      daemon::ensure_private_directory(std::filesystem::path(endpoint->substr(6)).parent_path());
    }
  }
  oona::Broker broker(std::move(config));
  const auto& e = broker.config().endpoints;
  spdlog::info("oona listening: normal_ingress={} emergency_ingress={} normal_egress={} "
               "emergency_egress={}",
               e.normal_ingress, e.emergency_ingress, e.normal_egress, e.emergency_egress);
  std::printf("oona ready normal_ingress=%s emergency_ingress=%s normal_egress=%s "
              "emergency_egress=%s\n",
              e.normal_ingress.c_str(), e.emergency_ingress.c_str(), e.normal_egress.c_str(),
              e.emergency_egress.c_str());
  std::fflush(stdout);
  daemon::SystemdNotifier notifier;
  notifier.ready();
  // Under Weatherlight, the normal lane's loop answers its FLUSHes: a hung Oona is seen.
  daemon::SupervisorLink supervisor(daemon::supervisor_link_options("oona"));
  broker.run(
      signals.fd(),
      [&] {
        const auto signo = signals.take();
        return signo && signals::is_stop_signal(*signo);
      },
      [&] { notifier.watchdog(); }, &supervisor);
  notifier.stopping();
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommandLine command_line("oona: the Esper bus broker (normal and emergency lanes)");
  OonaFlags flags;
  // Not checked here: config::load_file says what is wrong with the path, as every program does.
  command_line.option("--config", flags.config_path, "YAML config file (see deploy/config/oona.yaml)");
  command_line.option("--runtime-dir", flags.runtime_dir,
                      "Directory of the default ipc:// endpoints (overrides runtime_dir in the config)");
  command_line.log_level_option(flags.log_level);
  return cli::run_service(argc, argv, command_line, "oona", flags.log_level, [&] { return route(flags); });
}
