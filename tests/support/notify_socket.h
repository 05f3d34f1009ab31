// An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET, so tests can see what a
// Type=notify service tells systemd (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1).
#ifndef ESPER_TESTS_SUPPORT_NOTIFY_SOCKET_H_
#define ESPER_TESTS_SUPPORT_NOTIFY_SOCKET_H_

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace esper::testing {

class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  bool ok() const { return ok_; }
  // Every datagram received within `timeout`, one string per notification line.
  void collect(std::vector<std::string>& into, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::istringstream in(std::string(buffer, static_cast<std::size_t>(n)));
      for (std::string line; std::getline(in, line);) into.push_back(line);
    }
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool ok_ = false;
};

// The index of the first line starting with `prefix` at or after `from`, or -1.
inline std::ptrdiff_t index_of(const std::vector<std::string>& lines, const std::string& prefix, std::size_t from = 0) {
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (lines[i].rfind(prefix, 0) == 0) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_NOTIFY_SOCKET_H_
