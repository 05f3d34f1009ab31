// A one-shot metrics endpoint on a Unix domain socket, for local debugging and monitoring without
// HTTP (the UMA Serve protocol). A client connects, sends one request, reads one reply, and the
// server closes the connection. Two framings, told apart by the first non-blank byte:
//
//   newline mode  the request is one line: `metrics\n` or `/metrics\n` (surrounding blanks and a
//                 trailing \r ignored). Reply: the metrics as one JSON object on one line, then \n.
//   JSON mode     the request is one JSON object starting with `{`, e.g. `{"type":"metrics"}` or
//                 `{"event":"metrics"}`. It is complete as soon as the bytes received parse as a
//                 JSON value, or at a newline, or when the client shuts down its write side.
//                 Reply: `{"event":"metrics","metrics":{...}}` then \n.
//
// Anything else is answered with a JSON error on one line and the connection is closed:
// newline mode `{"error":"..."}`, JSON mode `{"event":"error","error":"..."}`. A request not
// complete within `read_timeout` (or longer than kMaxRequestBytes) gets the same error, and a reply
// not taken by the client within kWriteTimeout is abandoned. Connections are served side by side on
// one thread (poll), so a client that connects and never sends, or never reads, delays no other; at
// most kMaxClients are open at once, and further ones wait in the listen backlog.
//
// The socket file is created with `mode` (0660 by default, so a group can be granted access); a
// stale socket file left at `path` is replaced, and the file is removed on destruction.
#ifndef ESPER_NISSA_SERVE_UNIX_METRICS_ENDPOINT_H_
#define ESPER_NISSA_SERVE_UNIX_METRICS_ENDPOINT_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace esper::nissa {

struct UnixMetricsEndpointOptions {
  std::filesystem::path path;
  mode_t mode = 0660;
  std::chrono::milliseconds read_timeout{50};
};

class UnixMetricsEndpoint {
 public:
  static constexpr std::size_t kMaxRequestBytes = 4096;
  // Local monitoring agents and debugging sessions, not a fleet: plenty, and bounds the fds held.
  static constexpr std::size_t kMaxClients = 64;
  // A reply is a few KiB that fit the socket buffer; a client this slow to take it is gone.
  static constexpr std::chrono::milliseconds kWriteTimeout{1000};

  // `metrics_json` returns the metrics as one JSON object (called on the endpoint's thread).
  // Throws std::runtime_error if the socket cannot be created.
  UnixMetricsEndpoint(UnixMetricsEndpointOptions options, std::function<std::string()> metrics_json);
  ~UnixMetricsEndpoint();  // Stops serving, joins, removes the socket file.
  UnixMetricsEndpoint(const UnixMetricsEndpoint&) = delete;
  UnixMetricsEndpoint& operator=(const UnixMetricsEndpoint&) = delete;

  const std::filesystem::path& path() const { return options_.path; }
  std::uint64_t served() const { return served_.load(); }
  std::uint64_t errors() const { return errors_.load(); }

  // The reply to one complete request (without its trailing newline); exposed for tests.
  static std::string reply_to(const std::string& request, const std::string& metrics_json, bool* ok);

 private:
  struct Client;
  void serve();
  void read_from(Client& client);
  void reply(Client& client, const std::string& failure);

  UnixMetricsEndpointOptions options_;
  std::function<std::string()> metrics_json_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: written by the destructor to wake serve().
  std::atomic<std::uint64_t> served_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::thread thread_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_UNIX_METRICS_ENDPOINT_H_
