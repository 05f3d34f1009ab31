// A one-shot client of Nissa's Unix-socket metrics endpoint for tests: connect, send, read the
// reply until the server closes, with a bounded wait and the time it took.
#ifndef ESPER_TESTS_NISSA_UNIX_SOCKET_CLIENT_H_
#define ESPER_TESTS_NISSA_UNIX_SOCKET_CLIENT_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace esper::nissa::testing {

struct UnixReply {
  bool connected = false;
  bool closed = false;  // The server closed the connection before the deadline.
  std::string body;
  std::chrono::milliseconds elapsed{0};
};

inline UnixReply unix_request(const std::filesystem::path& path, const std::string& request,
                              bool shutdown_write = false,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  UnixReply reply;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const auto start = std::chrono::steady_clock::now();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  reply.connected = true;
  if (!request.empty()) (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  if (shutdown_write) ::shutdown(fd, SHUT_WR);
  const auto deadline = start + timeout;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1))) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      reply.closed = true;
      break;
    }
    reply.body.append(buffer, static_cast<std::size_t>(n));
  }
  reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  ::close(fd);
  return reply;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_UNIX_SOCKET_CLIENT_H_
