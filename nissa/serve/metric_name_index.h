// The metric names Nissa has series of, for the dashboard's search (nissa/serve/metric_search.h):
// sorted distinct names, each with its sources and, per (name, source), the kind, unit and number of
// series. It is kept apart from the aggregator and fed by catching up: series are never removed
// and are numbered in creation order (MetricAggregator::series_at), so the index copies only the
// series created since it last looked, a bounded slice at a time under the aggregator's lock, and
// every search then runs under the index's own lock, never the aggregator's (which ingest needs).
#ifndef ESPER_NISSA_SERVE_METRIC_NAME_INDEX_H_
#define ESPER_NISSA_SERVE_METRIC_NAME_INDEX_H_

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nissa/store/metric_aggregator.h"

namespace esper::nissa {

// What the index keeps of one series, copied out of the aggregator.
struct IndexedSeries {
  std::string metric;
  std::string source;
  std::string unit;
  proto::MetricKind kind = proto::METRIC_KIND_GAUGE;
};

class MetricNameIndex {
 public:
  struct PerSource {
    proto::MetricKind kind = proto::METRIC_KIND_GAUGE;  // Of the first series seen.
    std::string unit;
    std::size_t series = 0;
  };
  struct PerName {
    std::string lowered;  // The name in lower case, for case-insensitive matching.
    std::map<std::string, PerSource, std::less<>> sources;
  };

  // Copies at most `max` of the series `metrics` created since this index last read it, oldest
  // first. Call it under the lock guarding `metrics`; the index itself is only read.
  std::vector<IndexedSeries> unread_series(const MetricAggregator& metrics, std::size_t max) const;
  // Adds what unread_series() returned (the read position moves on by its size).
  void add(const std::vector<IndexedSeries>& series);
  // unread_series() + add() until nothing is left; for single-threaded callers (tests, benches).
  void catch_up(const MetricAggregator& metrics);

  std::size_t series_indexed() const { return series_read_; }
  std::size_t pairs() const { return pairs_; }  // Distinct (name, source).
  const std::map<std::string, PerName, std::less<>>& names() const { return names_; }
  const std::set<std::string, std::less<>>& sources() const { return sources_; }

 private:
  std::map<std::string, PerName, std::less<>> names_;
  std::set<std::string, std::less<>> sources_;
  std::size_t series_read_ = 0;
  std::size_t pairs_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_METRIC_NAME_INDEX_H_
