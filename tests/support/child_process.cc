#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#ifndef ESPER_BINARY_DIR
#error "ESPER_BINARY_DIR must be defined by the build"
#endif

namespace esper::testing {

std::filesystem::path built_binary(const std::string& relative_path) {
  return std::filesystem::path(ESPER_BINARY_DIR) / relative_path;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  int pipe_fds[2] = {-1, -1};
  if (options.capture_stdout && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    // Child: own process group so the destructor can kill everything it starts.
    ::setpgid(0, 0);
    // A test binary that dies without its destructors (a ctest timeout, a crash) takes the child
    // with it, rather than leave a broker running on. Tests start children from their main
    // thread, whose exit is what this watches.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);  // It died before the line above.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (options.capture_stdout) ::dup2(pipe_fds[1], STDOUT_FILENO);
    if (options.capture_stderr) ::dup2(pipe_fds[1], STDERR_FILENO);
    for (const auto& [k, v] : options.env) ::setenv(k.c_str(), v.c_str(), 1);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) _exit(126);
    ::execv(args[0], args.data());
    const char* msg = "ChildProcess: exec failed\n";
    (void)!::write(STDERR_FILENO, msg, std::strlen(msg));
    _exit(127);
  }
  ::setpgid(pid_, pid_);  // Also from the parent, to win the race with kill().
  if (options.capture_stdout) {
    ::close(pipe_fds[1]);
    stdout_fd_ = pipe_fds[0];
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (stdout_fd_ < 0) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // End of stream: hand out a last unterminated line, if any.
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      if (buffer_.empty()) return std::nullopt;
      return std::exchange(buffer_, std::string());
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle,
                                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto line = read_line(left);
    if (!line) return std::nullopt;
    if (line->find(needle) != std::string::npos) return line;
  }
}

void ChildProcess::signal(int signo) {
  if (pid_ > 0 && !status_) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) {
      status_ = status;
      ::kill(-pid_, SIGKILL);  // Anything the child left in its group goes with it.
      return status_;
    }
    if (rc < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  signal(SIGTERM);
  if (auto status = wait(grace)) return *status;
  kill9();
  return *status_;
}

void ChildProcess::kill9() {
  if (status_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
}

bool ChildProcess::running() { return !status_ && !wait(std::chrono::milliseconds(0)); }

Completed run_to_completion(std::vector<std::string> argv, bool with_stderr, std::chrono::milliseconds timeout) {
  ChildProcess::Options options;
  options.capture_stderr = with_stderr;
  ChildProcess child(std::move(argv), options);
  Completed result;
  while (auto line = child.read_line(timeout)) result.out += *line + "\n";
  result.status = child.wait(timeout);
  if (result.status && WIFEXITED(*result.status)) result.exit_code = WEXITSTATUS(*result.status);
  return result;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace esper::testing
