// nissa: the observer. Subscribes to Oona, aggregates, persists, acknowledges field reports and
// serves /metrics and the query API. See nissa/core/observer.h.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/run_program.h"
#include "config/config_section.h"
#include "daemon/private_directory.h"
#include "daemon/supervisor_link.h"
#include "daemon/systemd_notifier.h"
#include "nissa/core/nissa_config.h"
#include "nissa/core/observer.h"
#include "nissa/serve/http_routes.h"
#include "nissa/serve/http_server.h"
#include "nissa/serve/unix_metrics_endpoint.h"
#include "signals/shutdown_signals.h"

namespace {

using namespace esper;

struct NissaFlags {
  std::string config_path;
  std::string runtime_dir;
  std::string state_dir;
  std::optional<int> http_port;
  std::string log_level = "info";
};

std::optional<std::filesystem::path> path_flag(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::filesystem::path>(value);
}

int observe(const NissaFlags& flags) {
  signals::ShutdownSignals signals;  // Before any thread starts.
  auto root = flags.config_path.empty() ? config::parse_text("", "(defaults)") : config::load_file(flags.config_path);
  auto config = nissa::load_nissa_config(std::move(root), path_flag(flags.runtime_dir), path_flag(flags.state_dir));
  if (flags.http_port) config.http.port = *flags.http_port;
  if (!flags.config_path.empty()) config.config_file = std::filesystem::absolute(flags.config_path);

  daemon::ensure_private_directory(config.state_dir);  // Every field report is in there.
  daemon::SystemdNotifier notifier;
  // Replaying a large WAL takes a while; systemd shows how far it has got (STATUS=).
  nissa::Observer observer(config, [&notifier](const std::string& line) { notifier.status(line); });
  config.http.refusals = &observer.http_refusals();
  nissa::HttpServer http(nissa::nissa_http_routes(observer), config.http);
  if (config.http.admin_token) spdlog::info("admin endpoints require the bearer token of http.admin_token_file");
  std::unique_ptr<nissa::UnixMetricsEndpoint> unix_metrics;
  if (config.unix_socket) {
    unix_metrics = std::make_unique<nissa::UnixMetricsEndpoint>(*config.unix_socket,
                                                                [&observer] { return observer.metrics_json(); });
    spdlog::info("metrics on unix socket {}", config.unix_socket->path.string());
  }
  spdlog::info("state in {}; bus {} / {}", config.state_dir.string(), config.bus.normal_egress,
               config.bus.emergency_egress);
  // One line on stdout for scripts and tests that wait for readiness.
  std::printf("nissa ready http=http://%s:%d\n", config.http.address.c_str(), http.port());
  std::fflush(stdout);
  notifier.ready();
  notifier.status("serving");
  // Under Weatherlight, the ingest loop answers its FLUSHes: a hung Nissa is seen.
  daemon::SupervisorLink supervisor(daemon::supervisor_link_options("nissa"));
  observer.run(signals, [&] { notifier.watchdog(); }, &supervisor);
  notifier.stopping();
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  cli::CommandLine command_line("nissa: the Esper observer");
  NissaFlags flags;
  command_line.option("--config", flags.config_path, "YAML configuration file");
  command_line.option("--runtime-dir", flags.runtime_dir,
                      "Directory of Oona's ipc:// endpoints (overrides the config)");
  command_line.option("--state-dir", flags.state_dir, "Directory for the WAL and checkpoints (overrides the config)");
  command_line.option("--http-port", flags.http_port, "HTTP port (0: any free port; overrides the config)");
  command_line.log_level_option(flags.log_level);
  return cli::run_service(argc, argv, command_line, "nissa", flags.log_level, [&] { return observe(flags); });
}
