#include "producers/load/load_fleet.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "signals/shutdown_signals.h"

namespace esper::producers::load {

namespace {

// What a child writes on its pipe: this byte once ready, then its LoadCounts.
constexpr char kReadyByte = 'R';

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct Child {
  pid_t pid = -1;
  int fd = -1;          // Read end of its pipe; -1 once it reached end of file.
  std::string message;  // What it wrote so far.
  bool ready() const { return !message.empty() && message[0] == kReadyByte; }
  bool reported() const { return ready() && message.size() == 1 + sizeof(LoadCounts); }
};

[[noreturn]] void run_child(int index, int fd, const ProducerBody& body) {
  int code = 0;
  try {
    const LoadCounts counts = body(index, [fd] { (void)write_all(fd, &kReadyByte, 1); });
    if (!write_all(fd, &counts, sizeof counts)) code = 1;
  } catch (const std::exception& e) {
    spdlog::critical("esper-load: producer {}: {}", index, e.what());
    code = 1;
  }
  std::fflush(nullptr);
  ::_exit(code);  // Not exit(): the parent's objects, copied by fork, are not this process's to destroy.
}

}  // namespace

LoadCounts run_fleet(int producers, const ProducerBody& body, const std::function<void()>& all_ready) {
  if (producers <= 1) return body(0, all_ready);

  // Before the first fork: the children inherit the blocked stop signals, so none dies of a SIGTERM
  // before its own signalfd exists.
  signals::ShutdownSignals signals;
  std::vector<Child> children(static_cast<std::size_t>(producers));
  auto stop_all = [&] {
    for (const Child& c : children) {
      if (c.pid > 0) ::kill(c.pid, SIGTERM);
    }
  };
  for (int i = 0; i < producers; ++i) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      stop_all();
      throw std::system_error(errno, std::generic_category(), "pipe");
    }
    std::fflush(nullptr);  // Nothing buffered is written twice.
    const pid_t pid = ::fork();
    if (pid < 0) {
      stop_all();
      throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid == 0) {
      ::close(fds[0]);
      run_child(i, fds[1], body);
    }
    ::close(fds[1]);
    children[static_cast<std::size_t>(i)].pid = pid;
    children[static_cast<std::size_t>(i)].fd = fds[0];
  }

  bool announced = false;
  bool stopping = false;
  auto open = [&] {
    for (const Child& c : children) {
      if (c.fd >= 0) return true;
    }
    return false;
  };
  while (open()) {
    std::vector<pollfd> items{{signals.fd(), POLLIN, 0}};
    std::vector<Child*> polled;
    for (Child& c : children) {
      if (c.fd < 0) continue;
      items.push_back({c.fd, POLLIN, 0});
      polled.push_back(&c);
    }
    if (::poll(items.data(), items.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (items[0].revents != 0) {
      if (auto signo = signals.take(); signo && signals::is_stop_signal(*signo) && !stopping) {
        stopping = true;
        stop_all();
      }
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (items[i + 1].revents == 0) continue;
      Child& c = *polled[i];
      char buffer[256];
      const ssize_t n = ::read(c.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        c.message.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      ::close(c.fd);
      c.fd = -1;
      if (!c.reported() && !stopping) {
        // A producer failed: the run is over for all of them.
        stopping = true;
        stop_all();
      }
    }
    if (!announced && std::all_of(children.begin(), children.end(), [](const Child& c) { return c.ready(); })) {
      announced = true;
      all_ready();
    }
  }

  LoadCounts total;
  int failed = 0;
  for (Child& c : children) {
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!c.reported() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++failed;
      continue;
    }
    LoadCounts counts;
    std::memcpy(&counts, c.message.data() + 1, sizeof counts);
    total += counts;
  }
  if (failed > 0) throw std::runtime_error(std::to_string(failed) + " of " + std::to_string(producers) +
                                           " producers failed");
  return total;
}

}  // namespace esper::producers::load
