// The two brokers the bench compares, both in-process on threads of their own over ipc:// in a temp
// dir: a bare ZeroMQ forwarder (PULL -> PUB, lossless with XPUB_NODROP, like Oona) and Oona itself.
#ifndef ESPER_BENCH_OONA_BENCH_BROKERS_H_
#define ESPER_BENCH_OONA_BENCH_BROKERS_H_

#include <filesystem>
#include <memory>
#include <thread>

#include <zmq.hpp>

#include "oona/broker.h"
#include "oona/bus_endpoints.h"

namespace esper::oona_bench {

// A bare forwarder: PULL -> PUB (lossless, XPUB_NODROP), run by zmq_proxy_steerable.
class BareProxy {
 public:
  explicit BareProxy(const std::filesystem::path& dir);
  ~BareProxy();
  const oona::BusEndpoints& endpoints() const { return endpoints_; }

 private:
  zmq::context_t context_;
  zmq::socket_t frontend_, backend_, control_;
  oona::BusEndpoints endpoints_;
  std::thread thread_;
};

// Oona in-process, stopped through an eventfd.
class InProcessOona {
 public:
  explicit InProcessOona(const std::filesystem::path& dir);
  ~InProcessOona();
  const oona::BusEndpoints& endpoints() const { return broker_->config().endpoints; }
  bool emergency_realtime() const { return broker_->emergency_scheduling().realtime(); }

 private:
  int stop_fd_;
  std::unique_ptr<oona::Broker> broker_;
  std::thread thread_;
};

}  // namespace esper::oona_bench

#endif  // ESPER_BENCH_OONA_BENCH_BROKERS_H_
