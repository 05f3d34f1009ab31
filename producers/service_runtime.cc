#include "producers/service_runtime.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <utility>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/supervisor_link.h"
#include "proto/envelope_codec.h"
#include "proto/metric_point.h"

namespace esper::producers {

namespace {

using Clock = std::chrono::steady_clock;

// How long the driver sleeps at most before looking at the stop flag again.
constexpr std::chrono::milliseconds kStopCheck{50};

}  // namespace

// The buffer's sink: the bus publisher behind a mutex, shared by recording threads (emergency
// events), publish() callers and the driver thread.
class ServiceRuntime::LockedSink : public EnvelopeSink {
 public:
  explicit LockedSink(oona::BusPublisher& bus) : bus_(bus) {}
  bool publish(proto::Envelope envelope) override {
    std::lock_guard lock(mu_);
    return bus_.publish(std::move(envelope));
  }
  bool publish_telemetry(std::string_view packet, proto::Severity level) override {
    std::lock_guard lock(mu_);
    return bus_.publish_telemetry(packet, level);
  }

 private:
  oona::BusPublisher& bus_;
  std::mutex mu_;
};

void apply_supervisor_environment(ServiceRuntimeOptions& options) {
  daemon::SupervisorLinkOptions link;
  link.endpoint = options.control_endpoint;
  link.service = options.service;
  daemon::apply_supervisor_environment(link);
  options.control_endpoint = link.endpoint;
  options.service = link.service;
}

ServiceRuntime::ServiceRuntime(ServiceRuntimeOptions options) : options_(std::move(options)) {
  if (options_.bus.source.empty()) options_.bus.source = options_.service;
  if (options_.buffer.source.empty()) options_.buffer.source = options_.service;
  bus_ = std::make_unique<oona::BusPublisher>(options_.bus);
  sink_ = std::make_unique<LockedSink>(*bus_);
  buffer_ = std::make_unique<TelemetryBuffer>(options_.buffer, *sink_, [this] { wakeup_.notify(); });
  driver_ = std::thread([this] { run(); });
}

ServiceRuntime::~ServiceRuntime() { stop(); }

bool ServiceRuntime::publish(proto::Envelope envelope) { return sink_->publish(std::move(envelope)); }

void ServiceRuntime::stop() {
  if (stopping_.exchange(true)) return;
  wakeup_.notify();  // The driver sees the stop flag now rather than at its next poll timeout.
  if (driver_.joinable()) driver_.join();
  // The last drain, on the caller's thread now that the driver is gone (one drainer at a time).
  (void)drain_and_report();
}

DrainResult ServiceRuntime::drain() {
  const DrainResult r = buffer_->drain();
  points_published_ += r.points;
  return r;
}

DrainResult ServiceRuntime::drain_and_report() {
  const DrainResult r = drain();
  // The buffer's own health goes out after each drain, so a producer that overflows says so in its
  // telemetry as well as in FLUSHED.
  proto::Envelope envelope;
  envelope.set_severity(proto::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_packet_id(options_.service + "-self-" + std::to_string(proto::now_unix_ns()));
  packet->set_timestamp_unix_ns(proto::now_unix_ns());
  packet->set_source_subsystem(options_.service);
  packet->set_level(proto::SEVERITY_INFO);
  *packet->add_metrics() = proto::make_point("producer.buffer_dropped_total",
                                            static_cast<double>(buffer_->dropped_total()), "count",
                                            proto::METRIC_KIND_COUNTER);
  *packet->add_metrics() = proto::make_point("producer.buffer_depth", static_cast<double>(r.depth), "count");
  *packet->add_metrics() = proto::make_point("producer.buffer_suppressed_total",
                                            static_cast<double>(buffer_->suppressed_total()), "count",
                                            proto::METRIC_KIND_COUNTER);
  const std::uint64_t invalid = buffer_->invalid_total();
  *packet->add_metrics() = proto::make_point("producer.buffer_invalid_total", static_cast<double>(invalid), "count",
                                            proto::METRIC_KIND_COUNTER);
  sink_->publish(std::move(envelope));
  // Said here, on the driver thread, rather than in record(): the recording threads never log.
  if (invalid > invalid_logged_ &&
      problems_.log(spdlog::level::warn, "invalid_points",
                    std::to_string(invalid - invalid_logged_) +
                        " metric point(s) refused at record() since the last such line: a string not UTF-8, "
                        "or over 64 KiB encoded (producer.buffer_invalid_total counts them all)")) {
    invalid_logged_ = invalid;
  }
  return r;
}

ServiceRuntimeStats ServiceRuntime::stats() const {
  return {.flushes_answered = flushes_answered_.load(),
          .timer_flushes = timer_flushes_.load(),
          .batch_drains = batch_drains_.load(),
          .points_published = points_published_.load(),
          .dropped_total = buffer_->dropped_total(),
          .supervised = supervised_.load()};
}

void ServiceRuntime::run() {
  daemon::SupervisorLink link({.endpoint = options_.control_endpoint,
                               .service = options_.service,
                               .version = options_.version,
                               .silence = options_.control_silence});

  // What every drain since the previous FLUSHED did; the next FLUSHED reports it (see the header).
  DrainResult since_flushed;
  auto count = [&](const DrainResult& r) {
    since_flushed.packets += r.packets;
    since_flushed.points += r.points;
    since_flushed.dropped += r.dropped;
    return r;
  };
  // Answering a FLUSH: drain, then count it (state first, reply second: whoever sees the FLUSHED
  // also sees the stats that go with it).
  auto flush = [&] {
    const DrainResult r = count(drain_and_report());
    const daemon::FlushCounts counts{.packets = since_flushed.packets,
                                     .points = since_flushed.points,
                                     .dropped = since_flushed.dropped,
                                     .depth = r.depth};
    since_flushed = {};
    ++flushes_answered_;
    supervised_.store(true);
    return counts;
  };

  Clock::time_point next_timer_flush = Clock::now() + options_.flush_interval;
  while (!stopping_.load()) {
    auto now = Clock::now();
    if (link.serve(flush, now) > 0) {
      // While supervised the own timer stays quiet; it restarts a full interval after the last FLUSH.
      next_timer_flush = link.last_flush() + options_.control_silence;
      now = Clock::now();
    }
    const bool supervised = link.supervised(now);
    supervised_.store(supervised);
    if (!supervised && now >= next_timer_flush) {
      ++timer_flushes_;  // Counted first: whoever sees the drained points also sees the count.
      count(drain_and_report());
      next_timer_flush = now + options_.flush_interval;
    }
    // A recording thread said a batch is ready (or stop() woke us; then this drain is harmless).
    if (wakeup_.clear() && !stopping_.load()) {
      ++batch_drains_;
      count(drain());
      continue;  // Look at the control socket before waiting: a FLUSH may have come meanwhile.
    }

    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<Clock::duration>(kStopCheck, std::max<Clock::duration>(next_timer_flush - now, {})));
    zmq::pollitem_t items[2] = {{nullptr, wakeup_.fd(), ZMQ_POLLIN, 0}, {}};
    int n_items = 1;
    if (link.active()) items[n_items++] = link.pollitem();
    zmq::poll(items, static_cast<std::size_t>(n_items), wait);
  }
}

}  // namespace esper::producers
