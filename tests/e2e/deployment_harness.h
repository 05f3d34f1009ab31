// Helpers for tests that run a whole deployment under a real weatherlight: finding a service's
// process among weatherlight's children, running a command to completion, HTTP against nissa.
#ifndef ESPER_TESTS_E2E_DEPLOYMENT_HARNESS_H_
#define ESPER_TESTS_E2E_DEPLOYMENT_HARNESS_H_

#include <sys/types.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace esper::e2e {

// The pid of the child of `parent` whose command name is `comm` (as /proc shows it, at most 15
// characters), if there is one right now.
inline std::optional<pid_t> child_named(pid_t parent, const std::string& comm) {
  std::ifstream children("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children");
  pid_t pid = 0;
  while (children >> pid) {
    std::ifstream comm_file("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm_file, name);
    if (name == comm.substr(0, 15)) return pid;
  }
  return std::nullopt;
}

// Runs `argv` to completion and returns its stdout lines (bounded by `timeout`).
inline std::vector<std::string> run_lines(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  esper::testing::ChildProcess process(std::move(argv));
  std::vector<std::string> lines;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = process.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!line) break;
    lines.push_back(*line);
  }
  process.wait(std::chrono::seconds(5));
  return lines;
}

}  // namespace esper::e2e

#endif  // ESPER_TESTS_E2E_DEPLOYMENT_HARNESS_H_
