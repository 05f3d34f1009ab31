#include "nissa/export/otlp_encoder.h"

#include <array>
#include <stdexcept>
#include <unordered_map>

#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>

#include "nissa/export/otlp_metrics.pb.h"

namespace esper::nissa {
namespace {

constexpr std::string_view kScopeName = "esper-nissa";

struct OtlpUnitName {
  std::string_view esper;
  std::string_view ucum;
};
constexpr std::array<OtlpUnitName, 10> kOtlpUnits{{
    {"ms", "ms"},
    {"s", "s"},
    {"ns", "ns"},
    {"bytes", "By"},
    {"MB", "MBy"},
    {"GB", "GBy"},
    {"%", "%"},
    {"ratio", "1"},
    {"count", "1"},
    {"Mbps", "Mbit/s"},
}};

void set_string_attribute(otlp::KeyValue* kv, std::string_view key, std::string_view value) {
  kv->set_key(key.data(), key.size());
  kv->mutable_value()->set_string_value(value.data(), value.size());
}

// Collects points into requests of at most `limit` data points, grouped by source (resource) and
// by metric within it, the request and its groups on an arena dropped at each flush.
class OtlpRequestBuilder {
 public:
  OtlpRequestBuilder(const OtlpOptions& options, std::uint64_t start_ns, std::uint64_t time_ns,
                 std::vector<ExportBatch>& out)
      : options_(options), start_ns_(start_ns), time_ns_(time_ns), out_(out) {
    reset();
  }

  void add(const SeriesSample& s) {
    otlp::Metric* metric = metric_for(s);
    auto* attributes = [&] {
      switch (s.kind) {
        case proto::METRIC_KIND_COUNTER: {
          auto* p = metric->mutable_sum()->add_data_points();
          p->set_start_time_unix_nano(start_ns_);
          p->set_time_unix_nano(time_ns_);
          p->set_as_double(s.last);
          return p->mutable_attributes();
        }
        case proto::METRIC_KIND_HISTOGRAM: {
          auto* p = metric->mutable_summary()->add_data_points();
          p->set_start_time_unix_nano(start_ns_);
          p->set_time_unix_nano(time_ns_);
          p->set_count(s.count);
          p->set_sum(s.sum);
          if (s.has_quantiles) {
            for (std::size_t i = 0; i < kSummaryQuantiles.size(); ++i) {
              auto* q = p->add_quantile_values();
              q->set_quantile(kSummaryQuantiles[i].first);
              q->set_value(s.quantiles[i]);
            }
          }
          return p->mutable_attributes();
        }
        default: {
          auto* p = metric->mutable_gauge()->add_data_points();
          p->set_time_unix_nano(time_ns_);
          p->set_as_double(s.last);
          return p->mutable_attributes();
        }
      }
    }();
    attributes->Reserve(static_cast<int>(s.key.attributes.size()));
    for (const auto& [key, value] : s.key.attributes) set_string_attribute(attributes->Add(), key, value);
    if (++points_ >= options_.max_points_per_request) flush();
  }

  void flush() {
    if (points_ == 0) return;
    ExportBatch batch;
    if (options_.encoding == OtlpEncoding::kJson) {
      google::protobuf::util::JsonPrintOptions json;
      json.always_print_enums_as_ints = true;  // OTLP/JSON forbids enum names.
      const auto status = google::protobuf::util::MessageToJsonString(*request_, &batch.body, json);
      if (!status.ok()) throw std::runtime_error("cannot print an OTLP request as JSON: " + status.ToString());
    } else {
      request_->SerializeToString(&batch.body);
    }
    batch.samples = points_;
    batch.made = std::chrono::steady_clock::now();
    out_.push_back(std::move(batch));
    reset();
  }

 private:
  void reset() {
    scopes_.clear();
    metrics_.clear();
    points_ = 0;
    arena_.Reset();
    request_ = google::protobuf::Arena::CreateMessage<otlp::ExportMetricsServiceRequest>(&arena_);
  }

  otlp::ScopeMetrics* scope_for(const std::string& source) {
    auto [it, added] = scopes_.try_emplace(source, nullptr);
    if (!added) return it->second;
    auto* rm = request_->add_resource_metrics();
    auto* attributes = rm->mutable_resource()->mutable_attributes();
    set_string_attribute(attributes->Add(), "service.name", source);
    for (const auto& [key, value] : options_.resource_attributes) set_string_attribute(attributes->Add(), key, value);
    auto* sm = rm->add_scope_metrics();
    sm->mutable_scope()->set_name(kScopeName.data(), kScopeName.size());
    sm->mutable_scope()->set_version(ESPER_NISSA_VERSION);
    it->second = sm;
    return sm;
  }

  otlp::Metric* metric_for(const SeriesSample& s) {
    // One Metric per source, name, kind and unit (a name is one kind and unit in practice).
    key_.assign(s.key.source).push_back('\0');
    key_.append(s.key.name).push_back('\0');
    key_.append(s.unit).push_back(static_cast<char>('0' + s.kind));
    auto [it, added] = metrics_.try_emplace(key_, nullptr);
    if (!added) return it->second;
    auto* m = scope_for(s.key.source)->add_metrics();
    m->set_name(s.key.name);
    m->set_unit(otlp_unit(s.unit));
    if (s.kind == proto::METRIC_KIND_COUNTER) {
      m->mutable_sum()->set_aggregation_temporality(otlp::AGGREGATION_TEMPORALITY_CUMULATIVE);
      m->mutable_sum()->set_is_monotonic(true);
    }
    it->second = m;
    return m;
  }

  const OtlpOptions& options_;
  std::uint64_t start_ns_, time_ns_;
  std::vector<ExportBatch>& out_;
  google::protobuf::Arena arena_;
  otlp::ExportMetricsServiceRequest* request_ = nullptr;
  std::unordered_map<std::string, otlp::ScopeMetrics*> scopes_;
  std::unordered_map<std::string, otlp::Metric*> metrics_;
  std::string key_;  // Reused for lookups.
  std::size_t points_ = 0;
};

std::uint64_t unix_ns(std::int64_t ms) { return ms > 0 ? static_cast<std::uint64_t>(ms) * 1'000'000u : 0; }

}  // namespace

std::string otlp_unit(std::string_view esper_unit) {
  if (esper_unit.empty()) return {};
  for (const auto& u : kOtlpUnits) {
    if (u.esper == esper_unit) return std::string(u.ucum);
  }
  // UCUM annotations are dimensionless and may not hold braces themselves.
  std::string out = "{";
  for (char c : esper_unit) {
    if (c != '{' && c != '}') out.push_back(c);
  }
  return out + "}";
}

OtlpEncoder::OtlpEncoder(OtlpOptions options, std::int64_t start_time_ms)
    : options_(std::move(options)), start_time_ns_(unix_ns(start_time_ms)) {}

void OtlpEncoder::encode(std::span<const SeriesSample> series, std::int64_t time_ms, std::vector<ExportBatch>& out) {
  OtlpRequestBuilder request(options_, start_time_ns_, unix_ns(time_ms), out);
  for (const SeriesSample& s : series) request.add(s);
  request.flush();
}

std::vector<std::string> OtlpEncoder::headers() const {
  std::vector<std::string> h{options_.encoding == OtlpEncoding::kJson ? "Content-Type: application/json"
                                                                       : "Content-Type: application/x-protobuf",
                             "User-Agent: " ESPER_NISSA_USER_AGENT};
  for (const auto& [name, value] : options_.headers) h.push_back(name + ": " + value);
  return h;
}

bool OtlpEncoder::retryable(long status) const {
  if (status < 400) return true;  // Not an answer the specification lists; retried like no answer.
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace esper::nissa
