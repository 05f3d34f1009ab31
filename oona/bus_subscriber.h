// The consumer side of the bus: one DEALER socket per egress lane of Oona, speaking the egress
// protocol (oona/egress_protocol.h): it says HELLO with its name, its topic prefixes and its credit
// window, and returns credit as the caller consumes envelopes, so Oona sends it no more than it
// reads. A caller that stops reading only lets its own queue in Oona fill; Oona sheds from it and
// says how many it shed (missed()). A subscriber that calls none of receive*, wait_readable for
// longer than Oona's subscriber_timeout (30 s by default) is forgotten by Oona; its next call says
// HELLO again (what was sent meanwhile it never sees: sequence gaps show it).
//
// receive() always drains the emergency socket before looking at the normal one, so an emergency
// envelope is handed to the caller ahead of any normal backlog. Every message is decoded through
// the codec; bad ones are counted by reason (never returned) and sequence gaps are counted
// (oona/sequence_tracker.h).
//
// Subscriptions are topic prefixes, e.g. "normal.telemetry." or "reliable."; the default
// subscribes to everything on the lanes asked for. Not thread-safe.
#ifndef ESPER_OONA_BUS_SUBSCRIBER_H_
#define ESPER_OONA_BUS_SUBSCRIBER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "esper/envelope.pb.h"
#include "logging/rate_limited_log.h"
#include "oona/bus_endpoints.h"
#include "oona/connection_monitor.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_reader.h"
#include "oona/envelope_signer.h"
#include "oona/sequence_tracker.h"
#include "proto/envelope_codec.h"
#include "proto/envelope_slot.h"

namespace esper::oona {

struct BusSubscriberOptions {
  BusEndpoints endpoints;
  // Who this is, in Oona's logs and counters (oona.subscriber_*{subscriber}); named consumers may
  // get a larger queue (named_subscribers in oona.yaml). Empty: "<program>@<host>:<pid>".
  std::string name;
  // Envelopes Oona may have in flight to each socket before this subscriber has consumed them
  // (capped by Oona at a quarter of its egress_hwm).
  std::uint32_t credit_window = 1000;
  bool normal = true;     // Connect to the normal egress (normal and reliable topics).
  bool emergency = true;  // Connect to the emergency egress.
  std::vector<std::string> prefixes{""};  // Topic prefixes subscribed on every connected socket.
  int receive_hwm = 10000;
  // The largest BATCH (oona/egress_batch.h) this subscriber asks Oona for; 0: every envelope on its
  // own. Capped at what the sockets let in (limits.max_envelope_bytes).
  std::uint32_t batch_bytes = 256u << 10;
  proto::DecodeLimits limits;
  // Raw 32-byte HMAC key: when set, unsigned, badly signed and replayed envelopes are rejected.
  std::string signing_key;
  CurveClientKeys curve;    // For tcp:// endpoints of a CURVE Oona.
  // How the emergency socket's I/O thread is scheduled (oona/emergency_scheduling.h). For the
  // lowest latency under CPU load, also read the emergency lane on a thread of its own that called
  // enter_emergency_scheduling() (a second BusSubscriber with normal = false).
  EmergencySchedulingConfig emergency_scheduling;
};

struct BusMessage {
  proto::Lane socket = proto::Lane::kNormal;  // The egress it arrived on: kNormal or kEmergency.
  proto::Topic topic;
  proto::Envelope envelope;
};

// A received message handed to receive_batch()'s visitor; valid during the call only.
struct BusMessageView {
  proto::Lane socket;
  const proto::Topic& topic;
  proto::Envelope& envelope;
};

// "<program>@<hostname>:<pid>", the default subscriber name.
std::string default_subscriber_name();

class BusSubscriber {
 public:
  explicit BusSubscriber(BusSubscriberOptions options);
  ~BusSubscriber();
  BusSubscriber(const BusSubscriber&) = delete;
  BusSubscriber& operator=(const BusSubscriber&) = delete;

  // The next envelope, emergency first; nullopt if none arrived within `timeout`.
  std::optional<BusMessage> receive(std::chrono::milliseconds timeout);
  // A batch for hot ingest loops: waits up to `timeout` for the first envelope, then takes whatever
  // else has already arrived, up to `max` in all, emergency first, decoding each into one reused
  // envelope (proto/envelope_slot.h) and handing it to `visit`. Returns the number visited.
  std::size_t receive_batch(std::chrono::milliseconds timeout, std::size_t max,
                            const std::function<void(const BusMessageView&)>& visit);
  // Waits up to `timeout` until either socket has something to read (which may still be rejected).
  bool wait_readable(std::chrono::milliseconds timeout);
  // The next envelope from one socket only, without looking at the other (tests use this to leave
  // a normal backlog unread while they wait for an emergency).
  std::optional<BusMessage> receive_from(proto::Lane socket, std::chrono::milliseconds timeout);

  std::uint64_t received(proto::Lane socket) const { return received_[socket == proto::Lane::kEmergency]; }
  // Envelopes refused, by reason (oona/envelope_reader.h: the codec's reasons, then the signature's
  // and `replayed`, which only a subscriber with a signing key has).
  std::uint64_t rejected(RejectReason reason) const { return rejected_[static_cast<std::size_t>(reason)]; }
  std::uint64_t rejected(proto::DecodeError reason) const { return rejected(reject_reason(reason)); }
  std::uint64_t rejected(EnvelopeSigner::Verdict verdict) const { return rejected(reject_reason(verdict)); }
  std::uint64_t rejected_total() const;
  // Envelopes Oona shed for this subscriber (its queue there was full), as Oona told it.
  std::uint64_t missed() const { return missed_[0] + missed_[1]; }
  std::uint64_t missed(proto::Lane socket) const { return missed_[socket == proto::Lane::kEmergency]; }
  const SequenceTracker& sequences() const { return sequences_; }
  const std::string& name() const { return options_.name; }
  // Whether Oona is there: the first egress socket (normal, else emergency) has completed a
  // handshake with it and not lost the connection since. Nothing else says so on an idle bus.
  bool connected();
  // The endpoint connected() is about.
  const std::string& endpoint() const {
    return options_.normal ? options_.endpoints.normal_egress : options_.endpoints.emergency_egress;
  }

 private:
  // One egress socket and what this subscriber told Oona on it.
  struct Egress {
    zmq::socket_t socket;
    std::uint64_t consumed = 0;  // Messages taken from the socket (envelopes, good or bad).
    std::uint64_t reported = 0;  // `consumed` as of the last HELLO sent.
    std::chrono::steady_clock::time_point last_hello{};
    // The BATCH being handed out: its records not yet read and how many its count says are left.
    zmq::message_t batch;
    std::string_view batch_rest;
    std::uint64_t batch_left = 0;
  };

  std::optional<BusMessage> try_read(Egress& egress, proto::Lane lane);
  // Reads until one message decodes and verifies (counting those that do not), or none is left.
  std::optional<proto::Decoded> read_decoded(Egress& egress, proto::Lane lane, proto::EnvelopeSlot* slot);
  // The next message off `egress`'s socket into frames_; false if none is there.
  bool receive_message(Egress& egress, proto::Lane lane);
  // A notice from Oona: counts a DROPPED, starts handing out a BATCH.
  void take_notice(Egress& egress, proto::Lane lane, std::span<const std::string_view> frames);
  // The next record of the BATCH being handed out into `record`; false if the rest of it is
  // malformed (counted as one `unparseable` reject, its envelopes' credit returned).
  bool next_record(Egress& egress, proto::Lane lane, std::array<std::string_view, 2>& record);
  enum class Hello { kNow, kIfDue, kIfDrained };
  // Says HELLO on `egress` now, or if credit is due (a quarter window consumed; with kIfDrained,
  // anything consumed since the last one) or the heartbeat is.
  void maybe_hello(Egress& egress, Hello when = Hello::kIfDue);
  void heartbeat();  // maybe_hello on both.
  // Counts a refused message and logs it (at most one line per reason per interval).
  void reject(RejectReason reason, proto::Lane lane, std::string_view detail);

  BusSubscriberOptions options_;
  std::optional<EnvelopeSigner> signer_;
  ReplayGuard replay_;  // With a signing key: refuses a replayed copy of a signed envelope.
  proto::EnvelopeSlot batch_slot_;  // What receive_batch() decodes into.
  // A context (so an I/O thread) per lane: the emergency one runs in the emergency scheduling class.
  zmq::context_t normal_context_{1};
  zmq::context_t emergency_context_{1};
  Egress normal_;
  Egress emergency_;
  std::unique_ptr<ConnectionMonitor> connection_;  // On the first socket made.
  std::array<std::uint64_t, 2> missed_{};
  std::array<std::uint64_t, 2> received_{};
  RejectCounts rejected_{};
  logging::RateLimitedLog problems_;
  std::vector<zmq::message_t> frames_;  // The message being read, reused.
  SequenceTracker sequences_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_SUBSCRIBER_H_
