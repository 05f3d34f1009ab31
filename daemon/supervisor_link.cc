#include "daemon/supervisor_link.h"

#include <unistd.h>

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "esper/control.pb.h"

namespace esper::daemon {

void apply_supervisor_environment(SupervisorLinkOptions& options) {
  if (const char* endpoint = std::getenv("ESPER_CONTROL_ENDPOINT"); endpoint && *endpoint) {
    options.endpoint = endpoint;
  }
  if (const char* name = std::getenv("ESPER_SERVICE_NAME"); name && *name) options.service = name;
}

SupervisorLinkOptions supervisor_link_options(std::string service) {
  SupervisorLinkOptions options;
  options.service = std::move(service);
  apply_supervisor_environment(options);
  return options;
}

SupervisorLink::SupervisorLink(SupervisorLinkOptions options)
    : options_(std::move(options)), context_(options_.endpoint.empty() ? 0 : 1) {
  if (options_.endpoint.empty()) return;
  socket_ = zmq::socket_t(context_, zmq::socket_type::dealer);
  socket_.set(zmq::sockopt::linger, 0);
  // With ZMQ_IMMEDIATE a message for an absent Weatherlight is refused, not queued; HELLO is said
  // again once Weatherlight has been silent too long.
  socket_.set(zmq::sockopt::immediate, 1);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_.connect(options_.endpoint);

  proto::Control hello;
  hello.mutable_hello()->set_service(options_.service);
  hello.mutable_hello()->set_pid(static_cast<std::uint32_t>(::getpid()));
  hello.mutable_hello()->set_version(options_.version);
  hello_ = hello.SerializeAsString();
}

zmq::pollitem_t SupervisorLink::pollitem() {
  return {socket_ ? socket_.handle() : nullptr, -1, static_cast<short>(socket_ ? ZMQ_POLLIN : 0), 0};
}

bool SupervisorLink::supervised(Clock::time_point now) const {
  return said_hello_ && now - last_flush_ < options_.silence;
}

bool SupervisorLink::send(const std::string& bytes) {
  return socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait).has_value();
}

std::size_t SupervisorLink::serve(const std::function<FlushCounts()>& flush, Clock::time_point now) {
  if (!socket_) return 0;
  if (!supervised(now) && (!said_hello_ || now - last_hello_ >= options_.silence)) {
    // First contact, or Weatherlight went quiet: introduce ourselves (again).
    if (send(hello_)) said_hello_ = true;
    last_hello_ = now;
  }
  std::size_t answered = 0;
  zmq::message_t frame;
  while (socket_.recv(frame, zmq::recv_flags::dontwait)) {
    proto::Control message;
    if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size())) || !message.has_flush()) {
      if (ignored_++ % 1000 == 0) {
        spdlog::warn("control: ignored a message that is not a FLUSH ({} bytes; {} so far)", frame.size(), ignored_);
      }
      continue;
    }
    const FlushCounts counts = flush();
    proto::Control reply;
    auto* flushed = reply.mutable_flushed();
    flushed->set_seq(message.flush().seq());
    flushed->set_packets(counts.packets);
    flushed->set_points(counts.points);
    flushed->set_dropped(counts.dropped);
    flushed->set_depth(counts.depth);
    said_hello_ = true;
    last_flush_ = Clock::now();
    ++answered;
    if (!send(reply.SerializeAsString())) spdlog::warn("control: FLUSHED({}) not sent", message.flush().seq());
  }
  return answered;
}

}  // namespace esper::daemon
