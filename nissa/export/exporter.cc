#include "nissa/export/exporter.h"

#include <spdlog/spdlog.h>

#include "nissa/export/jittered_backoff.h"

namespace esper::nissa {
Exporter::Exporter(ExporterOptions options, std::unique_ptr<ExportEncoder> encoder)
    : options_(std::move(options)),
      encoder_(std::move(encoder)),
      queue_(options_.buffer_bytes),
      http_(options_.url, encoder_->headers(), options_.timeout, stop_),
      warnings_(std::chrono::seconds(30)),
      sender_([this] { send_loop(); }) {}

Exporter::~Exporter() { stop(); }

void Exporter::offer(std::span<const SeriesSample> series, std::int64_t time_ms) {
  encoded_.clear();
  encoder_->encode(series, time_ms, encoded_);
  std::uint64_t shed = 0;
  for (auto& batch : encoded_) shed += queue_.push(std::move(batch));
  if (shed > 0) {
    dropped_buffer_full_ += shed;
    warnings_.log(spdlog::level::warn, "buffer_full",
                  "export " + options_.name + ": buffer full (" + std::to_string(options_.buffer_bytes) +
                      " bytes) while " + options_.url + " is not taking batches; shed the oldest " +
                      std::to_string(shed) + " samples");
  }
}

void Exporter::stop() {
  {
    std::lock_guard lock(wait_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  queue_.stop();
  if (sender_.joinable()) sender_.join();
}

ExporterStats Exporter::stats() const {
  ExporterStats s;
  s.name = options_.name;
  s.samples_sent = samples_sent_;
  s.requests_sent = requests_sent_;
  s.retries = retries_;
  s.dropped = {{"buffer_full", dropped_buffer_full_}, {"rejected", dropped_rejected_}, {"expired", dropped_expired_}};
  s.buffered_bytes = queue_.bytes();
  return s;
}

void Exporter::send_loop() {
  while (auto batch = queue_.pop()) {
    JitteredBackoff backoff(options_.min_backoff, options_.max_backoff);
    while (!stop_) {
      if (std::chrono::steady_clock::now() - batch->made > options_.max_batch_age) {
        dropped_expired_ += batch->samples;
        warnings_.log(spdlog::level::warn, "expired",
                      "export " + options_.name + ": dropped " + std::to_string(batch->samples) +
                          " samples older than max_batch_age that " + options_.url + " never took");
        break;
      }
      const Outcome outcome = attempt(*batch);
      if (outcome != Outcome::kRetry) break;
      if (!wait_backoff(backoff.next())) break;
    }
  }
}

Exporter::Outcome Exporter::attempt(const ExportBatch& batch) {
  const HttpPostResult r = http_.post(batch.body);
  if (r.status >= 200 && r.status < 300) {
    samples_sent_ += batch.samples;
    ++requests_sent_;
    return Outcome::kSent;
  }
  if (stop_) return Outcome::kRetry;  // Aborted by stop(): not the remote's doing.
  if (r.status != 0 && !encoder_->retryable(r.status)) {
    dropped_rejected_ += batch.samples;
    warnings_.log(spdlog::level::warn, "rejected",
                  "export " + options_.name + ": " + options_.url + " refused " + std::to_string(batch.samples) +
                      " samples with HTTP " + std::to_string(r.status) + " (dropped, not retried): " +
                      answer_excerpt(r.body));
    return Outcome::kDropped;
  }
  ++retries_;
  const std::string why = r.status != 0 ? "HTTP " + std::to_string(r.status) + " " + answer_excerpt(r.body) : r.error;
  warnings_.log(spdlog::level::warn, "retry",
                "export " + options_.name + ": " + options_.url + " did not take a batch (" + why +
                    "); retrying with backoff, buffering up to " + std::to_string(options_.buffer_bytes) + " bytes");
  return Outcome::kRetry;
}

bool Exporter::wait_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(wait_mu_);
  return !wake_.wait_for(lock, delay, [&] { return stop_.load(); });
}

}  // namespace esper::nissa
