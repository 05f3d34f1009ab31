// A strict OTLP/HTTP metrics receiver for tests (no real Collector is installed here): listens on a
// free loopback port at /v1/metrics and answers 400 to any request that is not exactly what the
// OTLP specification requires of a sender: Content-Type application/x-protobuf or application/json,
// a body that decodes as an ExportMetricsServiceRequest with no field it does not know (a real
// receiver ignores unknown fields; this one refuses them so a misnumbered or misnamed field fails
// the test), JSON keys in lowerCamelCase and enums as integers, and the fields the specification
// requires (otlp_problems below). What it accepts it keeps, decoded, and answers 200 with an
// ExportMetricsServiceResponse in the request's encoding, or first with scripted statuses.
#ifndef ESPER_TESTS_NISSA_EXPORT_OTLP_RECEIVER_H_
#define ESPER_TESTS_NISSA_EXPORT_OTLP_RECEIVER_H_

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nissa/export/otlp_metrics.pb.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {

using OtlpRequest = otlp::ExportMetricsServiceRequest;

// Whether `message` or any message in it carries fields its definition does not declare.
inline bool has_unknown_fields(const google::protobuf::Message& message) {
  const auto* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, f); ++i) {
        if (has_unknown_fields(reflection->GetRepeatedMessage(message, f, i))) return true;
      }
    } else if (has_unknown_fields(reflection->GetMessage(message, f))) {
      return true;
    }
  }
  return false;
}

// Problems with OTLP/JSON's own rules: keys are lowerCamelCase (never the proto's snake_case) and
// enums are integers.
inline void json_problems(const nlohmann::json& j, std::vector<std::string>& problems) {
  if (j.is_array()) {
    for (const auto& e : j) json_problems(e, problems);
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key.find('_') != std::string::npos) problems.push_back("JSON key '" + key + "' is not lowerCamelCase");
      if (key == "aggregationTemporality" && !value.is_number_integer()) {
        problems.push_back("aggregationTemporality is not an integer: " + value.dump());
      }
      json_problems(value, problems);
    }
  }
}

inline void attribute_problems(const google::protobuf::RepeatedPtrField<otlp::KeyValue>& attributes,
                               const std::string& where, std::vector<std::string>& problems) {
  std::set<std::string> keys;
  for (const auto& kv : attributes) {
    if (kv.key().empty()) problems.push_back(where + ": an attribute has an empty key");
    if (!keys.insert(kv.key()).second) problems.push_back(where + ": attribute '" + kv.key() + "' twice");
    if (kv.value().value_case() == otlp::AnyValue::VALUE_NOT_SET) {
      problems.push_back(where + ": attribute '" + kv.key() + "' has no value");
    }
  }
}

// What the specification requires of a metrics request that `request` does not satisfy.
inline std::vector<std::string> otlp_problems(const OtlpRequest& request) {
  std::vector<std::string> p;
  if (request.resource_metrics_size() == 0) p.push_back("an empty request (senders SHOULD NOT send them)");
  for (const auto& rm : request.resource_metrics()) {
    attribute_problems(rm.resource().attributes(), "resource", p);
    bool named = false;
    for (const auto& kv : rm.resource().attributes()) {
      named |= kv.key() == "service.name" && !kv.value().string_value().empty();
    }
    if (!named) p.push_back("a resource without a string service.name");
    if (rm.scope_metrics_size() == 0) p.push_back("a resource without scope metrics");
    for (const auto& sm : rm.scope_metrics()) {
      if (sm.scope().name().empty()) p.push_back("a scope without a name");
      if (sm.metrics_size() == 0) p.push_back("a scope without metrics");
      for (const auto& m : sm.metrics()) {
        const std::string where = "metric '" + m.name() + "'";
        if (m.name().empty()) p.push_back("a metric without a name");
        auto number_points = [&](const auto& points, bool cumulative) {
          if (points.empty()) p.push_back(where + ": no data points");
          for (const auto& dp : points) {
            attribute_problems(dp.attributes(), where, p);
            if (dp.time_unix_nano() == 0) p.push_back(where + ": time_unix_nano is 0");
            if (dp.value_case() == otlp::NumberDataPoint::VALUE_NOT_SET) p.push_back(where + ": a point without a value");
            if (cumulative && (dp.start_time_unix_nano() == 0 || dp.start_time_unix_nano() > dp.time_unix_nano())) {
              p.push_back(where + ": a cumulative point without a start time before its time");
            }
          }
        };
        switch (m.data_case()) {
          case otlp::Metric::kGauge:
            number_points(m.gauge().data_points(), false);
            break;
          case otlp::Metric::kSum:
            if (m.sum().aggregation_temporality() == otlp::AGGREGATION_TEMPORALITY_UNSPECIFIED) {
              p.push_back(where + ": a sum with UNSPECIFIED temporality (MUST not be used)");
            }
            number_points(m.sum().data_points(),
                          m.sum().aggregation_temporality() == otlp::AGGREGATION_TEMPORALITY_CUMULATIVE);
            break;
          case otlp::Metric::kSummary:
            if (m.summary().data_points().empty()) p.push_back(where + ": no data points");
            for (const auto& dp : m.summary().data_points()) {
              attribute_problems(dp.attributes(), where, p);
              if (dp.time_unix_nano() == 0) p.push_back(where + ": time_unix_nano is 0");
              if (dp.count() == 0 && dp.sum() != 0) p.push_back(where + ": a sum without a count");
              double previous = -1;
              for (const auto& q : dp.quantile_values()) {
                if (q.quantile() < 0 || q.quantile() > 1) p.push_back(where + ": a quantile outside [0, 1]");
                if (q.quantile() <= previous) p.push_back(where + ": quantiles not strictly increasing");
                previous = q.quantile();
              }
            }
            break;
          default:
            p.push_back(where + ": no data (gauge, sum or summary)");
        }
      }
    }
  }
  return p;
}

class OtlpReceiver {
 public:
  OtlpReceiver() {
    server_.Post("/v1/metrics", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    esper::testing::wait_until([&] { return server_.is_running(); }, std::chrono::seconds(5));
  }
  ~OtlpReceiver() {
    server_.stop();
    thread_.join();
  }
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  std::string url() const { return base_url() + "/v1/metrics"; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next requests are answered with these statuses (body "scripted"), whatever they carry.
  void script(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), statuses);
  }
  // The next accepted request is answered with a partial success rejecting `points`.
  void answer_partial_success(std::int64_t points) {
    std::lock_guard lock(mu_);
    partial_ = points;
  }

  std::vector<OtlpRequest> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mu_);
    return content_types_;
  }
  std::vector<std::string> refusals() {
    std::lock_guard lock(mu_);
    return refusals_;
  }
  std::string header(const std::string& name) {
    std::lock_guard lock(mu_);
    return last_headers_.count(name) ? last_headers_.find(name)->second : "";
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void refuse(httplib::Response& res, const std::string& why) {
    refusals_.push_back(why);
    res.status = 400;
    res.set_content(why, "text/plain");
  }

  void answer(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    ++requests_;
    last_headers_ = req.headers;
    if (!script_.empty()) {
      res.status = script_.front();
      script_.pop_front();
      res.set_content("scripted", "text/plain");
      return;
    }
    const std::string type = req.get_header_value("Content-Type");
    if (req.has_header("Content-Encoding")) return refuse(res, "unexpected Content-Encoding");
    OtlpRequest request;
    if (type == "application/x-protobuf") {
      if (!request.ParseFromString(req.body)) return refuse(res, "the body is not an ExportMetricsServiceRequest");
      if (has_unknown_fields(request)) return refuse(res, "the body has fields OTLP does not define");
    } else if (type == "application/json") {
      google::protobuf::util::JsonParseOptions strict;
      strict.ignore_unknown_fields = false;
      if (!google::protobuf::util::JsonStringToMessage(req.body, &request, strict).ok()) {
        return refuse(res, "the body is not an OTLP/JSON ExportMetricsServiceRequest");
      }
      std::vector<std::string> problems;
      json_problems(nlohmann::json::parse(req.body), problems);
      if (!problems.empty()) return refuse(res, problems.front());
    } else {
      return refuse(res, "Content-Type '" + type + "' is neither application/x-protobuf nor application/json");
    }
    if (const auto problems = otlp_problems(request); !problems.empty()) return refuse(res, problems.front());
    accepted_.push_back(request);
    content_types_.push_back(type);
    otlp::ExportMetricsServiceResponse response;
    if (partial_ > 0) {
      response.mutable_partial_success()->set_rejected_data_points(partial_);
      response.mutable_partial_success()->set_error_message("scripted rejection");
      partial_ = 0;
    }
    std::string body;
    if (type == "application/json") {
      google::protobuf::util::MessageToJsonString(response, &body);
    } else {
      response.SerializeToString(&body);
    }
    res.status = 200;
    res.set_content(body, type);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<int> script_;
  std::int64_t partial_ = 0;
  std::vector<OtlpRequest> accepted_;
  std::vector<std::string> content_types_;
  std::vector<std::string> refusals_;
  httplib::Headers last_headers_;
  int requests_ = 0;
};

// The data points named `name` in `requests`, with their resource's service.name.
struct FoundPoint {
  std::string service;
  const otlp::Metric* metric = nullptr;
  int index = 0;  // In the metric's data points.
};
inline std::vector<FoundPoint> find_metric(const std::vector<OtlpRequest>& requests, const std::string& name) {
  std::vector<FoundPoint> out;
  for (const auto& r : requests) {
    for (const auto& rm : r.resource_metrics()) {
      std::string service;
      for (const auto& kv : rm.resource().attributes()) {
        if (kv.key() == "service.name") service = kv.value().string_value();
      }
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          if (m.name() != name) continue;
          const int n = m.has_gauge() ? m.gauge().data_points_size()
                        : m.has_sum() ? m.sum().data_points_size()
                                      : m.summary().data_points_size();
          for (int i = 0; i < n; ++i) out.push_back({service, &m, i});
        }
      }
    }
  }
  return out;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_EXPORT_OTLP_RECEIVER_H_
