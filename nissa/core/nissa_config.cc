#include "nissa/core/nissa_config.h"

#include <cstdlib>
#include <stdexcept>

#include "nissa/serve/admin_token_file.h"
#include "nissa/serve/host_allowlist.h"
#include "oona/bus_location_config.h"
#include "proto/topic.h"

namespace esper::nissa {
namespace {

std::filesystem::path default_state_dir() {
  if (const char* s = std::getenv("STATE_DIRECTORY"); s && *s) return s;  // systemd StateDirectory=.
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::filesystem::path(x) / "esper/nissa";
  if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".local/state/esper/nissa";
  return "/var/lib/esper/nissa";
}

}  // namespace

NissaConfig load_nissa_config(config::Section root,
                              const std::optional<std::filesystem::path>& runtime_dir_override,
                              const std::optional<std::filesystem::path>& state_dir_override) {
  NissaConfig c;
  const oona::BusLocation bus = oona::read_bus_location(root, runtime_dir_override);
  c.runtime_dir = bus.runtime_dir;
  c.bus = bus.endpoints;
  c.bus_curve = bus.curve;
  c.bus_signing_key = bus.signing_key;
  c.bus_emergency_scheduling = bus.emergency_scheduling;
  c.state_dir = root.get<std::string>("state_dir", default_state_dir().string());
  if (state_dir_override) c.state_dir = *state_dir_override;

  if (auto http = root.optional_section("http")) {
    c.http.address = http->get("address", c.http.address);
    c.http.port = http->get("port", c.http.port);
    if (c.http.port < 0 || c.http.port > 65535) throw http->error("port", "must be 0..65535");
    c.http.max_connections = http->get<std::uint64_t>("max_connections", c.http.max_connections);
    if (c.http.max_connections < 8 || c.http.max_connections > 10'000) {
      throw http->error("max_connections", "must be 8..10000");
    }
    c.http.request_timeout = http->get("request_timeout", c.http.request_timeout);
    if (c.http.request_timeout < std::chrono::milliseconds(100)) throw http->error("request_timeout", "must be at least 100ms");
    c.http.allowed_hosts = http->get("allowed_hosts", c.http.allowed_hosts);
    for (const auto& allowed : c.http.allowed_hosts) {
      std::string host, port;
      if (allowed != "*" && !split_host_port(allowed, &host, &port)) {
        throw http->error("allowed_hosts", "'" + allowed + "' is not a host name, an address or name:port");
      }
    }
    if (auto token_file = http->optional<std::string>("admin_token_file")) {
      try {
        c.http.admin_token = read_admin_token_file(*token_file);
      } catch (const std::runtime_error& e) {
        throw http->error("admin_token_file", e.what());
      }
    }
    http->finish();
  }

  if (auto agg = root.optional_section("aggregation")) {
    auto& a = c.aggregation;
    a.stats.ewma_alpha = agg->get("ewma_alpha", a.stats.ewma_alpha);
    if (!(a.stats.ewma_alpha > 0 && a.stats.ewma_alpha <= 1)) {
      throw agg->error("ewma_alpha", "must be in (0, 1]");
    }
    a.stats.rolling_window = agg->get("rolling_window", a.stats.rolling_window);
    if (a.stats.rolling_window == 0) throw agg->error("rolling_window", "must be at least 1");
    const auto bucket = agg->get("bucket", std::chrono::milliseconds(a.rollups.bucket_ms));
    if (bucket.count() < 1000) throw agg->error("bucket", "must be at least 1s");
    a.rollups.bucket_ms = bucket.count();
    const auto retention = agg->get("retention", std::chrono::milliseconds(
                                                     a.rollups.bucket_ms * static_cast<std::int64_t>(a.rollups.retention_buckets)));
    if (retention < bucket) throw agg->error("retention", "must be at least one bucket");
    a.rollups.retention_buckets = static_cast<std::size_t>(retention.count() / a.rollups.bucket_ms);
    a.max_series_per_metric = agg->get("max_series_per_metric", a.max_series_per_metric);
    if (a.max_series_per_metric == 0) throw agg->error("max_series_per_metric", "must be at least 1");
    c.event_log_capacity = agg->get<std::uint64_t>("event_log_capacity", c.event_log_capacity);
    agg->finish();
  }

  if (auto p = root.optional_section("persistence")) {
    const auto severity = p->get<std::string>("min_event_severity", "warning");
    const auto parsed = proto::parse_severity(severity);
    if (!parsed) throw p->error("min_event_severity", "expected debug, info, warning, high or critical");
    c.persist_min_severity = *parsed;
    c.checkpoint_interval = p->get("checkpoint_interval", c.checkpoint_interval);
    c.wal_segment_size = p->get("wal_segment_size", config::ByteSize{c.wal_segment_size}).bytes;
    c.retention = p->get("retention", c.retention);
    if (c.retention.count() < 0) throw p->error("retention", "must be zero (keep for ever) or positive");
    p->finish();
  }
  c.max_envelope_bytes = root.get("max_envelope_bytes", config::ByteSize{c.max_envelope_bytes}).bytes;
  c.telemetry_interval = root.get("telemetry_interval", c.telemetry_interval);

  if (auto alerts = root.optional_section("alerts")) c.alerts = read_alert_rules(*alerts);
  c.schema_contracts = read_schema_contracts(root);
  if (auto sessions = root.optional_section("sessions")) c.sessions = read_session_view_options(*sessions);
  if (auto u = root.optional_section("unix_socket")) {
    UnixMetricsEndpointOptions o;
    o.path = u->get<std::string>("path", (c.runtime_dir / "nissa.sock").string());
    const auto mode = u->get<std::string>("mode", "0660");
    std::size_t used = 0;
    unsigned long parsed = 0;
    try {
      parsed = std::stoul(mode, &used, 8);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != mode.size() || parsed > 0777) throw u->error("mode", "expected an octal file mode such as 0660");
    o.mode = static_cast<mode_t>(parsed);
    o.read_timeout = u->get("read_timeout", o.read_timeout);
    if (o.read_timeout.count() <= 0) throw u->error("read_timeout", "must be greater than 0");
    u->finish();
    c.unix_socket = std::move(o);
  }
  if (auto e = root.optional_section("export")) c.exports = read_export_config(*e);
  if (c.exports.mlflow) c.exports.mlflow->runs_file = c.state_dir / "mlflow_runs.json";
  root.finish();
  return c;
}

ReloadableConfig reload_nissa_config(const NissaConfig& config) {
  if (config.config_file.empty()) return ReloadableConfig{};  // Defaults only: nothing configured.
  NissaConfig fresh = load_nissa_config(config::load_file(config.config_file), config.runtime_dir, config.state_dir);
  return ReloadableConfig{std::move(fresh.alerts), std::move(fresh.schema_contracts), std::move(fresh.sessions)};
}

}  // namespace esper::nissa
