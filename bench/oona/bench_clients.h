// The bench's producers and subscribers: the workload envelope, publisher options, a reading
// subscriber of either broker (Oona or the bare proxy), and waiting until a subscriber's
// subscription is in place.
#ifndef ESPER_BENCH_OONA_BENCH_CLIENTS_H_
#define ESPER_BENCH_OONA_BENCH_CLIENTS_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"

namespace esper::oona_bench {

// With --signed: the HMAC key of Oona and of every bench publisher and subscriber (what signing and
// verifying, replay check included, cost). Empty: signing off.
extern std::string signing_key;

proto::Envelope workload_envelope(int points);

oona::BusPublisherOptions publisher_options(const oona::BusEndpoints& endpoints, const char* source);

// Sends probes on `lane` until the subscriber sees one there (its subscription is in place), then
// reads what else was there.
void connect(const oona::BusEndpoints& endpoints, oona::BusSubscriber& subscriber,
             proto::Lane lane = proto::Lane::kNormal);

// A reading subscriber of either broker: the bus client for Oona, a SUB socket (decoding every
// envelope through the same codec) for the bare XPUB, which speaks no HELLO.
class BenchReader {
 public:
  BenchReader(const oona::BusEndpoints& endpoints, bool through_oona, const std::string& name);
  // The source of the next envelope, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);

 private:
  zmq::context_t context_{1};
  zmq::socket_t sub_;
  std::unique_ptr<oona::BusSubscriber> subscriber_;
};

// Sends probes until `reader` sees one (its subscription is in place), then reads what else was there.
void connect(const oona::BusEndpoints& endpoints, BenchReader& reader);

}  // namespace esper::oona_bench

#endif  // ESPER_BENCH_OONA_BENCH_CLIENTS_H_
