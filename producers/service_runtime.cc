#include "producers/service_runtime.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <utility>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "esper/control.pb.h"
#include "proto/envelope_codec.h"
#include "proto/metric_point.h"

namespace esper::producers {

namespace {

using Clock = std::chrono::steady_clock;

// How long the driver sleeps at most before looking at the stop flag again.
constexpr std::chrono::milliseconds kStopCheck{50};

bool send_control(zmq::socket_t& socket, const leyline::Control& message) {
  const std::string bytes = message.SerializeAsString();
  // dontwait: with ZMQ_IMMEDIATE a message for an absent Weatherlight is refused, not queued; the
  // driver says HELLO again once it has been silent too long.
  return socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait).has_value();
}

}  // namespace

// The buffer's sink: the bus publisher behind a mutex, shared by recording threads (emergency
// events), publish() callers and the driver thread.
class ServiceRuntime::LockedSink : public EnvelopeSink {
 public:
  explicit LockedSink(oona::BusPublisher& bus) : bus_(bus) {}
  bool publish(leyline::Envelope envelope) override {
    std::lock_guard lock(mu_);
    return bus_.publish(std::move(envelope));
  }

 private:
  oona::BusPublisher& bus_;
  std::mutex mu_;
};

void apply_supervisor_environment(ServiceRuntimeOptions& options) {
  if (const char* endpoint = std::getenv("ESPER_CONTROL_ENDPOINT"); endpoint && *endpoint) {
    options.control_endpoint = endpoint;
  }
  if (const char* name = std::getenv("ESPER_SERVICE_NAME"); name && *name) options.service = name;
}

ServiceRuntime::ServiceRuntime(ServiceRuntimeOptions options) : options_(std::move(options)) {
  if (options_.bus.source.empty()) options_.bus.source = options_.service;
  if (options_.buffer.source.empty()) options_.buffer.source = options_.service;
  bus_ = std::make_unique<oona::BusPublisher>(options_.bus);
  sink_ = std::make_unique<LockedSink>(*bus_);
  buffer_ = std::make_unique<TelemetryBuffer>(options_.buffer, *sink_);
  driver_ = std::thread([this] { run(); });
}

ServiceRuntime::~ServiceRuntime() { stop(); }

bool ServiceRuntime::publish(leyline::Envelope envelope) { return sink_->publish(std::move(envelope)); }

void ServiceRuntime::stop() {
  if (stopping_.exchange(true)) return;
  if (driver_.joinable()) driver_.join();
  // The last drain, on the caller's thread now that the driver is gone (one drainer at a time).
  const DrainResult r = buffer_->drain();
  points_published_ += r.points;
}

ServiceRuntimeStats ServiceRuntime::stats() const {
  return {.flushes_answered = flushes_answered_.load(),
          .timer_flushes = timer_flushes_.load(),
          .points_published = points_published_.load(),
          .dropped_total = buffer_->dropped_total(),
          .supervised = supervised_.load()};
}

void ServiceRuntime::run() {
  zmq::context_t context(1);
  zmq::socket_t control;
  if (!options_.control_endpoint.empty()) {
    control = zmq::socket_t(context, zmq::socket_type::dealer);
    control.set(zmq::sockopt::linger, 0);
    control.set(zmq::sockopt::immediate, 1);
    control.set(zmq::sockopt::reconnect_ivl, 100);
    control.set(zmq::sockopt::reconnect_ivl_max, 1000);
    control.connect(options_.control_endpoint);
  }

  leyline::Control hello;
  hello.mutable_hello()->set_service(options_.service);
  hello.mutable_hello()->set_pid(static_cast<std::uint32_t>(::getpid()));
  hello.mutable_hello()->set_version(options_.version);

  // The buffer's own health goes out after each drain, so a producer that overflows says so in its
  // telemetry as well as in FLUSHED.
  auto publish_self_telemetry = [this](const DrainResult& r) {
    leyline::Envelope envelope;
    envelope.set_severity(leyline::SEVERITY_INFO);
    auto* packet = envelope.mutable_telemetry();
    packet->set_packet_id(options_.service + "-self-" + std::to_string(wire::now_unix_ns()));
    packet->set_timestamp_unix_ns(wire::now_unix_ns());
    packet->set_source_subsystem(options_.service);
    packet->set_level(leyline::SEVERITY_INFO);
    *packet->add_metrics() = wire::make_point("producer.buffer_dropped_total",
                                              static_cast<double>(buffer_->dropped_total()), "count",
                                              leyline::METRIC_KIND_COUNTER);
    *packet->add_metrics() = wire::make_point("producer.buffer_depth", static_cast<double>(r.depth), "count");
    *packet->add_metrics() = wire::make_point("producer.buffer_suppressed_total",
                                              static_cast<double>(buffer_->suppressed_total()), "count",
                                              leyline::METRIC_KIND_COUNTER);
    sink_->publish(std::move(envelope));
  };
  auto drain = [&] {
    const DrainResult r = buffer_->drain();
    points_published_ += r.points;
    publish_self_telemetry(r);
    return r;
  };

  Clock::time_point last_flush_request{};  // Epoch: not supervised until a FLUSH arrives.
  Clock::time_point last_hello{};
  Clock::time_point next_timer_flush = Clock::now() + options_.flush_interval;
  bool said_hello = false;

  while (!stopping_.load()) {
    const auto now = Clock::now();
    const bool supervised = said_hello && now - last_flush_request < options_.control_silence;
    supervised_.store(supervised);

    if (control && !supervised && (!said_hello || now - last_hello >= options_.control_silence)) {
      // First contact, or Weatherlight went quiet (restarted, say): introduce ourselves again.
      if (send_control(control, hello)) said_hello = true;
      last_hello = now;
    }
    if (!supervised && now >= next_timer_flush) {
      drain();
      ++timer_flushes_;
      next_timer_flush = now + options_.flush_interval;
    }

    auto wait = std::min<Clock::duration>(kStopCheck, std::max<Clock::duration>(next_timer_flush - now, {}));
    if (!control) {
      std::this_thread::sleep_for(wait);
      continue;
    }
    zmq::pollitem_t item{control.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait));
    if (!(item.revents & ZMQ_POLLIN)) continue;

    zmq::message_t frame;
    while (control.recv(frame, zmq::recv_flags::dontwait)) {
      leyline::Control message;
      if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size())) || !message.has_flush()) {
        spdlog::warn("control: ignored a message that is not a FLUSH ({} bytes)", frame.size());
        continue;
      }
      const DrainResult r = drain();
      leyline::Control reply;
      auto* flushed = reply.mutable_flushed();
      flushed->set_seq(message.flush().seq());
      flushed->set_packets(r.packets);
      flushed->set_points(r.points);
      flushed->set_dropped(r.dropped);
      flushed->set_depth(r.depth);
      // State first, reply second: whoever sees the FLUSHED also sees the stats that go with it.
      ++flushes_answered_;
      last_flush_request = Clock::now();
      said_hello = true;
      supervised_.store(true);
      // While supervised the own timer stays quiet; it restarts a full interval after the last FLUSH.
      next_timer_flush = last_flush_request + options_.control_silence;
      if (!send_control(control, reply)) spdlog::warn("control: FLUSHED({}) not sent", message.flush().seq());
    }
  }
}

}  // namespace esper::producers
