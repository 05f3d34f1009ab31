// Reading one envelope from one of Oona's ingress sockets, the same way on both lanes: receive all
// frames and decide, with Oona's size limit, whether to route them as they came. Oona forwards the
// frames it received, never a re-encoding, so it reads only the envelope's routing header
// (proto/envelope_header.h: every rejection the header can decide, by the codec's reasons; the body
// is left to the consumers, which decode it whole and count a malformed one themselves). With a
// signing key configured it decodes the whole envelope through the bus's one frame path
// (oona/envelope_reader.h), since the MAC covers the envelope's deterministic re-serialization,
// verifies the signature and refuses a replayed signed envelope (oona/replay_guard.h). Either way it
// refuses an envelope whose source its CURVE client key is not bound to (oona/curve_security.h).
// What fails is counted by reason in the caller's `rejected` map and logged (rate-limited); it is
// never routed.
#ifndef ESPER_OONA_INGRESS_READER_H_
#define ESPER_OONA_INGRESS_READER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "logging/rate_limited_log.h"
#include "oona/curve_security.h"
#include "oona/envelope_reader.h"
#include "oona/envelope_signer.h"
#include "oona/subscriber_queue.h"
#include "proto/envelope_codec.h"
#include "proto/envelope_header.h"

namespace esper::oona {

// An accepted envelope: its frames, ready to be queued or sent on, and its route. Reused from one
// envelope to the next (the frame vector and the source keep their capacity).
struct IngressEnvelope {
  std::vector<zmq::message_t> frames;  // Topic, envelope.
  proto::Topic topic;                  // Lane, kind, severity and source, as the header says.

  // The frames as a queue item, droppable (shed before reliable ones) unless the topic is reliable.
  QueuedMessage to_queued();
};

class IngressReader {
 public:
  enum class Result { kEmpty, kRejected, kAccepted };

  // `signer` (may be null: signing off) and `log` must outlive the reader; `log` may be shared
  // between threads.
  // `replay` (may be null) is consulted for signed envelopes only; Oona's lanes share one.
  // `bindings` (may be null) restricts what each CURVE client key may send as (curve_security.h).
  IngressReader(std::size_t max_envelope_bytes, const EnvelopeSigner* signer,
                logging::RateLimitedLog& log, ReplayGuard* replay = nullptr,
                const SourceBindings* bindings = nullptr)
      : limits_{max_envelope_bytes}, signer_(signer), log_(log), replay_(replay), bindings_(bindings) {}

  // Reads one message from `socket` without waiting. kEmpty: none was there. kRejected: counted in
  // `rejected` under its reason and logged. kAccepted: `out` holds it.
  Result read(zmq::socket_t& socket, std::map<std::string, std::uint64_t>& rejected,
              IngressEnvelope& out);
  // read() in two steps, for a loop that receives the next message while it checks this one:
  // receive() takes one message off `socket` (false if none was there) and starts fetching its
  // envelope's first bytes into the cache; check() then decides on it as read() does.
  static bool receive(zmq::socket_t& socket, IngressEnvelope& out);
  Result check(std::map<std::string, std::uint64_t>& rejected, IngressEnvelope& out);

 private:
  proto::DecodeLimits limits_;
  proto::DecodedHeader header_;  // Reused: no allocation per envelope.
  const EnvelopeSigner* signer_;
  logging::RateLimitedLog& log_;
  ReplayGuard* replay_;
  const SourceBindings* bindings_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_INGRESS_READER_H_
