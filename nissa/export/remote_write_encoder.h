// Prometheus remote-write 1.0: every series as a scrape of /metrics would show it at the collection
// time (same names, labels and base units, nissa/store/prometheus_naming.h), plus the configured
// external labels (which say which host's Nissa sent it), as snappy-compressed WriteRequests of at
// most max_samples_per_request samples. Labels are sorted by name, as the specification requires.
#ifndef ESPER_NISSA_EXPORT_REMOTE_WRITE_ENCODER_H_
#define ESPER_NISSA_EXPORT_REMOTE_WRITE_ENCODER_H_

#include <map>
#include <string>

#include "nissa/export/export_encoder.h"

namespace esper::nissa {

struct RemoteWriteOptions {
  std::size_t max_samples_per_request = 2000;
  // Added to every series unless it has a label of that name (as Prometheus does with its own).
  std::map<std::string, std::string> external_labels;
};

class RemoteWriteEncoder final : public ExportEncoder {
 public:
  explicit RemoteWriteEncoder(RemoteWriteOptions options) : options_(std::move(options)) {}
  void encode(std::span<const SeriesSample> series, std::int64_t time_ms, std::vector<ExportBatch>& out) override;
  std::vector<std::string> headers() const override;

 private:
  RemoteWriteOptions options_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_REMOTE_WRITE_ENCODER_H_
