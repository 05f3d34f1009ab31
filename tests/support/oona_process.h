// A real `oona` process for integration tests, and what the tests around one share (Oona's own, and
// every producer's, Nissa's and Weatherlight's that need a bus): the process in a TempDir, a
// subscriber that is known to be connected (probe envelopes until both lanes deliver), and Oona's
// own oona.* counters read from the bus.
#ifndef ESPER_TESTS_SUPPORT_OONA_PROCESS_H_
#define ESPER_TESTS_SUPPORT_OONA_PROCESS_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oona/bus_endpoints.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper::oona::testing {

using namespace std::chrono_literals;

// A running oona with its config written into a fresh TempDir and its endpoints under it.
class OonaProcess {
 public:
  // `extra_yaml` is appended to a config that sets runtime_dir and a 100ms flush interval. With
  // `capture_stderr`, its log is read with its stdout (process().wait_for_line).
  explicit OonaProcess(const std::string& extra_yaml = "", bool capture_stderr = false) {
    const auto config = dir_ / "oona.yaml";
    std::ofstream(config) << "runtime_dir: " << dir_.path().string() << "\n"
                          << "flush_interval: 100ms\n"
                          << extra_yaml;
    process_ = std::make_unique<esper::testing::ChildProcess>(std::vector<std::string>{
        esper::testing::built_binary("oona/oona").string(), "--config", config.string()},
        esper::testing::ChildProcess::Options{.env = {}, .cwd = {}, .capture_stdout = true,
                                              .capture_stderr = capture_stderr});
    ready_line_ = process_->wait_for_line("oona ready", 20s).value_or("");
    ready_ = !ready_line_.empty();
  }

  // The endpoints Oona printed in its ready line (tcp://host:* resolved to real ports).
  BusEndpoints announced_endpoints() const {
    auto field = [&](const std::string& name) {
      const auto start = ready_line_.find(name + "=");
      if (start == std::string::npos) return std::string();
      const auto from = start + name.size() + 1;
      return ready_line_.substr(from, ready_line_.find(' ', from) - from);
    };
    return BusEndpoints{field("normal_ingress"), field("emergency_ingress"), field("normal_egress"),
                        field("emergency_egress")};
  }

  bool ready() const { return ready_; }
  BusEndpoints endpoints() const { return endpoints_under(dir_.path()); }
  const esper::testing::TempDir& dir() const { return dir_; }
  esper::testing::ChildProcess& process() { return *process_; }

 private:
  esper::testing::TempDir dir_;
  std::unique_ptr<esper::testing::ChildProcess> process_;
  bool ready_ = false;
  std::string ready_line_;
};

inline BusPublisherOptions publisher_options(const BusEndpoints& endpoints, std::string source,
                                             const CurveClientKeys& curve = {}) {
  BusPublisherOptions options;
  options.endpoints = endpoints;
  options.curve = curve;
  options.source = std::move(source);
  options.send_timeout = 2s;
  return options;
}

inline BusSubscriberOptions subscriber_options(const BusEndpoints& endpoints, int receive_hwm = 10000) {
  BusSubscriberOptions options;
  options.endpoints = endpoints;
  options.receive_hwm = receive_hwm;
  return options;
}

// subscriber_options() for a bus with signing on: what arrives is checked with `signing_key` (raw
// bytes), and a replayed copy refused.
inline BusSubscriberOptions signed_subscriber_options(const BusEndpoints& endpoints, const std::string& signing_key) {
  BusSubscriberOptions options = subscriber_options(endpoints);
  options.signing_key = signing_key;
  return options;
}

inline proto::Envelope telemetry(proto::Severity severity, std::size_t padding = 0) {
  proto::Envelope e;
  e.set_severity(severity);
  e.mutable_telemetry()->set_packet_id(std::string(padding, 'p'));
  return e;
}

inline proto::Envelope event(proto::Severity severity, const std::string& description) {
  proto::Envelope e;
  e.set_severity(severity);
  e.mutable_event()->set_description(description);
  e.mutable_event()->set_level(severity);
  return e;
}

// Publishes probe envelopes (source "probe") until `subscriber` has received one on each lane it
// listens to, so the test knows its subscriptions reached Oona (ZeroMQ's slow joiner).
// With signing on, pass the key: the probes are signed with it.
inline ::testing::AssertionResult connect(const BusEndpoints& endpoints, BusSubscriber& subscriber,
                                          bool normal = true, bool emergency = true,
                                          const CurveClientKeys& curve = {}, const std::string& signing_key = "") {
  BusPublisherOptions probe_options = publisher_options(endpoints, "probe", curve);
  probe_options.signing_key = signing_key;
  BusPublisher probe(probe_options);
  bool seen_normal = !normal;
  bool seen_emergency = !emergency;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!(seen_normal && seen_emergency)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return ::testing::AssertionFailure() << "subscriber not connected after 20s (normal "
                                           << seen_normal << ", emergency " << seen_emergency << ")";
    }
    if (!seen_normal) probe.publish(telemetry(proto::SEVERITY_DEBUG));
    if (!seen_emergency) probe.publish(event(proto::SEVERITY_HIGH, "probe"));
    const auto until = std::chrono::steady_clock::now() + 20ms;
    while (std::chrono::steady_clock::now() < until) {
      auto m = subscriber.receive(5ms);
      if (!m || m->envelope.source() != "probe") continue;
      (m->socket == proto::Lane::kEmergency ? seen_emergency : seen_normal) = true;
    }
  }
  return ::testing::AssertionSuccess();
}

// A running oona and a subscriber of both its lanes, known connected once ready() succeeds: how a
// test that watches the bus starts.
struct OonaWithSubscriber {
  explicit OonaWithSubscriber(int receive_hwm = 10000)
      : subscriber(subscriber_options(oona.endpoints(), receive_hwm)) {}
  ::testing::AssertionResult ready() {
    if (!oona.ready()) return ::testing::AssertionFailure() << "oona did not start";
    return connect(oona.endpoints(), subscriber);
  }

  OonaProcess oona;
  BusSubscriber subscriber;
};

// Oona's oona.* metrics by "name{k=v,...}" (attributes sorted by key).
using OonaStats = std::map<std::string, double>;

inline OonaStats parse_stats(const proto::Envelope& envelope) {
  OonaStats stats;
  for (const auto& point : envelope.telemetry().metrics()) {
    std::vector<std::pair<std::string, std::string>> attributes(point.attributes().begin(),
                                                                point.attributes().end());
    std::sort(attributes.begin(), attributes.end());
    std::string key = point.name();
    if (!attributes.empty()) {
      key += "{";
      for (std::size_t i = 0; i < attributes.size(); ++i) {
        key += (i ? "," : "") + attributes[i].first + "=" + attributes[i].second;
      }
      key += "}";
    }
    stats[key] = point.value();
  }
  return stats;
}

inline double stat(const OonaStats& stats, const std::string& key) {
  auto it = stats.find(key);
  return it == stats.end() ? 0.0 : it->second;
}

// Reads Oona's own telemetry packets as they come.
class StatsWatcher {
 public:
  explicit StatsWatcher(const BusEndpoints& endpoints, const CurveClientKeys& curve = {},
                        const std::string& signing_key = "")
      : subscriber_([&] {
          BusSubscriberOptions options;
          options.endpoints = endpoints;
          options.curve = curve;
          options.signing_key = signing_key;
          options.emergency = false;
          options.prefixes = {"normal.telemetry.info.oona"};
          return options;
        }()) {}

  // Waits for a packet whose stats satisfy `predicate`; returns the last stats seen either way.
  // `pump` runs between waits (e.g. to read the test's own subscriber, whose backlog may be what
  // holds Oona's packets back).
  template <typename Predicate, typename Pump>
  std::pair<bool, OonaStats> wait_for(Predicate&& predicate, std::chrono::milliseconds timeout,
                                      Pump&& pump) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    OonaStats last;
    while (std::chrono::steady_clock::now() < deadline) {
      pump();
      auto m = subscriber_.receive(20ms);
      if (!m) continue;
      last = parse_stats(m->envelope);
      if (predicate(last)) return {true, last};
    }
    return {false, last};
  }
  template <typename Predicate>
  std::pair<bool, OonaStats> wait_for(Predicate&& predicate, std::chrono::milliseconds timeout) {
    return wait_for(std::forward<Predicate>(predicate), timeout, [] {});
  }

 private:
  BusSubscriber subscriber_;
};

inline std::string describe(const OonaStats& stats) {
  std::string s;
  for (const auto& [key, value] : stats) s += "  " + key + " = " + std::to_string(value) + "\n";
  return s;
}

}  // namespace esper::oona::testing

#endif  // ESPER_TESTS_SUPPORT_OONA_PROCESS_H_
