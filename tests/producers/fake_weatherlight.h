// Weatherlight's end of the control socket (the flush protocol of proto/esper/control.proto),
// driven by hand in producer tests: a ROUTER that records who said HELLO and sends FLUSH to it.
#ifndef ESPER_TESTS_PRODUCERS_FAKE_WEATHERLIGHT_H_
#define ESPER_TESTS_PRODUCERS_FAKE_WEATHERLIGHT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "esper/control.pb.h"

namespace esper::producers::testing {

class FakeWeatherlight {
 public:
  explicit FakeWeatherlight(const std::filesystem::path& dir)
      : endpoint_("ipc://" + (dir / "control.sock").string()) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind(endpoint_);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The next control message from the runtime (its sender becomes the FLUSH target).
  std::optional<proto::Control> receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    zmq::message_t id, body;
    if (!router_.recv(id) || !router_.recv(body)) return std::nullopt;
    identity_ = id.to_string();
    proto::Control message;
    if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) return std::nullopt;
    return message;
  }

  // Sends FLUSH(seq) to the runtime that last spoke and returns its next message (the FLUSHED).
  std::optional<proto::Control> flush(std::uint64_t seq, std::chrono::milliseconds timeout) {
    proto::Control flush;
    flush.mutable_flush()->set_seq(seq);
    const std::string bytes = flush.SerializeAsString();
    router_.send(zmq::buffer(identity_), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(bytes));
    return receive(timeout);
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string endpoint_;
  std::string identity_;
};

}  // namespace esper::producers::testing

#endif  // ESPER_TESTS_PRODUCERS_FAKE_WEATHERLIGHT_H_
