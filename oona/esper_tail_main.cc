// esper-tail: prints what travels on the bus, one line per envelope. Subscribes to Oona's egress
// endpoints (found from --runtime-dir or Oona's --config), filters by lane, kind, severity and
// source, and exits 0 on SIGINT/SIGTERM, after --count envelopes, or when stdout is closed
// (`esper-tail | head` works). It is a named subscriber ("esper-tail@<host>:<pid>") with a queue of
// its own in Oona: when it stops reading (its output is slower than the bus, a paused pager, Ctrl-Z)
// only that queue fills, Oona sheds from it, and when esper-tail reads again it says on stderr how
// many envelopes it missed. Nobody else on the bus is held back.
//
// It never leaves its user guessing: with no Oona at the endpoint (not started yet, another
// runtime directory) it says on stderr "waiting for oona at …" after a short grace period, keeps
// trying, and says when it is connected or loses Oona. --timeout bounds the wait for scripts.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_program.h"
#include "config/config_section.h"
#include "oona/broker_config.h"
#include "oona/tail_format.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "signals/shutdown_signals.h"

namespace {

// Writes one line; false when stdout is gone (EPIPE) or broken.
bool write_line(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return false;
  if (std::fputc('\n', stdout) == EOF) return false;
  return std::fflush(stdout) == 0;
}

// How long esper-tail waits for Oona before it says so.
constexpr auto kWaitingGrace = std::chrono::seconds(2);

// Says on stderr (so that --json output stays one JSON object per line) when Oona is not there,
// when it comes, and when it goes.
class ConnectionReport {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ConnectionReport(std::string endpoint) : endpoint_(std::move(endpoint)), since_(Clock::now()) {}

  void update(bool connected, Clock::time_point now) {
    if (connected && !connected_) {
      if (said_waiting_) std::fprintf(stderr, "esper-tail: connected to oona at %s\n", endpoint_.c_str());
      said_waiting_ = false;
      ever_connected_ = true;
    } else if (!connected && connected_) {
      std::fprintf(stderr, "esper-tail: lost oona at %s; waiting for it to come back\n", endpoint_.c_str());
      said_waiting_ = true;
      since_ = now;
    } else if (!connected && !said_waiting_ && now - since_ >= kWaitingGrace) {
      std::fprintf(stderr,
                   "esper-tail: waiting for oona at %s (is oona running? --runtime-dir or --config tell where it "
                   "is); still trying\n",
                   endpoint_.c_str());
      said_waiting_ = true;
    }
    connected_ = connected;
  }
  bool ever_connected() const { return ever_connected_; }

 private:
  std::string endpoint_;
  Clock::time_point since_;  // Since when Oona has been missing.
  bool connected_ = false;
  bool said_waiting_ = false;
  bool ever_connected_ = false;
};

// On stderr, so that --json output stays one JSON object per line.
void report_missed(std::uint64_t missed) {
  std::fprintf(stderr,
               "esper-tail: missed %llu envelopes here: Oona shed them while esper-tail was not reading "
               "(stopped, or its output slower than the bus)\n",
               static_cast<unsigned long long>(missed));
}

struct TailFlags {
  std::string endpoint_dir;
  std::string config_path;
  std::string lane_name;
  std::vector<std::string> kind_names;
  std::string min_severity = "debug";
  std::vector<std::string> sources;
  bool json = false;
  std::uint64_t count = 0;
  std::uint32_t buffer = 1000;
  std::string timeout_text;
};

int tail(const TailFlags& flags) {
  using namespace esper;
  std::optional<std::chrono::milliseconds> timeout;
  if (!flags.timeout_text.empty()) {
    timeout = config::parse_duration(flags.timeout_text);
    if (!timeout) {
      std::fprintf(stderr, "esper-tail: --timeout '%s' is not a duration (e.g. 500ms, 10s, 2m)\n",
                   flags.timeout_text.c_str());
      return cli::kExitUsage;
    }
  }

  oona::TailFilter filter;
  if (!flags.lane_name.empty()) {
    filter.lane = proto::parse_lane(flags.lane_name);
    if (!filter.lane) {
      std::fprintf(stderr, "esper-tail: unknown lane '%s'\n", flags.lane_name.c_str());
      return cli::kExitUsage;
    }
  }
  for (const auto& name : flags.kind_names) {
    const auto kind = proto::parse_kind(name);
    if (!kind) {
      std::fprintf(stderr, "esper-tail: unknown kind '%s'\n", name.c_str());
      return cli::kExitUsage;
    }
    filter.kinds.insert(*kind);
  }
  const auto severity = proto::parse_severity(flags.min_severity);
  if (!severity) {
    std::fprintf(stderr, "esper-tail: unknown severity '%s'\n", flags.min_severity.c_str());
    return cli::kExitUsage;
  }
  filter.min_severity = *severity;
  filter.sources.insert(flags.sources.begin(), flags.sources.end());

  signals::ShutdownSignals shutdown;
  const auto root = flags.config_path.empty() ? config::parse_text("{}", "<defaults>")
                                              : config::load_file(flags.config_path);
  std::optional<std::filesystem::path> dir;
  if (!flags.endpoint_dir.empty()) dir = flags.endpoint_dir;
  oona::BusSubscriberOptions options;
  options.name = "esper-tail@" + oona::default_instance();
  options.credit_window = flags.buffer == 0 ? 1 : flags.buffer;
  const auto broker_config = oona::load_broker_config(root, dir);
  options.endpoints = broker_config.endpoints;
  options.signing_key = broker_config.signing_key;  // Verify signatures when Oona does.
  options.emergency_scheduling = broker_config.emergency_scheduling;
  filter.narrow(options);
  oona::BusSubscriber subscriber(options);
  const bool colour = !flags.json && isatty(STDOUT_FILENO) == 1;
  std::uint64_t printed = 0;
  std::uint64_t missed_reported = 0;
  ConnectionReport connection(subscriber.endpoint());
  const auto deadline = timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  while (flags.count == 0 || printed < flags.count) {
    if (const auto signo = shutdown.take(); signo && signals::is_stop_signal(*signo)) break;
    const auto now = std::chrono::steady_clock::now();
    connection.update(subscriber.connected(), now);
    if (deadline && now >= *deadline && (flags.count > 0 || !connection.ever_connected())) {
      if (!connection.ever_connected()) {
        std::fprintf(stderr, "esper-tail: no oona at %s within --timeout %s; giving up\n",
                     subscriber.endpoint().c_str(), flags.timeout_text.c_str());
      } else {
        std::fprintf(stderr, "esper-tail: %llu of --count %llu envelopes within --timeout %s; giving up\n",
                     static_cast<unsigned long long>(printed), static_cast<unsigned long long>(flags.count),
                     flags.timeout_text.c_str());
      }
      return cli::kExitFailed;
    }
    auto message = subscriber.receive(std::chrono::milliseconds(100));
    // Oona says what it shed just ahead of the next envelope: that is where it is missing.
    if (subscriber.missed() > missed_reported) {
      report_missed(subscriber.missed() - missed_reported);
      missed_reported = subscriber.missed();
    }
    if (!message || !filter.matches(*message)) continue;
    const std::string line = flags.json ? oona::format_json(*message) : oona::format_human(*message, colour);
    if (!write_line(line)) return errno == EPIPE ? cli::kExitOk : cli::kExitFailed;
    ++printed;
  }
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace esper;
  cli::CommandLine command_line("esper-tail: print envelopes travelling through Oona");
  TailFlags flags;
  command_line.option("--runtime-dir", flags.endpoint_dir,
                      "Oona's runtime directory (its default ipc:// endpoints), as given to oona");
  // Not checked here: config::load_file says what is wrong with the path, as every program does.
  command_line.option("--config", flags.config_path, "Oona's YAML config, to find its egress endpoints");
  command_line.option("--lane", flags.lane_name, "normal, emergency or reliable");
  command_line.option("--kind", flags.kind_names, "Body kind(s): telemetry, event, field_report, ack, ...");
  command_line.option("--min-severity", flags.min_severity, "debug, info, warning, high, critical");
  command_line.option("--source", flags.sources, "Source(s) to show");
  command_line.flag("--json", flags.json, "One JSON object per line (protobuf JSON mapping)");
  command_line.option("--count", flags.count, "Exit 0 after this many envelopes (0: never)");
  command_line.option("--buffer", flags.buffer,
                      "Envelopes Oona may send ahead of what esper-tail has printed (its credit window); the rest "
                      "wait in its queue in Oona, which sheds when full");
  command_line.option("--timeout", flags.timeout_text,
                      "For scripts: exit 1 if Oona is not reached within this long (e.g. 10s), or, with --count, if "
                      "the count is not reached within it");
  command_line.footer(cli::exit_code_footer("--timeout passed first, or stdout failed") +
                      " SIGINT, SIGTERM, --count reached and a closed stdout (esper-tail | head) exit 0.");
  return cli::run_tool(argc, argv, command_line, "esper-tail", [&] { return tail(flags); });
}
