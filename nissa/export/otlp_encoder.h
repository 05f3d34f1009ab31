// OTLP/HTTP metrics: every series at the collection time as an ExportMetricsServiceRequest
// (nissa/export/otlp_metrics.proto), in binary protobuf or in OTLP/JSON.
//
// One ResourceMetrics per source, its resource attributes `service.name` = the source plus the
// configured resource_attributes; one ScopeMetrics in it, scope "esper-nissa" with Nissa's version;
// one Metric per name (the Esper dotted name as is: OTLP names allow dots), its data points one per
// series, the series attributes as string attributes, time_unix_nano the collection time:
//   gauge     -> Gauge, as_double = the last value;
//   counter   -> Sum, monotonic, cumulative, as_double = the last total;
//   histogram -> Summary: count and sum since Nissa started (or its checkpoint) and the sketch's
//                quantiles 0.5, 0.9, 0.95, 0.99 (none when the series has no sketch).
// Cumulative points (sums and summaries) carry start_time_unix_nano = when this encoder was made
// (Nissa's export start): Nissa does not keep when it first saw a series, and a counter's total runs
// from its producer's own start, which Nissa does not know either. A receiver that sees a total go
// down treats it as a reset, as Prometheus does.
//
// Values stay in Esper's units (no scaling, unlike remote-write's base units); Metric.unit names
// that unit in UCUM (ms, s, ns, By, MBy, GBy, %, Mbit/s, "1" for ratio and count) and any other
// unit as a UCUM annotation ("loss" -> "{loss}").
//
// Requests hold at most max_points_per_request data points (a summary point is one, as OTLP counts
// them in rejected_data_points); a source's points may be split across requests.
#ifndef ESPER_NISSA_EXPORT_OTLP_ENCODER_H_
#define ESPER_NISSA_EXPORT_OTLP_ENCODER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "nissa/export/export_encoder.h"

namespace esper::nissa {

enum class OtlpEncoding { kProtobuf, kJson };

struct OtlpOptions {
  OtlpEncoding encoding = OtlpEncoding::kProtobuf;
  std::size_t max_points_per_request = 2000;
  std::map<std::string, std::string> resource_attributes;  // Besides service.name.
  std::map<std::string, std::string> headers;              // Sent with every request (auth, tenant).
};

// The UCUM spelling of an Esper unit (see above).
std::string otlp_unit(std::string_view esper_unit);

class OtlpEncoder final : public ExportEncoder {
 public:
  // `start_time_ms` (Unix ms) is the start time of every cumulative point.
  OtlpEncoder(OtlpOptions options, std::int64_t start_time_ms);

  void encode(std::span<const SeriesSample> series, std::int64_t time_ms, std::vector<ExportBatch>& out) override;
  std::vector<std::string> headers() const override;
  // The specification's: 429, 502, 503 and 504 are retried; every other 4xx and 5xx is not.
  bool retryable(long status) const override;

 private:
  OtlpOptions options_;
  std::uint64_t start_time_ns_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_OTLP_ENCODER_H_
