// A simulated UMA Serve scheduler: the inference server of docs/reference/inference-server.md without the
// model. Requests arrive with a configurable mix (prompt and output lengths, interactive vs
// background QoS, prefix-cache sharing); each tick builds one batch of generation tokens plus
// chunked prefill under an adaptive token budget, "runs" it on a virtual clock with a linear cost
// model, and accounts for it exactly as the document's metrics are defined. The virtual clock makes
// a seeded run reproducible, so tests can check the arithmetic, not just the names.
//
// Every metric of the document is produced under its own name: the M3 counters and gauges, the
// scorecard SLO counters and gauges, the TTFT / inter-token / decode / batch-size histograms (one
// METRIC_KIND_HISTOGRAM point per observation; the observer computes quantiles), and the cache and
// UMA gauges. No attributes: the reference names none, and the envelope names the instance.
#ifndef ESPER_PRODUCERS_UMA_SERVE_UMA_SCHEDULER_H_
#define ESPER_PRODUCERS_UMA_SERVE_UMA_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "esper/telemetry.pb.h"
#include "producers/derived_stats.h"

namespace esper::producers::uma {

struct UmaServeOptions {
  std::uint64_t seed = 1;
  double arrivals_per_tick = 0.5;        // Mean new requests per scheduler tick (Poisson).
  double interactive_fraction = 0.7;     // Share of requests in the interactive QoS queue.
  double prompt_tokens_mean = 256;       // Mean prompt length (exponential, at least 1).
  double output_tokens_mean = 64;        // Mean generated tokens per request (at least 1).
  double prefix_share = 0.3;             // Chance a prompt's prefix is already in the KV cache.
  double slo_ttft_ms = 800;              // Time-To-First-Token SLO per session.
  double slo_tbt_ms = 80;                // Inter-token (time-between-tokens) SLO.
  int max_batch_tokens = 512;            // Upper bound of the adaptive budget.
  int min_batch_tokens = 16;             // Lower bound of the adaptive budget.
  int max_active_sessions = 64;          // Sessions admitted to the batch at once; others queue.
  double target_decode_ms = 40;          // The adaptive budget steers decode_ms_ewma towards this.
  double decode_base_ms = 6;             // Cost model of one llama_decode call ...
  double gen_ms_per_token = 0.5;         // ... per generation token ...
  double prefill_ms_per_token = 0.08;    // ... per prefill token.
  double idle_tick_ms = 5;               // Virtual time a tick with no work takes.
  double weights_mb = 4000;              // Model weights read once per batch (bytes-moved model).
  double kv_bytes_per_token = 128 * 1024;
  std::uint64_t kv_cache_capacity_bytes = 512ull * 1024 * 1024;
  double zero_copy_probability = 0.9;    // Logits reads served by the zero-copy path.
};

// The cumulative state the metrics are computed from; exposed for tests.
struct UmaServeCounters {
  std::uint64_t tokens_generated_total = 0;
  std::uint64_t batch_calls_total = 0;
  std::uint64_t decode_calls = 0;
  std::uint64_t decode_ns_total = 0;
  std::uint64_t decode_tokens_total = 0;
  std::uint64_t prefill_tokens_total = 0;
  std::uint64_t prefill_ns_total = 0;
  std::uint64_t slo_violations_ttft_total = 0;
  std::uint64_t slo_violations_tbt_total = 0;
  std::uint64_t skipped_prefill_due_to_latency_total = 0;
  std::uint64_t kv_cache_hits = 0;
  std::uint64_t kv_cache_lookups = 0;
  std::uint64_t kv_cache_evictions_total = 0;
  std::uint64_t logits_reads = 0;
  std::uint64_t logits_zero_copy_reads = 0;
  std::uint64_t sessions_completed = 0;
  std::uint64_t first_tokens = 0;        // TTFT observations.
  std::uint64_t inter_token_samples = 0; // Inter-token observations.
  double busy_ms = 0;
  double idle_ms = 0;
};

class UmaScheduler {
 public:
  explicit UmaScheduler(UmaServeOptions options);

  // Runs one scheduler tick and appends its histogram observations followed by a snapshot of every
  // counter and gauge to `out`.
  void tick(std::vector<proto::MetricPoint>& out);

  const UmaServeCounters& counters() const { return counters_; }
  int budget_target() const { return budget_target_; }
  std::size_t active_sessions() const;
  double now_ms() const { return now_ms_; }

 private:
  struct Session {
    double arrival_ms = 0;
    int prefill_left = 0;      // Prompt tokens still to prefill.
    int output_left = 0;       // Tokens still to generate.
    int context_tokens = 0;    // Tokens in its KV cache (for the bytes-moved estimate).
    bool interactive = true;
    double last_token_ms = -1; // < 0: no token yet.
  };
  struct CacheEntry {
    std::uint64_t bytes;
  };

  void admit_arrivals();
  void adapt_budget();
  void snapshot(std::vector<proto::MetricPoint>& out) const;

  UmaServeOptions options_;
  std::mt19937_64 rng_;
  double now_ms_ = 0;
  int budget_target_;
  int budget_used_ = 0;
  int last_batch_size_ = 0;
  std::optional<double> decode_ms_last_;  // Generation-attributed ms of the last decode call.
  std::optional<double> decode_ms_min_;
  std::optional<double> decode_ms_max_;
  std::optional<double> sum_bmt_mb_per_token_;
  Ewma decode_ms_ewma_{0.2};
  UmaServeCounters counters_;
  std::deque<Session> queued_interactive_;
  std::deque<Session> queued_background_;
  std::vector<Session> running_;          // Admitted: prefilling or generating.
  std::deque<CacheEntry> kv_cache_;       // Oldest first; evicted from the front.
  std::uint64_t kv_cache_resident_bytes_ = 0;
};

}  // namespace esper::producers::uma

#endif  // ESPER_PRODUCERS_UMA_SERVE_UMA_SCHEDULER_H_
