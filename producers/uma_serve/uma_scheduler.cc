#include "producers/uma_serve/uma_scheduler.h"

#include <algorithm>
#include <cmath>

#include "proto/metric_point.h"

namespace esper::producers::uma {
namespace {

using proto::METRIC_KIND_COUNTER;
using proto::METRIC_KIND_GAUGE;
using proto::METRIC_KIND_HISTOGRAM;
using proto::make_point;

constexpr double kNsPerMs = 1e6;

int draw_length(std::mt19937_64& rng, double mean) {
  std::exponential_distribution<double> d(1.0 / std::max(1.0, mean));
  return std::max(1, static_cast<int>(std::lround(d(rng))));
}

}  // namespace

UmaScheduler::UmaScheduler(UmaServeOptions options)
    : options_(options),
      rng_(options.seed),
      budget_target_(std::max(options.min_batch_tokens, options.max_batch_tokens / 2)) {}

std::size_t UmaScheduler::active_sessions() const {
  return running_.size() + queued_interactive_.size() + queued_background_.size();
}

void UmaScheduler::admit_arrivals() {
  std::poisson_distribution<int> arrivals(std::max(0.0, options_.arrivals_per_tick));
  std::bernoulli_distribution interactive(std::clamp(options_.interactive_fraction, 0.0, 1.0));
  std::bernoulli_distribution prefix_hit(std::clamp(options_.prefix_share, 0.0, 1.0));
  for (int n = arrivals(rng_); n > 0; --n) {
    Session s;
    s.arrival_ms = now_ms_;
    const int prompt = draw_length(rng_, options_.prompt_tokens_mean);
    s.output_left = draw_length(rng_, options_.output_tokens_mean);
    s.interactive = interactive(rng_);
    // A prefix-cache hit restores half the prompt from a snapshot; a miss stores the prompt's KV.
    ++counters_.kv_cache_lookups;
    if (prefix_hit(rng_) && !kv_cache_.empty()) {
      ++counters_.kv_cache_hits;
      s.prefill_left = std::max(1, prompt / 2);
    } else {
      s.prefill_left = prompt;
      const auto bytes = static_cast<std::uint64_t>(prompt * options_.kv_bytes_per_token);
      kv_cache_.push_back({bytes});
      kv_cache_resident_bytes_ += bytes;
      while (kv_cache_resident_bytes_ > options_.kv_cache_capacity_bytes && !kv_cache_.empty()) {
        kv_cache_resident_bytes_ -= kv_cache_.front().bytes;
        kv_cache_.pop_front();
        ++counters_.kv_cache_evictions_total;
      }
    }
    s.context_tokens = prompt - s.prefill_left;
    (s.interactive ? queued_interactive_ : queued_background_).push_back(s);
  }
  // Admission: interactive first, up to the number of sessions the batch may hold.
  while (static_cast<int>(running_.size()) < options_.max_active_sessions &&
         !(queued_interactive_.empty() && queued_background_.empty())) {
    auto& queue = queued_interactive_.empty() ? queued_background_ : queued_interactive_;
    running_.push_back(queue.front());
    queue.pop_front();
  }
}

// The adaptive batching of docs/reference/inference-server.md: the EWMA of decode times steers the token budget towards the
// target decode latency.
void UmaScheduler::adapt_budget() {
  const auto ewma = decode_ms_ewma_.value();
  if (!ewma || *ewma <= 0) return;
  const double scaled = budget_target_ * std::clamp(options_.target_decode_ms / *ewma, 0.5, 1.5);
  budget_target_ = std::clamp(static_cast<int>(std::lround(scaled)), options_.min_batch_tokens,
                              options_.max_batch_tokens);
}

void UmaScheduler::tick(std::vector<proto::MetricPoint>& out) {
  admit_arrivals();
  adapt_budget();

  // Generation first: one token for every session past its prefill.
  int gen_tokens = 0;
  int budget = budget_target_;
  std::vector<std::size_t> generating;
  for (std::size_t i = 0; i < running_.size() && gen_tokens < budget; ++i) {
    if (running_[i].prefill_left == 0) {
      generating.push_back(i);
      ++gen_tokens;
    }
  }
  budget -= gen_tokens;

  // Then chunked prefill with what is left, unless the latency guard holds it back: when decode
  // already runs slower than the inter-token SLO, adding prefill would make generating sessions
  // miss it.
  int prefill_tokens = 0;
  std::vector<std::size_t> finishing_prefill;
  const bool prefill_pending = std::any_of(running_.begin(), running_.end(),
                                           [](const Session& s) { return s.prefill_left > 0; });
  const bool latency_guard = gen_tokens > 0 && decode_ms_ewma_.value().value_or(0) > options_.slo_tbt_ms;
  if (prefill_pending && latency_guard) {
    ++counters_.skipped_prefill_due_to_latency_total;
  } else {
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      Session& s = running_[i];
      if (s.prefill_left == 0) continue;
      const int chunk = std::min(s.prefill_left, budget);
      s.prefill_left -= chunk;
      s.context_tokens += chunk;
      prefill_tokens += chunk;
      budget -= chunk;
      if (s.prefill_left == 0) finishing_prefill.push_back(i);
    }
  }

  const int batch = gen_tokens + prefill_tokens;
  budget_used_ = batch;
  if (batch == 0) {
    now_ms_ += options_.idle_tick_ms;
    counters_.idle_ms += options_.idle_tick_ms;
    snapshot(out);
    return;
  }

  // One llama_decode call on the cost model, with +-15% noise.
  std::uniform_real_distribution<double> noise(0.85, 1.15);
  const double duration_ms = (options_.decode_base_ms + gen_tokens * options_.gen_ms_per_token +
                              prefill_tokens * options_.prefill_ms_per_token) *
                             noise(rng_);
  now_ms_ += duration_ms;
  counters_.busy_ms += duration_ms;
  ++counters_.batch_calls_total;
  last_batch_size_ = batch;
  decode_ms_ewma_.add(duration_ms);
  decode_ms_min_ = std::min(decode_ms_min_.value_or(duration_ms), duration_ms);
  decode_ms_max_ = std::max(decode_ms_max_.value_or(duration_ms), duration_ms);
  out.push_back(make_point("decode_ms", duration_ms, "ms", METRIC_KIND_HISTOGRAM));
  out.push_back(make_point("batch_size", batch, "tokens", METRIC_KIND_HISTOGRAM));

  // The call's time is attributed to its phases in proportion to their tokens.
  const double duration_ns = duration_ms * kNsPerMs;
  const auto gen_ns = static_cast<std::uint64_t>(duration_ns * gen_tokens / batch);
  const auto prefill_ns = static_cast<std::uint64_t>(duration_ns * prefill_tokens / batch);
  counters_.prefill_tokens_total += static_cast<std::uint64_t>(prefill_tokens);
  counters_.prefill_ns_total += prefill_ns;
  if (gen_tokens > 0) {
    ++counters_.decode_calls;
    counters_.decode_ns_total += gen_ns;
    counters_.decode_tokens_total += static_cast<std::uint64_t>(gen_tokens);
    decode_ms_last_ = static_cast<double>(gen_ns) / kNsPerMs;
  }

  // Bytes moved per token: the weights once per call plus every generating session's KV cache.
  double kv_read_bytes = 0;
  for (std::size_t i : generating) kv_read_bytes += running_[i].context_tokens * options_.kv_bytes_per_token;
  sum_bmt_mb_per_token_ = (options_.weights_mb + kv_read_bytes / (1024.0 * 1024.0)) / batch;

  std::bernoulli_distribution zero_copy(std::clamp(options_.zero_copy_probability, 0.0, 1.0));
  auto emit_token = [&](Session& s) {
    ++counters_.tokens_generated_total;
    ++counters_.logits_reads;
    if (zero_copy(rng_)) ++counters_.logits_zero_copy_reads;
    if (s.last_token_ms < 0) {
      const double ttft = now_ms_ - s.arrival_ms;
      ++counters_.first_tokens;
      out.push_back(make_point("ttft_ms", ttft, "ms", METRIC_KIND_HISTOGRAM));
      if (ttft > options_.slo_ttft_ms) ++counters_.slo_violations_ttft_total;
    } else {
      const double gap = now_ms_ - s.last_token_ms;
      ++counters_.inter_token_samples;
      out.push_back(make_point("inter_token_ms", gap, "ms", METRIC_KIND_HISTOGRAM));
      if (gap > options_.slo_tbt_ms) ++counters_.slo_violations_tbt_total;
    }
    s.last_token_ms = now_ms_;
    ++s.context_tokens;
    --s.output_left;
  };
  for (std::size_t i : generating) emit_token(running_[i]);
  // The logits of a prompt's last token give the session its first token in the same call.
  for (std::size_t i : finishing_prefill) emit_token(running_[i]);

  const auto before = running_.size();
  std::erase_if(running_, [](const Session& s) { return s.output_left <= 0; });
  counters_.sessions_completed += before - running_.size();

  snapshot(out);
}

void UmaScheduler::snapshot(std::vector<proto::MetricPoint>& out) const {
  const auto& c = counters_;
  auto counter = [&](const char* name, double value, const char* unit) {
    out.push_back(make_point(name, value, unit, METRIC_KIND_COUNTER));
  };
  auto gauge = [&](const char* name, double value, const char* unit) {
    out.push_back(make_point(name, value, unit, METRIC_KIND_GAUGE));
  };

  // M3: current metrics.
  counter("tokens_generated_total", static_cast<double>(c.tokens_generated_total), "tokens");
  counter("batch_calls_total", static_cast<double>(c.batch_calls_total), "calls");
  gauge("last_batch_size", last_batch_size_, "tokens");
  if (decode_ms_last_) gauge("decode_ms_last", *decode_ms_last_, "ms");
  if (auto ewma = decode_ms_ewma_.value()) gauge("decode_ms_ewma", *ewma, "ms");
  counter("decode_calls", static_cast<double>(c.decode_calls), "calls");
  counter("decode_ns_total", static_cast<double>(c.decode_ns_total), "ns");
  counter("decode_tokens_total", static_cast<double>(c.decode_tokens_total), "tokens");
  counter("decode_phase_tokens_total", static_cast<double>(c.decode_tokens_total), "tokens");
  counter("prefill_tokens_total", static_cast<double>(c.prefill_tokens_total), "tokens");
  counter("decode_ns_total_gen", static_cast<double>(c.decode_ns_total), "ns");
  counter("prefill_ns_total", static_cast<double>(c.prefill_ns_total), "ns");
  if (c.decode_tokens_total > 0) {
    gauge("gen_ms_per_token_mean",
          static_cast<double>(c.decode_ns_total) / kNsPerMs / static_cast<double>(c.decode_tokens_total),
          "ms/token");
  }
  if (c.prefill_tokens_total > 0) {
    gauge("prefill_ms_per_token_mean",
          static_cast<double>(c.prefill_ns_total) / kNsPerMs / static_cast<double>(c.prefill_tokens_total),
          "ms/token");
  }
  if (decode_ms_min_) gauge("decode_ms_min", *decode_ms_min_, "ms");
  if (decode_ms_max_) gauge("decode_ms_max", *decode_ms_max_, "ms");
  if (c.decode_calls > 0) {
    gauge("decode_ms_mean", static_cast<double>(c.decode_ns_total) / kNsPerMs / static_cast<double>(c.decode_calls),
          "ms");
    gauge("decode_tokens_per_call_mean",
          static_cast<double>(c.decode_tokens_total) / static_cast<double>(c.decode_calls), "tokens/call");
  }
  gauge("active_sessions", static_cast<double>(active_sessions()), "sessions");

  // Scorecard: scheduler and SLO.
  counter("slo_violations_ttft_total", static_cast<double>(c.slo_violations_ttft_total), "count");
  counter("slo_violations_tbt_total", static_cast<double>(c.slo_violations_tbt_total), "count");
  counter("skipped_prefill_due_to_latency_total", static_cast<double>(c.skipped_prefill_due_to_latency_total),
          "count");
  gauge("budget_target", budget_target_, "tokens");
  gauge("budget_used", budget_used_, "tokens");
  gauge("queued_interactive", static_cast<double>(queued_interactive_.size()), "sessions");
  gauge("queued_background", static_cast<double>(queued_background_.size()), "sessions");

  // Scorecard: memory and cache.
  if (c.kv_cache_lookups > 0) {
    gauge("kv_cache_hit_ratio", static_cast<double>(c.kv_cache_hits) / static_cast<double>(c.kv_cache_lookups),
          "ratio");
  }
  counter("kv_cache_evictions_total", static_cast<double>(c.kv_cache_evictions_total), "count");
  gauge("kv_cache_resident_bytes", static_cast<double>(kv_cache_resident_bytes_), "bytes");

  // Scorecard: UMA-specific.
  if (sum_bmt_mb_per_token_) gauge("sum_bmt_mb_per_token", *sum_bmt_mb_per_token_, "MB/token");
  if (c.logits_reads > 0) {
    gauge("copy_free_ratio",
          static_cast<double>(c.logits_zero_copy_reads) / static_cast<double>(c.logits_reads), "ratio");
  }
  const double elapsed = c.busy_ms + c.idle_ms;
  if (elapsed > 0) gauge("gpu_idle_pct", 100.0 * c.idle_ms / elapsed, "%");
}

}  // namespace esper::producers::uma
