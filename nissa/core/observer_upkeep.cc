// Observer: the periodic upkeep of its state, on the ingest loop: the aggregates checkpoint and the
// journal's retention; and the export stage, which reads the aggregates from its own thread.
#include "nissa/core/observer.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "nissa/store/aggregates_checkpoint.h"
#include "wal/atomic_file.h"

namespace esper::nissa {

void Observer::expire_segments() {
  journal_->expire(config_.retention, [&](std::uint64_t segment) {
    std::lock_guard lock(mu_);
    const std::size_t forgotten = reports_.forget_through_segment(segment);
    counters_.reports_expired += forgotten;
    ++counters_.wal_segments_expired;
    spdlog::info("retention: deleted WAL segment {} ({} field reports older than the retention period)", segment,
                 forgotten);
  });
}

void Observer::checkpoint() {
  // Captured a chunk of series per lock hold, so ingest (emergencies and acks included) and the
  // HTTP readers wait ~1 ms at a time rather than the whole capture; the bytes are made unlocked.
  // Series created meanwhile are left for the next checkpoint.
  constexpr std::size_t kSeriesPerLock = 1000;
  AggregatesSnapshot snapshot;
  std::size_t total = 0;
  {
    std::lock_guard lock(mu_);
    total = aggregator_.series_count();
  }
  for (std::size_t done = 0; done < total;) {
    std::lock_guard lock(mu_);
    const std::size_t end = std::min(total, done + kSeriesPerLock);
    snapshot.capture(aggregator_, done, end);
    done = end;
  }
  if (const auto s = wal::write_file_atomically(checkpoint_path(config_), snapshot.serialize()); !s.ok()) {
    problems_.log(spdlog::level::err, "checkpoint", "cannot write checkpoint: " + s.message());
  }
}

void Observer::start_export() {
  if (!config_.exports.any()) return;
  auto stage = std::make_unique<ExportStage>(
      config_.exports, [this](std::size_t begin, std::size_t max, std::vector<SeriesSample>& out) {
        std::lock_guard lock(mu_);
        return sample_series_range(aggregator_, begin, max, out);
      });
  std::lock_guard lock(mu_);  // The HTTP threads read its counters under it.
  export_stage_ = std::move(stage);
}

}  // namespace esper::nissa
