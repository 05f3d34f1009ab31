// esper._native: the C++ producer client, field-report outbox and bus subscriber for the esper
// package (python/esper/). Argument conversion happens with the GIL held; the GIL is released
// wherever C++ may wait (an emergency publish up to the send bound, a WAL fsync, flush, close, a
// subscriber's receive), never on the record path, which is a lock held for O(1) and no I/O: there
// releasing and taking the GIL back would cost more than the work.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "config/config_error.h"
#include "python/src/native_producer.h"
#include "python/src/native_subscriber.h"
#include "python/src/python_values.h"

namespace py = pybind11;

namespace esper::python {

namespace {

std::chrono::milliseconds millis(double seconds, const char* what) {
  if (!(seconds >= 0)) throw py::value_error(std::string(what) + " must be a number of seconds >= 0");
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

std::string metric_name_of(py::handle key) {
  auto name = text_of(key, "metric name");
  if (name.empty()) throw py::value_error("a metric name must not be empty");
  return name;
}

void set_attributes(proto::MetricPoint& point, const std::map<std::string, std::string>& attributes) {
  for (const auto& [k, v] : attributes) (*point.mutable_attributes())[k] = v;
}

void record_point(NativeProducer& producer, const std::string& name, py::handle value, const std::string& unit,
                  const std::string& kind, const py::object& step, const py::object& attributes) {
  proto::MetricPoint point;
  point.set_value(number_of(value, "metric", name));
  point.set_name(name);
  point.set_unit(unit);
  point.set_kind(metric_kind_of(kind));
  if (!step.is_none()) point.set_step(step.cast<std::uint64_t>());
  set_attributes(point, attributes_of(attributes, "attributes"));
  producer.record(std::move(point));
}

// log(): one point per entry, with the same step, kind and attributes. A value is a number or a
// (number, unit) pair; otherwise its unit is units[name], else "". Everything is checked before
// anything is recorded, so a bad entry records nothing.
std::size_t log_metrics(NativeProducer& producer, const py::dict& metrics, const py::object& step,
                        const py::object& units, const std::string& kind, const py::object& attributes) {
  if (!units.is_none() && !PyDict_Check(units.ptr())) throw py::type_error("units: expected a dict");
  const auto common = attributes_of(attributes, "attributes");
  const auto metric_kind = metric_kind_of(kind);
  std::optional<std::uint64_t> at_step;
  if (!step.is_none()) {
    if (!PyLong_Check(step.ptr()) || PyBool_Check(step.ptr())) throw py::type_error("step: expected an int");
    const auto n = PyLong_AsLongLong(step.ptr());
    if (n < 0 || (n == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      throw py::value_error("step must be an int >= 0");
    }
    at_step = static_cast<std::uint64_t>(n);
  }
  std::vector<proto::MetricPoint> points;
  points.reserve(static_cast<std::size_t>(PyDict_Size(metrics.ptr())));
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  Py_ssize_t pos = 0;
  while (PyDict_Next(metrics.ptr(), &pos, &key, &value)) {
    auto& point = points.emplace_back();
    point.set_name(metric_name_of(key));
    py::handle number = value;
    if (PyTuple_Check(value)) {
      if (PyTuple_GET_SIZE(value) != 2) {
        throw py::value_error("metric '" + point.name() + "': expected a number or a (number, unit) pair");
      }
      number = PyTuple_GET_ITEM(value, 0);
      point.set_unit(text_of(PyTuple_GET_ITEM(value, 1), "unit of metric", point.name()));
    } else if (!units.is_none()) {
      if (PyObject* unit = PyDict_GetItemWithError(units.ptr(), key)) {
        point.set_unit(text_of(unit, "unit of metric", point.name()));
      } else if (PyErr_Occurred()) {
        throw py::error_already_set();
      }
    }
    point.set_value(number_of(number, "metric", point.name()));
    point.set_kind(metric_kind);
    if (at_step) point.set_step(*at_step);
    set_attributes(point, common);
  }
  for (auto& point : points) producer.record(std::move(point));
  return points.size();
}

std::string issue_field_report(NativeProducer& producer, const std::string& command_id, const py::object& outcome,
                               const py::object& metrics, const std::string& training_run_id,
                               const std::string& seed_id, const std::string& blueprint_id,
                               std::uint32_t observation_window_epochs, std::uint32_t target_epochs,
                               const std::string& report_id) {
  if (command_id.empty()) throw py::value_error("a field report needs a command_id");
  proto::FieldReport report;
  report.set_report_id(report_id);
  report.set_command_id(command_id);
  report.set_training_run_id(training_run_id);
  report.set_seed_id(seed_id);
  report.set_blueprint_id(blueprint_id);
  report.set_outcome(outcome_of(outcome));
  report.set_observation_window_epochs(observation_window_epochs);
  report.set_target_epochs(target_epochs);
  if (!metrics.is_none()) {
    if (!PyDict_Check(metrics.ptr())) throw py::type_error("metrics: expected a dict of numbers");
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(metrics.ptr(), &pos, &key, &value)) {
      auto name = metric_name_of(key);
      (*report.mutable_metrics())[name] = number_of(value, "field report metric", name);
    }
  }
  py::gil_scoped_release release;  // The WAL's fsync.
  return producer.field_report(std::move(report));
}

py::dict stats_of(const NativeProducer& producer) {
  const auto s = producer.stats();
  py::dict d;
  d["recorded_points"] = s.recorded_points;
  d["recorded_events"] = s.recorded_events;
  d["points_published"] = s.runtime.points_published;
  d["dropped"] = s.runtime.dropped_total;
  d["depth"] = s.depth;
  d["suppressed"] = s.suppressed;
  d["unsent_emergency"] = s.unsent_emergency;
  d["flushes_answered"] = s.runtime.flushes_answered;
  d["timer_flushes"] = s.runtime.timer_flushes;
  d["batch_drains"] = s.runtime.batch_drains;
  d["supervised"] = s.runtime.supervised;
  if (s.has_reports) {
    py::dict r;
    r["pending"] = s.reports.pending_total;
    r["published"] = s.reports.published_cumulative;
    r["retries"] = s.reports.retries_cumulative;
    r["settled"] = s.reports.settled_cumulative;
    r["dropped"] = s.reports.dropped_total;
    r["wal_errors"] = s.reports.wal_errors;
    r["wal_corrupt_records"] = s.reports.wal_corrupt_records;
    d["field_reports"] = r;
  }
  return d;
}

}  // namespace

}  // namespace esper::python

PYBIND11_MODULE(_native, m) {
  using esper::python::NativeProducer;
  using esper::python::NativeSubscriber;
  m.doc() = "The C++ producer client, field-report outbox and bus subscriber behind the esper package.";
  // The client's log lines (outbox replay, WAL trouble) on stderr: a Python program's stdout is its own.
  spdlog::set_default_logger(spdlog::stderr_color_mt("esper"));

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const esper::config::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  py::class_<NativeProducer>(m, "NativeProducer")
      .def(py::init([](const std::string& service, const std::string& runtime_dir, const std::string& config,
                       const std::string& state_dir, const std::string& version, std::size_t capacity,
                       std::size_t max_points_per_packet, std::size_t drain_batch_points,
                       std::size_t drain_batch_bytes, double flush_interval_s, double send_timeout_s,
                       std::uint32_t report_retry_cap, double report_initial_backoff_s,
                       double report_max_backoff_s, double report_cycle_s) {
             esper::python::NativeProducerOptions o;
             o.service = service;
             o.runtime_dir = runtime_dir;
             o.config = config;
             o.state_dir = state_dir;
             o.version = version;
             o.capacity = capacity;
             o.max_points_per_packet = max_points_per_packet;
             o.drain_batch_points = drain_batch_points;
             o.drain_batch_bytes = drain_batch_bytes;
             o.flush_interval = esper::python::millis(flush_interval_s, "flush_interval_s");
             o.send_timeout = esper::python::millis(send_timeout_s, "send_timeout_s");
             o.reports.retry_cap = report_retry_cap;
             o.reports.initial_backoff = esper::python::millis(report_initial_backoff_s, "report_initial_backoff_s");
             o.reports.max_backoff = esper::python::millis(report_max_backoff_s, "report_max_backoff_s");
             o.reports.cycle = std::max(std::chrono::milliseconds(1),
                                        esper::python::millis(report_cycle_s, "report_cycle_s"));
             py::gil_scoped_release release;  // Opening (and replaying) the WAL.
             return std::make_unique<NativeProducer>(std::move(o));
           }),
           py::arg("service"), py::arg("runtime_dir") = "", py::arg("config") = "", py::arg("state_dir") = "",
           py::arg("version") = "dev", py::arg("capacity") = 100000, py::arg("max_points_per_packet") = 500,
           py::arg("drain_batch_points") = 1000, py::arg("drain_batch_bytes") = 65536,
           py::arg("flush_interval_s") = 1.0, py::arg("send_timeout_s") = 0.1, py::arg("report_retry_cap") = 5,
           py::arg("report_initial_backoff_s") = 1.0, py::arg("report_max_backoff_s") = 60.0,
           py::arg("report_cycle_s") = 0.1)
      .def(
          "record",
          [](NativeProducer& p, py::handle name, py::handle value, const std::string& unit, const std::string& kind,
             const py::object& step, const py::object& attributes) {
            esper::python::record_point(p, esper::python::metric_name_of(name), value, unit, kind, step, attributes);
          },
          py::arg("name"), py::arg("value"), py::arg("unit") = "", py::arg("kind") = "gauge",
          py::arg("step") = py::none(), py::arg("attributes") = py::none(),
          "Buffers one metric point; never blocks (the GIL is kept: the call is a lock held for O(1)).")
      .def("log", &esper::python::log_metrics, py::arg("metrics"), py::arg("step") = py::none(),
           py::arg("units") = py::none(), py::arg("kind") = "gauge", py::arg("attributes") = py::none(),
           "Buffers one point per entry of `metrics`; returns how many.")
      .def(
          "event",
          [](NativeProducer& p, const std::string& description, py::handle severity, const py::object& attributes) {
            const auto level = esper::python::severity_of(severity);
            const auto attrs = esper::python::attributes_of(attributes, "attributes");
            if (level >= esper::proto::SEVERITY_HIGH) {
              py::gil_scoped_release release;  // Published at once: may wait up to send_timeout.
              return p.event(description, level, attrs);
            }
            return p.event(description, level, attrs);
          },
          py::arg("description"), py::arg("severity") = "info", py::arg("attributes") = py::none())
      .def("field_report", &esper::python::issue_field_report, py::arg("command_id"),
           py::arg("outcome") = "neutral", py::arg("metrics") = py::none(), py::arg("training_run_id") = "",
           py::arg("seed_id") = "", py::arg("blueprint_id") = "", py::arg("observation_window_epochs") = 0,
           py::arg("target_epochs") = 0, py::arg("report_id") = "")
      .def(
          "flush",
          [](NativeProducer& p, double timeout_s) {
            const auto timeout = esper::python::millis(timeout_s, "timeout_s");
            py::gil_scoped_release release;
            return p.flush(timeout);
          },
          py::arg("timeout_s") = 5.0)
      .def(
          "wait_reports_settled",
          [](NativeProducer& p, double timeout_s) {
            const auto timeout = esper::python::millis(timeout_s, "timeout_s");
            py::gil_scoped_release release;
            return p.wait_reports_settled(timeout);
          },
          py::arg("timeout_s") = 10.0)
      .def("pending_reports", &NativeProducer::pending_reports)
      .def("close", &NativeProducer::close, py::call_guard<py::gil_scoped_release>())
      .def("stats", &esper::python::stats_of)
      .def_property_readonly("service", &NativeProducer::service)
      .def_property_readonly("instance", &NativeProducer::instance)
      .def_property_readonly("runtime_dir", &NativeProducer::runtime_dir)
      .def_property_readonly("closed", &NativeProducer::closed);

  py::class_<NativeSubscriber>(m, "NativeSubscriber")
      .def(py::init([](const std::string& runtime_dir, const std::string& config, const std::string& name,
                       std::vector<std::string> prefixes, bool normal, bool emergency) {
             esper::python::NativeSubscriberOptions o;
             o.runtime_dir = runtime_dir;
             o.config = config;
             o.name = name;
             o.prefixes = std::move(prefixes);
             o.normal = normal;
             o.emergency = emergency;
             return std::make_unique<NativeSubscriber>(o);
           }),
           py::arg("runtime_dir") = "", py::arg("config") = "", py::arg("name") = "",
           py::arg("prefixes") = std::vector<std::string>{""}, py::arg("normal") = true,
           py::arg("emergency") = true)
      .def(
          "receive",
          [](NativeSubscriber& s, double timeout_s) -> py::object {
            const auto timeout = esper::python::millis(timeout_s, "timeout_s");
            std::optional<esper::python::ReceivedEnvelope> got;
            {
              py::gil_scoped_release release;
              got = s.receive(timeout);
            }
            // A signal may have cut the wait short: its Python handler runs now (KeyboardInterrupt).
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
            if (!got) return py::none();
            return py::make_tuple(got->lane, got->topic, py::bytes(got->envelope));
          },
          py::arg("timeout_s") = 1.0)
      .def_property_readonly("received", &NativeSubscriber::received)
      .def_property_readonly("rejected", &NativeSubscriber::rejected)
      .def_property_readonly("missed", &NativeSubscriber::missed)
      .def("connected", &NativeSubscriber::connected);
}
