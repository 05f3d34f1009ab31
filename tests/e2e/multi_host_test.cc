// The multi-host shape: Oona on "host A", a network namespace the test makes and joins to this one
// with a veth pair, listening on tcp:// with CurveZMQ; Nissa and a producer on "host B" (this
// namespace) connect across the link with their own keys from their YAML configs. The producer's
// data reaches Nissa; a client whose key Oona does not know gets nothing through. Skipped, saying
// why, where the machine does not allow network namespaces (not root, no CAP_NET_ADMIN).
#include <unistd.h>

#include <array>
#include <fstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <zmq.h>

#include "oona/bus_publisher.h"
#include "proto/metric_point.h"
#include "tests/support/child_process.h"
#include "tests/support/curve_keys.h"
#include "tests/support/key_file.h"
#include "tests/support/nissa_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::e2e {
namespace {

using namespace std::chrono_literals;
using esper::testing::built_binary;
using esper::testing::ChildProcess;
using esper::testing::KeyPair;
using esper::testing::make_keypair;
using esper::testing::wait_until;
using nlohmann::json;

int run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

// A network namespace joined to this one by a veth pair: 10.<n>.0.1 inside, 10.<n>.0.2 here.
class VethNamespace {
 public:
  VethNamespace() {
    const auto id = std::to_string(::getpid() % 100000);
    name_ = "esper-a-" + id;
    host_if_ = "evh" + id;
    ns_if_ = "evn" + id;
    subnet_ = "10." + std::to_string(100 + ::getpid() % 100) + ".0";
    ok_ = run("ip netns add " + name_) == 0;
    if (!ok_) return;
    ok_ = run("ip link add " + host_if_ + " type veth peer name " + ns_if_) == 0 &&
          run("ip link set " + ns_if_ + " netns " + name_) == 0 &&
          run("ip addr add " + subnet_ + ".2/24 dev " + host_if_) == 0 && run("ip link set " + host_if_ + " up") == 0 &&
          run("ip netns exec " + name_ + " ip addr add " + subnet_ + ".1/24 dev " + ns_if_) == 0 &&
          run("ip netns exec " + name_ + " ip link set " + ns_if_ + " up") == 0 &&
          run("ip netns exec " + name_ + " ip link set lo up") == 0;
  }
  ~VethNamespace() {
    run("ip link del " + host_if_);  // Removes both ends.
    run("ip netns del " + name_);
  }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  std::string inside() const { return subnet_ + ".1"; }

 private:
  std::string name_, host_if_, ns_if_, subnet_;
  bool ok_ = false;
};

TEST(MultiHostTest, ProducerReachesNissaThroughACurveOonaInAnotherNetworkNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "multi-host shape skipped: creating network namespaces needs root";
  VethNamespace host_a;
  if (!host_a.ok()) {
    GTEST_SKIP() << "multi-host shape skipped: this machine does not allow `ip netns add` and a veth pair "
                    "(no CAP_NET_ADMIN or no netns support)";
  }
  esper::testing::TempDir dir;
  const KeyPair server = make_keypair(), nissa_keys = make_keypair(), producer_keys = make_keypair(),
                intruder_keys = make_keypair();
  const std::string a = host_a.inside();
  const std::string endpoints = "endpoints:\n"
                                "  normal_ingress: tcp://" + a + ":7301\n"
                                "  emergency_ingress: tcp://" + a + ":7302\n"
                                "  normal_egress: tcp://" + a + ":7303\n"
                                "  emergency_egress: tcp://" + a + ":7304\n";

  // Host A: Oona, CURVE server, admitting Nissa's and the producer's keys only.
  const auto oona_config = dir.path() / "oona.yaml";
  std::ofstream(oona_config) << "runtime_dir: " << (dir.path() / "a").string() << "\n" << endpoints
                             << "curve:\n  server_secret_key: '" << server.secret_key << "'\n"
                             << "  allowed_client_keys: ['" << nissa_keys.public_key << "', '"
                             << producer_keys.public_key << "']\n";
  ChildProcess oona({"/usr/sbin/ip", "netns", "exec", host_a.name(), built_binary("oona/oona").string(), "--config",
                     oona_config.string()});
  ASSERT_TRUE(oona.wait_for_line("oona ready", 20s)) << "oona did not start in namespace " << host_a.name();

  // Host B: Nissa and kasmina, each with its own client keys (one in a key file, as deployed).
  auto client_config = [&](const std::string& name, const KeyPair& keys) {
    const auto secret_file = dir.path() / (name + ".secret");
    esper::testing::write_key_file(secret_file, keys.secret_key);  // 0600, as key loaders require.
    return endpoints + "client_curve:\n  server_public_key: '" + server.public_key + "'\n  secret_key_file: " +
           secret_file.string() + "\n";
  };
  std::filesystem::create_directories(dir.path() / "nissa");
  esper::nissa::testing::NissaProcess nissa(dir.path() / "b", dir.path() / "nissa/state",
                                            client_config("nissa", nissa_keys));
  ASSERT_TRUE(nissa.ready());
  const auto kasmina_config = dir.path() / "kasmina.yaml";
  std::ofstream(kasmina_config) << client_config("kasmina", producer_keys);
  ChildProcess kasmina({built_binary("producers/kasmina/kasmina").string(), "--config", kasmina_config.string(),
                        "--rate", "20", "--flush-interval-ms", "200"});
  ASSERT_TRUE(kasmina.wait_for_line("kasmina ready", 20s));

  // An intruder with keys Oona does not know publishes too.
  oona::BusPublisherOptions intruder_options;
  intruder_options.endpoints = {"tcp://" + a + ":7301", "tcp://" + a + ":7302", "tcp://" + a + ":7303",
                                "tcp://" + a + ":7304"};
  intruder_options.source = "intruder";
  intruder_options.send_timeout = 10ms;
  intruder_options.linger = 0ms;
  intruder_options.curve = {server.public_key, intruder_keys.public_key, intruder_keys.secret_key};
  oona::BusPublisher intruder(intruder_options);

  auto series_count = [&](const std::string& source) {
    const json body = nissa.get_json("/api/v1/series?source=" + source + "&limit=1");
    return body.is_object() ? body["matched"].get<int>() : 0;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        proto::Envelope e;
        e.set_severity(proto::SEVERITY_INFO);
        *e.mutable_telemetry()->add_metrics() = proto::make_point("intruder.metric", 1, "count");
        intruder.publish(std::move(e));
        return series_count("kasmina") > 0;
      },
      30s, 200ms))
      << "kasmina's metrics did not reach nissa through the CURVE Oona across the namespaces";
  EXPECT_EQ(series_count("intruder"), 0) << "a client with an unknown key got data through";
  // Oona counted the refused handshakes, and says so in its telemetry (as Nissa exports it).
  double refused = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        std::istringstream metrics(nissa.get_text("/metrics"));
        for (std::string line; std::getline(metrics, line);) {
          if (line.rfind("esper_oona_curve_refused", 0) == 0) refused = std::stod(line.substr(line.rfind(' ') + 1));
        }
        return refused > 0;
      },
      10s, 200ms))
      << "oona's curve refusal counter did not reach nissa's /metrics";
}

}  // namespace
}  // namespace esper::e2e
