// A headless Chromium for the dashboard's tests, driven through tests/nissa/web/headless_browser.py
// (the DevTools protocol): one JSON command per line on its stdin, one JSON answer per line on its
// stdout, every wait bounded. The browser's profile lives in a TempDir; destroying this stops the
// driver, which stops Chromium.
#ifndef ESPER_TESTS_NISSA_WEB_HEADLESS_BROWSER_H_
#define ESPER_TESTS_NISSA_WEB_HEADLESS_BROWSER_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

extern char** environ;

namespace esper::nissa::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

class HeadlessBrowser {
 public:
  // Starts Chromium; ready() says whether it answered within `timeout`.
  explicit HeadlessBrowser(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    const std::string script = std::string(ESPER_SOURCE_DIR) + "/tests/nissa/web/headless_browser.py";
    const std::string profile = (profile_.path() / "profile").string();
    std::string a0 = "/usr/bin/python3", a2 = kChromium;
    std::string a1 = script, a3 = profile;
    char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
    const int spawned = ::posix_spawn(&pid_, a0.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_driver_ = in[1];
    from_driver_ = out[0];
    if (spawned != 0) {
      pid_ = -1;
      return;
    }
    const auto hello = read_answer(timeout);
    ready_ = hello.is_object() && hello.value("ready", false);
    if (!ready_) error_ = hello.is_object() ? hello.value("error", std::string("no answer")) : "no answer";
  }

  ~HeadlessBrowser() {
    if (pid_ > 0) {
      command({{"cmd", "quit"}}, std::chrono::seconds(10));  // Its answer may be lost behind a late one.
      ::close(to_driver_);  // EOF stops the driver (and its Chromium) even if quit was lost.
      to_driver_ = -1;
      for (int i = 0; i < 200; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (to_driver_ >= 0) ::close(to_driver_);
    if (from_driver_ >= 0) ::close(from_driver_);
  }
  HeadlessBrowser(const HeadlessBrowser&) = delete;
  HeadlessBrowser& operator=(const HeadlessBrowser&) = delete;

  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }

  // Sends `cmd` and returns the driver's answer (null if none within `timeout`).
  nlohmann::json command(const nlohmann::json& cmd, std::chrono::milliseconds timeout) {
    const std::string line = cmd.dump() + "\n";
    if (to_driver_ < 0 || ::write(to_driver_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return nullptr;
    }
    return read_answer(timeout);
  }

  // Navigates to `url`; on failure the driver's answer is in error().
  bool go(const std::string& url) {
    const auto answer = command({{"cmd", "goto"}, {"url", url}}, std::chrono::seconds(20));
    if (!ok(answer)) error_ = "goto " + url + ": " + (answer.is_null() ? "no answer within 20 s" : answer.dump());
    return ok(answer);
  }

  // Evaluates `js` in the page until it is truthy or `timeout` passes; the answer holds "ok",
  // "value" (the last value) and "elapsed_ms".
  nlohmann::json wait_for(const std::string& js, std::chrono::milliseconds timeout) {
    const auto answer = command({{"cmd", "wait"}, {"expr", js}, {"timeout_ms", timeout.count()}}, timeout + std::chrono::seconds(10));
    return answer.is_object() ? answer : nlohmann::json{{"ok", false}, {"error", "the driver did not answer"}};
  }
  nlohmann::json eval(const std::string& js) {
    const auto answer = command({{"cmd", "eval"}, {"expr", js}}, std::chrono::seconds(10));
    return answer.is_object() ? answer.value("value", nlohmann::json()) : nlohmann::json();
  }
  bool screenshot(const std::filesystem::path& path) {
    return ok(command({{"cmd", "screenshot"}, {"path", path.string()}}, std::chrono::seconds(20)));
  }

 private:
  static bool ok(const nlohmann::json& answer) { return answer.is_object() && answer.value("ok", false); }

  nlohmann::json read_answer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        const std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return nlohmann::json::parse(line, nullptr, false);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return nullptr;
      pollfd p{from_driver_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(from_driver_, chunk, sizeof chunk);
      if (n <= 0) return nullptr;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  esper::testing::TempDir profile_;
  pid_t pid_ = -1;
  int to_driver_ = -1;
  int from_driver_ = -1;
  std::string buffer_;
  bool ready_ = false;
  std::string error_;
};

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_WEB_HEADLESS_BROWSER_H_
