#include "python/src/python_values.h"

#include <string>

#include "proto/topic.h"

namespace py = pybind11;

namespace esper::python {

namespace {

std::string type_name(py::handle value) { return Py_TYPE(value.ptr())->tp_name; }

std::string describe(std::string_view what, std::string_view name) {
  std::string text(what);
  if (!name.empty()) text.append(" '").append(name).append("'");
  return text;
}

}  // namespace

std::string text_of(py::handle value, std::string_view what, std::string_view name) {
  if (!PyUnicode_Check(value.ptr())) {
    throw py::type_error(describe(what, name) + ": expected str, got " + type_name(value));
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(value.ptr(), &size);
  if (!data) throw py::error_already_set();
  return std::string(data, static_cast<std::size_t>(size));
}

double number_of(py::handle value, std::string_view what, std::string_view name) {
  PyObject* o = value.ptr();
  if (PyFloat_CheckExact(o)) return PyFloat_AS_DOUBLE(o);
  // float("1.5") would parse text: a str is a caller's mistake here, not a number.
  if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o) || !PyNumber_Check(o)) {
    throw py::type_error(describe(what, name) + ": expected a number, got " + type_name(value));
  }
  const double d = PyFloat_AsDouble(o);
  if (d == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    throw py::type_error(describe(what, name) + ": expected a real number, got " + type_name(value));
  }
  return d;
}

proto::Severity severity_of(py::handle value) {
  if (PyUnicode_Check(value.ptr())) {
    const auto name = text_of(value, "severity");
    const auto parsed = proto::parse_severity(name);
    if (!parsed) {
      throw py::value_error("unknown severity '" + name + "': one of debug, info, warning, high, critical");
    }
    return *parsed;
  }
  if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) {
    const long n = PyLong_AsLong(value.ptr());
    if (n >= proto::SEVERITY_DEBUG && n <= proto::SEVERITY_CRITICAL) return static_cast<proto::Severity>(n);
    if (PyErr_Occurred()) PyErr_Clear();
    throw py::value_error("severity " + std::to_string(n) + " out of range: 1 (DEBUG) to 5 (CRITICAL)");
  }
  throw py::type_error("severity: expected esper.Severity, int or str, got " + type_name(value));
}

proto::MetricKind metric_kind_of(std::string_view kind) {
  if (kind == "gauge") return proto::METRIC_KIND_GAUGE;
  if (kind == "counter") return proto::METRIC_KIND_COUNTER;
  if (kind == "histogram") return proto::METRIC_KIND_HISTOGRAM;
  throw py::value_error("unknown metric kind '" + std::string(kind) + "': one of gauge, counter, histogram");
}

proto::FieldReportOutcome outcome_of(py::handle value) {
  if (PyUnicode_Check(value.ptr())) {
    const auto name = text_of(value, "outcome");
    if (name == "success") return proto::FIELD_REPORT_OUTCOME_SUCCESS;
    if (name == "neutral") return proto::FIELD_REPORT_OUTCOME_NEUTRAL;
    if (name == "regression") return proto::FIELD_REPORT_OUTCOME_REGRESSION;
    if (name == "aborted") return proto::FIELD_REPORT_OUTCOME_ABORTED;
    throw py::value_error("unknown outcome '" + name + "': one of success, neutral, regression, aborted");
  }
  if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) {
    const long n = PyLong_AsLong(value.ptr());
    if (n >= proto::FIELD_REPORT_OUTCOME_SUCCESS && n <= proto::FIELD_REPORT_OUTCOME_ABORTED) {
      return static_cast<proto::FieldReportOutcome>(n);
    }
    if (PyErr_Occurred()) PyErr_Clear();
    throw py::value_error("outcome " + std::to_string(n) + " out of range: 1 (success) to 4 (aborted)");
  }
  throw py::type_error("outcome: expected str or int, got " + type_name(value));
}

std::map<std::string, std::string> attributes_of(py::handle value, std::string_view what) {
  std::map<std::string, std::string> out;
  if (value.is_none()) return out;
  if (!PyDict_Check(value.ptr())) throw py::type_error(std::string(what) + ": expected a dict, got " + type_name(value));
  PyObject* key = nullptr;
  PyObject* item = nullptr;
  Py_ssize_t pos = 0;
  while (PyDict_Next(value.ptr(), &pos, &key, &item)) {
    auto k = text_of(key, std::string(what) + " key");
    out[std::move(k)] = PyUnicode_Check(item) ? text_of(item, what) : std::string(py::str(item));
  }
  return out;
}

}  // namespace esper::python
