#include "nissa/analytics/session_views.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const std::string& attribute(const google::protobuf::Map<std::string, std::string>& a, const std::string& key) {
  static const std::string empty;
  auto it = a.find(key);
  return it == a.end() ? empty : it->second;
}

std::int64_t hour_of(std::int64_t ms) {
  return (ms >= 0 ? ms / SessionViews::kHourMs : (ms - SessionViews::kHourMs + 1) / SessionViews::kHourMs) *
         SessionViews::kHourMs;
}

const char* const kDimNames[] = {"gpu_id", "region", "pipeline", "model_id", "gateway"};

// Indexes into the full dimension array, per view.
const std::vector<int>& view_dims(SessionView view) {
  static const std::vector<int> gpu{0, 1, 2, 3}, network{4, 1, 2, 3}, sla{1, 2, 3};
  switch (view) {
    case SessionView::kGpuMetrics: return gpu;
    case SessionView::kNetworkDemand: return network;
    case SessionView::kSlaCompliance: return sla;
  }
  return sla;
}

json ratio(double num, double den) { return den > 0 ? json(num / den) : json(nullptr); }

}  // namespace

SessionViewOptions read_session_view_options(config::Section& s) {
  SessionViewOptions o;
  auto name = [&](std::string_view key, std::string& field) {
    field = s.get(key, field);
    if (field.empty()) throw s.error(key, "must not be empty");
  };
  name("stream_request_event", o.stream_request_event);
  name("startup_success_event", o.startup_success_event);
  name("no_orchestrator_event", o.no_orchestrator_event);
  name("stream_closed_event", o.stream_closed_event);
  name("swap_event", o.swap_event);
  o.error_events = s.get("error_events", o.error_events);
  o.excusable_errors = s.get("excusable_errors", o.excusable_errors);
  for (auto& e : o.excusable_errors) {
    if (e.empty()) throw s.error("excusable_errors", "substrings must not be empty");
    e = lower(e);
  }
  name("fps_metric", o.fps_metric);
  name("fee_metric", o.fee_metric);
  o.max_sessions = s.get<std::uint64_t>("max_sessions", o.max_sessions);
  if (o.max_sessions == 0) throw s.error("max_sessions", "must be at least 1");
  o.retention = s.get("retention", o.retention);
  if (o.retention < std::chrono::hours(1)) throw s.error("retention", "must be at least 1h");
  s.finish();
  return o;
}

const std::vector<std::string>& session_view_dimensions(SessionView view) {
  static const std::vector<std::string> gpu{"gpu_id", "region", "pipeline", "model_id"},
      network{"gateway", "region", "pipeline", "model_id"}, sla{"region", "pipeline", "model_id"};
  switch (view) {
    case SessionView::kGpuMetrics: return gpu;
    case SessionView::kNetworkDemand: return network;
    case SessionView::kSlaCompliance: return sla;
  }
  return sla;
}

void SessionViewCell::merge(const SessionViewCell& o) {
  status_samples += o.status_samples;
  fps_sum += o.fps_sum;
  fps_sum_squares += o.fps_sum_squares;
  fps_sketch.merge(o.fps_sketch);
  total_streams += o.total_streams;
  total_sessions += o.total_sessions;
  total_inference_minutes += o.total_inference_minutes;
  known_sessions += o.known_sessions;
  startup_success_sessions += o.startup_success_sessions;
  excused_sessions += o.excused_sessions;
  unexcused_sessions += o.unexcused_sessions;
  swapped_sessions += o.swapped_sessions;
  missing_capacity_count += o.missing_capacity_count;
  fee_payment_eth += o.fee_payment_eth;
}

bool SessionViews::excusable(const std::string& error) const {
  const std::string text = lower(error);
  return std::any_of(options_.excusable_errors.begin(), options_.excusable_errors.end(),
                     [&](const std::string& s) { return text.find(lower(s)) != std::string::npos; });
}

SessionViews::Session* SessionViews::session_for(const google::protobuf::Map<std::string, std::string>& a,
                                                 std::int64_t time_ms) {
  const std::string& stream = attribute(a, "stream_id");
  const std::string& request = attribute(a, "request_id");
  if (stream.empty() && request.empty()) {
    ++unattributed_;
    return nullptr;
  }
  std::string key;
  if (!stream.empty() && !request.empty()) {
    key = stream + "|" + request;
  } else if (request.empty()) {
    auto it = latest_by_stream_.find(stream);
    key = it != latest_by_stream_.end() ? it->second : stream + "|";
  } else {
    auto it = latest_by_request_.find(request);
    key = it != latest_by_request_.end() ? it->second : "|" + request;
  }
  auto [it, created] = sessions_.try_emplace(key);
  Session& s = it->second;
  if (created) {
    s.stream_id = stream;
    s.request_id = request;
    s.first_ms = s.last_ms = time_ms;
    order_.push_back(key);
    if (!stream.empty()) latest_by_stream_[stream] = key;
    if (!request.empty()) latest_by_request_[request] = key;
  }
  s.first_ms = std::min(s.first_ms, time_ms);
  s.last_ms = std::max(s.last_ms, time_ms);
  for (int d = 0; d < kDims; ++d) {
    if (s.dims[d].empty()) s.dims[d] = attribute(a, kDimNames[d]);
  }
  return &s;
}

void SessionViews::evict(std::int64_t now_ms) {
  newest_ms_ = std::max(newest_ms_, now_ms);
  const std::int64_t oldest_hour = hour_of(newest_ms_) - options_.retention.count();
  auto forget = [&](const std::string& key) {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return;
    auto s = latest_by_stream_.find(it->second.stream_id);
    if (s != latest_by_stream_.end() && s->second == key) latest_by_stream_.erase(s);
    auto r = latest_by_request_.find(it->second.request_id);
    if (r != latest_by_request_.end() && r->second == key) latest_by_request_.erase(r);
    sessions_.erase(it);
  };
  while (!order_.empty()) {
    auto it = sessions_.find(order_.front());
    const bool too_many = sessions_.size() > options_.max_sessions;
    const bool too_old = it != sessions_.end() && it->second.first_ms < oldest_hour;
    if (!too_many && !too_old && it != sessions_.end()) break;
    forget(order_.front());
    order_.pop_front();
  }
  while (!fps_.empty() && fps_.begin()->first.first < oldest_hour) fps_.erase(fps_.begin());
}

void SessionViews::add_event(const proto::TelemetryEvent& event, std::int64_t time_ms) {
  const std::string& name = event.description();
  const bool is_error =
      std::find(options_.error_events.begin(), options_.error_events.end(), name) != options_.error_events.end();
  if (!is_error && name != options_.stream_request_event && name != options_.startup_success_event &&
      name != options_.no_orchestrator_event && name != options_.stream_closed_event && name != options_.swap_event) {
    return;
  }
  Session* s = session_for(event.attributes(), time_ms);
  if (!s) return;
  if (name == options_.stream_request_event) s->known = true;
  if (name == options_.startup_success_event) s->success = true;
  if (name == options_.no_orchestrator_event) s->no_orchestrator = true;
  if (name == options_.swap_event) s->explicit_swap = true;
  if (is_error) {
    ++s->errors;
    // The error text: `error`, or `message` as stream-gateway (and many gateways) name it.
    const std::string& text = attribute(event.attributes(), "error");
    if (excusable(text.empty() ? attribute(event.attributes(), "message") : text)) ++s->excusable_errors;
  }
  const std::string& orchestrator = attribute(event.attributes(), "orchestrator");
  if (!orchestrator.empty() && s->orchestrators.size() < 2) s->orchestrators.insert(orchestrator);
  evict(time_ms);
}

void SessionViews::add_point(const proto::MetricPoint& point, std::int64_t time_ms) {
  const bool fps = point.name() == options_.fps_metric;
  if (!fps && point.name() != options_.fee_metric) return;
  if (!std::isfinite(point.value())) return;
  std::array<std::string, kDims> dims;
  for (int d = 0; d < kDims; ++d) dims[d] = attribute(point.attributes(), kDimNames[d]);
  FpsCell& cell = fps_[{hour_of(time_ms), std::move(dims)}];
  if (fps) {
    ++cell.count;
    cell.sum += point.value();
    cell.sum_squares += point.value() * point.value();
    cell.sketch.add(point.value());
  } else {
    cell.fee += point.value();
  }
  evict(time_ms);
}

SessionViewCells SessionViews::cells(SessionView view, std::int64_t from_ms, std::int64_t to_ms) const {
  const auto& dims = view_dims(view);
  auto group_of = [&](const std::array<std::string, kDims>& all) {
    SessionGroup g;
    for (int d : dims) g.push_back(all[static_cast<std::size_t>(d)]);
    return g;
  };
  // Hourly cells first, merged afterwards: the same path for one hour and for a day.
  std::map<std::pair<std::int64_t, SessionGroup>, SessionViewCell> hourly;
  std::map<std::pair<std::int64_t, SessionGroup>, std::set<std::string>> streams;
  for (const auto& [key, s] : sessions_) {
    if (s.first_ms < from_ms || s.first_ms >= to_ms) continue;
    const auto at = std::make_pair(hour_of(s.first_ms), group_of(s.dims));
    SessionViewCell& c = hourly[at];
    ++c.total_sessions;
    c.total_inference_minutes += static_cast<double>(s.last_ms - s.first_ms) / 60'000.0;
    if (s.no_orchestrator) ++c.missing_capacity_count;
    if (!s.known) continue;
    ++c.known_sessions;
    if (!s.stream_id.empty()) streams[at].insert(s.stream_id);
    if (s.success) {
      ++c.startup_success_sessions;
    } else if (s.no_orchestrator || (s.errors > 0 && s.errors == s.excusable_errors)) {
      ++c.excused_sessions;
    } else {
      ++c.unexcused_sessions;
    }
    if (s.explicit_swap || s.orchestrators.size() > 1) ++c.swapped_sessions;
  }
  for (const auto& [at, ids] : streams) hourly[at].total_streams += ids.size();
  for (auto it = fps_.lower_bound({from_ms, {}}); it != fps_.end() && it->first.first < to_ms; ++it) {
    SessionViewCell& c = hourly[{it->first.first, group_of(it->first.second)}];
    c.status_samples += it->second.count;
    c.fps_sum += it->second.sum;
    c.fps_sum_squares += it->second.sum_squares;
    c.fps_sketch.merge(it->second.sketch);
    c.fee_payment_eth += it->second.fee;
  }
  SessionViewCells out;
  for (const auto& [at, cell] : hourly) out[at.second].merge(cell);
  return out;
}

std::string session_view_group_json(SessionView view, const SessionGroup& group, const SessionViewCell& c) {
  json j;
  const auto& names = session_view_dimensions(view);
  for (std::size_t i = 0; i < names.size(); ++i) j[names[i]] = group[i];
  const double n = static_cast<double>(c.status_samples);
  const double known = static_cast<double>(c.known_sessions);
  const json avg = ratio(c.fps_sum, n);
  json jitter = nullptr;
  if (c.status_samples > 0 && c.fps_sum != 0) {
    const double mean = c.fps_sum / n;
    const double variance = std::max(0.0, c.fps_sum_squares / n - mean * mean);
    jitter = std::sqrt(variance) / mean;
  }
  const json success_ratio = ratio(known - static_cast<double>(c.unexcused_sessions), known);
  const json swap_rate = ratio(static_cast<double>(c.swapped_sessions), known);
  switch (view) {
    case SessionView::kGpuMetrics:
      j["status_samples"] = c.status_samples;
      j["known_sessions"] = c.known_sessions;
      j["startup_success_sessions"] = c.startup_success_sessions;
      j["excused_sessions"] = c.excused_sessions;
      j["unexcused_sessions"] = c.unexcused_sessions;
      j["swapped_sessions"] = c.swapped_sessions;
      j["avg_output_fps"] = avg;
      j["p95_output_fps"] = c.fps_sketch.empty() ? json(nullptr) : json(c.fps_sketch.quantile(0.95));
      j["jitter_coeff_fps"] = jitter;
      j["failure_rate"] = ratio(static_cast<double>(c.unexcused_sessions), known);
      j["swap_rate"] = swap_rate;
      break;
    case SessionView::kNetworkDemand:
      j["total_streams"] = c.total_streams;
      j["total_sessions"] = c.total_sessions;
      j["total_inference_minutes"] = c.total_inference_minutes;
      j["known_sessions"] = c.known_sessions;
      j["unexcused_sessions"] = c.unexcused_sessions;
      j["swapped_sessions"] = c.swapped_sessions;
      j["missing_capacity_count"] = c.missing_capacity_count;
      j["fee_payment_eth"] = c.fee_payment_eth;
      j["avg_output_fps"] = avg;
      j["success_ratio"] = success_ratio;
      break;
    case SessionView::kSlaCompliance: {
      j["known_sessions"] = c.known_sessions;
      j["startup_success_sessions"] = c.startup_success_sessions;
      j["excused_sessions"] = c.excused_sessions;
      j["unexcused_sessions"] = c.unexcused_sessions;
      j["swapped_sessions"] = c.swapped_sessions;
      j["success_ratio"] = success_ratio;
      const json no_swap = swap_rate.is_null() ? json(nullptr) : json(1.0 - swap_rate.get<double>());
      j["no_swap_ratio"] = no_swap;
      j["sla_score"] = success_ratio.is_null() ? json(nullptr)
                                               : json(100.0 * success_ratio.get<double>() * no_swap.get<double>());
      break;
    }
  }
  return j.dump();
}

std::pair<std::int64_t, std::int64_t> SessionViews::hours_covering(std::int64_t from_ms, std::int64_t to_ms) {
  return {hour_of(from_ms), hour_of(to_ms + kHourMs - 1)};
}

std::pair<std::int64_t, std::int64_t> SessionViews::hours_before(std::int64_t now_ms, std::int64_t window_ms) {
  const std::int64_t to_ms = hour_of(now_ms) + kHourMs;
  return {to_ms - ((window_ms + kHourMs - 1) / kHourMs) * kHourMs, to_ms};
}

std::string SessionViews::report_json(SessionView view, std::int64_t from_ms, std::int64_t to_ms) const {
  std::string body = "{\"from_ms\":" + std::to_string(from_ms) + ",\"to_ms\":" + std::to_string(to_ms) + ",\"groups\":[";
  bool first = true;
  for (const auto& [group, cell] : cells(view, from_ms, to_ms)) {
    if (!first) body += ",";
    first = false;
    body += session_view_group_json(view, group, cell);
  }
  body += "]}";
  return body;
}

}  // namespace esper::nissa
