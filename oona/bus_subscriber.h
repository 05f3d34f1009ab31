// The consumer side of the bus: one SUB socket per egress lane of Oona. receive() always drains
// the emergency socket before looking at the normal one, so an emergency envelope is handed to the
// caller ahead of any normal backlog. Every message is decoded through the codec; bad ones are
// counted by reason (never returned) and sequence gaps are counted (oona/sequence_tracker.h).
//
// Subscriptions are ZeroMQ topic prefixes, e.g. "normal.telemetry." or "reliable."; the default
// subscribes to everything on the lanes asked for. Not thread-safe.
#ifndef ESPER_OONA_BUS_SUBSCRIBER_H_
#define ESPER_OONA_BUS_SUBSCRIBER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "esper/envelope.pb.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_signer.h"
#include "oona/sequence_tracker.h"
#include "proto/envelope_codec.h"

namespace esper::oona {

struct BusSubscriberOptions {
  BusEndpoints endpoints;
  bool normal = true;     // Connect to the normal egress (normal and reliable topics).
  bool emergency = true;  // Connect to the emergency egress.
  std::vector<std::string> prefixes{""};  // Topic prefixes subscribed on every connected socket.
  int receive_hwm = 10000;
  wire::DecodeLimits limits;
  std::string signing_key;  // Raw 32-byte HMAC key: when set, unsigned/badly signed are rejected.
  CurveClientKeys curve;    // For tcp:// endpoints of a CURVE Oona.
  // How the emergency socket's I/O thread is scheduled (oona/emergency_scheduling.h). For the
  // lowest latency under CPU load, also read the emergency lane on a thread of its own that called
  // enter_emergency_scheduling() (a second BusSubscriber with normal = false).
  EmergencySchedulingConfig emergency_scheduling;
};

struct BusMessage {
  wire::Lane socket = wire::Lane::kNormal;  // The egress it arrived on: kNormal or kEmergency.
  wire::Topic topic;
  leyline::Envelope envelope;
};

// A received message handed to receive_batch()'s visitor; valid during the call only.
struct BusMessageView {
  wire::Lane socket;
  const wire::Topic& topic;
  leyline::Envelope& envelope;
};

class BusSubscriber {
 public:
  explicit BusSubscriber(BusSubscriberOptions options);
  ~BusSubscriber();
  BusSubscriber(const BusSubscriber&) = delete;
  BusSubscriber& operator=(const BusSubscriber&) = delete;

  // The next envelope, emergency first; nullopt if none arrived within `timeout`.
  std::optional<BusMessage> receive(std::chrono::milliseconds timeout);
  // A batch for hot ingest loops: waits up to `timeout` for the first envelope, then takes whatever
  // else has already arrived, up to `max` in all, emergency first, decoding each onto `arena` (the
  // caller resets it after the batch) and handing it to `visit`. Returns the number visited.
  std::size_t receive_batch(std::chrono::milliseconds timeout, std::size_t max,
                            google::protobuf::Arena* arena,
                            const std::function<void(const BusMessageView&)>& visit);
  // Waits up to `timeout` until either socket has something to read (which may still be rejected).
  bool wait_readable(std::chrono::milliseconds timeout);
  // The next envelope from one socket only, without looking at the other (tests use this to leave
  // a normal backlog unread while they wait for an emergency).
  std::optional<BusMessage> receive_from(wire::Lane socket, std::chrono::milliseconds timeout);

  std::uint64_t received(wire::Lane socket) const { return received_[socket == wire::Lane::kEmergency]; }
  std::uint64_t rejected(wire::DecodeError reason) const {
    return rejected_[static_cast<std::size_t>(reason)];
  }
  // Envelopes refused for their signature (only with a signing key): kUnsigned, kBadSignature.
  std::uint64_t rejected(EnvelopeSigner::Verdict verdict) const {
    return signature_rejected_[static_cast<std::size_t>(verdict)];
  }
  std::uint64_t rejected_total() const;
  const SequenceTracker& sequences() const { return sequences_; }

 private:
  std::optional<BusMessage> try_read(zmq::socket_t& socket, wire::Lane lane);
  // Reads until one message decodes and verifies (counting those that do not), or none is left.
  std::optional<wire::Decoded> read_decoded(zmq::socket_t& socket, wire::Lane lane,
                                            google::protobuf::Arena* arena);

  BusSubscriberOptions options_;
  std::optional<EnvelopeSigner> signer_;
  // A context (so an I/O thread) per lane: the emergency one runs in the emergency scheduling class.
  zmq::context_t normal_context_{1};
  zmq::context_t emergency_context_{1};
  zmq::socket_t normal_;
  zmq::socket_t emergency_;
  std::array<std::uint64_t, 2> received_{};
  std::array<std::uint64_t, wire::kDecodeErrorCount> rejected_{};
  std::array<std::uint64_t, 3> signature_rejected_{};
  SequenceTracker sequences_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_SUBSCRIBER_H_
