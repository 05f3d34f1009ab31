#include "nissa/export/export_stage.h"

#include <spdlog/spdlog.h>

namespace esper::nissa {
namespace {

constexpr std::size_t kSeriesPerLock = 1000;

}  // namespace

ExportStage::ExportStage(const ExportConfig& config, SeriesReader reader)
    : interval_(config.interval), reader_(std::move(reader)) {
  if (config.remote_write) {
    exporters_.push_back(std::make_unique<Exporter>(config.remote_write->exporter,
                                                    std::make_unique<RemoteWriteEncoder>(config.remote_write->encoding)));
  }
  if (config.otlp) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    exporters_.push_back(std::make_unique<Exporter>(
        config.otlp->exporter,
        std::make_unique<OtlpEncoder>(config.otlp->encoding,
                                      std::chrono::duration_cast<std::chrono::milliseconds>(now).count())));
  }
  for (const auto& e : exporters_) {
    spdlog::info("export {}: every {} ms to {}", e->options().name, interval_.count(), e->options().url);
  }
  if (config.mlflow) {
    mlflow_ = std::make_unique<MlflowExporter>(*config.mlflow);
    spdlog::info("export mlflow: points with a step to {}, experiment {}", config.mlflow->url,
                 config.mlflow->experiment_id);
  }
  if (!exporters_.empty()) collector_ = std::thread([this] { collect_loop(); });
}

ExportStage::~ExportStage() { stop(); }

void ExportStage::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  wake_.notify_all();
  if (collector_.joinable()) collector_.join();
  for (auto& e : exporters_) e->stop();
  if (mlflow_) mlflow_->stop();
}

std::vector<ExporterStats> ExportStage::stats() const {
  std::vector<ExporterStats> out;
  for (const auto& e : exporters_) out.push_back(e->stats());
  if (mlflow_) out.push_back(mlflow_->stats());
  return out;
}

void ExportStage::collect_loop() {
  // Collections fall on multiples of the interval (as Prometheus spreads scrapes), so two hosts'
  // samples line up in time.
  auto next = std::chrono::system_clock::time_point(
      (std::chrono::system_clock::now().time_since_epoch() / interval_ + 1) * interval_);
  std::unique_lock lock(mu_);
  while (!wake_.wait_until(lock, next, [&] { return stopped_; })) {
    lock.unlock();
    collect_once(std::chrono::duration_cast<std::chrono::milliseconds>(next.time_since_epoch()).count());
    lock.lock();
    const auto now = std::chrono::system_clock::now();
    while (next <= now) next += interval_;  // A slow collection skips ticks rather than bunching them.
  }
}

void ExportStage::collect_once(std::int64_t time_ms) {
  std::size_t total = 0;
  while (const std::size_t got = reader_(total, kSeriesPerLock, samples_)) total += got;
  const std::span<const SeriesSample> series(samples_.data(), total);
  for (auto& e : exporters_) e->offer(series, time_ms);
}

}  // namespace esper::nissa
