// One request's worth of exported samples, encoded and ready to send: what an exporter's queue holds.
#ifndef ESPER_NISSA_EXPORT_EXPORT_BATCH_H_
#define ESPER_NISSA_EXPORT_EXPORT_BATCH_H_

#include <chrono>
#include <cstddef>
#include <string>

namespace esper::nissa {

struct ExportBatch {
  std::string body;       // The request body, as sent (compressed where the protocol says so).
  std::size_t samples = 0;  // Data points in it, for the counters.
  std::chrono::steady_clock::time_point made;  // When it was encoded; its age decides expiry.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORT_BATCH_H_
