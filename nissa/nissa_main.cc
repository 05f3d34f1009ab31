// nissa: the observer. Subscribes to Oona, aggregates, persists, acknowledges field reports and
// serves /metrics and the query API. See nissa/core/observer.h.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "config/config_section.h"
#include "daemon/private_directory.h"
#include "daemon/supervisor_link.h"
#include "daemon/systemd_notifier.h"
#include "logging/log_setup.h"
#include "nissa/serve/http_routes.h"
#include "nissa/serve/http_server.h"
#include "nissa/core/nissa_config.h"
#include "nissa/core/observer.h"
#include "nissa/serve/unix_metrics_endpoint.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  CLI::App app{"nissa: the Esper observer"};
  std::string config_path;
  std::string runtime_dir, state_dir, log_level = "info";
  std::optional<int> http_port;
  app.add_option("--config", config_path, "YAML configuration file");
  app.add_option("--runtime-dir", runtime_dir, "Directory of Oona's ipc:// endpoints (overrides the config)");
  app.add_option("--state-dir", state_dir, "Directory for the WAL and checkpoints (overrides the config)");
  app.add_option("--http-port", http_port, "HTTP port (0: any free port; overrides the config)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!esper::logging::setup_logging("nissa", log_level)) return 2;

  try {
    esper::signals::ShutdownSignals signals;  // Before any thread starts.
    auto root = config_path.empty() ? esper::config::parse_text("", "(defaults)")
                                     : esper::config::load_file(config_path);
    auto config = esper::nissa::load_nissa_config(
        std::move(root), runtime_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(runtime_dir),
        state_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(state_dir));
    if (http_port) config.http.port = *http_port;
    if (!config_path.empty()) config.config_file = std::filesystem::absolute(config_path);

    esper::daemon::ensure_private_directory(config.state_dir);  // Every field report is in there.
    esper::daemon::SystemdNotifier notifier;
    // Replaying a large WAL takes a while; systemd shows how far it has got (STATUS=).
    esper::nissa::Observer observer(config, [&notifier](const std::string& line) { notifier.status(line); });
    config.http.refusals = &observer.http_refusals();
    esper::nissa::HttpServer http(esper::nissa::nissa_http_routes(observer), config.http);
    if (config.http.admin_token) spdlog::info("admin endpoints require the bearer token of http.admin_token_file");
    std::unique_ptr<esper::nissa::UnixMetricsEndpoint> unix_metrics;
    if (config.unix_socket) {
      unix_metrics = std::make_unique<esper::nissa::UnixMetricsEndpoint>(
          *config.unix_socket, [&observer] { return observer.metrics_json(); });
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
    esper::daemon::SupervisorLinkOptions link_options;
    link_options.service = "nissa";
    esper::daemon::apply_supervisor_environment(link_options);
    esper::daemon::SupervisorLink supervisor(std::move(link_options));
    observer.run(signals, [&] { notifier.watchdog(); }, &supervisor);
    notifier.stopping();
    return 0;
  } catch (const esper::config::ConfigError& e) {
    spdlog::critical("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
