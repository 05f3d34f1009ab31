#include "nissa/export/mlflow/mlflow_exporter.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "nissa/export/jittered_backoff.h"
#include "nissa/export/mlflow/mlflow_requests.h"

namespace esper::nissa {
namespace {

// What the sender takes from the buffer at once: a few requests' worth.
constexpr std::size_t kTakeMax = 4 * kMlflowMaxMetricsPerRequest;
// Counters on the ingest path order nothing: they are read for telemetry only.
constexpr auto kRelaxed = std::memory_order_relaxed;
// runs/create answers echo the run's tags and paths: keep enough to read the id.
constexpr std::size_t kCreateAnswerBytes = 64 * 1024;

std::vector<std::string> request_headers(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> headers{"Content-Type: application/json", "User-Agent: " ESPER_NISSA_USER_AGENT};
  for (const auto& [name, value] : extra) headers.push_back(name + ": " + value);
  return headers;
}

std::string base_url(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

bool succeeded(const HttpPostResult& r) { return r.status >= 200 && r.status < 300; }

// Not worth trying again: the request itself is wrong (a 4xx other than 429 Too Many Requests).
bool refused_for_good(const HttpPostResult& r) { return r.status >= 400 && r.status < 500 && r.status != 429; }

std::string what_happened(const HttpPostResult& r) {
  return r.status != 0 ? "HTTP " + std::to_string(r.status) + " " + answer_excerpt(r.body) : r.error;
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MlflowExporter::MlflowExporter(MlflowOptions options)
    : options_(std::move(options)),
      buffer_(options_.buffer_points),
      runs_(options_.runs, options_.run_id, options_.runs_file),
      create_http_(base_url(options_.url) + std::string(kMlflowCreateRunPath), request_headers(options_.headers),
                   options_.timeout, stop_, kCreateAnswerBytes),
      log_http_(base_url(options_.url) + std::string(kMlflowLogBatchPath), request_headers(options_.headers),
                options_.timeout, stop_),
      warnings_(std::chrono::seconds(30)),
      sender_([this] { send_loop(); }) {}

MlflowExporter::~MlflowExporter() { stop(); }

void MlflowExporter::offer(std::string_view source, const proto::MetricPoint& point, std::int64_t time_ms,
                           std::uint64_t& series_tag) {
  using Table = MlflowSeriesTable;
  if (!series_.owns(series_tag)) {  // The series' first point since this exporter started.
    const bool wanted = options_.sources.empty() || options_.sources.contains(std::string(source));
    series_tag = series_.tag(wanted ? Table::kWanted : Table::kNotExported);
  }
  if (Table::id(series_tag) == Table::kNotExported) return;
  if (!point.has_step()) {
    no_step_.fetch_add(1, kRelaxed);
    return;
  }
  if (!std::isfinite(point.value())) {
    non_finite_.fetch_add(1, kRelaxed);
    return;
  }
  if (Table::id(series_tag) == Table::kWanted) series_tag = series_.intern(source, point);
  if (Table::id(series_tag) == Table::kBadKey) {
    bad_key_.fetch_add(1, kRelaxed);
    return;
  }
  const auto step = static_cast<std::int64_t>(std::min<std::uint64_t>(point.step(), INT64_MAX));
  // Counted only: the sender logs the shedding (a log call per point would cost ingest dearly).
  if (buffer_.push(MlflowPoint{MlflowSeriesTable::id(series_tag), point.value(), step, time_ms}) > 0) {
    shed_.fetch_add(1, kRelaxed);
  }
}

void MlflowExporter::stop() {
  {
    std::lock_guard lock(wait_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  buffer_.stop();
  if (sender_.joinable()) sender_.join();
}

ExporterStats MlflowExporter::stats() const {
  ExporterStats s;
  s.name = "mlflow";
  s.samples_sent = samples_sent_;
  s.requests_sent = requests_sent_;
  s.retries = retries_;
  s.dropped = {{"buffer_full", shed_},
               {"rejected", rejected_},
               {"retries_exhausted", exhausted_},
               {"no_run", no_run_},
               {"too_many_runs", too_many_runs_}};
  s.skipped = {{"no_step", no_step_}, {"non_finite", non_finite_}, {"bad_key", bad_key_}};
  s.buffered_bytes = buffer_.size() * sizeof(MlflowPoint);
  return s;
}

void MlflowExporter::send_loop() {
  std::vector<MlflowPoint> points;
  std::vector<MlflowMetric> taken;
  // Every flush_interval, or sooner once flush_points have gathered.
  while (buffer_.take(options_.flush_points, std::chrono::steady_clock::now() + options_.flush_interval, kTakeMax,
                      points)) {
    if (const std::uint64_t shed = shed_.load(kRelaxed); shed != shed_logged_) {
      warnings_.log(spdlog::level::warn, "buffer_full",
                    "export mlflow: buffer full (" + std::to_string(options_.buffer_points) + " points) while " +
                        options_.url + " is not keeping up; shed the oldest " + std::to_string(shed - shed_logged_) +
                        " points");
      shed_logged_ = shed;
    }
    if (points.empty()) continue;
    taken.clear();
    series_.resolve(points, taken);
    // By run, each run's metrics in arrival order, runs in the order they first appear.
    std::vector<std::string> order;
    std::map<std::string, std::vector<MlflowMetric>> by_run;
    for (MlflowMetric& m : taken) {
      auto [it, fresh] = by_run.try_emplace(m.run);
      if (fresh) order.push_back(m.run);
      it->second.push_back(std::move(m));
    }
    for (const std::string& run : order) {
      if (stop_) return;
      send_run(run, by_run[run]);
    }
  }
}

void MlflowExporter::send_run(const std::string& run_key, std::span<const MlflowMetric> metrics) {
  const std::optional<std::string> run_id = resolve_run(run_key, metrics.size());
  if (!run_id) return;
  for (const MlflowLogBatchBody& body : log_batch_bodies(*run_id, metrics, options_.max_points_per_request)) {
    const HttpPostResult r = post_with_retries(log_http_, body.json);
    if (stop_) return;
    if (succeeded(r)) {
      samples_sent_ += body.metrics;
      ++requests_sent_;
      continue;
    }
    if (refused_for_good(r)) {
      rejected_ += body.metrics;
      // A run this Nissa created and the server no longer has (deleted by a user): forget it, so
      // the next points create a new one rather than being refused forever.
      if (runs_.created(run_key) && r.body.find("RESOURCE_DOES_NOT_EXIST") != std::string::npos) {
        if (auto error = runs_.forget(run_key)) warnings_.log(spdlog::level::warn, "runs_file", *error);
      }
      warnings_.log(spdlog::level::warn, "rejected",
                    "export mlflow: " + options_.url + " refused " + std::to_string(body.metrics) +
                        " metrics of run " + run_key + " (" + what_happened(r) + "); dropped, not retried");
      continue;
    }
    exhausted_ += body.metrics;
    warnings_.log(spdlog::level::warn, "retries_exhausted",
                  "export mlflow: " + options_.url + " did not take " + std::to_string(body.metrics) +
                      " metrics of run " + run_key + " in " + std::to_string(options_.attempts) +
                      " attempts (" + what_happened(r) + "); dropped");
  }
}

std::optional<std::string> MlflowExporter::resolve_run(const std::string& run_key, std::size_t metrics) {
  if (auto known = runs_.find(run_key)) return known;
  if (runs_.created_count() >= options_.max_runs) {
    too_many_runs_ += metrics;
    warnings_.log(spdlog::level::warn, "too_many_runs",
                  "export mlflow: already " + std::to_string(options_.max_runs) + " runs created (max_runs); " +
                      "dropping the metrics of new run " + run_key);
    return std::nullopt;
  }
  auto created = create_run(run_key);
  if (!created) no_run_ += metrics;
  return created;
}

std::optional<std::string> MlflowExporter::create_run(const std::string& run_key) {
  const std::string source = run_key.substr(0, run_key.find('/'));
  const std::string body = create_run_body(options_.experiment_id, run_key, now_unix_ms(),
                                           {{"mlflow.runName", run_key},
                                            {"esper.source", source},
                                            {"esper.run_key", run_key},
                                            {"esper.host", host_name()}});
  const HttpPostResult r = post_with_retries(create_http_, body);
  if (stop_) return std::nullopt;
  std::optional<std::string> id = succeeded(r) ? created_run_id(r.body) : std::nullopt;
  if (!id) {
    warnings_.log(spdlog::level::warn, "no_run",
                  "export mlflow: cannot create a run for " + run_key + " in experiment " + options_.experiment_id +
                      " at " + options_.url + " (" +
                      (succeeded(r) ? "an answer without a run id: " + answer_excerpt(r.body) : what_happened(r)) +
                      "); its metrics are dropped until it can");
    return std::nullopt;
  }
  spdlog::info("export mlflow: created run {} for {} in experiment {}", *id, run_key, options_.experiment_id);
  if (auto error = runs_.remember(run_key, *id)) warnings_.log(spdlog::level::warn, "runs_file", *error);
  return id;
}

HttpPostResult MlflowExporter::post_with_retries(HttpPost& http, const std::string& body) {
  JitteredBackoff backoff(options_.min_backoff, options_.max_backoff);
  HttpPostResult r;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    r = http.post(body);
    if (succeeded(r) || refused_for_good(r) || stop_) return r;
    if (attempt == options_.attempts) break;
    ++retries_;
    if (!wait_backoff(backoff.next())) break;
  }
  return r;
}

bool MlflowExporter::wait_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(wait_mu_);
  return !wake_.wait_for(lock, delay, [&] { return stop_.load(); });
}

}  // namespace esper::nissa
