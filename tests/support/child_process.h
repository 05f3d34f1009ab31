// A real child process for integration tests: started with an argv (no shell), its stdout readable
// line by line with a timeout, its stderr passed through to the test log, and killed (whole process
// group) when the object goes away, so a failing test never leaves processes behind.
#ifndef ESPER_TESTS_SUPPORT_CHILD_PROCESS_H_
#define ESPER_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace esper::testing {

// Path of a binary built by this project, e.g. built_binary("oona/oona").
std::filesystem::path built_binary(const std::string& relative_path);

class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;  // Added to (or overriding) the test's environment.
    std::filesystem::path cwd;               // Empty: the test's working directory.
    bool capture_stdout = true;              // Otherwise stdout goes to the test's stdout.
    bool capture_stderr = false;             // Read stderr lines with stdout's (read_line).
  };

  ChildProcess(std::vector<std::string> argv, Options options);
  explicit ChildProcess(std::vector<std::string> argv) : ChildProcess(std::move(argv), Options{}) {}
  ~ChildProcess();  // SIGKILLs the process group if still running, then reaps.
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout (without '\n'), or nullopt on timeout or end of stream.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Reads lines until one contains `needle`; returns it, or nullopt on timeout/end of stream.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);

  void signal(int signo);                 // Sends `signo` to the child (not its group).
  // Waits for exit; returns the wait status, or nullopt on timeout (the child keeps running).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  void kill9();                           // SIGKILL and reap.
  bool running();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// A command run to its end (a CLI, or a server expected to refuse to start): what it printed and how
// it ended.
struct Completed {
  std::string out;            // Its stdout lines (with stderr's, when captured), each ending in '\n'.
  std::optional<int> status;  // The wait status; nullopt if it was still running at the deadline.
  int exit_code = -1;         // Its exit code, or -1 if it did not exit by itself.
};
// Runs `argv` until its output ends and it exits, waiting up to `timeout` for each line and for the
// exit. A process still running then is killed (when the ChildProcess goes) and `status` is nullopt.
Completed run_to_completion(std::vector<std::string> argv, bool with_stderr, std::chrono::milliseconds timeout);

// Human-readable form of a wait status: "exit 0", "signal 9".
std::string describe_status(int status);

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_CHILD_PROCESS_H_
