#include "nissa/export/export_config.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace esper::nissa {
namespace {

// The settings every exporter has: where, how long to wait, how much to hold.
ExporterOptions read_exporter_options(config::Section& s, std::string name) {
  ExporterOptions o;
  o.name = std::move(name);
  o.url = s.required<std::string>("url");
  if (!o.url.starts_with("http://") && !o.url.starts_with("https://")) {
    throw s.error("url", "expected an http:// or https:// URL, got '" + o.url + "'");
  }
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
  e.encoding.headers = s.get("headers", e.encoding.headers);
  for (const auto& [name, value] : e.encoding.headers) {
    if (!header_name_ok(name)) throw s.error("headers", "'" + name + "' is not an HTTP header name");
    if (value.find_first_of("\r\n") != std::string::npos) {
      throw s.error("headers", "the value of '" + name + "' has a line break");
    }
    for (const char* own : {"Content-Type", "Content-Length", "Content-Encoding", "Expect"}) {
      if (iequals(name, own)) throw s.error("headers", "'" + name + "' is set by the exporter itself");
    }
  }
  return e;
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
  section.finish();
  return c;
}

}  // namespace esper::nissa
