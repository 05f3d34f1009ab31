#include "oona/broker_stats.h"


namespace esper::oona {
namespace {

constexpr std::array<proto::Lane, 3> kLanes{proto::Lane::kNormal, proto::Lane::kEmergency,
                                           proto::Lane::kReliable};
constexpr std::array<const char*, 2> kSocketLanes{"normal", "emergency"};

template <typename Map>
std::uint64_t sum(const Map& map) {
  std::uint64_t total = 0;
  for (const auto& [key, value] : map) total += value;
  return total;
}

void add_point(proto::TelemetryPacket& packet, const char* name, double value,
         proto::MetricKind kind, std::initializer_list<std::pair<const char*, std::string>> attributes) {
  auto* point = packet.add_metrics();
  point->set_name(name);
  point->set_value(value);
  point->set_unit("count");
  point->set_kind(kind);
  for (const auto& [key, val] : attributes) (*point->mutable_attributes())[key] = val;
}

}  // namespace

void BrokerStats::add(const BrokerStats& other) {
  for (std::size_t i = 0; i < received.size(); ++i) received[i] += other.received[i];
  for (std::size_t i = 0; i < routed.size(); ++i) routed[i] += other.routed[i];
  for (const auto& [key, n] : other.dropped) dropped[key] += n;
  for (const auto& [key, n] : other.demoted) demoted[key] += n;
  for (const auto& [key, n] : other.subscriber_dropped) subscriber_dropped[key] += n;
  for (const auto& [key, n] : other.subscriber_sent) subscriber_sent[key] += n;
  for (const auto& [key, n] : other.subscriber_queue_depth) subscriber_queue_depth[key] += n;
  for (const auto& [key, n] : other.rejected) rejected[key] += n;
  for (std::size_t i = 0; i < 2; ++i) {
    queue_depth[i] += other.queue_depth[i];
    subscriptions[i] += other.subscriptions[i];
    subscribers[i] += other.subscribers[i];
    egress_control_rejected[i] += other.egress_control_rejected[i];
  }
  curve_refused += other.curve_refused;
  for (std::size_t i = 0; i < ingress_disconnects.size(); ++i) ingress_disconnects[i] += other.ingress_disconnects[i];
  emergency_realtime = emergency_realtime || other.emergency_realtime;
}

std::uint64_t BrokerStats::dropped_total() const { return sum(dropped); }
std::uint64_t BrokerStats::subscriber_dropped_total() const { return sum(subscriber_dropped); }
std::uint64_t BrokerStats::demoted_total() const { return sum(demoted); }
std::uint64_t BrokerStats::rejected_total() const { return sum(rejected); }

void BrokerStats::fill(proto::TelemetryPacket& packet, std::uint64_t now_unix_ns) const {
  using proto::METRIC_KIND_COUNTER;
  using proto::METRIC_KIND_GAUGE;
  packet.set_timestamp_unix_ns(now_unix_ns);
  packet.set_source_subsystem("oona");
  packet.set_level(proto::SEVERITY_INFO);
  for (proto::Lane lane : kLanes) {
    const std::string name(proto::lane_name(lane));
    const auto i = static_cast<std::size_t>(lane);
    add_point(packet, "oona.received_total", static_cast<double>(received[i]), METRIC_KIND_COUNTER, {{"lane", name}});
    add_point(packet, "oona.routed_total", static_cast<double>(routed[i]), METRIC_KIND_COUNTER, {{"lane", name}});
  }
  for (const auto& [key, value] : dropped) {
    add_point(packet, "oona.dropped_total", static_cast<double>(value), METRIC_KIND_COUNTER,
        {{"lane", std::get<0>(key)}, {"source", std::get<1>(key)}, {"reason", std::get<2>(key)}});
  }
  for (const auto& [key, value] : subscriber_dropped) {
    add_point(packet, "oona.subscriber_dropped_total", static_cast<double>(value), METRIC_KIND_COUNTER,
        {{"subscriber", std::get<0>(key)}, {"lane", std::get<1>(key)}, {"reason", std::get<2>(key)}});
  }
  for (const auto& [key, value] : subscriber_sent) {
    add_point(packet, "oona.subscriber_sent_total", static_cast<double>(value), METRIC_KIND_COUNTER,
        {{"subscriber", key.first}, {"lane", key.second}});
  }
  for (const auto& [key, value] : subscriber_queue_depth) {
    add_point(packet, "oona.subscriber_queue_depth", static_cast<double>(value), METRIC_KIND_GAUGE,
        {{"subscriber", key.first}, {"lane", key.second}});
  }
  for (const auto& [source, value] : demoted) {
    add_point(packet, "oona.demoted_total", static_cast<double>(value), METRIC_KIND_COUNTER, {{"source", source}});
  }
  for (const auto& [reason, value] : rejected) {
    add_point(packet, "oona.rejected_total", static_cast<double>(value), METRIC_KIND_COUNTER, {{"reason", reason}});
  }
  add_point(packet, "oona.curve_refused_total", static_cast<double>(curve_refused), METRIC_KIND_COUNTER, {});
  add_point(packet, "oona.emergency_lane_realtime", emergency_realtime ? 1 : 0, METRIC_KIND_GAUGE, {});
  for (std::size_t i = 0; i < 2; ++i) {
    add_point(packet, "oona.queue_depth", static_cast<double>(queue_depth[i]), METRIC_KIND_GAUGE,
        {{"lane", kSocketLanes[i]}});
    add_point(packet, "oona.subscriptions", static_cast<double>(subscriptions[i]), METRIC_KIND_GAUGE,
        {{"lane", kSocketLanes[i]}});
    add_point(packet, "oona.subscribers", static_cast<double>(subscribers[i]), METRIC_KIND_GAUGE,
        {{"lane", kSocketLanes[i]}});
    add_point(packet, "oona.egress_control_rejected_total", static_cast<double>(egress_control_rejected[i]),
        METRIC_KIND_COUNTER, {{"lane", kSocketLanes[i]}});
    add_point(packet, "oona.ingress_disconnects_total", static_cast<double>(ingress_disconnects[i]),
        METRIC_KIND_COUNTER, {{"lane", kSocketLanes[i]}});
  }
}

std::string BrokerStats::summary() const {
  std::string s = "received normal=" + std::to_string(received[0]) +
                  " emergency=" + std::to_string(received[1]) +
                  " reliable=" + std::to_string(received[2]) +
                  "; routed normal=" + std::to_string(routed[0]) +
                  " emergency=" + std::to_string(routed[1]) +
                  " reliable=" + std::to_string(routed[2]) +
                  "; dropped=" + std::to_string(dropped_total()) +
                  " (for subscribers: " + std::to_string(subscriber_dropped_total()) + ")" +
                  " demoted=" + std::to_string(demoted_total()) +
                  " rejected=" + std::to_string(rejected_total());
  for (const auto& [reason, value] : rejected) s += " " + reason + "=" + std::to_string(value);
  s += "; curve_refused=" + std::to_string(curve_refused);
  return s;
}

}  // namespace esper::oona
