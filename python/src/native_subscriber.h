// What esper.Subscriber is in C++: the bus subscriber (oona/bus_subscriber.h: the egress protocol,
// credit, emergency first, decoding and signature checks), located like a producer (runtime_dir or
// a bus YAML), handing each envelope on as its serialized bytes for Python's envelope_pb2.
#ifndef ESPER_PYTHON_SRC_NATIVE_SUBSCRIBER_H_
#define ESPER_PYTHON_SRC_NATIVE_SUBSCRIBER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oona/bus_subscriber.h"

namespace esper::python {

struct NativeSubscriberOptions {
  std::string runtime_dir;  // Empty: the config's, else the default runtime directory.
  std::string config;       // A bus YAML; optional.
  std::string name;         // Empty: "<program>@<host>:<pid>".
  std::vector<std::string> prefixes{""};
  bool normal = true;
  bool emergency = true;
};

struct ReceivedEnvelope {
  std::string lane;   // The egress it came on: "normal" or "emergency".
  std::string topic;  // <lane>.<kind>.<severity>.<source>
  std::string envelope;  // Serialized esper.proto.Envelope.
};

class NativeSubscriber {
 public:
  explicit NativeSubscriber(const NativeSubscriberOptions& options);
  // The next envelope, emergency first; nullopt when none came within `timeout`.
  std::optional<ReceivedEnvelope> receive(std::chrono::milliseconds timeout);
  std::uint64_t received() const;
  std::uint64_t rejected() const { return subscriber_->rejected_total(); }
  std::uint64_t missed() const { return subscriber_->missed(); }
  bool connected() { return subscriber_->connected(); }

 private:
  std::unique_ptr<oona::BusSubscriber> subscriber_;
};

}  // namespace esper::python

#endif  // ESPER_PYTHON_SRC_NATIVE_SUBSCRIBER_H_
