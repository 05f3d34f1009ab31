// Nissa's JSON query API, independent of the HTTP server that carries it so it can be tested
// directly. Parameters arrive decoded and checked as UTF-8 (nissa/serve/query_params.h); every handler
// validates them and answers 400 with {"error": "...", "parameter": "..."} (bad_parameter_json) for
// an unknown parameter or a bad value.
//
//   GET /api/v1/series         ?metric= &source= &attr.<key>=<value> &limit=
//   GET /api/v1/rollups        ?metric= (required) &source= &attr.<key>=<value> &group_by=a,b
//                              &window=1h | &from=<ms>&to=<ms> &step=<duration>
//                              (step: also "points" per group, one per step with data; a chart's line)
//   GET /api/v1/events         ?since=<ms> &min_severity=warning &source= &limit=
//   GET /api/v1/field_reports  ?report_id= | ?outcome=success|neutral|regression|aborted|unspecified
//                              &source= &offset= &limit= (default 1000, at most 100000)
//                              -> {"total": stored, "matched": kept by the filters, "field_reports"}
//                              (offset counts matching reports, oldest first)
//
// Rollup windows are aligned to bucket boundaries; `window=D` means the D before the end of the
// current bucket. Derived fields (mean, stddev, rate, quantiles) are computed from the merged
// additive fields of the window at request time.
#ifndef ESPER_NISSA_SERVE_QUERY_API_H_
#define ESPER_NISSA_SERVE_QUERY_API_H_

#include <cstdint>
#include <functional>
#include <string>

#include "nissa/store/event_log.h"
#include "nissa/store/field_report_store.h"
#include "nissa/store/metric_aggregator.h"
#include "nissa/serve/query_args.h"

namespace esper::nissa {

class QueryApi {
 public:
  using Clock = std::function<std::int64_t()>;  // Now, in ms since the Unix epoch.

  QueryApi(const MetricAggregator& metrics, const EventLog& events,
           const FieldReportStore& reports, Clock now_ms);

  QueryReply series(const QueryParams& params) const;
  QueryReply rollups(const QueryParams& params) const;
  QueryReply events(const QueryParams& params) const;
  QueryReply field_reports(const QueryParams& params) const;

 private:
  const MetricAggregator& metrics_;
  const EventLog& events_;
  const FieldReportStore& reports_;
  Clock now_ms_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_QUERY_API_H_
