// bare_zmq_proxy: the baseline broker of bench/pipeline/broker_compare, in Oona's process layout: a
// process of its own binding an ingress PULL (what producers' PUSH sockets connect to, as Oona's
// normal_ingress) and an egress PUB with XPUB_NODROP (lossless like Oona: at the high-water mark it
// waits rather than drops; PUB, not XPUB, since subscriptions have nowhere to go upstream of a PULL)
// and Oona's egress high-water mark, joined by zmq::proxy with one I/O thread, as Oona's normal lane.
// It forwards every message as is: no decoding, no validation, no per-subscriber queue. Prints
// "ready" once both are bound; runs until killed.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

int main(int argc, char** argv) {
  CLI::App app{"bare_zmq_proxy: PULL -> PUB forwarder (zmq::proxy), the bench's baseline broker"};
  std::string ingress;
  std::string egress;
  app.add_option("ingress", ingress, "PULL bind endpoint")->required();
  app.add_option("egress", egress, "PUB bind endpoint")->required();
  CLI11_PARSE(app, argc, argv);

  zmq::context_t context(1);
  zmq::socket_t frontend(context, zmq::socket_type::pull);
  zmq::socket_t backend(context, zmq::socket_type::pub);
  backend.set(zmq::sockopt::xpub_nodrop, true);
  backend.set(zmq::sockopt::sndhwm, 10000);  // Oona's default egress_hwm.
  frontend.bind(ingress);
  backend.bind(egress);
  std::printf("ready\n");
  std::fflush(stdout);
  zmq::proxy(frontend, backend);
  return 0;
}
