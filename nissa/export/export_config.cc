#include "nissa/export/export_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "nissa/export/mlflow/mlflow_requests.h"

namespace esper::nissa {
namespace {

std::string http_url(config::Section& s);

// The settings every exporter has: where, how long to wait, how much to hold.
ExporterOptions read_exporter_options(config::Section& s, std::string name) {
  ExporterOptions o;
  o.name = std::move(name);
  o.url = http_url(s);
  o.timeout = s.get("timeout", o.timeout);
  if (o.timeout < std::chrono::milliseconds(100)) throw s.error("timeout", "must be at least 100ms");
  o.buffer_bytes = s.get("buffer", config::ByteSize{o.buffer_bytes}).bytes;
  if (o.buffer_bytes < (1u << 20)) throw s.error("buffer", "must be at least 1MiB");
  o.max_batch_age = s.get("max_batch_age", o.max_batch_age);
  if (o.max_batch_age < std::chrono::seconds(1)) throw s.error("max_batch_age", "must be at least 1s");
  o.min_backoff = s.get("min_backoff", o.min_backoff);
  if (o.min_backoff < std::chrono::milliseconds(10)) throw s.error("min_backoff", "must be at least 10ms");
  o.max_backoff = s.get("max_backoff", o.max_backoff);
  if (o.max_backoff < o.min_backoff) throw s.error("max_backoff", "must be at least min_backoff");
  return o;
}

// An HTTP header name is a token (RFC 9110 5.1, 5.6.2).
bool header_name_ok(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// `headers:`, extra request headers (e.g. Authorization), checked so none can break the request.
std::map<std::string, std::string> read_headers(config::Section& s) {
  auto headers = s.get("headers", std::map<std::string, std::string>{});
  for (const auto& [name, value] : headers) {
    if (!header_name_ok(name)) throw s.error("headers", "'" + name + "' is not an HTTP header name");
    if (value.find_first_of("\r\n") != std::string::npos) {
      throw s.error("headers", "the value of '" + name + "' has a line break");
    }
    for (const char* own : {"Content-Type", "Content-Length", "Content-Encoding", "Expect", "User-Agent"}) {
      if (iequals(name, own)) throw s.error("headers", "'" + name + "' is set by the exporter itself");
    }
  }
  return headers;
}

std::string http_url(config::Section& s) {
  auto url = s.required<std::string>("url");
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    throw s.error("url", "expected an http:// or https:// URL, got '" + url + "'");
  }
  return url;
}

RemoteWriteExport read_remote_write(config::Section& s) {
  RemoteWriteExport e;
  e.exporter = read_exporter_options(s, "remote_write");
  e.encoding.max_samples_per_request =
      s.get<std::uint64_t>("max_samples_per_request", e.encoding.max_samples_per_request);
  if (e.encoding.max_samples_per_request == 0) throw s.error("max_samples_per_request", "must be at least 1");
  e.encoding.external_labels = s.get("external_labels", e.encoding.external_labels);
  for (const auto& [name, value] : e.encoding.external_labels) {
    if (name.empty() || name.starts_with("__") || prometheus_label_name(name) != name) {
      throw s.error("external_labels", "'" + name + "' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)");
    }
  }
  return e;
}

OtlpExport read_otlp(config::Section& s) {
  OtlpExport e;
  e.exporter = read_exporter_options(s, "otlp");
  // The specification's default path, for a URL that names only the collector.
  const std::size_t host_at = e.exporter.url.find("://") + 3;
  const std::size_t path_at = e.exporter.url.find('/', host_at);
  if (path_at == std::string::npos) {
    e.exporter.url += "/v1/metrics";
  } else if (path_at == e.exporter.url.size() - 1) {
    e.exporter.url += "v1/metrics";
  }
  const auto encoding = s.get<std::string>("encoding", "protobuf");
  if (encoding == "protobuf") {
    e.encoding.encoding = OtlpEncoding::kProtobuf;
  } else if (encoding == "json") {
    e.encoding.encoding = OtlpEncoding::kJson;
  } else {
    throw s.error("encoding", "expected protobuf or json, got '" + encoding + "'");
  }
  e.encoding.max_points_per_request =
      s.get<std::uint64_t>("max_points_per_request", e.encoding.max_points_per_request);
  if (e.encoding.max_points_per_request == 0) throw s.error("max_points_per_request", "must be at least 1");
  e.encoding.resource_attributes = s.get("resource_attributes", e.encoding.resource_attributes);
  for (const auto& [key, value] : e.encoding.resource_attributes) {
    if (key.empty()) throw s.error("resource_attributes", "an attribute name is empty");
    if (key == "service.name") {
      throw s.error("resource_attributes", "service.name is set to each series' source and cannot be configured");
    }
  }
  e.encoding.headers = read_headers(s);
  return e;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

MlflowOptions read_mlflow(config::Section& s) {
  MlflowOptions o;
  o.url = http_url(s);
  // As MLflow's own clients read them, when the config does not say.
  o.experiment_id = s.get<std::string>("experiment_id", env_or("MLFLOW_EXPERIMENT_ID", o.experiment_id));
  if (o.experiment_id.empty()) throw s.error("experiment_id", "must not be empty");
  o.run_id = s.get<std::string>("run_id", env_or("MLFLOW_RUN_ID", ""));
  o.runs = s.get("runs", o.runs);
  for (const auto& [key, id] : o.runs) {
    if (key.empty() || id.empty()) throw s.error("runs", "expected <source or source/run_id>: <MLflow run id>");
  }
  const auto sources = s.get("sources", std::vector<std::string>{});
  o.sources = std::set<std::string>(sources.begin(), sources.end());
  o.headers = read_headers(s);
  o.flush_interval = s.get("flush_interval", o.flush_interval);
  if (o.flush_interval < std::chrono::milliseconds(10)) throw s.error("flush_interval", "must be at least 10ms");
  o.flush_points = s.get<std::uint64_t>("flush_points", o.flush_points);
  if (o.flush_points == 0) throw s.error("flush_points", "must be at least 1");
  o.max_points_per_request = s.get<std::uint64_t>("max_points_per_request", o.max_points_per_request);
  if (o.max_points_per_request == 0 || o.max_points_per_request > kMlflowMaxMetricsPerRequest) {
    throw s.error("max_points_per_request", "must be 1 to 1000 (MLflow takes at most 1000 metrics per request)");
  }
  o.timeout = s.get("timeout", o.timeout);
  if (o.timeout < std::chrono::milliseconds(100)) throw s.error("timeout", "must be at least 100ms");
  o.attempts = s.get<int>("attempts", o.attempts);
  if (o.attempts < 1 || o.attempts > 10) throw s.error("attempts", "must be 1 to 10");
  o.min_backoff = s.get("min_backoff", o.min_backoff);
  if (o.min_backoff < std::chrono::milliseconds(10)) throw s.error("min_backoff", "must be at least 10ms");
  o.max_backoff = s.get("max_backoff", o.max_backoff);
  if (o.max_backoff < o.min_backoff) throw s.error("max_backoff", "must be at least min_backoff");
  o.buffer_points = s.get<std::uint64_t>("buffer_points", o.buffer_points);
  if (o.buffer_points < o.flush_points) throw s.error("buffer_points", "must be at least flush_points");
  o.max_runs = s.get<std::uint64_t>("max_runs", o.max_runs);
  if (o.max_runs == 0) throw s.error("max_runs", "must be at least 1");
  return o;
}

}  // namespace

ExportConfig read_export_config(config::Section section) {
  ExportConfig c;
  c.interval = section.get("interval", c.interval);
  if (c.interval < std::chrono::milliseconds(100)) throw section.error("interval", "must be at least 100ms");
  if (auto rw = section.optional_section("remote_write")) {
    c.remote_write = read_remote_write(*rw);
    rw->finish();
  }
  if (auto otlp = section.optional_section("otlp")) {
    c.otlp = read_otlp(*otlp);
    otlp->finish();
  }
  if (auto mlflow = section.optional_section("mlflow")) {
    c.mlflow = read_mlflow(*mlflow);
    mlflow->finish();
  }
  section.finish();
  return c;
}

}  // namespace esper::nissa
