#include "nissa/export/remote_write_encoder.h"

#include <algorithm>

#include <snappy.h>

#include "nissa/export/remote_write.pb.h"

namespace esper::nissa {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Collects time series into WriteRequests of at most `limit` samples each.
class RequestBuilder {
 public:
  RequestBuilder(std::size_t limit, std::int64_t time_ms, std::vector<ExportBatch>& out)
      : limit_(limit), time_ms_(time_ms), out_(out) {}

  void add(const Labels& labels, double value) {
    auto* ts = request_.add_timeseries();
    for (const auto& [name, v] : labels) {
      auto* label = ts->add_labels();
      label->set_name(name);
      label->set_value(v);
    }
    auto* sample = ts->add_samples();
    sample->set_value(value);
    sample->set_timestamp(time_ms_);
    if (static_cast<std::size_t>(request_.timeseries_size()) >= limit_) flush();
  }

  void flush() {
    if (request_.timeseries_size() == 0) return;
    ExportBatch batch;
    request_.SerializeToString(&raw_);
    snappy::Compress(raw_.data(), raw_.size(), &batch.body);
    batch.body.shrink_to_fit();  // Compress sized it for the worst case; the buffer bound counts bytes held.
    batch.samples = static_cast<std::size_t>(request_.timeseries_size());
    batch.made = std::chrono::steady_clock::now();
    out_.push_back(std::move(batch));
    request_.Clear();
  }

 private:
  std::size_t limit_;
  std::int64_t time_ms_;
  std::vector<ExportBatch>& out_;
  remote_write::WriteRequest request_;
  std::string raw_;  // The uncompressed request, reused.
};

// `labels` with __name__ = `name` and an optional extra label, sorted by name.
Labels with_name(const Labels& labels, const std::string& name, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  Labels out;
  out.reserve(labels.size() + 2);
  out.emplace_back("__name__", name);
  out.insert(out.end(), labels.begin(), labels.end());
  if (!extra_name.empty()) out.emplace_back(std::string(extra_name), std::string(extra_value));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void RemoteWriteEncoder::encode(std::span<const SeriesSample> series, std::int64_t time_ms,
                                std::vector<ExportBatch>& out) {
  RequestBuilder request(options_.max_samples_per_request, time_ms, out);
  for (const SeriesSample& s : series) {
    const PrometheusName pn = prometheus_name(s.key.name, s.unit, s.kind);
    Labels labels = prometheus_labels(s.key);
    for (const auto& external : options_.external_labels) {
      const bool taken =
          std::any_of(labels.begin(), labels.end(), [&](const auto& l) { return l.first == external.first; });
      if (!taken) labels.push_back(external);
    }
    if (s.kind == proto::METRIC_KIND_HISTOGRAM && s.has_quantiles) {
      for (std::size_t i = 0; i < kSummaryQuantiles.size(); ++i) {
        request.add(with_name(labels, pn.name, "quantile", kSummaryQuantiles[i].second), s.quantiles[i] * pn.scale);
      }
      request.add(with_name(labels, pn.name + "_sum"), s.sum * pn.scale);
      request.add(with_name(labels, pn.name + "_count"), static_cast<double>(s.count));
    } else {
      request.add(with_name(labels, pn.name), s.last * pn.scale);
    }
  }
  request.flush();
}

std::vector<std::string> RemoteWriteEncoder::headers() const {
  return {"Content-Type: application/x-protobuf", "Content-Encoding: snappy",
          "X-Prometheus-Remote-Write-Version: 0.1.0", "User-Agent: " ESPER_NISSA_USER_AGENT};
}

}  // namespace esper::nissa
