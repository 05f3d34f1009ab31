// Searching metric names without shipping every series: the dashboard's series explorer asks for
// one page of names at a time, so it stays responsive with 100k series.
//
//   GET /api/v1/metrics/search ?q=<substring, case-insensitive> &source= &offset= &limit= (default 50)
//   -> {"metrics": [{"metric", "source", "kind", "unit", "series"}...],   sorted by metric, source
//       "matched": <distinct (metric, source) pairs matching>, "offset", "limit",
//       "sources": [every source Nissa has a series of, sorted]}
#ifndef ESPER_NISSA_SERVE_METRIC_SEARCH_H_
#define ESPER_NISSA_SERVE_METRIC_SEARCH_H_

#include "nissa/serve/query_args.h"
#include "nissa/store/metric_aggregator.h"

namespace esper::nissa {

QueryReply metric_search_reply(const MetricAggregator& metrics, const QueryParams& params);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_METRIC_SEARCH_H_
