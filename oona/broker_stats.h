// Oona's counters, and their shape on the bus: a TelemetryPacket from source "oona" whose metric
// points are
//   oona.received_total{lane}            envelopes accepted from ingress, by topic lane
//   oona.routed_total{lane}              envelopes handed to an egress socket, by topic lane
//   oona.dropped_total{lane,source,reason}  envelopes shed for some subscriber, by source (reason:
//                                        queue_full_messages, queue_full_bytes)
//   oona.subscriber_dropped_total{subscriber,lane,reason}  the same by subscriber name, and what a
//                                        forgotten subscriber still had queued (forgotten, disconnected)
//   oona.subscriber_sent_total{subscriber,lane}  envelopes sent to each subscriber
//   oona.subscriber_queue_depth{subscriber,lane}  envelopes waiting for each subscriber (gauge)
//   oona.demoted_total{source}           emergencies over their source's rate (or the total emergency
//                                        rate), sent reliable
// (`source` labels are bounded: past 1,000 distinct ones, new sources count as source="other".)
//   oona.rejected_total{reason}          bad input, by codec error name
//   oona.queue_depth{lane}               envelopes waiting in all subscribers' queues (gauge)
//   oona.subscribers{lane}               subscribers known on each egress (said HELLO) (gauge)
//   oona.subscriptions{lane}             topic prefixes subscribed on each egress (gauge)
//   oona.egress_control_rejected_total{lane}  frames from subscribers that are not a HELLO
//   oona.curve_refused_total             handshakes refused at a CURVE socket, one per attempt: an
//                                        unknown client key, or a plain (NULL mechanism) client
//   oona.ingress_disconnects_total{lane}  connections to an ingress that closed: senders that went
//                                        away, refused handshakes, and frames over the transport
//                                        limit (oona/frame_limit.h), which libzmq refuses that way
//   oona.emergency_lane_realtime         1 if the emergency lane runs at real-time priority (gauge)
// Counters are cumulative since start (MetricKind COUNTER).
#ifndef ESPER_OONA_BROKER_STATS_H_
#define ESPER_OONA_BROKER_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "esper/telemetry.pb.h"
#include "oona/capped_counts.h"
#include "proto/envelope_codec.h"

namespace esper::oona {

struct BrokerStats {
  std::array<std::uint64_t, 3> received{};  // By proto::Lane.
  std::array<std::uint64_t, 3> routed{};
  // By self-declared source: bounded, the excess counted under source "other" (oona/capped_counts.h).
  CappedCounts<std::tuple<std::string, std::string, std::string>> dropped;  // lane, source, reason
  CappedCounts<std::string> demoted;              // By source.
  std::map<std::string, std::uint64_t> rejected;  // By reason.
  // subscriber name, lane, reason
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> subscriber_dropped;
  std::map<std::pair<std::string, std::string>, std::uint64_t> subscriber_sent;  // name, lane
  std::map<std::pair<std::string, std::string>, std::uint64_t> subscriber_queue_depth;  // gauge
  std::array<std::uint64_t, 2> egress_control_rejected{};  // Normal, emergency egress.
  std::array<std::uint64_t, 2> queue_depth{};     // Normal (incl. reliable), emergency.
  std::array<std::int64_t, 2> subscriptions{};    // Normal, emergency egress.
  std::array<std::uint64_t, 2> subscribers{};     // Connected subscribers: normal, emergency egress.
  std::uint64_t curve_refused = 0;                // Failed handshakes (oona/lane_sockets.h).
  std::array<std::uint64_t, 2> ingress_disconnects{};  // Normal, emergency ingress (oona/lane_sockets.h).
  bool emergency_realtime = false;                // The emergency lane got real-time priority.

  // Adds `other`'s counters and gauges to these (the two lanes keep their own).
  void add(const BrokerStats& other);

  std::uint64_t dropped_total() const;
  std::uint64_t subscriber_dropped_total() const;
  std::uint64_t demoted_total() const;
  std::uint64_t rejected_total() const;

  void fill(proto::TelemetryPacket& packet, std::uint64_t now_unix_ns) const;
  std::string summary() const;  // One line for the log.
};

}  // namespace esper::oona

#endif  // ESPER_OONA_BROKER_STATS_H_
