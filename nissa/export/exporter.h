// One exporter: a bounded queue of encoded batches and a thread of its own that sends them in
// order. A batch the remote accepts (2xx) is counted as sent; one it refuses for good (as the
// protocol's encoder says: for remote-write a 4xx other than 429, for OTLP any 4xx or 5xx but 429,
// 502, 503, 504) is dropped and counted, with the remote's answer in the log; anything else (no
// answer, or a status the encoder calls retryable) is retried, the same batch first so the remote
// sees samples in time order, after a jittered exponential backoff. What cannot wait is shed and
// counted: the oldest batches when the buffer is full, and a batch older than max_batch_age.
// Warnings are rate-limited per reason.
//
// offer() runs on the collector's thread and only encodes and queues: a remote that is down or slow
// costs the exporter's own thread and buffer, never Nissa's ingest.
#ifndef ESPER_NISSA_EXPORT_EXPORTER_H_
#define ESPER_NISSA_EXPORT_EXPORTER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "logging/rate_limited_log.h"
#include "nissa/export/export_encoder.h"
#include "nissa/export/export_queue.h"
#include "nissa/export/http_post.h"

namespace esper::nissa {

struct ExporterOptions {
  std::string name;  // The `exporter` label of its counters: remote_write, otlp, ...
  std::string url;
  std::chrono::milliseconds timeout{5000};              // Per request.
  std::size_t buffer_bytes = 64u << 20;                 // Encoded batches held while the remote is down.
  std::chrono::milliseconds max_batch_age{std::chrono::hours(1)};
  // Retry delays double from min to max (Prometheus's own remote-write uses 30ms..5s): short enough
  // that a restarted remote is caught up within seconds.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

// Counters since start. Samples are data points as the protocol counts them (in remote-write a
// summary's quantiles, sum and count are each one; in OTLP a summary is one data point).
struct ExporterStats {
  std::string name;
  std::uint64_t samples_sent = 0;
  std::uint64_t requests_sent = 0;
  std::uint64_t retries = 0;  // Attempts that failed and were tried again.
  // Samples dropped, by reason. Every exporter has buffer_full (shed the oldest) and rejected
  // (refused by the remote for good); the interval exporters also expired (older than
  // max_batch_age before the remote took them), MLflow its own (mlflow/mlflow_exporter.h).
  std::map<std::string, std::uint64_t> dropped;
  // Points not meant for the exporter, by reason (MLflow: no_step, non_finite, bad_key).
  std::map<std::string, std::uint64_t> skipped;
  std::uint64_t buffered_bytes = 0;
};

class Exporter {
 public:
  Exporter(ExporterOptions options, std::unique_ptr<ExportEncoder> encoder);
  ~Exporter();  // stop()
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Encodes `series` as of `time_ms` and queues the batches.
  void offer(std::span<const SeriesSample> series, std::int64_t time_ms);

  // Stops the sender (a request in flight is aborted) and joins it; what is queued is not sent.
  void stop();

  ExporterStats stats() const;
  const ExporterOptions& options() const { return options_; }

 private:
  enum class Outcome { kSent, kDropped, kRetry };
  void send_loop();
  Outcome attempt(const ExportBatch& batch);
  bool wait_backoff(std::chrono::milliseconds delay);  // False if stopped meanwhile.

  ExporterOptions options_;
  std::unique_ptr<ExportEncoder> encoder_;
  ExportQueue queue_;
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wake_;
  HttpPost http_;
  logging::RateLimitedLog warnings_;
  std::vector<ExportBatch> encoded_;  // Reused by offer().

  std::atomic<std::uint64_t> samples_sent_{0}, requests_sent_{0}, retries_{0};
  std::atomic<std::uint64_t> dropped_buffer_full_{0}, dropped_rejected_{0}, dropped_expired_{0};
  std::thread sender_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_EXPORTER_H_
