#include "nissa/export/mlflow/mlflow_series_table.h"

#include <atomic>
#include <variant>

namespace esper::nissa {
namespace {

std::atomic<std::uint64_t> next_epoch{1};

}  // namespace

MlflowSeriesTable::MlflowSeriesTable() : epoch_(next_epoch.fetch_add(1) & 0xffffffffu) {}

std::uint64_t MlflowSeriesTable::intern(std::string_view source, const proto::MetricPoint& point) {
  auto mapped = to_mlflow_metric(source, point, 0);
  if (!std::holds_alternative<MlflowMetric>(mapped)) return tag(kBadKey);
  auto& m = std::get<MlflowMetric>(mapped);
  std::lock_guard lock(mu_);
  if (keys_.size() >= kWanted - 1) return tag(kBadKey);  // Ids stay below the special values.
  keys_.push_back(Keys{std::move(m.run), std::move(m.key)});
  return tag(static_cast<std::uint32_t>(keys_.size()));
}

void MlflowSeriesTable::resolve(std::span<const MlflowPoint> points, std::vector<MlflowMetric>& out) const {
  std::lock_guard lock(mu_);
  for (const MlflowPoint& p : points) {
    const Keys& k = keys_.at(p.series - 1);
    out.push_back(MlflowMetric{k.run, k.key, p.value, p.time_ms, p.step});
  }
}

}  // namespace esper::nissa
