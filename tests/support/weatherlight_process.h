// A real `weatherlight` for integration tests (its own and whole deployments under it), started on
// a config written into a temp dir, and small helpers those tests share: shell one-liners as
// services, files those services append to, pid checks.
#ifndef ESPER_TESTS_SUPPORT_WEATHERLIGHT_PROCESS_H_
#define ESPER_TESTS_SUPPORT_WEATHERLIGHT_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper::weatherlight::testing {

using namespace std::chrono_literals;

class WeatherlightProcess {
 public:
  // Writes `yaml` to <dir>/weatherlight.yaml and starts weatherlight on it.
  // `capture_stderr`: its log lines are read with its stdout (wait_for_line).
  WeatherlightProcess(const std::filesystem::path& dir, const std::string& yaml,
                      std::map<std::string, std::string> env = {}, bool capture_stderr = false)
      : config_(dir / "weatherlight.yaml") {
    std::ofstream(config_) << yaml;
    esper::testing::ChildProcess::Options options;
    options.env = std::move(env);
    options.capture_stderr = capture_stderr;
    process_ = std::make_unique<esper::testing::ChildProcess>(
        std::vector<std::string>{esper::testing::built_binary("weatherlight/weatherlight").string(), "--config",
                                 config_.string()},
        options);
  }

  bool wait_ready() { return process_->wait_for_line("weatherlight ready", 20s).has_value(); }
  // SIGTERM, then waits up to `timeout` for it to exit: success if it exited 0.
  ::testing::AssertionResult stops_cleanly(std::chrono::milliseconds timeout = 20s) {
    process_->signal(SIGTERM);
    const auto status = process_->wait(timeout);
    if (!status) {
      return ::testing::AssertionFailure() << "weatherlight still running " << timeout.count() << " ms after SIGTERM";
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      return ::testing::AssertionFailure() << "weatherlight ended with " << esper::testing::describe_status(*status);
    }
    return ::testing::AssertionSuccess();
  }
  void rewrite_config(const std::string& yaml) { std::ofstream(config_) << yaml; }
  esper::testing::ChildProcess& process() { return *process_; }

 private:
  std::filesystem::path config_;
  std::unique_ptr<esper::testing::ChildProcess> process_;
};

// The head of a config for a weatherlight that publishes nothing (so needs no Oona), with its
// runtime_dir in `dir` and `extra` top-level keys; the caller appends the services.
inline std::string config_without_bus(const std::filesystem::path& dir, const std::string& extra = "") {
  return "runtime_dir: " + dir.string() + "\npublish_to_bus: false\n" + extra + "services:\n";
}

// The head of a config for a weatherlight that publishes on the bus of the Oona whose runtime_dir is
// `oona_runtime_dir`, with its control socket in `dir` and `extra` top-level keys; the caller
// appends the services.
inline std::string config_on_bus(const std::filesystem::path& oona_runtime_dir, const std::filesystem::path& dir,
                                 const std::string& extra = "") {
  return "runtime_dir: " + oona_runtime_dir.string() + "\ncontrol_endpoint: ipc://" +
         (dir / "control.sock").string() + "\n" + extra + "services:\n";
}

// A YAML flow sequence for a /bin/sh service running `script`.
inline std::string sh_argv(const std::string& script) {
  std::string escaped;
  for (char c : script) {
    if (c == '\'') escaped += "''";
    else escaped += c;
  }
  return "[/bin/sh, -c, '" + escaped + "']";
}

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline bool pid_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The pids of the "<word> <pid> ..." lines service scripts append to `file`.
inline std::vector<pid_t> pids_in(const std::filesystem::path& file) {
  std::vector<pid_t> pids;
  for (const auto& line : read_lines(file)) {
    std::istringstream in(line);
    std::string word;
    pid_t pid = 0;
    if (in >> word >> pid && pid > 1) pids.push_back(pid);
  }
  return pids;
}

// Kills, at the end of a test, every pid the services wrote to `file`, so a failing test leaves
// nothing behind.
struct PidFileReaper {
  std::filesystem::path file;
  ~PidFileReaper() {
    for (pid_t pid : pids_in(file)) ::kill(pid, SIGKILL);
  }
};

}  // namespace esper::weatherlight::testing

#endif  // ESPER_TESTS_SUPPORT_WEATHERLIGHT_PROCESS_H_
