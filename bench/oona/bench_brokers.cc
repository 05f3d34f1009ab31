#include "bench/oona/bench_brokers.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "bench/oona/bench_clients.h"

namespace esper::oona_bench {

BareProxy::BareProxy(const std::filesystem::path& dir)
    : frontend_(context_, zmq::socket_type::pull), backend_(context_, zmq::socket_type::pub),
      control_(context_, zmq::socket_type::pair) {
  endpoints_ = oona::endpoints_under(dir / "proxy");
  std::filesystem::create_directories(dir / "proxy");
  backend_.set(zmq::sockopt::xpub_nodrop, 1);
  backend_.set(zmq::sockopt::sndhwm, 10000);
  frontend_.bind(endpoints_.normal_ingress);
  backend_.bind(endpoints_.normal_egress);
  control_.bind("inproc://proxy-control");
  thread_ = std::thread([this] {
    zmq::socket_t control(context_, zmq::socket_type::pair);
    control.connect("inproc://proxy-control");
    zmq::proxy_steerable(frontend_, backend_, zmq::socket_ref(), control);
  });
}

BareProxy::~BareProxy() {
  control_.send(zmq::str_buffer("TERMINATE"));
  thread_.join();
}

InProcessOona::InProcessOona(const std::filesystem::path& dir) : stop_fd_(eventfd(0, EFD_NONBLOCK)) {
  oona::BrokerConfig config;
  config.runtime_dir = dir / "oona";
  config.endpoints = oona::endpoints_under(config.runtime_dir);
  config.signing_key = signing_key;
  broker_ = std::make_unique<oona::Broker>(config);
  thread_ = std::thread([this] { broker_->run(stop_fd_, [] { return true; }); });
}

InProcessOona::~InProcessOona() {
  const std::uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(stop_fd_);
}

}  // namespace esper::oona_bench
