// A strict stand-in for an MLflow tracking server, for tests (no MLflow can be installed here):
// serves the two REST calls Nissa makes on a free loopback port and answers 400
// INVALID_PARAMETER_VALUE to anything MLflow's documentation does not allow, stricter than MLflow
// where Esper's contract is (a metric without a step is refused):
//
//   POST /api/2.0/mlflow/runs/create     JSON; experiment_id (string, of an existing experiment,
//                                        else 404 RESOURCE_DOES_NOT_EXIST), run_name, start_time
//                                        (integer), tags ([{key, value}]); no other field.
//   POST /api/2.0/mlflow/runs/log-batch  JSON of at most 1 MB; run_id of an existing run (else 404
//                                        RESOURCE_DOES_NOT_EXIST); metrics, at most 1000, each
//                                        exactly {key, value, timestamp, step}: key a string of 1 to
//                                        250 characters from [A-Za-z0-9_-./ ], value a number,
//                                        timestamp and step integers.
//
// What it accepts it keeps. Scripted statuses answer the next log-batch requests instead.
#ifndef ESPER_TESTS_NISSA_EXPORT_MLFLOW_RECEIVER_H_
#define ESPER_TESTS_NISSA_EXPORT_MLFLOW_RECEIVER_H_

#include <httplib.h>

#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/wait_until.h"

namespace esper::nissa::testing {

struct LoggedMetric {
  std::string run_id;
  std::string key;
  double value = 0;
  std::int64_t timestamp = 0;
  std::int64_t step = 0;
};

struct CreatedRun {
  std::string run_id;
  std::string experiment_id;
  std::string run_name;
  std::map<std::string, std::string> tags;
};

class MlflowReceiver {
 public:
  MlflowReceiver() {
    server_.Post("/api/2.0/mlflow/runs/create",
                 [this](const httplib::Request& req, httplib::Response& res) { create(req, res); });
    server_.Post("/api/2.0/mlflow/runs/log-batch",
                 [this](const httplib::Request& req, httplib::Response& res) { log_batch(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    esper::testing::wait_until([&] { return server_.is_running(); }, std::chrono::seconds(5));
  }
  ~MlflowReceiver() {
    server_.stop();
    thread_.join();
  }
  MlflowReceiver(const MlflowReceiver&) = delete;
  MlflowReceiver& operator=(const MlflowReceiver&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A run that exists before the test (as one a user created by hand).
  void add_run(const std::string& run_id) {
    std::lock_guard lock(mu_);
    runs_.insert(run_id);
  }
  // As if a user deleted the run: log-batch to it is refused from now on.
  void delete_run(const std::string& run_id) {
    std::lock_guard lock(mu_);
    runs_.erase(run_id);
  }
  // The next log-batch requests are answered with these statuses, whatever they carry.
  void script(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), statuses);
  }

  std::vector<LoggedMetric> metrics() {
    std::lock_guard lock(mu_);
    return metrics_;
  }
  std::vector<CreatedRun> created() {
    std::lock_guard lock(mu_);
    return created_;
  }
  std::vector<std::string> refusals() {
    std::lock_guard lock(mu_);
    return refusals_;
  }
  // Metrics per accepted log-batch request, in order.
  std::vector<std::size_t> batch_sizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }
  int log_batch_requests() {
    std::lock_guard lock(mu_);
    return log_batch_requests_;
  }

 private:
  using json = nlohmann::json;

  void error(httplib::Response& res, int status, const std::string& code, const std::string& why) {
    if (status == 400) refusals_.push_back(why);
    res.status = status;
    res.set_content(json{{"error_code", code}, {"message", why}}.dump(), "application/json");
  }

  // The request's JSON object, or nullopt after answering 400.
  std::optional<json> body_of(const httplib::Request& req, httplib::Response& res,
                              const std::set<std::string>& allowed) {
    if (req.get_header_value("Content-Type") != "application/json") {
      error(res, 400, "INVALID_PARAMETER_VALUE", "Content-Type is not application/json");
      return std::nullopt;
    }
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) {
      error(res, 400, "INVALID_PARAMETER_VALUE", "the body is not a JSON object");
      return std::nullopt;
    }
    for (const auto& [key, value] : j.items()) {
      if (!allowed.contains(key)) {
        error(res, 400, "INVALID_PARAMETER_VALUE", "unknown field '" + key + "'");
        return std::nullopt;
      }
    }
    return j;
  }

  void create(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    auto j = body_of(req, res, {"experiment_id", "run_name", "start_time", "tags", "user_id"});
    if (!j) return;
    if (!(*j)["experiment_id"].is_string()) {
      return error(res, 400, "INVALID_PARAMETER_VALUE", "experiment_id is not a string");
    }
    const std::string experiment = (*j)["experiment_id"];
    if (experiment != "0" && experiment != "7") {
      return error(res, 404, "RESOURCE_DOES_NOT_EXIST", "no experiment " + experiment);
    }
    if (j->contains("start_time") && !(*j)["start_time"].is_number_integer()) {
      return error(res, 400, "INVALID_PARAMETER_VALUE", "start_time is not an integer");
    }
    CreatedRun run;
    run.experiment_id = experiment;
    run.run_name = j->value("run_name", "");
    for (const auto& t : j->value("tags", json::array())) {
      if (!t.is_object() || t.size() != 2 || !t["key"].is_string() || !t["value"].is_string() ||
          t["key"].get<std::string>().size() > 250 || t["value"].get<std::string>().size() > 5000) {
        return error(res, 400, "INVALID_PARAMETER_VALUE", "a tag is not {key, value} within MLflow's sizes");
      }
      run.tags[t["key"]] = t["value"];
    }
    char id[33];
    std::snprintf(id, sizeof id, "%032x", ++next_run_);
    run.run_id = id;
    runs_.insert(run.run_id);
    created_.push_back(run);
    json tags = json::array();
    for (const auto& [k, v] : run.tags) tags.push_back({{"key", k}, {"value", v}});
    res.status = 200;
    res.set_content(json{{"run", {{"info", {{"run_id", run.run_id}, {"run_uuid", run.run_id},
                                            {"experiment_id", experiment}, {"run_name", run.run_name},
                                            {"status", "RUNNING"}, {"lifecycle_stage", "active"},
                                            {"artifact_uri", "mlflow-artifacts:/" + experiment + "/" +
                                                                 run.run_id + "/artifacts"}}},
                                  {"data", {{"tags", tags}}}}}}
                        .dump(),
                    "application/json");
  }

  static bool key_ok(const std::string& key) {
    if (key.empty() || key.size() > 250) return false;
    for (char c : key) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && std::string_view("_-./ ").find(c) == std::string_view::npos) return false;
    }
    return true;
  }

  void log_batch(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    ++log_batch_requests_;
    if (!script_.empty()) {
      res.status = script_.front();
      script_.pop_front();
      res.set_content("{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"scripted\"}", "application/json");
      return;
    }
    if (req.body.size() > 1'000'000) return error(res, 400, "INVALID_PARAMETER_VALUE", "the request is over 1 MB");
    auto j = body_of(req, res, {"run_id", "metrics", "params", "tags"});
    if (!j) return;
    if (!(*j)["run_id"].is_string()) return error(res, 400, "INVALID_PARAMETER_VALUE", "run_id is not a string");
    const std::string run_id = (*j)["run_id"];
    const json metrics = j->value("metrics", json::array());
    if (!metrics.is_array() || metrics.empty()) {
      return error(res, 400, "INVALID_PARAMETER_VALUE", "metrics is not a non-empty array");
    }
    if (metrics.size() > 1000) {
      return error(res, 400, "INVALID_PARAMETER_VALUE",
                   "A batch logging request can contain at most 1000 metrics. Got " + std::to_string(metrics.size()));
    }
    if (j->contains("params") || j->contains("tags")) {
      return error(res, 400, "INVALID_PARAMETER_VALUE", "Nissa sends metrics only");
    }
    std::vector<LoggedMetric> batch;
    for (const auto& m : metrics) {
      if (!m.is_object() || m.size() != 4 || !m.contains("key") || !m["key"].is_string() ||
          !key_ok(m["key"]) || !m.contains("value") || !m["value"].is_number() || !m.contains("timestamp") ||
          !m["timestamp"].is_number_integer() || !m.contains("step") || !m["step"].is_number_integer()) {
        return error(res, 400, "INVALID_PARAMETER_VALUE", "a metric is not {key, value, timestamp, step}: " + m.dump());
      }
      batch.push_back({run_id, m["key"], m["value"], m["timestamp"], m["step"]});
    }
    if (!runs_.contains(run_id)) return error(res, 404, "RESOURCE_DOES_NOT_EXIST", "no run " + run_id);
    metrics_.insert(metrics_.end(), batch.begin(), batch.end());
    batch_sizes_.push_back(batch.size());
    res.status = 200;
    res.set_content("{}", "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::set<std::string> runs_;
  unsigned next_run_ = 0x5eed0000;
  std::deque<int> script_;
  std::vector<LoggedMetric> metrics_;
  std::vector<CreatedRun> created_;
  std::vector<std::size_t> batch_sizes_;
  std::vector<std::string> refusals_;
  int log_batch_requests_ = 0;
};

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_EXPORT_MLFLOW_RECEIVER_H_
