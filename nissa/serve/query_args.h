// Reading one endpoint's parameters, with one set of rules for every endpoint of the query API:
//
//   - a name the endpoint does not take is "unknown parameter" (attr.<key> filters only where the
//     endpoint takes them);
//   - a name given twice is "given more than once";
//   - integers are decimal and whole ("expected an integer, got 'x'");
//   - limit is 1..max; severities are debug, info, warning, high or critical; field report
//     outcomes are success, neutral, regression, aborted or unspecified;
//   - a time range is either window=<duration> (e.g. 5m, 1h) or from=<ms>&to=<ms>, never both;
//     from and to go together and to must be after from.
//
// Each reader throws BadParameter, which answer() turns into the 400 reply
// {"error": ..., "parameter": ...}. The stores behind the API never see a parameter.
#ifndef ESPER_NISSA_SERVE_QUERY_ARGS_H_
#define ESPER_NISSA_SERVE_QUERY_ARGS_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nissa/serve/query_params.h"
#include "esper/field_report.pb.h"
#include "esper/severity.pb.h"

namespace esper::nissa {

// A query API reply: a status and a JSON body.
struct QueryReply {
  int status = 200;
  std::string body;
};

struct BadParameter : std::runtime_error {
  BadParameter(std::string parameter_, const std::string& problem)
      : std::runtime_error(problem), parameter(std::move(parameter_)) {}
  std::string parameter;
};

// window=<duration> or from=<ms>&to=<ms>; neither when both are empty.
struct TimeRangeArg {
  std::optional<std::chrono::milliseconds> window;
  std::optional<std::pair<std::int64_t, std::int64_t>> from_to;
};

class QueryArgs {
 public:
  enum class AttributeFilters { kRefused, kAccepted };

  // Throws BadParameter for the first name not in `allowed`.
  QueryArgs(const QueryParams& raw, std::initializer_list<std::string_view> allowed,
            AttributeFilters attributes = AttributeFilters::kRefused);

  std::optional<std::string> text(const std::string& name) const;
  std::optional<std::int64_t> integer(const std::string& name) const;
  std::optional<std::uint64_t> unsigned_integer(const std::string& name) const;
  std::size_t limit(std::size_t fallback, std::size_t max) const;
  std::optional<proto::Severity> severity(const std::string& name) const;
  // success, neutral, regression, aborted or unspecified (FIELD_REPORT_OUTCOME_<that>).
  std::optional<proto::FieldReportOutcome> outcome(const std::string& name) const;
  TimeRangeArg time_range() const;
  // attr.<key>=<value> filters, in name order.
  std::vector<std::pair<std::string, std::string>> attributes() const;

 private:
  const QueryParams& raw_;
};

// Runs an endpoint; a BadParameter it throws becomes the 400 reply.
template <typename Handler>
QueryReply answer(Handler&& handler) {
  try {
    return handler();
  } catch (const BadParameter& e) {
    return QueryReply{400, bad_parameter_json(e.parameter, e.what())};
  }
}

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_QUERY_ARGS_H_
