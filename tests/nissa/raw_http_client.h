// Raw loopback TCP for HTTP tests that need what a well-behaved client never does: connections that
// send nothing, requests trickled a byte at a time, bytes no URL encoder would produce. Every wait
// is bounded.
#ifndef ESPER_TESTS_NISSA_RAW_HTTP_CLIENT_H_
#define ESPER_TESTS_NISSA_RAW_HTTP_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace esper::nissa::testing {

// An open TCP connection to 127.0.0.1:port (fd() < 0 if connect failed); closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(RawConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  int fd() const { return fd_; }

  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  // Reads until the peer closes or `timeout` passes; returns what arrived. closed() says which.
  std::string read_until_closed(std::chrono::milliseconds timeout) {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[8192];
    while (!closed_) {  // Looks at least once, however short the timeout.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) {
        if (left.count() <= 0) break;
        continue;
      }
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
      } else {
        received.append(buffer, static_cast<std::size_t>(n));
      }
    }
    return received;
  }

  // Whether the peer has closed the connection, looking without waiting.
  bool peer_closed() {
    if (!closed_) read_until_closed(std::chrono::milliseconds(1));
    return closed_;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// Sends `request` on a new connection and returns everything received until the server closes it
// (send "Connection: close") or `timeout` passes.
inline std::string raw_exchange(int port, const std::string& request,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  RawConnection c(port);
  if (c.fd() < 0 || !c.send(request)) return {};
  return c.read_until_closed(timeout);
}

// The status code of a raw HTTP response ("HTTP/1.1 404 Not Found..." -> 404), or -1.
inline int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

// The body of a raw HTTP response (after the blank line).
inline std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_RAW_HTTP_CLIENT_H_
