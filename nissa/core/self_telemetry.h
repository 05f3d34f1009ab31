// Nissa's own metrics, as one table that feeds both places they are read: the nissa.* telemetry
// Nissa aggregates and publishes on the bus, and the flat JSON of the Unix-socket endpoint. A
// metric added here shows in both, so the two cannot drift apart.
//
// In the JSON a metric is keyed by its name without "nissa."; a labelled family (ingested_total
// by kind, alerts_total by rule and severity, ...) shows as the sum of its rows.
#ifndef ESPER_NISSA_CORE_SELF_TELEMETRY_H_
#define ESPER_NISSA_CORE_SELF_TELEMETRY_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "esper/telemetry.pb.h"

namespace esper::nissa {

class SelfTelemetry {
 public:
  using Labels = std::initializer_list<std::pair<std::string, std::string>>;

  void counter(std::string_view name, double value, Labels labels = {});
  void gauge(std::string_view name, double value, std::string_view unit = "count", Labels labels = {});
  // A labelled family: listed in the JSON (as 0) even before it has a row.
  void family(std::string_view name);

  const std::vector<proto::MetricPoint>& points() const { return points_; }
  std::vector<proto::MetricPoint> take_points() { return std::move(points_); }
  std::string json() const;

 private:
  std::vector<proto::MetricPoint> points_;
  std::vector<std::string> families_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_SELF_TELEMETRY_H_
