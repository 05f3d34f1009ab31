#include "nissa/serve/unix_metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace esper::nissa {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

bool json_mode(const std::string& request) {
  const auto first = request.find_first_not_of(" \t\r\n");
  return first != std::string::npos && request[first] == '{';
}

std::string error_reply(bool json_framed, const std::string& error) {
  return json_framed ? json{{"event", "error"}, {"error", error}}.dump() : json{{"error", error}}.dump();
}

// Whether `buffer` holds a complete request.
bool complete(const std::string& buffer) {
  if (buffer.find('\n') != std::string::npos) return true;
  if (!json_mode(buffer)) return false;
  return json::accept(buffer);
}

// Sends what the socket takes now; true once the whole reply is out (or the client is gone).
bool write_some(int fd, const std::string& bytes, std::size_t& written) {
  while (written < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + written, bytes.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) return true;  // The client went away.
    written += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string UnixMetricsEndpoint::reply_to(const std::string& request, const std::string& metrics_json, bool* ok) {
  *ok = false;
  if (json_mode(request)) {
    std::string text = request;
    if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return error_reply(true, "request is not valid JSON");
    if (!j.is_object()) return error_reply(true, "request must be a JSON object");
    auto is_metrics = [&](const char* field) {
      auto it = j.find(field);
      return it != j.end() && it->is_string() && it->get<std::string>() == "metrics";
    };
    if (!is_metrics("type") && !is_metrics("event")) {
      return error_reply(true, "unknown request: expected {\"type\":\"metrics\"} or {\"event\":\"metrics\"}");
    }
    *ok = true;
    return "{\"event\":\"metrics\",\"metrics\":" + metrics_json + "}";
  }
  std::string line = request;
  if (const auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  line = trim(line);
  if (line != "metrics" && line != "/metrics") {
    return error_reply(false, "unknown request: expected \"metrics\" or \"/metrics\" and a newline");
  }
  *ok = true;
  return metrics_json;
}

UnixMetricsEndpoint::UnixMetricsEndpoint(UnixMetricsEndpointOptions options, std::function<std::string()> metrics_json)
    : options_(std::move(options)), metrics_json_(std::move(metrics_json)) {
  const std::string path = options_.path.string();
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error("unix socket path '" + path + "' is empty or longer than " +
                             std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error("unix socket path '" + path + "' exists and is not a socket");
    ::unlink(path.c_str());  // A stale socket from a previous run.
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);  // serve() accepts until EAGAIN.
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket(AF_UNIX): ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(path.c_str(), options_.mode) != 0 || ::listen(listen_fd_, 16) != 0) {
    const std::string error = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("cannot serve unix socket '" + path + "': " + error);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    ::close(listen_fd_);
    throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  thread_ = std::thread([this] { serve(); });
}

UnixMetricsEndpoint::~UnixMetricsEndpoint() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
  ::unlink(options_.path.c_str());
}

struct UnixMetricsEndpoint::Client {
  int fd = -1;
  Clock::time_point deadline;  // For the request, then for the reply.
  std::string request;
  std::string reply;  // Being written once `replying`.
  std::size_t written = 0;
  bool replying = false;
  bool done = false;  // To be closed.
};

void UnixMetricsEndpoint::reply(Client& c, const std::string& failure) {
  bool ok = false;
  c.reply = failure.empty() ? reply_to(c.request, metrics_json_(), &ok) : error_reply(json_mode(c.request), failure);
  (ok ? served_ : errors_).fetch_add(1);
  if (!ok) spdlog::debug("unix metrics endpoint: bad request answered with {}", c.reply);
  c.reply += '\n';
  c.replying = true;
  c.deadline = Clock::now() + kWriteTimeout;
}

void UnixMetricsEndpoint::read_from(Client& c) {
  char chunk[1024];
  while (!c.replying) {
    const ssize_t n = ::recv(c.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // End of the request (or a reset): answer what arrived.
      reply(c, trim(c.request).empty() ? "empty request" : "");
      return;
    }
    c.request.append(chunk, static_cast<std::size_t>(n));
    if (c.request.size() > kMaxRequestBytes) {
      reply(c, "request longer than " + std::to_string(kMaxRequestBytes) + " bytes");
    } else if (complete(c.request)) {
      reply(c, "");
    }
  }
}

void UnixMetricsEndpoint::serve() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  while (true) {
    fds.assign({{stop_fd_, POLLIN, 0}, {listen_fd_, static_cast<short>(clients.size() < kMaxClients ? POLLIN : 0), 0}});
    std::optional<Clock::time_point> next_deadline;
    for (const Client& c : clients) {
      fds.push_back({c.fd, static_cast<short>(c.replying ? POLLOUT : POLLIN), 0});
      if (!next_deadline || c.deadline < *next_deadline) next_deadline = c.deadline;
    }
    int timeout_ms = -1;
    if (next_deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next_deadline - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<std::int64_t>(left, 0));
    }
    const int r = ::poll(fds.data(), fds.size(), timeout_ms);
    if (r < 0 && errno != EINTR) break;
    if (r > 0 && (fds[0].revents & POLLIN)) break;

    const auto now = Clock::now();
    for (std::size_t i = 0; r >= 0 && i < clients.size(); ++i) {
      Client& c = clients[i];
      const short events = fds[i + 2].revents;
      if (!c.replying) {
        if (events != 0) read_from(c);
        if (!c.replying && now >= c.deadline) {
          reply(c, trim(c.request).empty() ? "no request within the read timeout"
                                           : "incomplete request within the read timeout");
        }
      }
      if (c.replying) {
        // Most replies fit the socket buffer and go out at once; a client that does not take the
        // rest before its deadline is dropped.
        c.done = write_some(c.fd, c.reply, c.written) || now >= c.deadline;
      }
    }
    std::erase_if(clients, [](const Client& c) {
      if (c.done) ::close(c.fd);
      return c.done;
    });

    while (r > 0 && (fds[1].revents & POLLIN) && clients.size() < kMaxClients) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) break;
      Client& c = clients.emplace_back();
      c.fd = fd;
      c.deadline = Clock::now() + options_.read_timeout;
    }
  }
  for (const Client& c : clients) ::close(c.fd);
}

}  // namespace esper::nissa
