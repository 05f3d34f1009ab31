// Python values into the wire contract's types, with a Python exception that names what was wrong
// (TypeError for a value of the wrong type, ValueError for a bad one) instead of a crash or a
// silently wrong point. Call with the GIL held.
#ifndef ESPER_PYTHON_SRC_PYTHON_VALUES_H_
#define ESPER_PYTHON_SRC_PYTHON_VALUES_H_

#include <pybind11/pybind11.h>

#include <map>
#include <string>
#include <string_view>

#include "esper/field_report.pb.h"
#include "esper/severity.pb.h"
#include "esper/telemetry.pb.h"

namespace esper::python {

// Errors name the value as "<what>" or, with a name, "<what> '<name>'": the text is only built
// when there is an error, since these run once per metric point.
// A str's UTF-8 text; TypeError for anything else.
std::string text_of(pybind11::handle value, std::string_view what, std::string_view name = {});
// int, float, bool, or anything with __float__ (numpy scalars, 0-d arrays); not str or bytes.
double number_of(pybind11::handle value, std::string_view what, std::string_view name = {});
// Severity.HIGH, 4 or "high" (also "warn", "crit"); never UNSPECIFIED.
proto::Severity severity_of(pybind11::handle value);
// "gauge", "counter" or "histogram".
proto::MetricKind metric_kind_of(std::string_view kind);
// "success", "neutral", "regression", "aborted" (or their numbers).
proto::FieldReportOutcome outcome_of(pybind11::handle value);
// A dict of str keys; values made text with str().
std::map<std::string, std::string> attributes_of(pybind11::handle value, std::string_view what);

}  // namespace esper::python

#endif  // ESPER_PYTHON_SRC_PYTHON_VALUES_H_
