// The producer side of the bus: one PUSH socket per lane, connected to Oona's two ingress endpoints.
//
// publish() stamps the envelope (schema version, source, instance, the next per-source sequence
// number, send time), derives its lane from kind and severity, and hands it to the matching socket.
// Emergency envelopes (HIGH/CRITICAL) go to the emergency socket; everything else, including the
// reliable kinds, to the normal one. PUSH never drops silently: at its high-water mark it blocks,
// and the publisher bounds that block by `send_timeout`. An envelope that could not be handed over
// within the bound is counted in unsent() and publish() returns false: the caller is never blocked
// longer than the bound and nothing is lost without a count. ZeroMQ reconnects on its own when Oona
// restarts; envelopes wait in the socket's queue (up to its high-water mark) meanwhile.
//
// Sequence numbers count per stream: normal, reliable and emergency (see oona/sequence_tracker.h),
// because each may overtake the other by design. They advance for every envelope handed to
// publish(), sent or not, so that a subscriber sees a gap for each envelope lost anywhere.
//
// Not thread-safe: one publisher per thread.
#ifndef ESPER_OONA_BUS_PUBLISHER_H_
#define ESPER_OONA_BUS_PUBLISHER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "esper/envelope.pb.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_signer.h"
#include "proto/envelope_codec.h"
#include "proto/topic.h"

namespace esper::oona {

struct BusPublisherOptions {
  BusEndpoints endpoints;
  std::string source;    // [A-Za-z0-9_-]{1,64}
  std::string instance;  // Empty: "<hostname>:<pid>".
  std::chrono::milliseconds send_timeout{100};  // Longest publish() may block per envelope.
  int send_hwm = 10000;                         // Envelopes queued per socket before blocking.
  std::chrono::milliseconds linger{1000};       // How long close waits to deliver what is queued.
  std::string signing_key;  // Raw 32-byte HMAC key (oona/envelope_signer.h); empty: unsigned.
  CurveClientKeys curve;    // For tcp:// endpoints of a CURVE Oona.
  // How the emergency socket's I/O thread is scheduled (oona/emergency_scheduling.h).
  EmergencySchedulingConfig emergency_scheduling;
};

class BusPublisher {
 public:
  explicit BusPublisher(BusPublisherOptions options);
  ~BusPublisher();
  BusPublisher(const BusPublisher&) = delete;
  BusPublisher& operator=(const BusPublisher&) = delete;

  // Stamps and sends `envelope` (its body and severity set by the caller). Returns false, and
  // counts it, if it could not be queued within send_timeout. Throws proto::EncodeError for an
  // envelope no decoder would accept (a caller bug).
  bool publish(proto::Envelope envelope);
  // The same for a serialized TelemetryPacket of severity `level`, sent without being parsed.
  bool publish_telemetry(std::string_view packet, proto::Severity level);

  std::uint64_t sent(proto::Lane lane) const { return sent_[static_cast<std::size_t>(lane)]; }
  std::uint64_t unsent(proto::Lane lane) const { return unsent_[static_cast<std::size_t>(lane)]; }
  const std::string& source() const { return options_.source; }
  const std::string& instance() const { return options_.instance; }

 private:
  BusPublisherOptions options_;
  // Stamps the header fields every envelope carries and takes the next sequence number of `lane`.
  void stamp(proto::Envelope& envelope, proto::Lane lane);
  // Hands a message to the lane's socket, counting it.
  bool send(proto::Lane lane, const proto::WireMessage& message);

  std::optional<EnvelopeSigner> signer_;
  // A context (so an I/O thread) per lane: the emergency one runs in the emergency scheduling class.
  zmq::context_t normal_context_{1};
  zmq::context_t emergency_context_{1};
  zmq::socket_t normal_;
  zmq::socket_t emergency_;
  std::array<std::uint64_t, 3> sequence_{};  // Per stream (proto::Lane): see the comment at the top.
  std::array<std::uint64_t, 3> sent_{};
  std::array<std::uint64_t, 3> unsent_{};
};

// "<hostname>:<pid>", the default instance name.
std::string default_instance();

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_PUBLISHER_H_
