#include "weatherlight/child_exits.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace esper::weatherlight {

ChildExits::ChildExits() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) throw std::system_error(errno, std::generic_category(), "sigmask");
  fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

ChildExits::~ChildExits() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::pair<pid_t, int>> ChildExits::reap() {
  // Several SIGCHLDs may collapse into one signalfd record, so the record only says "look"; waitpid
  // says who.
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  std::vector<std::pair<pid_t, int>> exited;
  while (true) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    exited.emplace_back(pid, status);
  }
  return exited;
}

bool ChildExits::has_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

}  // namespace esper::weatherlight
