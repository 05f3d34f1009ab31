// The Python producer through a real oona, read by the C++ bus client: its envelopes must pass the
// C++ codec (topic, schema version, source, severity) and, with a key, signature verification;
// carry per-lane sequence numbers from 1 without gaps; and deliver the training loop's metrics,
// with a HIGH event on the emergency lane.
#include <gtest/gtest.h>

#include <csignal>

#include <sys/wait.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/producers/fake_weatherlight.h"
#include "tests/support/key_file.h"
#include "tests/support/oona_process.h"

namespace esper::producers {
namespace {

using namespace std::chrono_literals;

// What train_demo.py documents it publishes: key -> unit.
const std::map<std::string, std::string> kDemoMetrics = {
    {"trainer/loss", "loss"},
    {"trainer/grad_norm", "norm"},
    {"trainer/learning_rate", "lr"},
    {"misc/steps_per_second", "steps/s"},
    {"evaluator/mse", "loss"},
};

// Runs producers/python/`script` for `oona` (--runtime-dir) with `extra` arguments, under the system
// python3 with the generated message classes on PYTHONPATH.
std::unique_ptr<esper::testing::ChildProcess> start_python(const std::string& script,
                                                           const oona::testing::OonaProcess& oona,
                                                           std::vector<std::string> extra,
                                                           esper::testing::ChildProcess::Options options = {}) {
  std::vector<std::string> argv = {ESPER_PYTHON3, std::string(ESPER_SOURCE_DIR) + "/producers/python/" + script,
                                   "--runtime-dir", oona.dir().path().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  options.env["PYTHONPATH"] = std::string(ESPER_BINARY_DIR) + "/producers/python/gen";
  return std::make_unique<esper::testing::ChildProcess>(argv, options);
}

std::unique_ptr<esper::testing::ChildProcess> start_demo(const oona::testing::OonaProcess& oona,
                                                         std::vector<std::string> extra,
                                                         std::map<std::string, std::string> env = {}) {
  esper::testing::ChildProcess::Options options;
  options.env = std::move(env);
  return start_python("train_demo.py", oona, std::move(extra), std::move(options));
}

struct Received {
  std::map<std::string, std::map<std::uint64_t, proto::MetricPoint>> points;  // key -> step -> point
  std::vector<std::string> events;
  std::vector<oona::BusMessage> emergency;
  std::vector<std::uint64_t> normal_sequences;
  std::string instance;
};

// The demo said it is done.
bool finished(const Received& r) {
  return std::find(r.events.begin(), r.events.end(), "training_finished") != r.events.end();
}

// Reads the demo's envelopes until `done` holds or the timeout passes.
template <typename Done>
Received receive_demo(oona::BusSubscriber& subscriber, Done&& done, std::chrono::milliseconds timeout) {
  Received r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(r) && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (!m || m->envelope.source() != "train_demo") continue;
    r.instance = m->envelope.instance();
    if (m->socket == proto::Lane::kEmergency) {
      r.emergency.push_back(*m);
      continue;
    }
    r.normal_sequences.push_back(m->envelope.sequence());
    if (!m->envelope.has_telemetry()) continue;
    EXPECT_EQ(m->envelope.telemetry().source_subsystem(), "train_demo");
    for (const auto& p : m->envelope.telemetry().metrics()) r.points[p.name()][p.step()] = p;
    for (const auto& e : m->envelope.telemetry().events()) r.events.push_back(e.description());
  }
  return r;
}

TEST(PythonProducerTest, TrainingMetricsArriveDecodedByTheCppBusClient) {
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber));

  constexpr int kSteps = 60;
  auto demo = start_demo(oona, {"--steps", std::to_string(kSteps), "--rate", "200", "--eval-interval", "10",
                                "--flush-interval-ms", "100", "--spike-at-step", "30"});
  ASSERT_TRUE(demo->wait_for_line("train_demo ready", 30s)) << "train_demo.py did not start (python3-zmq, "
                                                               "python3-protobuf and the generated code needed)";
  const Received r =
      receive_demo(subscriber, [](const Received& got) { return finished(got) && !got.emergency.empty(); }, 30s);

  EXPECT_EQ(subscriber.rejected_total(), 0u) << "the C++ codec rejected Python envelopes";
  for (const auto& [key, unit] : kDemoMetrics) {
    auto it = r.points.find(key);
    if (it == r.points.end()) {
      ADD_FAILURE() << key << " never arrived";
      continue;
    }
    EXPECT_EQ(it->second.size(), key == "evaluator/mse" ? kSteps / 10u : static_cast<std::size_t>(kSteps)) << key;
    for (const auto& [step, p] : it->second) {
      EXPECT_EQ(p.unit(), unit) << key;
      EXPECT_TRUE(p.has_step()) << key;
      EXPECT_GT(p.timestamp_unix_ns(), 0u) << key;
    }
  }
  // It trains: the loss of the last steps is far below the first.
  const auto& loss = r.points.at("trainer/loss");
  ASSERT_EQ(loss.count(1), 1u);
  ASSERT_EQ(loss.count(kSteps), 1u);
  EXPECT_LT(loss.at(kSteps).value(), loss.at(1).value() / 4);
  EXPECT_EQ(r.points.at("evaluator/mse").begin()->second.attributes().at("phase"), "eval");

  EXPECT_EQ(r.events.front(), "training_started");
  EXPECT_EQ(r.events.back(), "training_finished");
  // The HIGH event skipped the buffer and travelled the emergency lane, stamped as C++ stamps it.
  ASSERT_EQ(r.emergency.size(), 1u);
  const auto& spike = r.emergency.front();
  EXPECT_EQ(proto::format_topic(spike.topic), "emergency.event.high.train_demo");
  ASSERT_TRUE(spike.envelope.has_event());
  EXPECT_EQ(spike.envelope.event().description(), "loss_spike");
  EXPECT_EQ(spike.envelope.event().attributes().at("step"), "30");
  EXPECT_EQ(spike.envelope.sequence(), 1u) << "the emergency lane has its own sequence";
  EXPECT_EQ(spike.envelope.schema_version(), proto::kSchemaVersion);
  EXPECT_GT(spike.envelope.sent_unix_ns(), 0u);
  // "<hostname>:<pid>" of the python process.
  EXPECT_NE(r.instance.find(":" + std::to_string(demo->pid())), std::string::npos) << r.instance;
  // Normal-lane sequence numbers run 1, 2, ... with no gap.
  for (std::size_t i = 0; i < r.normal_sequences.size(); ++i) {
    EXPECT_EQ(r.normal_sequences[i], i + 1) << "sequence gap at envelope " << i;
  }
  EXPECT_EQ(subscriber.sequences().gaps("train_demo"), 0u);

  const auto status = demo->wait(15s);
  ASSERT_TRUE(status) << "train_demo.py did not exit";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// Under Weatherlight the Python producer speaks the flush protocol as the C++ runtime does: HELLO,
// then for each FLUSH a drain and a FLUSHED whose counts are what reaches the bus; with FLUSHes
// coming, its own (here one-minute) timer never drains.
TEST(PythonProducerTest, AnswersWeatherlightsFlushWithTheCountsThatReachTheBus) {
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber));
  testing::FakeWeatherlight weatherlight(oona.dir().path());
  auto demo = start_demo(oona, {"--steps", "1000000", "--rate", "200", "--flush-interval-ms", "60000"},
                         {{"ESPER_CONTROL_ENDPOINT", weatherlight.endpoint()}, {"ESPER_SERVICE_NAME", "py-demo"}});

  const auto hello = weatherlight.receive(30s);
  ASSERT_TRUE(hello && hello->has_hello()) << "no HELLO from train_demo.py";
  EXPECT_EQ(hello->hello().service(), "py-demo");
  EXPECT_EQ(hello->hello().pid(), static_cast<std::uint32_t>(demo->pid()));

  std::uint64_t flushed = 0;   // Points FLUSHED says were published.
  std::uint64_t received = 0;  // Points of train_demo that reached the subscriber.
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    const auto reply = weatherlight.flush(seq, 10s);
    ASSERT_TRUE(reply && reply->has_flushed()) << "no FLUSHED for FLUSH " << seq;
    EXPECT_EQ(reply->flushed().seq(), seq);
    EXPECT_EQ(reply->flushed().dropped(), 0u);
    EXPECT_EQ(reply->flushed().depth(), 0u) << "a drain leaves the buffer empty";
    if (reply->flushed().points() > 0) {
      EXPECT_GT(reply->flushed().packets(), 0u);
    }
    flushed += reply->flushed().points();
    // What this flush published arrives before the next FLUSH.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (received < flushed && std::chrono::steady_clock::now() < deadline) {
      auto m = subscriber.receive(100ms);
      if (m && m->envelope.source() == "train_demo" && m->envelope.has_telemetry()) {
        received += static_cast<std::uint64_t>(m->envelope.telemetry().metrics_size());
      }
    }
    EXPECT_EQ(received, flushed) << "after FLUSH " << seq;
  }
  EXPECT_GT(flushed, 0u) << "three flushes of a running training loop published nothing";
  EXPECT_EQ(demo->stop(), 0) << "train_demo.py did not stop cleanly on SIGTERM";
}

TEST(PythonProducerTest, SignedEnvelopesVerifyInCppAndAWrongKeyIsRejected) {
  const std::string key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  std::string key;
  for (std::size_t i = 0; i < key_hex.size(); i += 2) {
    key.push_back(static_cast<char>(std::stoi(key_hex.substr(i, 2), nullptr, 16)));
  }
  oona::testing::OonaProcess oona("signing:\n  key_hex: " + key_hex + "\n");
  ASSERT_TRUE(oona.ready());
  auto options = oona::testing::subscriber_options(oona.endpoints());
  options.signing_key = key;
  oona::BusSubscriber subscriber(options);

  // Oona drops what is unsigned, so the subscriber is known connected once a signed probe arrives.
  oona::BusPublisherOptions probe_options = oona::testing::publisher_options(oona.endpoints(), "probe");
  probe_options.signing_key = key;
  {
    oona::BusPublisher probe(probe_options);
    bool connected = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!connected && std::chrono::steady_clock::now() < deadline) {
      probe.publish(oona::testing::telemetry(proto::SEVERITY_INFO));
      auto m = subscriber.receive(20ms);
      connected = m && m->envelope.source() == "probe";
    }
    ASSERT_TRUE(connected) << "no signed probe reached the subscriber in 20s";
  }

  auto demo = start_demo(oona, {"--steps", "20", "--rate", "0", "--eval-interval", "0", "--flush-interval-ms",
                                "100", "--signing-key-hex", key_hex});
  ASSERT_TRUE(demo->wait_for_line("train_demo ready", 30s));
  const Received r = receive_demo(subscriber, finished, 30s);
  EXPECT_EQ(r.points.count("trainer/loss") ? r.points.at("trainer/loss").size() : 0u, 20u);
  EXPECT_EQ(subscriber.rejected(oona::EnvelopeSigner::Verdict::kBadSignature), 0u);
  EXPECT_EQ(subscriber.rejected(oona::EnvelopeSigner::Verdict::kUnsigned), 0u);
  ASSERT_TRUE(demo->wait(15s));

  // The same run under another key never gets through Oona, which counts it as bad_signature.
  oona::testing::StatsWatcher stats(oona.endpoints());
  auto wrong = start_demo(oona, {"--steps", "5", "--rate", "0", "--flush-interval-ms", "100", "--signing-key-hex",
                                 std::string(64, 'f')});
  ASSERT_TRUE(wrong->wait_for_line("train_demo ready", 30s));
  const auto wrong_status = wrong->wait(15s);
  ASSERT_TRUE(wrong_status);
  const auto [rejected, last] = stats.wait_for(
      [](const oona::testing::OonaStats& st) {
        return oona::testing::stat(st, "oona.rejected_total{reason=bad_signature}") >= 1;
      },
      20s);
  EXPECT_TRUE(rejected) << "Oona did not count the wrongly signed envelopes:\n" << oona::testing::describe(last);
  const Received none = receive_demo(subscriber, [](const Received&) { return false; }, 200ms);
  EXPECT_TRUE(none.points.empty()) << "envelopes signed with the wrong key reached a subscriber";
}

// With --config, train_demo.py signs with the key its key_file holds, and refuses a key file its
// group or others may read, naming it and its mode.
TEST(PythonProducerTest, ReadsTheSigningKeyFromItsConfigAndRefusesAKeyFileOthersMayRead) {
  oona::testing::OonaProcess oona("signing:\n  key_hex: " + esper::testing::kSigningKeyHex + "\n");
  ASSERT_TRUE(oona.ready());
  const std::string key = oona::parse_hex_key(esper::testing::kSigningKeyHex);
  auto options = oona::testing::subscriber_options(oona.endpoints());
  options.signing_key = key;
  oona::BusSubscriber subscriber(options);
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber, true, true, {}, key));

  esper::testing::TempDir dir;
  auto config_with = [&](const std::filesystem::path& key_file) {
    const auto path = dir / (key_file.filename().string() + ".yaml");
    std::ofstream(path) << "signing:\n  key_file: " << key_file.string() << "\n";
    return path.string();
  };
  const auto private_key = esper::testing::write_key_file(dir / "private.key", esper::testing::kSigningKeyHex);
  auto demo = start_demo(oona, {"--config", config_with(private_key), "--steps", "5", "--rate", "0",
                                "--eval-interval", "0", "--flush-interval-ms", "100"});
  ASSERT_TRUE(demo->wait_for_line("train_demo ready", 30s));
  const Received r = receive_demo(subscriber, finished, 30s);
  EXPECT_EQ(r.points.count("trainer/loss") ? r.points.at("trainer/loss").size() : 0u, 5u)
      << "train_demo's envelopes, signed with the config's key, did not all pass Oona";
  ASSERT_TRUE(demo->wait(15s));

  using std::filesystem::perms;
  const auto shared_key = esper::testing::write_key_file(
      dir / "shared.key", esper::testing::kSigningKeyHex, perms::owner_read | perms::owner_write | perms::others_read);
  auto refused = start_python("train_demo.py", oona, {"--config", config_with(shared_key)},
                              {.env = {}, .cwd = {}, .capture_stdout = true, .capture_stderr = true});
  EXPECT_TRUE(refused->wait_for_line(shared_key.string() + " has mode 0604", 30s).has_value())
      << "train_demo did not name the key file and its mode";
  const auto status = refused->wait(15s);
  ASSERT_TRUE(status.has_value()) << "train_demo did not exit";
  EXPECT_FALSE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "train_demo accepted the key file";
}

// The Python subscriber (esper_producer.BusSubscriber, run by follow_bus.py) speaks the egress
// protocol to a real oona: it gets both lanes, decoded, under the name it gave, and Oona lists it.
TEST(PythonSubscriberTest, FollowsBothLanesUnderItsName) {
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  auto follower =
      start_python("follow_bus.py", oona, {"--source", "pyfollow", "--count", "4", "--name", "notebook"});
  ASSERT_TRUE(follower->wait_for_line("follow_bus ready", 30s));
  oona::testing::StatsWatcher stats(oona.endpoints());
  oona::BusPublisher publisher(oona::testing::publisher_options(oona.endpoints(), "pyfollow"));
  std::vector<std::string> lines;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (lines.size() < 4 && std::chrono::steady_clock::now() < deadline) {
    if (lines.size() % 2 == 0) {
      ASSERT_TRUE(publisher.publish(oona::testing::telemetry(proto::SEVERITY_INFO)));
    } else {
      ASSERT_TRUE(publisher.publish(oona::testing::event(proto::SEVERITY_CRITICAL, "py")));
    }
    if (auto line = follower->read_line(200ms)) lines.push_back(*line);
  }
  ASSERT_EQ(lines.size(), 4u);
  std::set<std::string> kinds;
  for (const auto& line : lines) {
    if (line.find("normal normal.telemetry.info.pyfollow") == 0) kinds.insert("normal");
    if (line.find("emergency emergency.event.critical.pyfollow") == 0) kinds.insert("emergency");
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"normal", "emergency"})) << lines[0] << " / " << lines[1];
  const auto status = follower->wait(10s);
  ASSERT_TRUE(status.has_value()) << "follow_bus.py did not exit after --count 4";
  EXPECT_EQ(esper::testing::describe_status(*status), "exit 0");
  auto [listed, last] = stats.wait_for(
      [](const oona::testing::OonaStats& s) {
        return oona::testing::stat(s, "oona.subscriber_sent_total{lane=normal,subscriber=notebook}") >= 2 &&
               oona::testing::stat(s, "oona.subscriber_sent_total{lane=emergency,subscriber=notebook}") >= 2;
      },
      10s);
  EXPECT_TRUE(listed) << oona::testing::describe(last);
}

// A follower that stops reading (SIGSTOP, as a notebook kernel paused in a debugger) is shed alone:
// Oona drops from its queue, counts the drops under its name, and once it reads again it says how
// many it missed. Every envelope sent is either received or missed, and the missed count is Oona's.
TEST(PythonSubscriberTest, AStoppedFollowerIsShedAloneAndSaysHowManyItMissed) {
  constexpr int kSent = 3000;
  oona::testing::OonaProcess oona("subscriber_queue: {max_messages: 50}\n");
  ASSERT_TRUE(oona.ready());
  auto follower =
      start_python("follow_bus.py", oona, {"--prefix", "normal.telemetry.info.pyshed", "--name", "paused"});
  ASSERT_TRUE(follower->wait_for_line("follow_bus ready", 30s));
  oona::testing::StatsWatcher stats(oona.endpoints());
  oona::BusPublisher publisher(oona::testing::publisher_options(oona.endpoints(), "pyshed"));
  // Connected once one envelope arrives; then stopped.
  std::optional<std::string> first;
  for (int i = 0; i < 200 && !first; ++i) {
    ASSERT_TRUE(publisher.publish(oona::testing::telemetry(proto::SEVERITY_INFO)));
    first = follower->read_line(100ms);
  }
  ASSERT_TRUE(first.has_value()) << "follow_bus.py received nothing";
  follower->signal(SIGSTOP);
  for (int i = 0; i < kSent; ++i) ASSERT_TRUE(publisher.publish(oona::testing::telemetry(proto::SEVERITY_INFO)));
  auto dropped_for = [](const oona::testing::OonaStats& s, const std::string& name) {
    double n = 0;
    for (const auto& [key, value] : s) {
      if (key.rfind("oona.subscriber_dropped_total{", 0) == 0 && key.find("subscriber=" + name + "}") != std::string::npos) {
        n += value;
      }
    }
    return n;
  };
  auto [shed, while_stopped] =
      stats.wait_for([&](const oona::testing::OonaStats& s) { return dropped_for(s, "paused") > 0; }, 20s);
  ASSERT_TRUE(shed) << "Oona shed nothing for the stopped follower: " << oona::testing::describe(while_stopped);
  follower->signal(SIGCONT);

  // It reads on: what it prints plus what it says it missed is everything sent since it stopped,
  // plus the probes that arrived before (one line each).
  std::uint64_t received = 0, missed = 0;
  double oona_dropped = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    while (auto line = follower->read_line(100ms)) {
      if (line->rfind("missed ", 0) == 0) missed += std::stoull(line->substr(7));
      else if (line->find("normal.telemetry.info.pyshed") != std::string::npos) ++received;
    }
    auto [settled, last] = stats.wait_for([&](const oona::testing::OonaStats&) { return true; }, 2s);
    if (settled) oona_dropped = dropped_for(last, "paused");
    if (missed > 0 && static_cast<double>(missed) == oona_dropped && received + missed >= kSent) break;
  }
  EXPECT_GT(missed, 0u) << "the follower never said it missed envelopes";
  EXPECT_EQ(static_cast<double>(missed), oona_dropped) << "its missed count is not Oona's count for it";
  EXPECT_GE(received + missed, static_cast<std::uint64_t>(kSent)) << "received " << received << ", missed " << missed;
  EXPECT_LT(received, static_cast<std::uint64_t>(kSent)) << "nothing was shed after all";
  EXPECT_TRUE(oona.process().running());
}

}  // namespace
}  // namespace esper::producers
