#include "nissa/store/rollup_series.h"

#include <algorithm>

namespace esper::nissa {
namespace {

std::int64_t floor_to(std::int64_t t, std::int64_t width) {
  const std::int64_t r = t % width;
  return r < 0 ? t - r - width : t - r;
}

}  // namespace

RollupCell& RollupSeries::bucket_for(std::int64_t start_ms) {
  // Points arrive almost always for the newest bucket; search from the back.
  auto it = std::find_if(buckets_.rbegin(), buckets_.rend(),
                         [&](const auto& b) { return b.first <= start_ms; });
  if (it != buckets_.rend() && it->first == start_ms) return it->second;
  RollupCell cell;
  if (with_sketch_) cell.sketch.emplace();
  auto pos = buckets_.insert(it.base(), {start_ms, std::move(cell)});
  while (buckets_.size() > options_->retention_buckets) buckets_.pop_front();
  // pop_front never removes the bucket just inserted unless it was the oldest; find it again.
  for (auto& b : buckets_) {
    if (b.first == start_ms) return b.second;
  }
  return pos->second;  // Unreachable unless retention is 0.
}

void RollupSeries::add(std::int64_t time_ms, double value, double increase) {
  const std::int64_t start = floor_to(time_ms, options_->bucket_ms);
  if (buckets_.size() >= options_->retention_buckets && !buckets_.empty() &&
      start < buckets_.front().first) {
    return;  // Older than anything retained.
  }
  RollupCell& cell = bucket_for(start);
  cell.add(value);
  cell.increase += increase;
}

RollupCell RollupSeries::window(std::int64_t from_ms, std::int64_t to_ms) const {
  RollupCell out;
  for (const auto& [start, cell] : buckets_) {
    if (start >= from_ms && start < to_ms) out.merge(cell);
  }
  return out;
}

void RollupSeries::restore(std::int64_t start_ms, RollupCell cell) {
  buckets_.emplace_back(start_ms, std::move(cell));
  while (buckets_.size() > options_->retention_buckets) buckets_.pop_front();
}

}  // namespace esper::nissa
