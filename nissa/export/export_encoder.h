// What makes an exporter speak one protocol: how samples become request bodies, and the headers
// that go with them. The rest (queue, retries, shedding, counters) is the same for every exporter.
#ifndef ESPER_NISSA_EXPORT_EXPORT_ENCODER_H_
#define ESPER_NISSA_EXPORT_EXPORT_ENCODER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nissa/export/export_batch.h"
#include "nissa/export/series_sample.h"

namespace esper::nissa {

class ExportEncoder {
 public:
  virtual ~ExportEncoder() = default;
  // Appends to `out` the request bodies that carry `series` as they were at `time_ms` (Unix ms),
  // each within the protocol's per-request limits.
  virtual void encode(std::span<const SeriesSample> series, std::int64_t time_ms, std::vector<ExportBatch>& out) = 0;
  // The request headers ("Name: value"), Content-Type included.
  virtual std::vector<std::string> headers() const = 0;
  // Whether a request the remote answered with `status` (not 2xx) is tried again rather than
  // dropped. By default (remote-write's rule) everything is retried but a 4xx other than 429.
  virtual bool retryable(long status) const { return status < 400 || status >= 500 || status == 429; }
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_ENCODER_H_
