// Searching metric names without shipping every series: the dashboard's series explorer asks for
// one page of names at a time, so it stays responsive with 100k series.
//
//   GET /api/v1/metrics/search ?q=<substring, case-insensitive> &source= &offset= &limit= (default
//       50, at most 1000)
//   -> {"metrics": [{"metric", "source", "kind", "unit", "series"}...],   sorted by metric, source
//       "matched": <distinct (metric, source) pairs matching>, "offset", "limit",
//       "sources": [every source Nissa has a series of, sorted]}
//
// A search reads a MetricNameIndex (nissa/serve/metric_name_index.h), not the aggregator: its work
// is one substring test per distinct metric name plus the page it returns (offset skips whole
// names by their source counts), and it never holds the aggregator's lock, so a burst of searches
// does not delay ingest. What ingest pays is the catching up: each new series is copied once, in
// slices of at most kSeriesPerSlice per lock.
#ifndef ESPER_NISSA_SERVE_METRIC_SEARCH_H_
#define ESPER_NISSA_SERVE_METRIC_SEARCH_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "nissa/serve/metric_name_index.h"
#include "nissa/serve/query_args.h"

namespace esper::nissa {

inline constexpr std::size_t kMaxSearchPage = 1000;

// One page of `index`'s names matching `params`.
QueryReply metric_search_reply(const MetricNameIndex& index, const QueryParams& params);

// The endpoint over a live aggregator: an index shared by every request, caught up before each.
class MetricSearch {
 public:
  static constexpr std::size_t kSeriesPerSlice = 4096;
  // Slices one reply copies at most (262,144 series): when series arrive faster than that, a
  // search answers from what is indexed and the next one goes on from there.
  static constexpr std::size_t kMaxSlicesPerReply = 64;

  // Runs index.unread_series(aggregator, max) under the lock guarding the aggregator (for Nissa,
  // Observer::read) and returns what it copied.
  using ReadUnread = std::function<std::vector<IndexedSeries>(const MetricNameIndex& index, std::size_t max)>;

  explicit MetricSearch(ReadUnread read_unread) : read_unread_(std::move(read_unread)) {}

  // Thread-safe. Catches the index up (a slice per lock), then answers from it.
  QueryReply reply(const QueryParams& params);

 private:
  ReadUnread read_unread_;
  std::mutex mu_;  // Guards index_; taken before the aggregator's lock, never after it.
  MetricNameIndex index_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_METRIC_SEARCH_H_
