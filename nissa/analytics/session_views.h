// Session rollup views of a streaming network (the three hourly APIs of the metrics schema
// scratchpad), built from lifecycle events and output-FPS samples.
//
// Input. Lifecycle events arrive as TelemetryEvents whose description is the event name:
//   gateway_receive_stream_request          the session is known (denominator membership)
//   gateway_receive_few_processed_segments  startup success
//   gateway_no_orchestrators_available      excused startup failure (also missing capacity)
//   gateway_ingest_stream_closed            terminal; ends the session's inference time
//   orchestrator_swap                       explicit swap
//   error                                   an error; its text in attribute `error` (else `message`)
// (every name is configurable, see SessionViewOptions). FPS samples arrive as MetricPoints named
// `output_fps`; fees as points named `fee_payment_eth`. Events and points carry these attributes:
//   stream_id, request_id   session identity
//   gpu_id, region, pipeline, model_id, gateway   view dimensions (first non-empty value kept)
//   orchestrator            the orchestrator serving the session (two distinct ones = swapped)
//
// Session identity is `stream_id|request_id`. When one side is missing, the event belongs to the
// most recent session having the present side; if there is none, to `stream_id|` or `|request_id`.
// Events with neither are counted (unattributed_total) and ignored.
//
// Classification of a known session (one that saw gateway_receive_stream_request), at read time:
//   success    a startup success signal was seen
//   excused    else: no-orchestrator signal, or at least one error and every error excusable (its
//              text contains one of `excusable_errors`, case-insensitive)
//   unexcused  else
//   swapped    independently: an explicit swap, or more than one distinct orchestrator
//
// Storage is additive only: sessions (their flags and counters) and FPS cells per hour and full
// dimension set (count, sum, sum of squares, a mergeable quantile sketch). A view over any window
// merges the hourly cells of the window into its groups and derives the ratios at read time, so a
// day is exactly the merge of its 24 hours. A session belongs to the hour of its first event.
//
//   GET /api/v1/views/gpu/metrics       groups (gpu_id, region, pipeline, model_id)
//       status_samples known_sessions startup_success_sessions excused_sessions unexcused_sessions
//       swapped_sessions | avg_output_fps p95_output_fps jitter_coeff_fps failure_rate swap_rate
//   GET /api/v1/views/network/demand    groups (gateway, region, pipeline, model_id)
//       total_streams total_sessions total_inference_minutes known_sessions unexcused_sessions
//       swapped_sessions missing_capacity_count fee_payment_eth | avg_output_fps success_ratio
//   GET /api/v1/views/sla/compliance    groups (region, pipeline, model_id)
//       known_sessions startup_success_sessions excused_sessions unexcused_sessions swapped_sessions
//       | success_ratio no_swap_ratio sla_score
//   Parameters: window=1h (the default; hours before the end of the current hour) | from=<ms>&to=<ms>
//   (rounded out to whole hours). Derived: failure_rate = unexcused / known, swap_rate = swapped /
//   known, success_ratio = (known - unexcused) / known, no_swap_ratio = 1 - swap_rate,
//   sla_score = 100 * success_ratio * no_swap_ratio, jitter_coeff_fps = stddev / avg of the FPS
//   samples (population stddev); null when the denominator is 0.
//   total_streams counts distinct stream ids among the sessions starting in each hour (summed over
//   hours); total_inference_minutes sums each session's first-to-last lifecycle event time.
#ifndef ESPER_NISSA_ANALYTICS_SESSION_VIEWS_H_
#define ESPER_NISSA_ANALYTICS_SESSION_VIEWS_H_

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config_section.h"
#include "esper/telemetry.pb.h"
#include "nissa/store/quantile_sketch.h"

namespace esper::nissa {

struct SessionViewOptions {
  std::string stream_request_event = "gateway_receive_stream_request";
  std::string startup_success_event = "gateway_receive_few_processed_segments";
  std::string no_orchestrator_event = "gateway_no_orchestrators_available";
  std::string stream_closed_event = "gateway_ingest_stream_closed";
  std::string swap_event = "orchestrator_swap";
  std::vector<std::string> error_events{"error"};
  std::vector<std::string> excusable_errors{"no orchestrators available", "mediamtx ingest disconnected",
                                            "whip disconnected", "missing video",
                                            "ice connection state failed", "user disconnected"};
  std::string fps_metric = "output_fps";
  std::string fee_metric = "fee_payment_eth";
  std::size_t max_sessions = 200'000;        // Oldest sessions are forgotten beyond it.
  std::chrono::milliseconds retention{std::chrono::hours(48)};  // Hours kept.
};

// Reads the `sessions:` section. Throws config::ConfigError naming file, key and line.
SessionViewOptions read_session_view_options(config::Section& section);

enum class SessionView { kGpuMetrics, kNetworkDemand, kSlaCompliance };

// The additive fields of one group over some hours; merge() adds another cell.
struct SessionViewCell {
  std::uint64_t status_samples = 0;
  double fps_sum = 0;
  double fps_sum_squares = 0;
  QuantileSketch fps_sketch;
  std::uint64_t total_streams = 0;
  std::uint64_t total_sessions = 0;
  double total_inference_minutes = 0;
  std::uint64_t known_sessions = 0;
  std::uint64_t startup_success_sessions = 0;
  std::uint64_t excused_sessions = 0;
  std::uint64_t unexcused_sessions = 0;
  std::uint64_t swapped_sessions = 0;
  std::uint64_t missing_capacity_count = 0;
  double fee_payment_eth = 0;

  void merge(const SessionViewCell& other);
};

// Group dimension values, in the view's dimension order.
using SessionGroup = std::vector<std::string>;
using SessionViewCells = std::map<SessionGroup, SessionViewCell>;

const std::vector<std::string>& session_view_dimensions(SessionView view);

class SessionViews {
 public:
  static constexpr std::int64_t kHourMs = 3'600'000;

  explicit SessionViews(SessionViewOptions options = {}) : options_(std::move(options)) {}

  // Options change on reload; history is kept (it is data, not alert state).
  void set_options(SessionViewOptions options) { options_ = std::move(options); }

  void add_event(const proto::TelemetryEvent& event, std::int64_t time_ms);
  void add_point(const proto::MetricPoint& point, std::int64_t time_ms);

  // The view's cells over hours [from_ms, to_ms), both multiples of kHourMs.
  SessionViewCells cells(SessionView view, std::int64_t from_ms, std::int64_t to_ms) const;

  // Whole hours: those covering [from_ms, to_ms), or the `window_ms` up to the end of now's hour.
  static std::pair<std::int64_t, std::int64_t> hours_covering(std::int64_t from_ms, std::int64_t to_ms);
  static std::pair<std::int64_t, std::int64_t> hours_before(std::int64_t now_ms, std::int64_t window_ms);

  // {"from_ms", "to_ms", "groups": [one object per group]} over hours [from_ms, to_ms).
  std::string report_json(SessionView view, std::int64_t from_ms, std::int64_t to_ms) const;

  std::size_t sessions() const { return sessions_.size(); }
  std::uint64_t unattributed_total() const { return unattributed_; }

 private:
  enum Dim { kGpu, kRegion, kPipeline, kModel, kGateway, kDims };
  struct Session {
    std::string stream_id;
    std::string request_id;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::array<std::string, kDims> dims;
    bool known = false, success = false, no_orchestrator = false, explicit_swap = false;
    std::uint32_t errors = 0, excusable_errors = 0;
    std::set<std::string> orchestrators;  // At most two are kept: two means swapped.
  };
  struct FpsCell {
    std::uint64_t count = 0;
    double sum = 0, sum_squares = 0;
    QuantileSketch sketch;
    double fee = 0;
  };

  Session* session_for(const google::protobuf::Map<std::string, std::string>& attributes, std::int64_t time_ms);
  bool excusable(const std::string& error) const;
  void evict(std::int64_t now_ms);

  SessionViewOptions options_;
  std::unordered_map<std::string, Session> sessions_;
  std::deque<std::string> order_;  // Session keys, oldest first.
  std::unordered_map<std::string, std::string> latest_by_stream_;
  std::unordered_map<std::string, std::string> latest_by_request_;
  std::map<std::pair<std::int64_t, std::array<std::string, kDims>>, FpsCell> fps_;  // By (hour, dims).
  std::uint64_t unattributed_ = 0;
  std::int64_t newest_ms_ = 0;
};

// The JSON object of one group: dimensions, additive fields and derived fields.
std::string session_view_group_json(SessionView view, const SessionGroup& group, const SessionViewCell& cell);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_SESSION_VIEWS_H_
