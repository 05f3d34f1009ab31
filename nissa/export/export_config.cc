#include "nissa/export/export_config.h"

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

}  // namespace

ExportConfig read_export_config(config::Section section) {
  ExportConfig c;
  c.interval = section.get("interval", c.interval);
  if (c.interval < std::chrono::milliseconds(100)) throw section.error("interval", "must be at least 100ms");
  if (auto rw = section.optional_section("remote_write")) {
    RemoteWriteExport e;
    e.exporter = read_exporter_options(*rw, "remote_write");
    e.encoding.max_samples_per_request =
        rw->get<std::uint64_t>("max_samples_per_request", e.encoding.max_samples_per_request);
    if (e.encoding.max_samples_per_request == 0) throw rw->error("max_samples_per_request", "must be at least 1");
    e.encoding.external_labels = rw->get("external_labels", e.encoding.external_labels);
    for (const auto& [name, value] : e.encoding.external_labels) {
      if (name.empty() || name.starts_with("__") || prometheus_label_name(name) != name) {
        throw rw->error("external_labels", "'" + name + "' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)");
      }
    }
    rw->finish();
    c.remote_write = std::move(e);
  }
  section.finish();
  return c;
}

}  // namespace esper::nissa
