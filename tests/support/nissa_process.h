// A real `nissa` process for integration tests, beside a real `oona` (tests/support/oona_process.h):
// its config in a TempDir, HTTP on a free loopback port, and a small HTTP client for its API; and a
// field-report issuer's side: send a report until Nissa acknowledges it.
#ifndef ESPER_TESTS_SUPPORT_NISSA_PROCESS_H_
#define ESPER_TESTS_SUPPORT_NISSA_PROCESS_H_

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa::testing {

using namespace std::chrono_literals;
using nlohmann::json;

// A loopback TCP port that was free a moment ago (for processes that take a port number).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class NissaProcess {
 public:
  // `state_dir` persists across restarts of the same test; `extra_yaml` is appended to the config,
  // `http_yaml` ("admin_token_file: ...") to its http: section.
  NissaProcess(const std::filesystem::path& runtime_dir, const std::filesystem::path& state_dir,
               const std::string& extra_yaml = "", const std::string& http_yaml = "") {
    const auto config = state_dir.parent_path() / "nissa.yaml";
    std::ofstream(config) << "runtime_dir: " << runtime_dir.string() << "\n"
                          << "state_dir: " << state_dir.string() << "\n"
                          << "http: {address: 127.0.0.1, port: 0" << (http_yaml.empty() ? "" : ", " + http_yaml)
                          << "}\n"
                          << "telemetry_interval: 200ms\n"
                          << extra_yaml;
    process_ = std::make_unique<esper::testing::ChildProcess>(std::vector<std::string>{
        esper::testing::built_binary("nissa/nissa").string(), "--config", config.string()});
    if (auto line = process_->wait_for_line("nissa ready", 30s)) {
      const auto at = line->find("http://");
      base_url_ = line->substr(at);
      client_ = std::make_unique<httplib::Client>(base_url_);
      client_->set_read_timeout(10, 0);
    }
  }

  bool ready() const { return client_ != nullptr; }
  const std::string& url() const { return base_url_; }
  esper::testing::ChildProcess& process() { return *process_; }

  // GET path; the body parsed as JSON (null on transport error).
  json get_json(const std::string& path, int* status = nullptr) {
    auto res = client_->Get(path);
    if (status) *status = res ? res->status : -1;
    if (!res) return json();
    return json::parse(res->body, nullptr, false);
  }
  std::string get_text(const std::string& path) {
    auto res = client_->Get(path);
    return res ? res->body : std::string();
  }
  // POST to an admin endpoint as a local operator's tool does: from loopback, with X-Esper-Admin: 1.
  httplib::Result post_admin(const std::string& path) {
    return client_->Post(path, httplib::Headers{{"X-Esper-Admin", "1"}}, "", "application/json");
  }

 private:
  std::unique_ptr<esper::testing::ChildProcess> process_;
  std::string base_url_;
  std::unique_ptr<httplib::Client> client_;
};

// A telemetry envelope carrying `points`, as a producer publishes them.
inline proto::Envelope packet(std::initializer_list<proto::MetricPoint> points) {
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_INFO);
  for (const auto& p : points) *e.mutable_telemetry()->add_metrics() = p;
  return e;
}

inline proto::Envelope field_report(const std::string& id) {
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_INFO);
  e.mutable_field_report()->set_report_id(id);
  e.mutable_field_report()->set_command_id("cmd-1");
  e.mutable_field_report()->set_target_epochs(3);
  return e;
}

// Sends `id` until its ack arrives (30 s at most); returns the ack.
inline std::optional<proto::FieldReportAck> send_until_acked(oona::BusPublisher& publisher,
                                                               oona::BusSubscriber& acks, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    publisher.publish(field_report(id));
    const auto until = std::chrono::steady_clock::now() + 200ms;
    while (std::chrono::steady_clock::now() < until) {
      auto m = acks.receive(20ms);
      if (m && m->envelope.has_field_report_ack() && m->envelope.field_report_ack().report_id() == id) {
        return m->envelope.field_report_ack();
      }
    }
  }
  return std::nullopt;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_SUPPORT_NISSA_PROCESS_H_
