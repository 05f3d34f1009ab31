#include "nissa/unix_metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

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

void write_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // The client went away, or its buffer stayed full past SO_SNDTIMEO.
    at += static_cast<std::size_t>(n);
  }
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
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

void UnixMetricsEndpoint::serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void UnixMetricsEndpoint::handle(int fd) {
  const auto deadline = Clock::now() + options_.read_timeout;
  timeval send_timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::string buffer;
  std::string failure;
  char chunk[1024];
  while (!complete(buffer)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      failure = buffer.empty() ? "no request within the read timeout" : "incomplete request within the read timeout";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // Timed out: the loop reports it.
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // End of the request (or a reset): answer what arrived.
      if (trim(buffer).empty()) failure = "empty request";
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > kMaxRequestBytes) {
      failure = "request longer than " + std::to_string(kMaxRequestBytes) + " bytes";
      break;
    }
  }
  bool ok = false;
  std::string reply = failure.empty() ? reply_to(buffer, metrics_json_(), &ok) : error_reply(json_mode(buffer), failure);
  (ok ? served_ : errors_).fetch_add(1);
  if (!ok) spdlog::debug("unix metrics endpoint: bad request answered with {}", reply);
  reply += '\n';
  write_all(fd, reply);
}

}  // namespace esper::nissa
