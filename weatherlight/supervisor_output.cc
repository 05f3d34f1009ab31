// A service's stdout and stderr: read from its pipes as they become readable, split into lines and
// logged under the service's name; a `ready: line` service becomes ready on its ready_line.
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "logging/syslog_prefix.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {
namespace {

// One line of a child's output, under the child's name; at the level its "<N>" prefix names (how
// supervised Esper processes log, logging/syslog_prefix.h), else at info.
void log_child_line(const std::string& service, std::string_view line) {
  if (const auto prefixed = logging::parse_syslog_prefix(line)) {
    spdlog::log(prefixed->level, "[{}] {}", service, prefixed->text);
  } else {
    spdlog::info("[{}] {}", service, line);
  }
}

}  // namespace

void Supervisor::close_output(Service& s) {
  for (auto [fd, is_stderr] : {std::pair{&s.out_fd, false}, std::pair{&s.err_fd, true}}) {
    if (*fd < 0) continue;
    on_output(s, *fd, is_stderr);  // Whatever is still in the pipe.
    for (auto& line : (is_stderr ? s.err_lines : s.out_lines).finish()) log_child_line(s.config.name, line);
    ::close(*fd);
    *fd = -1;
  }
}

void Supervisor::on_output(Service& s, int fd, bool is_stderr) {
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // End of stream while the process runs (it closed its stdout): stop polling this pipe.
        for (auto& line : (is_stderr ? s.err_lines : s.out_lines).finish()) log_child_line(s.config.name, line);
        ::close(fd);
        (is_stderr ? s.err_fd : s.out_fd) = -1;
      }
      return;
    }
    for (auto& line : (is_stderr ? s.err_lines : s.out_lines).append({buffer, static_cast<std::size_t>(n)})) {
      log_child_line(s.config.name, line);
      if (!is_stderr && !s.ready && s.config.ready == Readiness::kLine &&
          line.find(s.config.ready_line) != std::string::npos) {
        s.ready = true;
        spdlog::info("[{}] ready", s.config.name);
      }
    }
  }
}

}  // namespace esper::weatherlight
